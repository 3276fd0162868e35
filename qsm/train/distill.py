"""The QD-LLM objective both student routers are trained with, and the routing split they share.

    L = alpha * (KL(teacher's route || student's route) + KL(teacher's complexity || student's complexity))
        + (1 - alpha) * (CE(intent) + CE(complexity))

The teacher's route is QSM's adapter's P(SOM) and its complexity SOM's adapter's P(low, medium, high), both
read from llama.cpp logprobs and cached in ``router_teacher.json`` (:mod:`qsm.train.router_teacher`). The
student's route is its probability of the ``resource`` intent (the intent that sends a request to SOM), so
the route term is a two-class KL on the intent head; the complexity term is a three-class KL on the
complexity head. The cross-entropies are to the true labels, class-balanced. ``alpha`` is
:data:`DISTILL_ALPHA` unless a trainer is told otherwise; 0 is plain cross-entropy (no teacher needed).
No temperature: the teacher's probabilities are used as llama.cpp gives them.

:func:`qdllm_loss` is written once for any numpy-like module (numpy for the classical student's loss,
autograd's numpy for the circuit's gradients); :func:`head_gradients` is its analytic gradient with respect
to the logits of the two softmax heads, which the classical student trains with.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np

from qsm.agents.router import COMPLEXITIES, INTENTS
from qsm.errors import ModelNotFoundError
from qsm.train.router_data import RouteExample, build_router_data, split_by_group
from qsm.train.router_teacher import TeacherLabels, data_fingerprint

__all__ = [
    "DISTILL_ALPHA",
    "RouterSplit",
    "class_weights",
    "head_gradients",
    "load_split",
    "qdllm_loss",
]

DISTILL_ALPHA = 0.5
"""The weight of the divergence to the teacher; 1 - alpha weighs the cross-entropy to the true labels."""

Embed = Callable[[Sequence[str]], np.ndarray]
_RESOURCE = INTENTS.index("resource")
_EPS = 1e-7


def class_weights(y: np.ndarray, classes: int) -> np.ndarray:
    """Each example's class-balancing weight (mean 1 over the data)."""
    n = len(y)
    return np.asarray((n / (classes * np.maximum(np.bincount(y, minlength=classes), 1)))[y], dtype=np.float64)


def qdllm_loss(
    p_intent: Any,
    p_complexity: Any,
    yi: np.ndarray,
    yc: np.ndarray,
    teacher_som: np.ndarray | None,
    teacher_complexity: np.ndarray | None,
    alpha: float,
    xp: ModuleType = np,
) -> Any:
    """The QD-LLM objective (module docstring) for the students' probabilities; a teacher term whose soft
    labels are None is left out."""
    n = len(yi)
    wi, wc = class_weights(yi, len(INTENTS)), class_weights(yc, len(COMPLEXITIES))
    ce = -xp.mean(wi * xp.log(p_intent[np.arange(n), yi] + _EPS)) - xp.mean(
        wc * xp.log(p_complexity[np.arange(n), yc] + _EPS)
    )
    kl: Any = 0.0
    if teacher_som is not None:
        s = xp.clip(p_intent[:, _RESOURCE], _EPS, 1 - _EPS)
        t = np.clip(teacher_som, _EPS, 1 - _EPS)
        kl = kl + xp.mean(t * xp.log(t / s) + (1 - t) * xp.log((1 - t) / (1 - s)))
    if teacher_complexity is not None:
        t3 = np.clip(teacher_complexity, _EPS, 1.0)
        kl = kl + xp.mean(xp.sum(t3 * (xp.log(t3) - xp.log(p_complexity + _EPS)), axis=1))
    return alpha * kl + (1 - alpha) * ce


def head_gradients(
    p_intent: np.ndarray,
    p_complexity: np.ndarray,
    yi: np.ndarray,
    yc: np.ndarray,
    teacher_som: np.ndarray | None,
    teacher_complexity: np.ndarray | None,
    alpha: float,
) -> tuple[np.ndarray, np.ndarray]:
    """d :func:`qdllm_loss` / d logits of the intent head and of the complexity head (softmax heads)."""
    n = len(yi)
    gi = (1 - alpha) * (p_intent - np.eye(len(INTENTS))[yi]) * class_weights(yi, len(INTENTS))[:, None]
    gc = (
        (1 - alpha)
        * (p_complexity - np.eye(len(COMPLEXITIES))[yc])
        * class_weights(yc, len(COMPLEXITIES))[:, None]
    )
    if teacher_som is not None:
        s = np.clip(p_intent[:, _RESOURCE], _EPS, 1 - _EPS)
        t = np.clip(teacher_som, _EPS, 1 - _EPS)
        # d/ds of the binary KL, times ds/dz_k = s (1[k = resource] - p_k)
        ds = (s - t) / (1 - s)
        gi = gi + alpha * ds[:, None] * (np.eye(len(INTENTS))[_RESOURCE][None, :] - p_intent)
    if teacher_complexity is not None:
        t3 = np.clip(teacher_complexity, _EPS, 1.0)
        gc = gc + alpha * (p_complexity * t3.sum(axis=1, keepdims=True) - t3)
    return gi / n, gc / n


@dataclass
class RouterSplit:
    """The routing data split by template group, embedded, with the teacher's soft labels per request
    (P(SOM), and P(low, medium, high) when the cache has them)."""

    train: list[RouteExample]
    test: list[RouteExample]
    x_train: np.ndarray
    x_test: np.ndarray
    teacher_train: np.ndarray
    teacher_test: np.ndarray
    teacher_complexity_train: np.ndarray | None = None
    teacher_complexity_test: np.ndarray | None = None

    def labels(self, part: str) -> tuple[np.ndarray, np.ndarray]:
        rows = self.train if part == "train" else self.test
        return (
            np.array([INTENTS.index(e.intent) for e in rows]),
            np.array([COMPLEXITIES.index(e.complexity) for e in rows]),
        )


def load_split(
    embed: Embed,
    *,
    per_template: int,
    seed: int,
    teacher_path: Path | None,
    need_complexity: bool = False,
) -> RouterSplit:
    """The split with the cached teacher labels; a clear error if the cache was made for other data or
    (``need_complexity``) has no complexity labels."""
    data = build_router_data(per_template=per_template, seed=seed)
    labels = TeacherLabels.load(teacher_path)
    if labels.fingerprint != data_fingerprint([e.text for e in data]):
        raise ModelNotFoundError(
            "the cached teacher labels were computed for other routing data",
            hint="recompute them with `qsm train router-teacher` (same --seed and --per-template)",
        )
    if need_complexity and not labels.has_complexity:
        raise ModelNotFoundError(
            "the cached teacher labels have no complexity probabilities",
            hint="recompute them with `qsm train router-teacher --keep-route`",
        )
    texts = [e.text for e in data]
    p_som = dict(zip(texts, labels.p_som, strict=True))
    p_cx = dict(zip(texts, labels.p_complexity, strict=True)) if labels.has_complexity else None
    train, test = split_by_group(data)
    return RouterSplit(
        train,
        test,
        embed([e.text for e in train]).astype(np.float64),
        embed([e.text for e in test]).astype(np.float64),
        np.array([p_som[e.text] for e in train]),
        np.array([p_som[e.text] for e in test]),
        np.array([p_cx[e.text] for e in train]) if p_cx else None,
        np.array([p_cx[e.text] for e in test]) if p_cx else None,
    )
