"""Seed generators: deterministic, labelled consistently, rendered exactly as the graph renders prompts."""

from __future__ import annotations

import json
import re

import pytest

from qsm.agents.roles import ROLE_PROMPTS, BudgetReply, PlanReply, VerdictReply
from qsm.train import ROLE_TASKS, ROLES, Example, seed_examples
from qsm.train.judge import judge
from qsm.train.seed_common import split_by_group


@pytest.mark.parametrize("role", ROLES)
def test_same_seed_same_data_other_seed_other_data(role: str) -> None:
    first, again, other = (
        seed_examples(role, 11, 80),
        seed_examples(role, 11, 80),
        seed_examples(role, 12, 80),
    )
    assert [e.model_dump() for e in first] == [e.model_dump() for e in again]
    assert [e.id for e in first] != [e.id for e in other]


@pytest.mark.parametrize("role", ROLES)
def test_every_seed_target_passes_its_own_checks(role: str, small_sets: dict[str, list[Example]]) -> None:
    examples = small_sets[role]
    assert len(examples) == 60
    assert {e.task for e in examples} == set(ROLE_TASKS[role])
    assert len({e.messages[-1]["content"] for e in examples}) == len(examples), "prompts are distinct"
    for example in examples:
        verdict = judge(example, example.target)
        assert verdict.passed, (example.task, example.target, verdict)
        assert example.messages[0] == {"role": "system", "content": ROLE_PROMPTS[example.task]}
        assert example.messages[1]["role"] == "user"


def test_labels_match_their_targets(small_sets: dict[str, list[Example]]) -> None:
    for example in small_sets["QSM"]:
        if example.task == "QSM.plan":
            plan = PlanReply.model_validate_json(example.target)
            assert (plan.route_to, plan.needs_memory) == (
                example.gold["route_to"],
                example.gold["needs_memory"],
            )
            assert example.messages[1]["content"].startswith("Request: ")
    for example in small_sets["SOM"]:
        if example.task == "SOM.budget":
            reply = BudgetReply.model_validate_json(example.target)
            assert reply.complexity == example.gold["complexity"]
            assert "Drafting agent:" in example.messages[1]["content"]
    for example in small_sets["Ref"]:
        if example.task == "Ref.verify":
            assert VerdictReply.model_validate_json(example.target).decision == example.gold["decision"]


def test_grounded_answers_cite_the_note_that_holds_the_fact(small_sets: dict[str, list[Example]]) -> None:
    grounded = [e for e in small_sets["WeQ"] if e.gold["notes"]]
    assert {bool(e.gold.get("inline_notes")) for e in grounded} == {False, True}, "memory and request notes"
    for example in grounded:
        notes = re.findall(r"^\[(\d+)\] (.*)$", example.messages[1]["content"], flags=re.MULTILINE)
        assert len(notes) == example.gold["notes"]
        cited = dict(notes)[str(example.gold["cite"])]
        assert example.gold["answer"] in cited
        assert ("(from /knowledge/" in cited) != bool(example.gold.get("inline_notes"))
        assert f"[{example.gold['cite']}]" in example.target


def test_a_wrong_label_fails_the_check(small_sets: dict[str, list[Example]]) -> None:
    plan = next(e for e in small_sets["QSM"] if e.task == "QSM.plan")
    data = json.loads(plan.target)
    data["route_to"] = "SOM" if data["route_to"] == "WeQ" else "WeQ"
    assert not judge(plan, json.dumps(data)).passed


@pytest.mark.parametrize("role", ROLES)
def test_splits_are_disjoint_and_keep_groups_together(role: str) -> None:
    examples = seed_examples(role, 5, 300)
    splits = split_by_group(examples, test=0.2, val=0.1, seed=5)
    assert sum(len(v) for v in splits.values()) == len(examples)
    groups = {name: {e.group for e in items} for name, items in splits.items()}
    assert not groups["train"] & groups["test"] and not groups["train"] & groups["val"]
    assert not groups["val"] & groups["test"]
    prompts = {name: {e.messages[-1]["content"] for e in items} for name, items in splits.items()}
    assert not prompts["train"] & prompts["test"]
    assert 0.12 * len(examples) <= len(splits["test"]) <= 0.28 * len(examples)
    assert {e.task for e in splits["test"]} == set(ROLE_TASKS[role]), "every task is held out"
