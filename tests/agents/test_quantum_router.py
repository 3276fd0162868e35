"""The quantum student router (QD-LLM): a tiny circuit learns a toy split, the fast simulation equals the
PennyLane QNode, the shipped student's recorded held-out figures match the teacher's within 5 points (and
hold on a held-out sample), bad inputs get a route or a clear error, and a run routes with it on fakes."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("pennylane")

from qsm.agents.messages import Plan
from qsm.agents.quantum_router import (
    QuantumRouterStudent,
    encode,
    shipped_quantum_router_path,
)
from qsm.agents.router import INTENTS, RouterStudent, shipped_router_path
from qsm.errors import ModelCallError, ModelNotFoundError, QsmError
from qsm.graph import Workflow, run, stream
from qsm.graph.events import DoneEvent, RouteEvent
from qsm.train.quantum_router import fit_classical_twin, fit_pca, fit_quantum_student
from qsm.ui.router_view import routing_line
from tests.helpers import fake_runtime, team_fakes


def _toy(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Points around three fixed, well-separated centres in 16 dimensions (labels 0, 1, 2)."""
    centres = np.random.default_rng(0).normal(0, 1, (3, 16)) * 3
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 3, n)
    return centres[y] + rng.normal(0, 1, (n, 16)), y


def test_a_tiny_circuit_learns_a_toy_split_well_above_chance() -> None:
    x_train, y_train = _toy(90, seed=1)
    x_test, y_test = _toy(60, seed=2)
    teacher = (y_train == 1).astype(float) * 0.9 + 0.05  # the teacher's P(class 1), softened
    student = fit_quantum_student(
        x_train, y_train, y_train, teacher, embedder="toy", layers=2, steps=40, lr=0.1, seed=0
    )
    p_intent, _ = student.probabilities(x_test)
    accuracy = float(np.mean(p_intent.argmax(axis=1) == y_test))
    assert accuracy >= 0.65, accuracy  # chance is 1/3
    assert student.parameters == 2 * 6 * 3 + 12


def test_the_fast_simulation_is_the_pennylane_circuit() -> None:
    rng = np.random.default_rng(0)
    student = QuantumRouterStudent(
        mean=np.zeros(8),
        components=np.linalg.qr(rng.normal(size=(8, 6)))[0],
        scale=np.ones(6),
        weights=rng.uniform(0, 2 * np.pi, (3, 6, 3)),
        readout_scale=np.full(6, 2.0),
        readout_bias=np.zeros(6),
        embedder="toy",
    )
    angles = rng.uniform(-3, 3, (5, 6))
    assert np.allclose(student.expectations(angles), student.expectations(angles, qnode=True), atol=1e-9)
    assert "Rot" in student.draw() and "<Z>" in student.draw()


def test_the_classical_twin_has_the_circuits_parameter_count() -> None:
    x, y = _toy(40, seed=4)
    mean, components, scale = fit_pca(x, 6)
    twin = fit_classical_twin(
        encode(x, mean, components, scale), y, y, (y == 1).astype(float), parameters=84, steps=5
    )
    assert twin.parameters == 84


def test_shipped_quantum_student_is_within_five_points_of_the_teacher() -> None:
    report = json.loads(shipped_quantum_router_path().with_suffix(".json").read_text())
    assert report["test"] >= 200 and report["parameters"] < 200
    assert report["route_accuracy"] >= report["teacher_route_accuracy"] - 0.05
    student = QuantumRouterStudent.load()
    assert student.parameters == report["parameters"]


def test_shipped_quantum_student_routes_a_held_out_sample() -> None:
    from qsm.store.minilm import MiniLMEmbedder
    from qsm.train.router_data import build_router_data, split_by_group

    student = QuantumRouterStudent.load()
    embedder = MiniLMEmbedder(threads=1, batch_size=16, max_tokens=128)
    assert student.embedder == embedder.name
    _train, test = split_by_group(build_router_data())
    sample = test[::6]
    p_intent, _ = student.probabilities(embedder.embed([e.text for e in sample]))
    som = p_intent.argmax(axis=1) == INTENTS.index("resource")
    accuracy = float(np.mean(som == np.array([e.intent == "resource" for e in sample])))
    assert accuracy >= 0.85, accuracy


def test_bad_inputs_get_a_route_or_a_clear_error(tmp_path: Path) -> None:
    from qsm.store.minilm import MiniLMEmbedder

    student = QuantumRouterStudent.load()
    embedder = MiniLMEmbedder(threads=1, batch_size=4, max_tokens=128)
    for text in ["", " ", "x" * 200_000, "🙂" * 500, "\x00\x01"]:
        decision = student.decide(embedder.embed([text])[0])
        assert decision.intent in INTENTS and 0.0 <= decision.confidence <= 1.0
    with pytest.raises(ModelCallError, match="384"):
        student.decide(np.zeros(10))
    with pytest.raises(ModelCallError, match="not finite"):
        student.decide(np.full(384, np.nan))
    with pytest.raises(ModelNotFoundError, match="no quantum router"):
        QuantumRouterStudent.load(tmp_path / "missing.npz")
    with pytest.raises(ModelNotFoundError, match="not a quantum router"):
        QuantumRouterStudent.load(shipped_router_path())
    assert RouterStudent.load().kind == "student"


def test_a_run_with_the_quantum_router_on_fakes(tmp_path: Path) -> None:
    fakes = team_fakes(QSM=[], SOM=[], WeQ=[], Ref=[])
    runtime = {"router": "quantum", "tools": True, "ref_judge": "checks"}
    with fake_runtime(tmp_path, fakes, runtime=runtime, embedder="minilm") as rt:
        events = list(stream(Workflow.default(), "What is 17 + 25?", runtime=rt))
    done = events[-1]
    assert isinstance(done, DoneEvent)
    result = done.result
    assert result.status == "ok" and result.text == "17 + 25 = 42"
    plan = next(e for e in result.trace if e.type == "Plan").message_as(Plan)
    assert plan.router == "quantum" and plan.confidence is not None
    assert all(not f.calls for f in fakes.values())
    routes = [e for e in events if isinstance(e, RouteEvent) and e.router is not None]
    assert [r.router for r in routes] == ["quantum"]
    assert "by the quantum student router" in (routing_line(result.trace) or "")


@pytest.mark.parametrize(
    ("prompt", "error"),
    [("", "the prompt is empty"), ("x" * 30_000, "limit is 24000"), (123, "must be text, not int")],
)
def test_bad_requests_get_a_clear_error_with_the_quantum_router(
    tmp_path: Path, prompt: object, error: str
) -> None:
    fakes = team_fakes(QSM=[], SOM=[], WeQ=[], Ref=[])
    runtime = {"router": "quantum", "tools": True, "ref_judge": "checks"}
    with (
        fake_runtime(tmp_path, fakes, runtime=runtime, embedder="minilm") as rt,
        pytest.raises(QsmError, match=error) as caught,
    ):
        run(Workflow.default(), prompt, runtime=rt)  # type: ignore[arg-type]
    assert caught.value.hint


def test_without_pennylane_the_quantum_router_says_how_to_install_it(monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    from qsm.agents.quantum_router import require_pennylane

    monkeypatch.setitem(sys.modules, "pennylane", None)
    with pytest.raises(ModelNotFoundError, match="needs PennyLane") as caught:
        require_pennylane()
    assert "qsm[quantum]" in caught.value.hint


def test_training_refuses_teacher_labels_made_for_other_data(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from qsm.cli import cli

    out = tmp_path / "q.npz"
    result = CliRunner().invoke(
        cli, ["train", "router", "--kind", "quantum", "--per-template", "3", "--out", str(out)]
    )
    assert result.exit_code != 0 and not out.exists()
    assert "teacher labels were computed for other routing data" in result.output
    assert "qsm train router-teacher" in result.output


def test_the_default_routing_path_never_imports_pennylane() -> None:
    import subprocess
    import sys

    code = (
        "import sys, qsm.agents.quantum_router, qsm.graph.team.context, qsm.train.quantum_router;"
        "from qsm.agents.router import RouterStudent; RouterStudent.load();"
        "assert 'pennylane' not in sys.modules, 'pennylane imported'"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)


def test_benchmark_figures_meet_the_goals_and_routing_is_fast_here() -> None:
    import time

    bench = json.loads((Path(__file__).parents[2] / "benchmarks/results/qdllm.json").read_text())
    teacher, quantum = bench["teacher"], bench["quantum"]
    assert quantum["route_accuracy"] >= teacher["route_accuracy"] - 0.05
    assert teacher["served_plan_call_ms"] / quantum["latency_ms"] >= 50
    assert quantum["trainable_parameters"] == bench["classical_same_parameters"]["trainable_parameters"]
    student = QuantumRouterStudent.load()
    vectors = np.random.default_rng(0).normal(size=(30, student.dim))
    student.decide(vectors[0])
    start = time.perf_counter()
    for v in vectors:
        student.decide(v)
    per_request_ms = (time.perf_counter() - start) / len(vectors) * 1000
    assert per_request_ms < teacher["served_plan_call_ms"] / 50, per_request_ms
