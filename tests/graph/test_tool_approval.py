"""Tool approvals (``approvals: [{tool: ...}]``): the run waits before such a call, "yes" runs it once and
anything else gives the agent a declined result; the model rounds before the question are never made
again on resume, even from another runtime (as another process would); an unknown tool is a spec error."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from qsm.agents import FakeChatModel
from qsm.errors import SpecError
from qsm.graph import Workflow, resume, run
from tests.helpers import fake_runtime

HERE = "tests.graph.test_tool_approval"
RAN: list[str] = []  # what the tools below did, in order (the tools are imported by path, in any runtime)
NOTES = {"old": "buy milk", "new": "call Ada"}


def list_notes() -> str:
    """The names of the notes."""
    RAN.append("list_notes")
    return ", ".join(sorted(NOTES))


def delete_note(name: str) -> str:
    """Delete a note.

    Args:
        name: the note's name.
    """
    RAN.append(f"delete_note:{name}")
    return f"deleted {name}"


SPEC = f"""
name: tidy
kind: pipeline
agents:
  tidier:
    produces: FinalAnswer
    tools: ["{HERE}:list_notes", "{HERE}:delete_note"]
channels:
  - "user -> tidier: UserRequest"
  - "tidier -> user: FinalAnswer"
approvals:
  - {{tool: delete_note}}
"""


def call(tool: str, **arguments: Any) -> str:
    return json.dumps({"tool": tool, "arguments": arguments})


def answer(text: str) -> str:
    return json.dumps({"answer": text})


@pytest.fixture(autouse=True)
def _clean() -> None:
    RAN.clear()


def _runtime(tmp_path: Path, fake: FakeChatModel) -> Any:
    return fake_runtime(tmp_path, {"tidier": fake}, tools={"allowed_modules": [HERE]})


def _ask(tmp_path: Path, thread: str) -> FakeChatModel:
    """Start the run: the model lists the notes, then calls delete_note, and the run waits."""
    first = FakeChatModel([call("list_notes"), call("delete_note", name="old")], auto=False)
    workflow = Workflow.from_yaml(SPEC, allowed_modules=[HERE])
    with _runtime(tmp_path, first) as rt:
        result = run(workflow, "Delete the old note.", runtime=rt, thread_id=thread)
    assert result.status == "waiting", result
    assert result.question and "tidier" in result.question and "delete_note" in result.question
    assert '{"name": "old"}' in result.question and result.choices == ["yes", "no"]
    assert RAN == ["list_notes"] and len(first.calls) == 2  # the delete waits for the answer
    return first


def test_yes_from_a_new_runtime_runs_the_call_once_without_calling_the_model_again(tmp_path: Path) -> None:
    first = _ask(tmp_path, "t-yes")
    second = FakeChatModel([answer("I deleted the old note.")], auto=False)
    with _runtime(tmp_path, second) as rt:  # a new runtime on the same data dir: another process
        result = resume("t-yes", answer="yes", runtime=rt)
    assert result.status == "ok" and result.text == "I deleted the old note."
    assert RAN == ["list_notes", "delete_note:old"]  # the listing before the question is not run again
    assert len(first.calls) == 2 and len(second.calls) == 1  # only the round after the answer
    assert "Result of delete_note: deleted old" in second.calls[0].messages[-1]["content"]
    tools = [(e.type, e.payload.get("ok")) for e in result.trace if e.type in ("ToolCall", "ToolResult")]
    assert tools == [("ToolCall", None), ("ToolResult", True), ("ToolCall", None), ("ToolResult", True)]


def test_no_gives_the_agent_a_declined_result_and_the_run_finishes(tmp_path: Path) -> None:
    _ask(tmp_path, "t-no")
    second = FakeChatModel([answer("I kept the old note.")], auto=False)
    with _runtime(tmp_path, second) as rt:
        result = resume("t-no", answer="no, keep it", runtime=rt)
    assert result.status == "ok" and result.text == "I kept the old note."
    assert RAN == ["list_notes"]  # never deleted
    results = [e.payload for e in result.trace if e.type == "ToolResult"]
    assert results[-1]["tool"] == "delete_note" and results[-1]["ok"] is False
    assert "declined" in results[-1]["error"] and "no, keep it" in results[-1]["error"]
    assert "declined" in second.calls[0].messages[-1]["content"]  # the model is told


def test_a_tool_that_is_not_listed_runs_without_asking(tmp_path: Path) -> None:
    fake = FakeChatModel([call("list_notes"), answer("new, old")], auto=False)
    with _runtime(tmp_path, fake) as rt:
        result = run(Workflow.from_yaml(SPEC, allowed_modules=[HERE]), "Which notes are there?", runtime=rt)
    assert result.status == "ok" and result.text == "new, old" and RAN == ["list_notes"]


def test_two_approved_calls_ask_twice_and_each_runs_once(tmp_path: Path) -> None:
    fake = FakeChatModel(
        [call("delete_note", name="old"), call("delete_note", name="new"), answer("Both gone.")], auto=False
    )
    with _runtime(tmp_path, fake) as rt:
        workflow = Workflow.from_yaml(SPEC, allowed_modules=[HERE])
        assert run(workflow, "Delete all notes.", runtime=rt, thread_id="t2").status == "waiting"
        again = resume("t2", answer="yes", runtime=rt)
        assert again.status == "waiting" and '{"name": "new"}' in (again.question or "")
        done = resume("t2", answer="yes", runtime=rt)
    assert done.status == "ok" and done.text == "Both gone."
    assert RAN == ["delete_note:old", "delete_note:new"] and len(fake.calls) == 3


@pytest.mark.parametrize(
    ("approval", "message", "hint"),
    [
        ("{tool: drop_table}", "'drop_table', which no agent of the workflow has", "list_notes, delete_note"),
        ("{tool: delete_note, agent: nobody}", "no agent 'nobody'", "tidier"),
        ("{tool: delete_note, below: 0.5}", "below is for an agent's verdicts", ""),
    ],
)
def test_a_tool_approval_must_name_a_tool_of_the_workflow(approval: str, message: str, hint: str) -> None:
    spec = SPEC.replace("{tool: delete_note}", approval)
    with pytest.raises(SpecError) as err:
        Workflow.from_yaml(spec, allowed_modules=[HERE])
    assert message in err.value.message and hint.split(", ")[0] in (err.value.hint or "") + err.value.message


def test_the_cli_prompts_before_the_call_and_runs_it_after_yes(tmp_path: Path) -> None:
    from qsm.cli import cli

    cfg = tmp_path / "fake.toml"
    cfg.write_text(
        f'data_dir = "{tmp_path / "d"}"\n[defaults.model]\nbackend = "fake"\n'
        f'[memory]\nenabled = false\n[ledger]\nenabled = false\n[tools]\nallowed_modules = ["{HERE}"]\n'
        "max_rounds = 1\n"
    )
    spec = tmp_path / "tidy.yaml"  # the auto fake calls the first tool: make it the approved one
    spec.write_text(SPEC.replace(f'"{HERE}:list_notes", ', ""))
    out = CliRunner().invoke(
        cli, ["--config", str(cfg), "run", str(spec), "Tidy up.", "--thread", "c1"], "yes\n"
    )
    assert out.exit_code == 0, out.output
    assert "tidier wants to call delete_note" in out.output and "answer> " in out.output
    assert RAN == ["delete_note:x"], out.output  # the auto fake fills a str argument with "x"
