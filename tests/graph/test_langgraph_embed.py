"""A qsm workflow as a node of a user's LangGraph graph (examples/langgraph_embed.py), on fake models: the
answer flows through the user's nodes, qsm's events reach the user's stream, and a qsm question interrupts
the user's graph until Command(resume=...) answers it."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path
from types import ModuleType

from langgraph.types import Command

from qsm.agents import FakeChatModel
from tests.helpers import fake_runtime

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
LONG = " ".join(["word"] * 90)  # scored 0.44 by the check: below the approval's 0.5, so qsm asks
SHORT = "A Merkle tree hashes pairs of hashes up to one root."


def _example() -> ModuleType:
    spec = importlib.util.spec_from_file_location("langgraph_embed", EXAMPLES / "langgraph_embed.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_a_qsm_question_interrupts_the_users_graph(tmp_path) -> None:
    example = _example()
    writer = FakeChatModel([LONG, SHORT], auto=False)
    with fake_runtime(tmp_path, {"writer": writer}) as rt:
        graph = example.build(rt)
        config = {"configurable": {"thread_id": "embed1"}}
        state = graph.invoke({"topic": "Explain Merkle trees."}, config)
        asked = state["__interrupt__"][0].value
        assert "Accept the answer?" in asked["question"] and asked["choices"] == ["yes", "no"]
        assert "summary" not in state
        state = graph.invoke(Command(resume="no"), config)
        (qsm_thread,) = rt.runs.threads()  # the qsm run is a thread of qsm's run store, as any run
        assert qsm_thread.status == "ok"
    assert state["summary"] == f"[{len(SHORT.split())} words] {SHORT}"
    assert "Answer for a beginner." in writer.calls[0].messages[-1]["content"]


def test_qsm_events_reach_the_users_stream(tmp_path) -> None:
    example = _example()
    with fake_runtime(tmp_path, {"writer": FakeChatModel([SHORT], auto=False)}) as rt:
        graph = example.build(rt)
        config = {"configurable": {"thread_id": "embed2"}}
        chunks = list(
            graph.stream({"topic": "Explain."}, config, stream_mode=["custom", "updates"], subgraphs=True)
        )
    custom = [chunk for _, mode, chunk in chunks if mode == "custom"]
    assert any(getattr(e, "type", None) == "step" and e.agent == "writer" for e in custom)
    assert any(getattr(e, "type", None) == "done" and e.result.status == "ok" for e in custom)
    updates = [chunk for _, mode, chunk in chunks if mode == "updates"]
    assert any("postprocess" in u and u["postprocess"]["summary"].endswith(SHORT) for u in updates)


def test_example_script_runs(tmp_path: Path) -> None:
    env = {**os.environ, "QSM_DEFAULTS__MODEL__BACKEND": "fake", "QSM_DATA_DIR": str(tmp_path / "d")}
    out = subprocess.run(
        [sys.executable, str(EXAMPLES / "langgraph_embed.py"), "What is 2+2?"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr
    assert "words] (fake model) reply to:" in out.stdout
