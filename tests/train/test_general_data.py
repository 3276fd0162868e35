"""The broadened role data: general requests go to WeQ (numbers alone never mean SOM), resource questions to
SOM, plans stay short and clean, Ref sees balanced verdicts over hard negatives, WeQ keeps stated formats."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from qsm.agents.roles import PlanReply, VerdictReply
from qsm.train import Example, seed_examples
from qsm.train.judge import judge
from qsm.train.seed_common import Seeds
from qsm.train.seed_general import GENERAL_KINDS, format_problem, general_task
from qsm.train.seed_vocab import JUNK


@pytest.fixture(scope="module")
def plans() -> list[Example]:
    return [e for e in seed_examples("QSM", 1, 500) if e.task == "QSM.plan"]


def test_plain_arithmetic_and_every_general_kind_route_to_weq(plans: list[Example]) -> None:
    general = [e for e in plans if e.category.startswith("WeQ.")]
    kinds = {e.category.removeprefix("WeQ.") for e in general}
    assert kinds == set(GENERAL_KINDS), kinds
    for example in general:
        assert PlanReply.model_validate_json(example.target).route_to == "WeQ"
    arithmetic = [e for e in general if e.category == "WeQ.arithmetic"]
    assert any(c.isdigit() for e in arithmetic for c in e.messages[1]["content"])


def test_resource_questions_with_numbers_route_to_som(plans: list[Example]) -> None:
    questions = [e for e in plans if e.category.startswith("SOM.")]
    assert len({e.category for e in questions}) >= 6
    for example in questions:
        assert any(c.isdigit() for c in example.messages[1]["content"])
        assert PlanReply.model_validate_json(example.target).route_to == "SOM"
    routes = Counter(PlanReply.model_validate_json(e.target).route_to for e in plans)
    assert 0.5 <= routes["WeQ"] / len(plans) <= 0.8, routes


def test_plan_steps_are_short_and_never_junk(plans: list[Example]) -> None:
    for example in plans:
        plan = PlanReply.model_validate_json(example.target)
        assert len(plan.goal) <= 80 and 1 <= len(plan.steps) <= 3
        for step in plan.steps:
            assert 3 <= len(step) <= 60, step
            assert not any(junk.lower() in step.lower() for junk in JUNK), step


def test_ref_verdicts_are_balanced_over_hard_negatives() -> None:
    verdicts = [e for e in seed_examples("Ref", 2, 600) if e.task == "Ref.verify"]
    decisions = Counter(e.gold["decision"] for e in verdicts)
    assert 0.4 <= decisions["accept"] / len(verdicts) <= 0.6, decisions
    assert decisions["reject"] and decisions["revise"]
    faults = {e.category.rsplit(".", 2)[-2] for e in verdicts if e.category.count(".") >= 2}
    assert {"wrong", "junk", "off_topic", "wrong_note", "format"} <= faults, faults
    for example in verdicts:
        reply = VerdictReply.model_validate_json(example.target)
        assert all(r.strip() and "{{" not in r for r in reply.reasons)


def test_hard_negatives_differ_from_the_right_answer() -> None:
    seeds = Seeds(4, "test")
    for kind in GENERAL_KINDS:
        for _ in range(20):
            task = general_task(seeds, kind)
            assert task.wrong != task.answer and task.value.lower() in task.answer.lower()
            if task.fmt is not None:
                assert format_problem(task.fmt, task.keys, task.answer) is None
                assert format_problem(task.fmt, task.keys, task.broken) is not None


def test_weq_keeps_the_stated_format() -> None:
    formatted = [e for e in seed_examples("WeQ", 3, 400) if e.gold.get("format")]
    assert {e.gold["format"] for e in formatted} == {"word", "number", "yesno", "json"}
    for example in formatted:
        assert judge(example, example.target).metrics["format_followed"]
        sentence = f"The answer is {example.gold['answer']}, as asked."
        assert not judge(example, sentence).metrics["format_followed"]
        if example.gold["format"] == "json":
            assert set(json.loads(example.target)) == set(example.gold["keys"])


def test_seed_data_never_reads_the_held_out_team_set() -> None:
    train_dir = Path(__file__).resolve().parents[2] / "qsm" / "train"
    for module in train_dir.glob("seed_*.py"):
        assert "qsm.evals" not in module.read_text(encoding="utf-8"), module.name
