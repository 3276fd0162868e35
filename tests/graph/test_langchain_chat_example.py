"""examples/langchain_chat_model.py: WeQ as a LangChain chat model in a user's LangGraph tool loop, on the fake
model (scripted in process, and as a script with the fake backend)."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path
from types import ModuleType

from langchain_core.messages import HumanMessage

from qsm.agents import FakeChatModel
from tests.helpers import fake_runtime

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def _example() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "langchain_chat_model", EXAMPLES / "langchain_chat_model.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_loop_calls_the_tool_then_answers_from_its_result(tmp_path: Path) -> None:
    example = _example()
    weq = FakeChatModel(
        [json.dumps({"tool": "population", "arguments": {"city": "Lyon"}}), "522250 people live in Lyon."],
        auto=False,
    )
    with fake_runtime(tmp_path, {"WeQ": weq}, persist=False) as rt:
        state = example.build(rt).invoke({"messages": [HumanMessage("How many people live in Lyon?")]})
    call, result, answer = state["messages"][1:]
    assert call.tool_calls[0]["args"] == {"city": "Lyon"} and result.tool_call_id == call.tool_calls[0]["id"]
    assert result.content == "522250 people" and answer.content == "522250 people live in Lyon."
    first, last = weq.calls
    assert first.json_schema is not None and first.json_schema["properties"]["tool"]["const"] == "population"
    assert last.json_schema is None  # after its tool round WeQ answers in free text
    assert last.messages[-1] == {"role": "user", "content": "Result of population: 522250 people"}


def test_example_script_runs(tmp_path: Path) -> None:
    env = {**os.environ, "QSM_DEFAULTS__MODEL__BACKEND": "fake", "QSM_DATA_DIR": str(tmp_path / "d")}
    out = subprocess.run(
        [sys.executable, str(EXAMPLES / "langchain_chat_model.py"), "How many people live in Paris?"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert lines[0] == "streamed: (fake model) reply to: In one sentence: what is Paris?"
    assert "tool call: population({'city': 'x'})" in lines and "tool result: no figure for 'x'" in lines
    assert lines[-2].startswith("answer: (fake model) reply to: Result of population")
    assert lines[-1].startswith("usage: {'input_tokens': ")
