"""The judge: strict format validity without grammar, what lenient parsing recovers, judgement checks."""

from __future__ import annotations

import json

from qsm.train import Example
from qsm.train.judge import judge


def _first(examples: list[Example], task: str, **gold: object) -> Example:
    return next(e for e in examples if e.task == task and all(e.gold.get(k) == v for k, v in gold.items()))


def test_json_must_be_the_whole_reply_to_be_strictly_valid(small_sets: dict[str, list[Example]]) -> None:
    plan = _first(small_sets["QSM"], "QSM.plan")
    fenced = f"Sure! Here is the plan:\n```json\n{plan.target}\n```"
    strict, lenient = judge(plan, plan.target), judge(plan, fenced)
    assert strict.format_valid and strict.format_lenient
    assert not lenient.format_valid and lenient.format_lenient
    assert lenient.metrics == strict.metrics, "the decision inside is still judged"
    assert not lenient.passed, "rejection sampling keeps strictly valid replies only"


def test_prose_and_schema_violations_are_invalid(small_sets: dict[str, list[Example]]) -> None:
    verdict = _first(small_sets["Ref"], "Ref.verify")
    prose = judge(verdict, "The answer looks correct to me.")
    assert not prose.format_valid and not prose.format_lenient
    assert prose.metrics == {"decision_accuracy": False}
    extra = json.loads(verdict.target) | {"score": 3}
    assert not judge(verdict, json.dumps(extra)).format_valid, "extra keys break the schema"


def test_budget_checks_complexity_and_that_the_drafter_gets_most(
    small_sets: dict[str, list[Example]],
) -> None:
    budget = _first(small_sets["SOM"], "SOM.budget")
    reply = json.loads(budget.target)
    assert judge(budget, budget.target).metrics == {
        "complexity_accuracy": True,
        "drafter_weighted_most": True,
    }
    reply["weights"] = {"QSM": 9, "WeQ": 2, "Ref": 3}
    reply["complexity"] = next(c for c in ("low", "medium", "high") if c != budget.gold["complexity"])
    assert judge(budget, json.dumps(reply)).metrics == {
        "complexity_accuracy": False,
        "drafter_weighted_most": False,
    }


def test_grounded_answer_needs_the_fact_and_the_right_note(small_sets: dict[str, list[Example]]) -> None:
    grounded = next(e for e in small_sets["WeQ"] if e.gold["notes"] >= 2)
    fact, cite, notes = grounded.gold["answer"], grounded.gold["cite"], grounded.gold["notes"]
    wrong_note = 1 if cite != 1 else 2
    assert judge(grounded, f"It is {fact} [{cite}].").passed
    assert not judge(grounded, f"It is {fact} [{wrong_note}].").metrics["grounded_correct"]
    assert judge(grounded, f"It is {fact} [{wrong_note}].").metrics["fact_present"]
    assert not judge(grounded, f"It is {fact}.").format_valid, "no citation"
    assert not judge(grounded, f"It is {fact} [{notes + 1}].").format_valid, "citation out of range"
    plain = next(e for e in small_sets["WeQ"] if not e.gold["notes"])
    assert judge(plain, plain.target).passed
    assert not judge(plain, plain.target + " [1]").format_valid, "nothing to cite without notes"


def test_numbers_are_matched_as_whole_numbers(small_sets: dict[str, list[Example]]) -> None:
    answer = _first(small_sets["SOM"], "SOM.answer")
    value = answer.gold["answer"]
    assert judge(answer, f"It is {value}.").metrics["answer_accuracy"]
    assert not judge(answer, f"It is 1{value}.").metrics["answer_accuracy"]
    assert not judge(answer, f"It is {value}1 dollars.").metrics["answer_accuracy"]
    merge = _first(small_sets["QSM"], "QSM.merge")
    both = f"{merge.gold['answer']} or maybe {merge.gold['wrong']}"
    assert not judge(merge, both).metrics["majority_accuracy"], "hedging between candidates is wrong"


def test_diagnosis_must_name_the_problem(small_sets: dict[str, list[Example]]) -> None:
    diagnosis = _first(small_sets["Ref"], "Ref.diagnose")
    assert judge(diagnosis, diagnosis.target).passed
    vague = {"problems": [{"problem": "it is bad", "solution": "improve it"}], "instruction": "Do better."}
    result = judge(diagnosis, json.dumps(vague))
    assert result.format_valid and not result.metrics["names_problem"]
