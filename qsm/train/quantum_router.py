"""Train QSM's quantum student router with the QD-LLM objective (``qsm train router --kind quantum``).

The routing data is embedded with the shipped MiniLM and projected by PCA (fitted on the training split)
to one angle per qubit. Only the circuit's rotations and its readout (a scale and bias per output) are
trained, by full-batch Adam on

    alpha * (KL(teacher's route || student's) + KL(teacher's complexity || student's))
        + (1 - alpha) * (CE(intent) + CE(complexity)),

(:mod:`qsm.train.distill`) where the teacher's route is the QSM adapter's P(SOM) and its complexity the SOM
adapter's P(low, medium, high), cached in ``router_teacher.json`` (:mod:`qsm.train.router_teacher`), and
the student's route is its probability of the ``resource`` intent.
:func:`fit_classical_twin` trains a classical student with the same inputs, loss and number of trainable
parameters, for the benchmark.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from qsm.agents.quantum_router import QuantumRouterStudent, circuit_outputs, encode, require_pennylane
from qsm.agents.router import COMPLEXITIES, INTENTS, softmax
from qsm.train.distill import DISTILL_ALPHA, RouterSplit, load_split, qdllm_loss
from qsm.train.router import macro_f1

__all__ = [
    "ClassicalTwin",
    "QuantumReport",
    "fit_classical_twin",
    "fit_pca",
    "fit_quantum",
    "fit_quantum_student",
    "train_quantum_router",
]

Embed = Callable[[Sequence[str]], np.ndarray]
_RESOURCE = INTENTS.index("resource")


def fit_pca(x: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Mean, the top ``k`` principal directions (columns) and each projection's standard deviation."""
    mean = x.mean(axis=0)
    _u, _s, vt = np.linalg.svd(x - mean, full_matrices=False)
    components = vt[:k].T
    scale = ((x - mean) @ components).std(axis=0) + 1e-6
    return mean, components, scale


def _objective(
    p_intent: Any,
    p_complexity: Any,
    yi: np.ndarray,
    yc: np.ndarray,
    teacher: np.ndarray,
    teacher_complexity: np.ndarray | None,
    alpha: float,
) -> Any:
    """QD-LLM (:func:`qsm.train.distill.qdllm_loss`) under autograd."""
    from autograd import numpy as anp

    return qdllm_loss(p_intent, p_complexity, yi, yc, teacher, teacher_complexity, alpha, xp=anp)


def _adam(
    loss: Callable[[list[Any]], Any], params: list[np.ndarray], steps: int, lr: float
) -> list[np.ndarray]:
    from autograd import grad

    g = grad(loss)
    m = [np.zeros_like(p) for p in params]
    v = [np.zeros_like(p) for p in params]
    for t in range(1, steps + 1):
        grads = g(params)
        for i, gi in enumerate(grads):
            m[i] = 0.9 * m[i] + 0.1 * gi
            v[i] = 0.999 * v[i] + 0.001 * gi * gi
            params[i] = params[i] - lr * (m[i] / (1 - 0.9**t)) / (np.sqrt(v[i] / (1 - 0.999**t)) + 1e-8)
    return params


def fit_quantum_student(
    x: np.ndarray,
    yi: np.ndarray,
    yc: np.ndarray,
    teacher: np.ndarray,
    teacher_complexity: np.ndarray | None = None,
    *,
    qubits: int = 6,
    embedder: str,
    **fit: Any,
) -> QuantumRouterStudent:
    """The PCA projection of the embeddings ``x`` to ``qubits`` angles and the circuit trained on them
    (:func:`fit_quantum` with ``fit``), as one student."""
    mean, components, scale = fit_pca(x, qubits)
    weights, r_scale, r_bias = fit_quantum(
        encode(x, mean, components, scale), yi, yc, teacher, teacher_complexity, **fit
    )
    return QuantumRouterStudent(
        mean=mean,
        components=components,
        scale=scale,
        weights=weights,
        readout_scale=r_scale,
        readout_bias=r_bias,
        embedder=embedder,
    )


def _softmax_ag(logits: Any) -> Any:
    from autograd import numpy as anp

    z = logits - anp.max(logits, axis=-1, keepdims=True)
    e = anp.exp(z)
    return e / anp.sum(e, axis=-1, keepdims=True)


def fit_quantum(
    angles: np.ndarray,
    yi: np.ndarray,
    yc: np.ndarray,
    teacher: np.ndarray,
    teacher_complexity: np.ndarray | None = None,
    *,
    layers: int = 4,
    steps: int = 120,
    lr: float = 0.08,
    alpha: float = DISTILL_ALPHA,
    seed: int = 7,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Circuit weights (layers, qubits, 3), readout scale and bias (6 each), trained on ``angles``."""
    require_pennylane()
    from autograd import numpy as anp

    qubits = angles.shape[1]
    circuit = circuit_outputs(qubits)
    rng = np.random.default_rng(seed)
    params = [rng.normal(0, 0.1, (layers, qubits, 3)), np.full(6, 2.0), np.zeros(6)]  # near identity
    k = len(INTENTS)

    def loss(p: list[Any]) -> Any:
        z = anp.stack(circuit(angles, p[0]), axis=-1)
        logits = z * p[1] + p[2]
        return _objective(
            _softmax_ag(logits[:, :k]), _softmax_ag(logits[:, k:]), yi, yc, teacher, teacher_complexity, alpha
        )

    weights, scale, bias = _adam(loss, params, steps, lr)
    return weights, scale, bias


@dataclass
class ClassicalTwin:
    """A one-hidden-layer tanh network on the same angles, sized to the circuit's parameter count."""

    w1: np.ndarray
    b1: np.ndarray
    w2: np.ndarray
    b2: np.ndarray

    @property
    def parameters(self) -> int:
        return int(self.w1.size + self.b1.size + self.w2.size + self.b2.size)

    def probabilities(self, angles: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        logits = np.tanh(angles @ self.w1 + self.b1) @ self.w2 + self.b2
        return softmax(logits[..., : len(INTENTS)]), softmax(logits[..., len(INTENTS) :])


def fit_classical_twin(
    angles: np.ndarray,
    yi: np.ndarray,
    yc: np.ndarray,
    teacher: np.ndarray,
    teacher_complexity: np.ndarray | None = None,
    *,
    parameters: int,
    steps: int = 120,
    lr: float = 0.08,
    alpha: float = DISTILL_ALPHA,
    seed: int = 7,
) -> ClassicalTwin:
    """The classical student with ``parameters`` trainable parameters (hidden width chosen to match; the
    remainder, if any, is reported by :attr:`ClassicalTwin.parameters`), trained like the circuit."""
    from autograd import numpy as anp

    d, out = angles.shape[1], len(INTENTS) + len(COMPLEXITIES)
    hidden = max(1, round((parameters - out) / (d + 1 + out)))
    rng = np.random.default_rng(seed)
    params = [
        rng.normal(0, 1 / np.sqrt(d), (d, hidden)),
        np.zeros(hidden),
        rng.normal(0, 1 / np.sqrt(hidden), (hidden, out)),
        np.zeros(out),
    ]
    k = len(INTENTS)

    def loss(p: list[Any]) -> Any:
        logits = anp.dot(anp.tanh(anp.dot(angles, p[0]) + p[1]), p[2]) + p[3]
        return _objective(
            _softmax_ag(logits[:, :k]), _softmax_ag(logits[:, k:]), yi, yc, teacher, teacher_complexity, alpha
        )

    w1, b1, w2, b2 = _adam(loss, params, steps, lr)
    return ClassicalTwin(w1, b1, w2, b2)


@dataclass
class QuantumReport:
    examples: int
    train: int
    test: int
    qubits: int
    layers: int
    parameters: int
    projection_values: int
    route_accuracy: float
    route_macro_f1: float
    teacher_route_accuracy: float
    intent_accuracy: float
    intent_macro_f1: float
    complexity_accuracy: float
    complexity_macro_f1: float
    teacher_complexity_accuracy: float | None
    confident_share: float
    threshold: float
    alpha: float
    steps: int
    seconds: float
    seed: int


def train_quantum_router(
    embed: Embed,
    embedder_name: str,
    out: Path,
    *,
    seed: int = 7,
    per_template: int = 12,
    threshold: float = 0.7,
    qubits: int = 6,
    layers: int = 4,
    steps: int = 120,
    alpha: float = DISTILL_ALPHA,
    teacher_path: Path | None = None,
    log: Callable[[str], None] = lambda _m: None,
) -> QuantumReport:
    start = time.perf_counter()
    split = load_split(
        embed, per_template=per_template, seed=seed, teacher_path=teacher_path, need_complexity=alpha > 0
    )
    yi, yc = split.labels("train")
    log(f"{len(split.train)} train / {len(split.test)} held-out requests; {qubits} qubits, {layers} layers")
    student = fit_quantum_student(
        split.x_train,
        yi,
        yc,
        split.teacher_train,
        split.teacher_complexity_train,
        qubits=qubits,
        embedder=embedder_name,
        layers=layers,
        steps=steps,
        alpha=alpha,
        seed=seed,
    )
    seconds = round(time.perf_counter() - start, 2)
    report = evaluate_quantum(student, split, threshold=threshold)
    full = QuantumReport(
        examples=len(split.train) + len(split.test),
        train=len(split.train),
        test=len(split.test),
        qubits=qubits,
        layers=layers,
        parameters=student.parameters,
        projection_values=int(student.mean.size + student.components.size + student.scale.size),
        threshold=threshold,
        alpha=alpha,
        steps=steps,
        seconds=seconds,
        seed=seed,
        **report,
    )
    student.save(out, threshold=threshold, seed=seed, report=asdict(full))
    out.with_suffix(".json").write_text(json.dumps(asdict(full), indent=2) + "\n")
    out.with_name("QUANTUM_ROUTER_CARD.md").write_text(_card(full, out.name, student.draw()))
    log(
        f"route accuracy {full.route_accuracy:.3f} (teacher {full.teacher_route_accuracy:.3f}), intent "
        f"{full.intent_accuracy:.3f}, complexity {full.complexity_accuracy:.3f}; {full.parameters} parameters"
    )
    return full


def evaluate_quantum(
    student: QuantumRouterStudent, split: RouterSplit, *, threshold: float
) -> dict[str, float]:
    yi, yc = split.labels("test")
    p_i, p_c = student.probabilities(split.x_test)
    return route_metrics(p_i, p_c, yi, yc, split.teacher_test, threshold, split.teacher_complexity_test)


def route_metrics(
    p_i: np.ndarray,
    p_c: np.ndarray,
    yi: np.ndarray,
    yc: np.ndarray,
    teacher: np.ndarray,
    threshold: float,
    teacher_complexity: np.ndarray | None = None,
) -> dict[str, Any]:
    pred_i, pred_c = p_i.argmax(axis=1), p_c.argmax(axis=1)
    som_true = yi == _RESOURCE
    som_pred = pred_i == _RESOURCE
    return {
        "route_accuracy": round(float(np.mean(som_pred == som_true)), 4),
        "route_macro_f1": macro_f1(list(som_true.astype(int)), list(som_pred.astype(int)), 2),
        "teacher_route_accuracy": round(float(np.mean((teacher >= 0.5) == som_true)), 4),
        "intent_accuracy": round(float(np.mean(pred_i == yi)), 4),
        "intent_macro_f1": macro_f1(list(yi), list(pred_i), len(INTENTS)),
        "complexity_accuracy": round(float(np.mean(pred_c == yc)), 4),
        "complexity_macro_f1": macro_f1(list(yc), list(pred_c), len(COMPLEXITIES)),
        "teacher_complexity_accuracy": None
        if teacher_complexity is None
        else round(float(np.mean(teacher_complexity.argmax(axis=1) == yc)), 4),
        "confident_share": round(float(np.mean(p_i.max(axis=1) >= threshold)), 4),
    }


def _card(r: QuantumReport, name: str, drawing: str) -> str:
    return f"""# QSM's quantum student router ({name})

A variational circuit (PennyLane, `default.qubit`) that routes requests like the classical student
(`router.npz`): intent (answer / resource / multistep) and complexity (low / medium / high).

- Input: the 384-dim int8 MiniLM embedding, PCA-projected to {r.qubits} values (fitted on the training
  split; {r.projection_values} fixed numbers, not trained), each squashed to an angle π/2 + atan(z/σ) in
  (0, π).
- Circuit: RY angle encoding, {r.layers} strongly entangling layers (Rot + CNOT ring), ⟨Z⟩ of qubits 0-2 →
  intent logits, of qubits 3-5 → complexity logits, through a per-output scale and bias.
- Trainable parameters: {r.parameters} ({r.layers}×{r.qubits}×3 rotations + 12 readout).
- Objective (QD-LLM, `qsm.train.distill`): {r.alpha} · (KL(teacher's P(route) ‖ student's) + KL(teacher's
  P(complexity) ‖ student's)) + {round(1 - r.alpha, 4)} · (class-balanced CE on intent + on complexity).
  Teacher: the shipped QSM LoRA adapter (route) and the shipped SOM LoRA adapter (complexity, the adapter
  trained to write it) on SmolLM2-135M through llama.cpp, the logprobs of each class's first token after the
  reply prefix each was trained on (`router_teacher.json`, written once by `qsm train router-teacher`).
- Training: full-batch Adam, {r.steps} steps, seed {r.seed}; {r.seconds} s on the CPU including embedding.
- Data: `qsm.train.router_data`, split by template group: {r.train} train, {r.test} held-out requests.
- Held-out: route (WeQ/SOM) accuracy {r.route_accuracy} (macro-F1 {r.route_macro_f1}) vs the teacher's
  {r.teacher_route_accuracy}; intent accuracy {r.intent_accuracy} (macro-F1 {r.intent_macro_f1}),
  complexity accuracy {r.complexity_accuracy} (macro-F1 {r.complexity_macro_f1}) vs the teacher's
  {r.teacher_complexity_accuracy}; {r.confident_share:.0%} of requests clear the threshold {r.threshold} (the rest
  fall back to QSM's LLM).
- Reproduce: `qsm train router-teacher` (once, real model), then
  `qsm train router --kind quantum --seed {r.seed} --alpha {r.alpha}`.

The circuit (the RY angles are the request's; drawn here at 0):

```
{drawing}
```
"""
