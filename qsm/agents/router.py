"""QSM's learned router: a small softmax classifier over a request's sentence embedding (the shipped
int8 MiniLM) that decides, with no LLM call, who drafts (WeQ or SOM), whether the request needs a plan
(several steps) and how complex it is (SOM's budget scale).

The student is trained by ``qsm train router`` on the routing data in :mod:`qsm.train.router_data` and
ships as ``qsm/agents/data/router.npz`` beside its card. When its confidence is below the threshold, the
coordinator falls back to its LLM plan.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Literal, Protocol

import numpy as np

from qsm.errors import ModelCallError, ModelNotFoundError

__all__ = [
    "COMPLEXITIES",
    "INTENTS",
    "Complexity",
    "Intent",
    "RouteDecision",
    "Router",
    "RouterStudent",
    "decision_from",
    "shipped_router_path",
]

Intent = Literal["answer", "resource", "multistep"]
Complexity = Literal["low", "medium", "high"]
INTENTS: tuple[Intent, ...] = ("answer", "resource", "multistep")
COMPLEXITIES: tuple[Complexity, ...] = ("low", "medium", "high")


@dataclass(frozen=True)
class RouteDecision:
    """What the student decided and how sure it was (max softmax probability of each head)."""

    intent: Intent
    complexity: Complexity
    confidence: float
    complexity_confidence: float
    probabilities: dict[str, float]

    @property
    def drafter_role(self) -> Literal["communicator", "economist"]:
        return "economist" if self.intent == "resource" else "communicator"


def shipped_router_path() -> Path:
    return Path(str(resources.files("qsm.agents") / "data" / "router.npz"))


class Router(Protocol):
    """What routes a request from its embedding: the classical student or the quantum one."""

    kind: str
    embedder: str

    def decide(self, embedding: np.ndarray) -> RouteDecision: ...


class RouterStudent:
    """Two linear softmax heads (intent, complexity) over an L2-normalised embedding."""

    kind = "student"

    def __init__(
        self,
        intent_weights: np.ndarray,
        intent_bias: np.ndarray,
        complexity_weights: np.ndarray,
        complexity_bias: np.ndarray,
        *,
        embedder: str,
    ) -> None:
        self.intent_w, self.intent_b = intent_weights.astype(np.float32), intent_bias.astype(np.float32)
        self.complexity_w = complexity_weights.astype(np.float32)
        self.complexity_b = complexity_bias.astype(np.float32)
        self.embedder = embedder
        if self.intent_w.shape[1] != len(INTENTS) or self.complexity_w.shape[1] != len(COMPLEXITIES):
            raise ModelCallError(
                "the router file's heads do not match the intents and complexities it serves"
            )

    @property
    def dim(self) -> int:
        return int(self.intent_w.shape[0])

    @property
    def parameters(self) -> int:
        return sum(a.size for a in (self.intent_w, self.intent_b, self.complexity_w, self.complexity_b))

    @classmethod
    def load(cls, path: Path | None = None) -> RouterStudent:
        path = path or shipped_router_path()
        if not path.is_file():
            raise ModelNotFoundError(
                f"no router student at {path}",
                hint='train one with `qsm train router`, or set [runtime] router = "llm"',
            )
        with np.load(path, allow_pickle=False) as data:
            meta = json.loads(bytes(data["meta"]).decode())
            return cls(
                data["intent_w"],
                data["intent_b"],
                data["complexity_w"],
                data["complexity_b"],
                embedder=str(meta["embedder"]),
            )

    def save(self, path: Path, **meta: object) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        blob = np.frombuffer(json.dumps({"embedder": self.embedder, **meta}).encode(), dtype=np.uint8)
        with path.open("wb") as fh:
            np.savez_compressed(
                fh,
                intent_w=self.intent_w,
                intent_b=self.intent_b,
                complexity_w=self.complexity_w,
                complexity_b=self.complexity_b,
                meta=blob,
            )

    def decide(self, embedding: np.ndarray) -> RouteDecision:
        vec = np.asarray(embedding, dtype=np.float32).reshape(-1)
        if vec.shape[0] != self.dim:
            raise ModelCallError(
                f"the router expects {self.dim}-dim embeddings from {self.embedder}, got {vec.shape[0]}"
            )
        p_intent = softmax(vec @ self.intent_w + self.intent_b)
        p_complexity = softmax(vec @ self.complexity_w + self.complexity_b)
        return decision_from(p_intent, p_complexity)


def decision_from(p_intent: np.ndarray, p_complexity: np.ndarray) -> RouteDecision:
    """A student's decision from its two heads' probabilities."""
    i, c = int(p_intent.argmax()), int(p_complexity.argmax())
    probabilities = {f"intent.{n}": float(p) for n, p in zip(INTENTS, p_intent, strict=True)}
    probabilities |= {f"complexity.{n}": float(p) for n, p in zip(COMPLEXITIES, p_complexity, strict=True)}
    return RouteDecision(
        intent=INTENTS[i],
        complexity=COMPLEXITIES[c],
        confidence=float(p_intent[i]),
        complexity_confidence=float(p_complexity[c]),
        probabilities=probabilities,
    )


def softmax(logits: np.ndarray) -> np.ndarray:
    z = logits - logits.max(axis=-1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=-1, keepdims=True)
