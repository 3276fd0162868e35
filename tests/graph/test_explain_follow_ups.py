"""Explanation follow-ups: "Why?" after an answer a tool settled gives its reasons, computed by the same
tools (it used to repeat the answer in other words: "No. 91 = 7 × 13." then "91 is not a prime number.")."""

from __future__ import annotations

from pathlib import Path

import pytest

from qsm.agents import FakeChatModel
from qsm.graph import Workflow, run
from qsm.graph.team.explain import asks_why
from tests.helpers import fake_runtime, team_fakes

SHIPPED = {"router": "student", "tools": True, "ref_judge": "checks"}
NOTES = "Notes:\n[1] Ann Vorel is 30 years old.\n[2] Bob Tarrin is 25 years old.\nQuestion: How old is Bob Tarrin?"


@pytest.mark.parametrize(
    "text",
    ["Why?", "why", "But why?", "How so?", "How do you know?", "How did you get that?", "Explain.",
     "Show your work", "Can you show me the steps?", "Are you sure?", "OK, why not?", "What makes you say that?"],
)  # fmt: skip
def test_a_request_for_the_reasons_is_recognised(text: str) -> None:
    assert asks_why(text)


@pytest.mark.parametrize(
    "text", ["Why is the sea salty?", "How do you know Ada?", "Explain photosynthesis.", "Is 97 prime?", ""]
)
def test_a_question_of_its_own_is_not_a_request_for_reasons(text: str) -> None:
    assert not asks_why(text)


def _follow_up(tmp_path: Path, first: str, then: str = "Why?") -> tuple[str, str, list[str]]:
    fakes: dict[str, FakeChatModel] = team_fakes(QSM=[], SOM=[], WeQ=[], Ref=[])
    with fake_runtime(tmp_path, fakes, runtime=SHIPPED, embedder="minilm") as rt:
        one = run(Workflow.default(), first, runtime=rt)
        two = run(Workflow.default(), then, runtime=rt, thread_id=one.thread_id)
    assert one.status == "ok" and two.status == "ok", (one.text, two.text, two.errors)
    verdict = next(e for e in two.trace if e.type == "Verdict").message()
    assert verdict.decision == "accept", verdict  # Ref's checks pass on the explanation
    assert all(not f.calls for f in fakes.values())  # the tools explain; no model is asked
    return one.text, two.text, verdict.checks


def test_why_a_number_is_not_prime_names_the_divisor(tmp_path: Path) -> None:
    first, why, checks = _follow_up(tmp_path, "Is 91 a prime number?")
    assert first == "No. 91 = 7 × 13."
    assert why == (
        "No, because 91 = 7 × 13: a prime number has no divisor other than 1 and itself, and 7 divides 91."
    )
    assert "decision: passed" in checks


def test_why_a_number_is_prime_says_what_was_checked(tmp_path: Path) -> None:
    _, why, _ = _follow_up(tmp_path, "Is 97 a prime number?", "How do you know?")
    assert why.startswith("Yes, because no whole number from 2 to 9 divides 97") and "only 1 and 97" in why


def test_a_comparison_and_a_strict_yes_no_are_explained(tmp_path: Path) -> None:
    first, why, _ = _follow_up(tmp_path, "Is 37 * 20 greater than 727? Say only yes or no.")
    assert first == "Yes"  # the format asked for a bare yes; the reasons are asked for now
    assert why == "Yes, because 37 × 20 = 740, which is greater than 727."


def test_a_calculation_is_shown_in_steps_that_ref_recomputes(tmp_path: Path) -> None:
    first, why, checks = _follow_up(tmp_path, "What is 29 * 68?", "Show your work.")
    assert first == "29 * 68 = 1972"
    assert why == "Multiply in two parts: 29 × 68 = 29 × 60 + 29 × 8 = 1740 + 232 = 1972."
    assert "arithmetic: passed" in checks


def test_a_conversion_is_explained_by_its_factor_and_a_temperature_by_its_zero(tmp_path: Path) -> None:
    _, why, _ = _follow_up(tmp_path, "Convert 5 km to miles.")
    assert why.startswith("Because 1 km = 0.62137") and why.endswith("= 3.106855961 mi."), why
    _, why, _ = _follow_up(tmp_path / "t", "Convert 20 °C to °F.", "How so?")
    assert why == "Because 0 °C is 32 °F and each 1 °C adds 1.8 °F, 20 °C is 32 + 20 × 1.8, which is 68 °F."


def test_why_after_a_follow_up_explains_what_the_follow_up_settled(tmp_path: Path) -> None:
    fakes: dict[str, FakeChatModel] = team_fakes(QSM=[], SOM=[], WeQ=[], Ref=[])
    with fake_runtime(tmp_path, fakes, runtime=SHIPPED, embedder="minilm") as rt:
        first = run(Workflow.default(), "What is 12 * 7?", runtime=rt)
        run(Workflow.default(), "And that plus 16?", runtime=rt, thread_id=first.thread_id)
        why = run(Workflow.default(), "Why?", runtime=rt, thread_id=first.thread_id)
    assert why.text == "Add in two parts: 84 + 16 = 84 + 10 + 6 = 94 + 6 = 100.", why.text


def test_why_after_an_answer_from_pasted_notes_quotes_the_note(tmp_path: Path) -> None:
    fakes = team_fakes(WeQ=["Bob Tarrin is 25 years old. [2]"])
    with fake_runtime(tmp_path, fakes, runtime=SHIPPED, embedder="minilm") as rt:
        one = run(Workflow.default(), NOTES, runtime=rt)
        two = run(Workflow.default(), "How do you know?", runtime=rt, thread_id=one.thread_id)
    assert one.text == "Bob Tarrin is 25 years old. [2]"
    assert two.status == "ok" and two.text == 'Because note [2] says so: "Bob Tarrin is 25 years old." [2]'
    assert len(fakes["WeQ"].calls) == 1


def test_a_temperature_whose_zero_is_a_whole_number_of_the_other_unit_is_shifted_first(
    tmp_path: Path,
) -> None:
    _, why, _ = _follow_up(tmp_path, "Convert 100 °F to °C.")
    assert why == (
        "Because 32 °F is 0 °C and each 1 °F is 0.5555555556 °C, "
        "100 °F = (100 - 32) × 0.5555555556 °C = 37.77777778 °C."
    )


def test_why_one_quantity_is_larger_shows_what_each_side_works_out_to(tmp_path: Path) -> None:
    _, why, _ = _follow_up(tmp_path, "Which is larger, 2^10 or 1000?")
    assert why == "Because 2^10 works out to 1024, and 1024 is more than 1000."
