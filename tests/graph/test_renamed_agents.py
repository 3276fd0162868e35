"""Reply schemas follow the workflow's agent names: a team that renames its agents is asked for its own
names (route_to, the budget weights), routed by role, and the default team's schemas stay exactly the ones
the shipped adapters were trained on."""

from __future__ import annotations

import json

import pytest

from qsm.agents import FakeChatModel
from qsm.agents.messages import Budget, Plan
from qsm.agents.roles import (
    DEFAULT_NAMES,
    BudgetReply,
    PlanReply,
    TeamNames,
    budget_reply_type,
    plan_reply_type,
    role_prompt,
)
from qsm.graph import Workflow, run
from tests.helpers import ACCEPT, fake_runtime

# The schemas as trained (qsm/train) and shipped: a change here invalidates the LoRA adapters.
TRAINED_PLAN_SCHEMA = {
    "additionalProperties": False,
    "properties": {
        "goal": {"maxLength": 200, "title": "Goal", "type": "string"},
        "steps": {
            "items": {"maxLength": 120, "type": "string"},
            "maxItems": 3,
            "minItems": 1,
            "title": "Steps",
            "type": "array",
        },
        "route_to": {"enum": ["WeQ", "SOM"], "title": "Route To", "type": "string"},
        "needs_memory": {"title": "Needs Memory", "type": "boolean"},
    },
    "required": ["goal", "steps", "route_to", "needs_memory"],
    "title": "PlanReply",
    "type": "object",
}
_WEIGHT = {"maximum": 10, "minimum": 1, "type": "integer"}
TRAINED_BUDGET_SCHEMA = {
    "$defs": {
        "Weights": {
            "additionalProperties": False,
            "properties": {
                "QSM": {**_WEIGHT, "title": "Qsm"},
                "WeQ": {**_WEIGHT, "title": "Weq"},
                "Ref": {**_WEIGHT, "title": "Ref"},
            },
            "required": ["QSM", "WeQ", "Ref"],
            "title": "Weights",
            "type": "object",
        }
    },
    "additionalProperties": False,
    "properties": {
        "complexity": {"enum": ["low", "medium", "high"], "title": "Complexity", "type": "string"},
        "weights": {"$ref": "#/$defs/Weights"},
        "rationale": {"maxLength": 160, "title": "Rationale", "type": "string"},
    },
    "required": ["complexity", "weights", "rationale"],
    "title": "BudgetReply",
    "type": "object",
}

RENAMED = """
name: renamed-team
kind: team
agents:
  Boss: {role: coordinator}
  Writer: {role: communicator}
  Purser: {role: economist}
  Judge: {role: reflector}
channels:
  - "user -> Boss: UserRequest"
  - "Boss -> Purser: Plan"
  - "Purser -> Boss: Budget"
  - "Boss -> Writer: Task"
  - "Boss -> Purser: Task"
  - "Writer -> Judge: Draft"
  - "Purser -> Judge: Draft"
  - "Judge -> Boss: Verdict"
  - "Judge -> Writer: RepairPlan"
  - "Judge -> Purser: RepairPlan"
  - "Boss -> user: FinalAnswer"
  - "Boss -> Purser: FinalAnswer"
  - "Purser -> user: CostReport"
"""
NAMES = TeamNames(coordinator="Boss", communicator="Writer", economist="Purser", reflector="Judge")


def test_the_default_team_gets_the_trained_schemas() -> None:
    names = Workflow.default().team_names()
    assert names == DEFAULT_NAMES
    assert plan_reply_type(names) is PlanReply and budget_reply_type(names) is BudgetReply
    assert PlanReply.model_json_schema() == TRAINED_PLAN_SCHEMA
    assert BudgetReply.model_json_schema() == TRAINED_BUDGET_SCHEMA
    assert role_prompt("SOM.budget") == role_prompt("SOM.budget", names)


def test_a_renamed_team_gets_schemas_with_its_names() -> None:
    assert Workflow.from_yaml(RENAMED).team_names() == NAMES
    plan_type, budget_type = plan_reply_type(NAMES), budget_reply_type(NAMES)
    assert plan_reply_type(NAMES) is plan_type, "built once per team of names"
    plan_schema = plan_type.model_json_schema()
    assert plan_schema["properties"]["route_to"]["enum"] == ["Writer", "Purser"]
    assert list(plan_schema["properties"]) == list(TRAINED_PLAN_SCHEMA["properties"]), "same key order"
    weights = budget_type.model_json_schema()["$defs"]["Weights"]
    assert weights["required"] == ["Boss", "Writer", "Judge"]
    reply = budget_type.model_validate(
        {"complexity": "low", "weights": {"Boss": 1, "Writer": 7, "Judge": 2}, "rationale": "easy"}
    )
    assert reply.weights.split() == (1, 7, 2)
    with pytest.raises(ValueError, match="route_to"):
        plan_type.model_validate({"goal": "g", "steps": ["s"], "route_to": "WeQ", "needs_memory": False})
    prompt = role_prompt("SOM.budget", NAMES)
    assert "Boss (coordinating), Writer (answering) and Judge (checking)" in prompt and "SOM" not in prompt


@pytest.mark.parametrize("drafter", ["Writer", "Purser"])
def test_a_renamed_team_runs_and_routes_by_role(tmp_path, drafter: str) -> None:
    plan = {"goal": "add two numbers", "steps": ["compute 2+2"], "route_to": drafter, "needs_memory": False}
    budget = {"complexity": "low", "weights": {"Boss": 2, "Writer": 6, "Judge": 2}, "rationale": "simple sum"}
    purser_replies = [json.dumps(budget)] + (["2 + 2 = 4"] if drafter == "Purser" else [])
    fakes = {
        "Boss": FakeChatModel([json.dumps(plan)], auto=False),
        "Purser": FakeChatModel(purser_replies, auto=False),
        "Writer": FakeChatModel(["2 + 2 = 4"] if drafter == "Writer" else [], auto=False),
        "Judge": FakeChatModel([ACCEPT], auto=False),
    }
    with fake_runtime(tmp_path, fakes) as rt:
        result = run(Workflow.from_yaml(RENAMED), "What is 2+2?", runtime=rt)
    assert result.status == "ok" and result.text == "2 + 2 = 4", result.errors
    assert not result.errors
    plan_schema = fakes["Boss"].calls[0].json_schema
    assert plan_schema is not None and plan_schema["properties"]["route_to"]["enum"] == ["Writer", "Purser"]
    assert "Writer answers" in fakes["Boss"].calls[0].messages[0]["content"]
    budget_schema = fakes["Purser"].calls[0].json_schema
    assert budget_schema is not None and budget_schema["$defs"]["Weights"]["required"] == [
        "Boss",
        "Writer",
        "Judge",
    ]
    sent = {e.type: e for e in result.trace}
    assert sent["Plan"].message_as(Plan).route_to == drafter
    assert sent["Task"].target == drafter and sent["Draft"].source == drafter
    allocation = sent["Budget"].message_as(Budget).allocation
    assert {"Boss", drafter, "Judge"} <= set(allocation), allocation
