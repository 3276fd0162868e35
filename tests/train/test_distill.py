"""QD-LLM distillation of the student routers: the classical heads' analytic gradient is the gradient of the
objective, alpha > 0 pulls a student towards the teacher's soft route and complexity labels, and missing,
stale or route-only teacher labels stop training with an error that says to run `qsm train router-teacher`."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from qsm.agents.router import COMPLEXITIES, INTENTS, softmax
from qsm.errors import ModelNotFoundError
from qsm.train.distill import head_gradients, load_split, qdllm_loss
from qsm.train.router import fit_heads
from qsm.train.router_teacher import TeacherLabels, shipped_teacher_path

_RESOURCE = INTENTS.index("resource")


def _toy(n: int, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Features around one centre per intent (complexity tied to the intent), 8 dimensions."""
    centres = np.random.default_rng(0).normal(0, 1, (3, 8)) * 2
    rng = np.random.default_rng(seed)
    yi = rng.integers(0, 3, n)
    return centres[yi] + rng.normal(0, 1, (n, 8)), yi, (yi + 1) % 3


def _kl_route(p_intent: np.ndarray, teacher: np.ndarray) -> float:
    s, t = p_intent[:, _RESOURCE], teacher
    return float(np.mean(t * np.log(t / s) + (1 - t) * np.log((1 - t) / (1 - s))))


def _kl_complexity(p_complexity: np.ndarray, teacher: np.ndarray) -> float:
    return float(np.mean(np.sum(teacher * (np.log(teacher) - np.log(p_complexity)), axis=1)))


def test_the_head_gradients_are_the_gradient_of_the_objective() -> None:
    rng = np.random.default_rng(3)
    n = 7
    zi, zc = rng.normal(size=(n, 3)), rng.normal(size=(n, 3))
    yi, yc = np.array([0, 1, 2, 1, 1, 0, 2]), np.array([2, 2, 0, 1, 0, 1, 2])
    t_som = rng.uniform(0.05, 0.95, n)
    t_cx = softmax(rng.normal(size=(n, 3)))

    def loss(zi: np.ndarray, zc: np.ndarray) -> float:
        return float(qdllm_loss(softmax(zi), softmax(zc), yi, yc, t_som, t_cx, 0.6))

    gi, gc = head_gradients(softmax(zi), softmax(zc), yi, yc, t_som, t_cx, 0.6)
    h = 1e-6
    for grad, which in ((gi, 0), (gc, 1)):
        numeric = np.zeros_like(grad)
        for idx in np.ndindex(*grad.shape):
            bump = np.zeros_like(grad)
            bump[idx] = h
            up = loss(zi + bump, zc) if which == 0 else loss(zi, zc + bump)
            down = loss(zi - bump, zc) if which == 0 else loss(zi, zc - bump)
            numeric[idx] = (up - down) / (2 * h)
        assert np.allclose(grad, numeric, atol=1e-6), (which, grad - numeric)


def test_alpha_pulls_the_classical_student_towards_the_teachers_soft_labels() -> None:
    x, yi, yc = _toy(120, seed=1)
    # a teacher that disagrees with the true labels: unsure about the route, and always leaning to "high"
    t_som = np.full(len(yi), 0.4)
    t_cx = np.tile([0.1, 0.2, 0.7], (len(yi), 1))
    kl: dict[float, tuple[float, float]] = {}
    for alpha in (0.0, 0.8):
        iw, ib, cw, cb = fit_heads(x, yi, yc, t_som, t_cx, alpha=alpha, steps=300, lr=1.0, seed=0)
        p_i, p_c = softmax(x @ iw + ib), softmax(x @ cw + cb)
        kl[alpha] = (_kl_route(p_i, t_som), _kl_complexity(p_c, t_cx))
    assert kl[0.8][0] < kl[0.0][0] / 2, kl
    assert kl[0.8][1] < kl[0.0][1] / 2, kl


def test_alpha_pulls_the_quantum_student_towards_the_teachers_complexity() -> None:
    pytest.importorskip("pennylane")
    from qsm.train.quantum_router import fit_quantum_student

    x, yi, yc = _toy(48, seed=2)
    t_som = (yi == _RESOURCE) * 0.8 + 0.1
    t_cx = np.tile([0.1, 0.2, 0.7], (len(yi), 1))
    kl = {}
    for alpha in (0.0, 0.8):
        student = fit_quantum_student(
            x, yi, yc, t_som, t_cx, embedder="toy", layers=1, steps=25, lr=0.1, alpha=alpha, seed=0
        )
        kl[alpha] = _kl_complexity(student.probabilities(x)[1], t_cx)
    assert kl[0.8] < kl[0.0] / 2, kl


def _no_embedding(texts: Sequence[str]) -> np.ndarray:
    return np.zeros((len(texts), 4))


def test_missing_teacher_labels_say_to_run_the_teacher(tmp_path: Path) -> None:
    with pytest.raises(ModelNotFoundError, match="no teacher labels") as caught:
        load_split(_no_embedding, per_template=12, seed=7, teacher_path=tmp_path / "none.json")
    assert "qsm train router-teacher" in caught.value.hint


def test_stale_teacher_labels_say_to_recompute_them(tmp_path: Path) -> None:
    with pytest.raises(ModelNotFoundError, match="other routing data") as caught:
        load_split(_no_embedding, per_template=3, seed=7, teacher_path=None)
    assert "qsm train router-teacher" in caught.value.hint


def test_route_only_teacher_labels_say_to_add_the_complexity(tmp_path: Path) -> None:
    cached = json.loads(shipped_teacher_path().read_text())
    route_only = {k: v for k, v in cached.items() if "complexity" not in k}
    path = tmp_path / "route_only.json"
    path.write_text(json.dumps(route_only))
    assert not TeacherLabels.load(path).has_complexity
    with pytest.raises(ModelNotFoundError, match="no complexity") as caught:
        load_split(_no_embedding, per_template=12, seed=7, teacher_path=path, need_complexity=True)
    assert "qsm train router-teacher --keep-route" in caught.value.hint


def test_the_shipped_teacher_labels_carry_route_and_complexity_soft_labels() -> None:
    labels = TeacherLabels.load()
    assert labels.has_complexity and len(labels.p_som) >= 1000
    p_cx = np.array(labels.p_complexity)
    assert p_cx.shape == (len(labels.p_som), len(COMPLEXITIES))
    assert np.allclose(p_cx.sum(axis=1), 1.0, atol=1e-3)
    assert 0 < float(np.mean(np.array(labels.p_som) >= 0.5)) < 1


def test_the_classical_cli_refuses_stale_teacher_labels_and_trains_without_them_at_alpha_0(
    tmp_path: Path,
) -> None:
    from click.testing import CliRunner

    from qsm.cli import cli

    out = tmp_path / "router.npz"
    result = CliRunner().invoke(cli, ["train", "router", "--per-template", "3", "--out", str(out)])
    assert result.exit_code != 0 and not out.exists()
    assert "teacher labels were computed for other routing data" in result.output
    assert "qsm train router-teacher" in result.output
    result = CliRunner().invoke(
        cli, ["train", "router", "--per-template", "3", "--alpha", "0", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    report = json.loads(out.with_suffix(".json").read_text())
    assert report["alpha"] == 0 and report["teacher_route_accuracy"] is None
    assert "true labels only" in out.with_name("ROUTER_CARD.md").read_text()


def test_the_shipped_students_were_distilled_with_the_documented_alpha() -> None:
    from qsm.agents.quantum_router import shipped_quantum_router_path
    from qsm.agents.router import shipped_router_path

    for path, card in (
        (shipped_router_path(), "ROUTER_CARD.md"),
        (shipped_quantum_router_path(), "QUANTUM_ROUTER_CARD.md"),
    ):
        report = json.loads(path.with_suffix(".json").read_text())
        assert report["alpha"] > 0 and report["teacher_complexity_accuracy"] is not None
        assert 0 < report["complexity_macro_f1"] <= 1 and 0 < report["intent_macro_f1"] <= 1
        text = path.with_name(card).read_text()
        assert f"--alpha {report['alpha']}" in text and "macro-F1" in text
