"""The built-in team's drafting agents (WeQ, SOM) use the tools a user gives them, in the spec or in
``[tools.agents]``: the draft comes after the agent's tool loop, and each call and result is a message of
the run, before the draft that rests on it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from qsm.graph import Workflow, run
from tests.helpers import fake_runtime, team_fakes

HERE = "tests.graph.test_team_user_tools"
ASKED: list[str] = []


def population(city: str) -> int:
    """The number of people who live in a French city.

    Args:
        city: the city's name.
    """
    ASKED.append(city)
    return {"paris": 2102650, "lyon": 520774}[city.strip().lower()]


def _call(city: str) -> str:
    return json.dumps({"tool": "population", "arguments": {"city": city}})


def _runtime(tmp_path: Path, fakes: Any) -> Any:
    tools = {"allowed_modules": [HERE], "agents": {"WeQ": [f"{HERE}:population"]}}
    runtime = {"router": "student", "tools": True, "ref_judge": "checks"}
    return fake_runtime(tmp_path, fakes, tools=tools, runtime=runtime, embedder="minilm")


def test_weq_calls_the_users_tool_before_it_drafts(tmp_path: Path) -> None:
    ASKED.clear()
    answer = json.dumps({"answer": "About 2102650 people live in Paris."})
    fakes = team_fakes(QSM=[], SOM=[], WeQ=[_call("Paris"), answer], Ref=[])
    with _runtime(tmp_path, fakes) as rt:
        result = run(Workflow.default(), "How many people live in Paris?", runtime=rt)
    assert result.status == "ok" and result.text == "About 2102650 people live in Paris.", result.errors
    assert ASKED == ["Paris"]
    kinds = [e.type for e in result.trace]
    assert kinds.index("ToolCall") < kinds.index("ToolResult") < kinds.index("Draft")
    draft_env = next(e for e in result.trace if e.type == "Draft")
    result_env = next(e for e in result.trace if e.type == "ToolResult")
    assert result_env.id in draft_env.parents  # the draft rests on the tool's result
    draft = draft_env.message()
    assert [c.tool for c in draft.tool_calls] == ["population"] and draft.tool_results[0].output == "2102650"


def test_a_tool_in_the_spec_serves_the_communicator(tmp_path: Path) -> None:
    ASKED.clear()
    team = Workflow.default()
    agents = [
        a.model_copy(update={"tools": [f"{HERE}:population"]}) if a.role == "communicator" else a
        for a in team.agents
    ]
    workflow = team.model_copy(update={"agents": agents}).check()
    answer = json.dumps({"answer": "About 520774 people live in Lyon."})
    fakes = team_fakes(QSM=[], SOM=[], WeQ=[_call("Lyon"), answer], Ref=[])
    tools = {"allowed_modules": [HERE]}
    runtime = {"router": "student", "tools": True, "ref_judge": "checks"}
    with fake_runtime(tmp_path, fakes, tools=tools, runtime=runtime, embedder="minilm") as rt:
        result = run(workflow, "How many people live in Lyon?", runtime=rt)
    assert result.status == "ok" and "520774" in result.text and ASKED == ["Lyon"]
