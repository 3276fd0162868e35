"""Pipeline agents with tools: the shipped tools and MCP examples run (fake models scripted to call the
tools), calls and results are sealed messages in the trace and on the ledger, a spec naming a module
that is not allowed is refused with nothing imported, and misbehaving tools leave the run finishing."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType, SimpleNamespace
from typing import Any

import pytest

from qsm.agents import FakeChatModel
from qsm.agents.messages import ToolResult
from qsm.errors import SpecError
from qsm.graph import Workflow, run, stream
from qsm.graph.events import DoneEvent
from tests.helpers import fake_runtime

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
FORBIDDEN = "tests.agents.tools.forbidden_tools"


def _example(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, EXAMPLES / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def call(tool: str, **arguments: Any) -> str:
    return json.dumps({"tool": tool, "arguments": arguments})


def answer(text: str) -> str:
    return json.dumps({"answer": text})


class Ledger:
    """Records what the run anchors (the ledger's protocol, as much as a run uses)."""

    anchor_messages = True

    def __init__(self) -> None:
        self.recorded: list[tuple[str, str]] = []

    def record(self, cid: str, *, kind: str, content: Any, user: str | None = None) -> Any:
        self.recorded.append((cid, kind))
        return SimpleNamespace(model_dump=lambda mode="json": {"id": cid})

    def tick(self) -> Any:
        return SimpleNamespace(error="", hint="")


def test_the_tools_example_runs_and_its_calls_are_messages_in_the_trace(tmp_path: Path) -> None:
    example = _example("tools_example")
    fake = FakeChatModel(
        [
            call("population", city="Paris"),
            call("population", city="Lyon"),
            call("add", a=2102650, b=520774),
            answer("2623424 people live in Paris and Lyon."),
        ],
        auto=False,
    )
    ledger = Ledger()
    with fake_runtime(tmp_path, {"statistician": fake}, ledger=ledger) as rt:
        events = list(stream(example.workflow(), "How many people live in Paris and Lyon?", runtime=rt))
    done = events[-1]
    assert isinstance(done, DoneEvent)
    result = done.result
    assert result.status == "ok" and result.text == "2623424 people live in Paris and Lyon."
    tools = [e for e in result.trace if e.type in ("ToolCall", "ToolResult")]
    assert [(e.type, e.source, e.target) for e in tools[:2]] == [
        ("ToolCall", "statistician", "tool:population"),
        ("ToolResult", "tool:population", "statistician"),
    ]
    assert [e.payload["output"] for e in tools if e.type == "ToolResult"] == ["2102650", "520774", "2623424"]
    assert all(e.id.startswith(("toolcall:", "toolresult:")) for e in tools)
    assert tools[1].parents == [tools[0].id] and tools[2].parents == [tools[1].id]  # a chain
    answer_env = next(e for e in result.trace if e.type == "FinalAnswer" and e.source == "statistician")
    assert tools[-1].id in answer_env.parents
    assert {e.id for e in tools} <= {cid for cid, kind in ledger.recorded if kind == "message"}
    assert [e.tool for e in events if e.type == "tool"] == ["population", "population", "add"]


def test_the_mcp_example_runs_against_its_own_server(tmp_path: Path) -> None:
    pytest.importorskip("mcp")
    example = _example("mcp_example")
    fake = FakeChatModel(
        [call("temperature", city="Oslo"), call("temperature", city="Rome"), answer("Rome is warmer.")],
        auto=False,
    )
    with fake_runtime(tmp_path, {"forecaster": fake}, **example.settings()) as rt:
        result = run(example.workflow(), "Is it warmer in Oslo or in Rome?", runtime=rt)
    assert result.status == "ok" and result.text == "Rome is warmer."
    outputs = [e.payload["output"] for e in result.trace if e.type == "ToolResult"]
    assert outputs == ["4.5", "17.0"]


SPEC = """
name: tooled
kind: pipeline
agents:
  - name: helper
    produces: Note
    tools: [{tools}]
channels:
  - "user -> helper: UserRequest"
  - "helper -> user: Note"
"""


def test_a_spec_naming_a_module_that_is_not_allowed_is_refused_with_nothing_imported(tmp_path: Path) -> None:
    sys.modules.pop(FORBIDDEN, None)
    workflow = Workflow.from_yaml(SPEC.format(tools=f'"{FORBIDDEN}:secret"'))
    fake = FakeChatModel(auto=False)
    with fake_runtime(tmp_path, {"helper": fake}) as rt, pytest.raises(SpecError) as err:
        run(workflow, "hi", runtime=rt)
    assert f"comes from module '{FORBIDDEN}', which the settings do not allow" in err.value.message
    assert "[tools] allowed_modules" in err.value.hint
    assert FORBIDDEN not in sys.modules and fake.calls == []


def test_tools_that_raise_hang_or_return_junk_leave_the_run_finishing(tmp_path: Path) -> None:
    module = "tests.agents.tools.user_tools"
    refs = ", ".join(f'"{module}:{name}"' for name in ("boom", "hang", "junk", "shout"))
    workflow = Workflow.from_yaml(SPEC.format(tools=refs))
    fake = FakeChatModel(
        [call("boom", x=3), call("hang", seconds=30), call("junk"), "I could not use my tools."], auto=False
    )
    tools = {"allowed_modules": [module], "timeout_s": 0.5, "max_errors": 3}
    with fake_runtime(tmp_path, {"helper": fake}, tools=tools) as rt:
        result = run(workflow, "try your tools", runtime=rt)
    assert result.status == "ok" and result.text == "I could not use my tools."
    results = [ToolResult.model_validate(e.payload) for e in result.trace if e.type == "ToolResult"]
    assert [(r.tool, r.ok) for r in results] == [("boom", False), ("hang", False), ("junk", False)]
    assert "RuntimeError: boom 3" in results[0].error
    assert "did not finish within 0.5 s" in results[1].error
    assert "not a result" in results[2].error
    assert fake.calls[-1].json_schema is None  # after three errors the agent answers without tools


def test_a_refused_spec_starts_no_thread(tmp_path: Path) -> None:
    workflow = Workflow.from_yaml(SPEC.format(tools='"os:system"'))
    with fake_runtime(tmp_path, {"helper": FakeChatModel(auto=False)}) as rt:
        with pytest.raises(SpecError, match="'os', which the settings do not allow"):
            run(workflow, "hi", runtime=rt)
        assert rt.runs.threads() == []
