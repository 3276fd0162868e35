"""The shipped team path on fake models: the student router, tools, stated formats, notes, Ref's checks
and the repair loop they drive, and the honest ending when every candidate is rejected."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from qsm.agents import FakeChatModel
from qsm.agents.answer_format import detect_format
from qsm.agents.inline_notes import split_notes
from qsm.agents.messages import ToolCall, ToolResult
from qsm.agents.router import RouterStudent
from qsm.graph import Workflow, run
from qsm.graph.team.analysis import analyze
from qsm.graph.team.checks import answer_number, run_checks
from qsm.graph.team.plan import valid_steps
from qsm.store.embedder import make_embedder
from qsm.store.settings import MemorySettings
from tests.helpers import fake_runtime, team_fakes

SHIPPED = {"router": "student", "tools": True, "ref_judge": "checks"}
NOTES = "Notes:\n[1] Ann Vorel is 30 years old.\n[2] Bob Tarrin is 25 years old.\nQuestion: How old is Bob Tarrin?"


def _shipped(tmp: Path, fakes: dict[str, FakeChatModel], **runtime: object):
    return fake_runtime(tmp, fakes, runtime={**SHIPPED, **runtime}, embedder="minilm")


def test_plain_arithmetic_is_answered_by_the_calculator_without_a_model_call(tmp_path: Path) -> None:
    fakes = team_fakes(QSM=[], SOM=[], WeQ=[], Ref=[])
    with _shipped(tmp_path, fakes) as rt:
        result = run(Workflow.default(), "What is 17 + 25?", runtime=rt)
    assert result.status == "ok" and result.text == "17 + 25 = 42"
    plan = next(e for e in result.trace if e.type == "Plan").message()
    assert plan.router == "student" and plan.confidence is not None
    draft = next(e for e in result.trace if e.type == "Draft").message()
    assert draft.tool_calls[0].tool == "calculator" and draft.tool_results[0].output == "42"
    verdict = next(e for e in result.trace if e.type == "Verdict").message()
    assert verdict.judged_by == "checks" and "arithmetic: passed" in verdict.checks
    assert all(not f.calls for f in fakes.values()) and result.cost.calls == 0


def test_stated_format_is_decoded_under_its_schema(tmp_path: Path) -> None:
    fakes = team_fakes(WeQ=[json.dumps({"answer": "yes"})])
    with _shipped(tmp_path, fakes) as rt:
        result = run(Workflow.default(), "Is the sun a star? Say only yes or no.", runtime=rt)
    assert result.status == "ok" and result.text == "yes"
    call = fakes["WeQ"].calls[0]
    assert call.json_schema["properties"]["answer"]["enum"] == ["yes", "no"]
    assert "Answer yes or no only." in call.messages[-1]["content"]


def test_one_word_answer_is_taken_from_a_free_answer_or_else_decoded(tmp_path: Path) -> None:
    fakes = team_fakes(WeQ=["The capital of France is Paris."])
    with _shipped(tmp_path, fakes) as rt:
        result = run(Workflow.default(), "In one word, what is the capital of France?", runtime=rt)
    assert (
        result.text == "Paris" and len(fakes["WeQ"].calls) == 1 and fakes["WeQ"].calls[0].json_schema is None
    )
    fakes = team_fakes(WeQ=["A young dog.", json.dumps({"answer": "puppy"})])
    with _shipped(tmp_path / "b", fakes) as rt:
        result = run(Workflow.default(), "In a single word, what do you call a young dog?", runtime=rt)
    assert result.text == "puppy" and fakes["WeQ"].calls[1].json_schema["properties"]["answer"]["pattern"]


def test_notes_answer_cites_the_note_that_fits(tmp_path: Path) -> None:
    fakes = team_fakes(WeQ=["Bob Tarrin is 25 years old."])
    with _shipped(tmp_path, fakes) as rt:
        result = run(Workflow.default(), NOTES, runtime=rt)
    assert result.status == "ok" and result.text == "Bob Tarrin is 25 years old. [2]"
    prompt = fakes["WeQ"].calls[0].messages[-1]["content"]
    assert "Note [2]: Bob Tarrin is 25 years old." in prompt and "Ann Vorel" not in prompt


def test_failed_check_drives_repair_with_the_concrete_diagnosis(tmp_path: Path) -> None:
    fakes = team_fakes(WeQ=["Ann Vorel is 30 [1]", "Bob Tarrin is 25 [2]"])
    with _shipped(tmp_path, fakes, repair_limit=1) as rt:
        result = run(Workflow.default(), NOTES, runtime=rt)
    assert result.status == "ok" and result.text == "Bob Tarrin is 25 [2]"
    verdicts = [e.message() for e in result.trace if e.type == "Verdict"]
    assert verdicts[0].decision == "revise" and "note [2]" in verdicts[0].reasons[0]
    repair = next(e for e in result.trace if e.type == "RepairPlan").message()
    assert "note [2]: Bob Tarrin is 25" in repair.diagnoses[0].solution
    assert "Problems found" in fakes["WeQ"].calls[1].messages[-1]["content"]
    assert not fakes["Ref"].calls  # the checks diagnosed; Ref's model was not asked


def test_every_candidate_rejected_is_no_verified_answer(tmp_path: Path) -> None:
    fakes = team_fakes(WeQ=["Ann Vorel is 30 [1]", "Ann Vorel is 30 [1]"])
    with _shipped(tmp_path, fakes, repair_limit=1) as rt:
        result = run(Workflow.default(), NOTES, runtime=rt)
    assert result.status == "rejected" and not result.verified and result.answer is None
    assert result.best_attempt == "Ann Vorel is 30 [2]"  # the note it was shown, which does not say so
    assert result.text.startswith("No verified answer. Best attempt")
    assert "no verified answer" in result.final.note


def test_cli_says_no_verified_answer(tmp_path: Path) -> None:
    from qsm.cli import cli

    cfg = tmp_path / "qsm.toml"
    replies = json.dumps(["Ann Vorel is 30 [1]", "Ann Vorel is 30 [1]"])
    cfg.write_text(
        f'data_dir = "{tmp_path / "data"}"\n[defaults.model]\nbackend = "fake"\n'
        f"[agents.WeQ.model]\nfake_replies = {replies}\n[ledger]\nenabled = false\n"
    )
    out = CliRunner().invoke(cli, ["--config", str(cfg), "ask", NOTES], catch_exceptions=False)
    assert "No verified answer: Ref rejected every candidate" in out.output
    assert "Best attempt (not verified" in out.output and "Ann Vorel is 30 [1]" in out.output


@pytest.mark.parametrize(
    ("request_text", "kind"),
    [
        ("Answer with one word: what colour is a banana?", "one_word"),
        ("Number only, no words: how many minutes are in 2 hours?", "number"),
        ("Is 33 prime? Say only yes or no, nothing else.", "yes_no"),
        ('Reply in JSON with keys "city" and "country": where is the Eiffel Tower?', "json_keys"),
        ("Give a comma-separated list of three primary colours.", "list"),
        ("Answer in at most 5 words: why is the sky blue?", "max_words"),
        ("answer in all lowercase: name a fruit", "lowercase"),
        ("What is the capital of France?", None),
        ("What is the capital of Australia? One word.", "one_word"),
        ("Is one word enough for a title?", None),
        ("Give me three tips for better sleep.", "items"),
        ("What are 4 benefits of walking?", "items"),
        ("List 5 ways to save money.", "items"),
        ("Name 5 fruits, separated by commas.", "list"),
        ("Give me one tip for sleep.", None),
        (
            "A hall seats 230 people. 11 groups of 22 arrive. Is there a seat for everyone? Yes or no?",
            "yes_no",
        ),
        ("Yes or no: is 7 prime?", "yes_no"),
        ("Is the sea salty, yes or no?", "yes_no"),
        ("Should I pick yes or no here?", None),
        ("Translate to Spanish: Yes or no?", None),
        ("Translate 'Is it raining? Yes or no?' into Spanish.", None),
        ("Field type: Yes/No. What column type should I use in Postgres?", None),
        ("The quiz has two options: yes or no. How many points is each of 20 questions worth?", None),
        ("My boss asked me: yes or no? I froze. What should I have said?", None),
    ],
)
def test_stated_formats_are_detected(request_text: str, kind: str | None) -> None:
    found = detect_format(request_text)
    assert (found.kind if found else None) == kind


def test_format_problems_and_yes_no_strictness() -> None:
    strict, loose = detect_format("Say only yes or no."), detect_format("Can we? Please answer yes or no.")
    assert strict.problem("Yes, it fits.") and not strict.problem("Yes.")
    assert not loose.problem("Yes, it fits.") and loose.problem("It fits.")
    keys = detect_format('Reply in JSON with keys "a" and "b".')
    assert keys.problem('{"a": 1}') == "the JSON lacks the keys b" and not keys.problem('{"a": 1, "b": 2}')
    assert keys.render({"a": "x", "b": "y"}) == '{"a": "x", "b": "y"}'


def test_a_count_of_tips_is_numbered_items_one_per_line() -> None:
    tips = detect_format("Give me three tips for better sleep.")
    assert tips is not None and (tips.kind, tips.count, tips.noun) == ("items", 3, "tips")
    assert tips.instruction() == "Give exactly 3 tips, numbered 1 to 3, one short sentence each."
    free = "Here are some tips:\n1. Keep a schedule.\n2. Avoid screens\n   an hour before bed.\n3. No coffee late."
    assert (
        tips.project(free, "")
        == "1. Keep a schedule.\n2. Avoid screens an hour before bed.\n3. No coffee late."
    )
    assert tips.project("1. Keep a schedule.", "") is None  # one of three: decoded under the grammar instead
    assert tips.problem("1. Keep a schedule.") == "the request asks for 3 tips, got 1"
    assert tips.problem("- Keep a schedule.\n- keep a schedule!\n- Sleep.") == "item 2 repeats an earlier one"
    assert tips.problem("1. A.\n2. B.\n3. C.") is None
    schema = tips.json_schema()["properties"]["answer"]
    assert (schema["minItems"], schema["maxItems"]) == (3, 3)
    assert tips.render({"answer": ["Keep a schedule.", "Avoid screens.", " No coffee."]}) == (
        "1. Keep a schedule.\n2. Avoid screens.\n3. No coffee."
    )


def test_a_short_answer_to_a_count_of_tips_is_decoded_again_as_that_many(tmp_path: Path) -> None:
    three = json.dumps({"answer": ["Keep a schedule.", "Avoid screens before bed.", "Skip late coffee."]})
    fakes = team_fakes(WeQ=["Keep a schedule.", three])
    with _shipped(tmp_path, fakes) as rt:
        result = run(Workflow.default(), "Give me three tips for better sleep.", runtime=rt)
    assert result.status == "ok", result.errors
    assert result.text == "1. Keep a schedule.\n2. Avoid screens before bed.\n3. Skip late coffee."
    decoded = fakes["WeQ"].calls[1]
    assert decoded.json_schema["properties"]["answer"]["minItems"] == 3
    assert "Give exactly 3 tips" in decoded.messages[-1]["content"]


def test_notes_are_split_from_the_question() -> None:
    notes = split_notes(NOTES)
    assert notes.notes == {1: "Ann Vorel is 30 years old.", 2: "Bob Tarrin is 25 years old."}
    assert notes.question == "How old is Bob Tarrin?"
    trailing = split_notes("[1] A is red.\n[2] B is blue.\nWhat colour is B? Cite the note.")
    assert trailing.notes[2] == "B is blue." and trailing.question == "What colour is B? Cite the note."
    assert split_notes("What is 2+2?") is None


def _result(value: float, output: str) -> ToolResult:
    return ToolResult(tool="calculator", ok=True, output=output, value=value)


def test_checks_recompute_arithmetic_and_catch_junk() -> None:
    analysis = analyze("What is 17 + 25?", None, None)

    def check(text: str) -> dict[str, bool]:
        found = run_checks(analysis, text, expected=_result(42, "42"), supports=lambda a, b: True, embed=None)
        return {c.name: c.passed for c in found}

    assert check("17 + 25 = 42") == {"junk": True, "arithmetic": True}
    assert check("17 + 25 = 43")["arithmetic"] is False
    assert check("It is 41.")["arithmetic"] is False
    assert check("{{message}}} 42")["junk"] is False
    assert check("")["junk"] is False
    assert answer_number("The total is 1,091 and that is all") == 1091.0


def test_citation_check_names_the_right_note() -> None:
    analysis = analyze(NOTES, None, None)
    supports = lambda claim, note: bool(set(claim.lower().split()) & set(note.lower().split()))  # noqa: E731
    by_name = {
        c.name: c
        for c in run_checks(analysis, "Ann Vorel is 30 [1]", expected=None, supports=supports, embed=None)
    }
    assert not by_name["citation"].passed and "note [2]" in by_name["citation"].problem
    ok = {
        c.name: c for c in run_checks(analysis, "Bob is 25 [2]", expected=None, supports=supports, embed=None)
    }
    assert ok["citation"].passed and ok["citation"].decisive
    missing = {c.name: c for c in run_checks(analysis, "25", expected=None, supports=supports, embed=None)}
    assert not missing["citation"].passed and "[2]" in missing["citation"].fix


def test_off_topic_sentence_is_flagged_by_embedding_similarity() -> None:
    vectors = {"q": np.array([1.0, 0.0]), "on": np.array([0.9, 0.1]), "off": np.array([0.0, 1.0])}
    analysis = analyze("Why is the sky blue during the day?", None, None)
    analysis = analysis.__class__(**{**analysis.__dict__, "embedding": vectors["q"]})

    def embed(texts: list[str]) -> np.ndarray:
        return np.stack([vectors["off"] if "trip" in t else vectors["on"] for t in texts])

    text = "Sunlight scatters off air molecules. The user is asking about the cost of a long trip."
    found = {
        c.name: c for c in run_checks(analysis, text, expected=None, supports=lambda a, b: True, embed=embed)
    }
    assert not found["on_topic"].passed and "unrelated text" in found["on_topic"].problem


def test_plan_steps_reach_a_draft_only_when_valid() -> None:
    analysis = analyze("Explain photosynthesis to a child, then summarise it.", None, None)
    steps = [
        "explain photosynthesis simply",
        "1048576",
        "A.J.S.",
        "./DORRIETWEENHOLT",
        "summarise photosynthesis 77 times",
    ]
    assert valid_steps(steps, analysis) == ["explain photosynthesis simply"]


def test_shipped_student_router_loads_and_routes() -> None:
    from qsm.store.minilm import MiniLMEmbedder

    student = RouterStudent.load()
    embedder = MiniLMEmbedder(threads=1, batch_size=8, max_tokens=128)
    assert student.embedder == embedder.name and student.parameters < 5000
    resource = student.decide(
        embedder.embed(["We have 16 GB of RAM and the job needs 24 GB. Is that enough?"])[0]
    )
    fact = student.decide(embedder.embed(["Who painted the Mona Lisa?"])[0])
    assert resource.intent == "resource" and fact.intent == "answer"
    with pytest.raises(Exception, match=r"384|dim"):
        student.decide(np.zeros(10))


def test_yes_no_comparison_is_settled_by_the_calculator_and_rechecked_by_ref(tmp_path: Path) -> None:
    fakes = team_fakes(QSM=[], SOM=[], WeQ=[], Ref=[])
    with _shipped(tmp_path, fakes) as rt:
        result = run(Workflow.default(), "Is 37 × 20 greater than 727? Say only yes or no.", runtime=rt)
    assert result.status == "ok" and result.text == "Yes" and result.cost.calls == 0
    draft = next(e for e in result.trace if e.type == "Draft").message()
    assert [r.output for r in draft.tool_results] == ["740", "727"]
    analysis = analyze("Is 37 × 20 greater than 727?", None, None)
    wrong = {
        c.name: c
        for c in run_checks(
            analysis, "No.", expected=None, decision=True, supports=lambda a, b: True, embed=None
        )
    }
    assert not wrong["decision"].passed and "the calculation says yes" in wrong["decision"].problem


def test_resource_question_goes_to_som_and_its_capacity_tool(tmp_path: Path) -> None:
    fakes = team_fakes(QSM=[], SOM=[], WeQ=[], Ref=[])
    question = "The server has 16 GB of RAM and the job needs 24 GB. Is that enough? Answer yes or no."
    with _shipped(tmp_path, fakes) as rt:
        result = run(Workflow.default(), question, runtime=rt)
    assert result.status == "ok" and result.text.startswith("No.") and result.cost.calls == 0
    draft = next(e for e in result.trace if e.type == "Draft")
    assert draft.source == "SOM" and draft.message().tool_calls[0].tool == "check_capacity"
    verdict = next(e for e in result.trace if e.type == "Verdict").message()
    assert "decision: passed" in verdict.checks


def test_memory_citations_must_exist_and_support_the_answer() -> None:
    analysis = analyze("What does the Vorn river feed?", None, None)
    recalled = ["The Vorn river feeds Lake Ashby.", "Mount Tel is 900 m high."]
    supports = lambda claim, note: bool(set(claim.lower().split()) & set(note.lower().split()))  # noqa: E731

    def citation(text: str):
        found = run_checks(analysis, text, expected=None, supports=supports, embed=None, recalled=recalled)
        return next(c for c in found if c.name == "citation")

    assert citation("It feeds lake [1]").passed
    assert "only 2 notes" in citation("It feeds Lake Ashby [3]").problem
    assert "does not support" in citation("Ashby [2]").problem


def test_phantom_citation_and_extra_notes_are_faults() -> None:
    plain = analyze("Which planet is closest to the Sun?", None, None)
    found = {
        c.name: c
        for c in run_checks(plain, "It is [1] - Mars.", expected=None, supports=lambda a, b: True, embed=None)
    }
    assert not found["citation"].passed and "no notes" in found["citation"].problem
    notes = analyze(NOTES, None, None)
    extra = run_checks(
        notes, "Bob Tarrin is 25 [2] [1]", expected=None, supports=lambda a, b: True, embed=None
    )
    assert any(c.name == "citation" and not c.passed and "note [2]" in c.fix for c in extra)


def test_candidate_zero_decodes_greedily_and_the_others_sample(tmp_path: Path) -> None:
    weq = FakeChatModel(["Sea water holds salt.", "Rivers carry salt to the sea."], auto=False)
    fakes = {**team_fakes(), "WeQ": weq}
    with _shipped(tmp_path, fakes, fan_out=2) as rt:
        run(Workflow.default(), "Why is the sea salty?", runtime=rt)
    temperatures = sorted(c.sampling.temperature for c in weq.calls)
    assert temperatures == [0.0, 0.2]  # greedy first, then the agent's own temperature (default 0.2)


def test_an_unrelated_sentence_is_removed_without_a_model_call(tmp_path: Path) -> None:
    junk = "The user is asking about the cost of a long trip, which depends on many factors."
    fakes = team_fakes(WeQ=[f"Sea water is salty because rivers carry dissolved minerals into it. {junk}"])
    with _shipped(tmp_path, fakes, repair_limit=1) as rt:
        result = run(Workflow.default(), "Why is sea water salty?", runtime=rt)
    verdicts = [e.message() for e in result.trace if e.type == "Verdict"]
    assert verdicts[0].decision == "revise" and "unrelated text" in verdicts[0].reasons[0]
    assert (
        result.status == "ok"
        and result.text == "Sea water is salty because rivers carry dissolved minerals into it."
    )
    assert len(fakes["WeQ"].calls) == 1  # the repair removed the sentence; WeQ's model was not asked again


def test_a_citation_mark_with_nothing_to_cite_is_removed_without_a_model_call(tmp_path: Path) -> None:
    fakes = team_fakes(WeQ=["Keep the same bedtime every night [2]."])
    with _shipped(tmp_path, fakes, repair_limit=1) as rt:
        result = run(Workflow.default(), "How can I sleep better?", runtime=rt)
    verdicts = [e.message() for e in result.trace if e.type == "Verdict"]
    assert verdicts[0].decision == "revise" and "no notes" in verdicts[0].reasons[0]
    assert result.status == "ok" and result.text == "Keep the same bedtime every night."
    assert len(fakes["WeQ"].calls) == 1  # the repair removed the mark; WeQ's model was not asked again


def test_a_follow_up_answer_is_judged_on_topic_with_the_turn_before_it(tmp_path: Path) -> None:
    """A bare "Why?" is about nothing; its answer is on topic when read with the question before it."""
    first = "Sea water is salty because of dissolved minerals."
    why = "Rivers carry salt from rocks into the sea, and it stays there when the water evaporates."
    fakes = team_fakes(WeQ=[first, why])
    with _shipped(tmp_path, fakes) as rt:
        one = run(Workflow.default(), "Why is the sea salty?", runtime=rt)
        two = run(Workflow.default(), "Why?", runtime=rt, thread_id=one.thread_id)
    assert one.status == "ok" and two.status == "ok" and two.text == why
    verdict = next(e for e in two.trace if e.type == "Verdict").message()
    assert "on_topic: passed" in verdict.checks
    # the same answer to "Why?" on a thread of its own is off topic: the check is not vacuous
    embedder = make_embedder(MemorySettings())
    alone = run_checks(
        analyze("Why?", embedder, None), why, expected=None, supports=lambda a, b: True, embed=embedder.embed
    )
    assert not next(c for c in alone if c.name == "on_topic").passed


def test_a_follow_up_that_computes_on_the_last_answer_is_settled_by_the_tools(tmp_path: Path) -> None:
    fakes = team_fakes(QSM=[], SOM=[], WeQ=[], Ref=[])
    with _shipped(tmp_path, fakes) as rt:
        first = run(Workflow.default(), "What is 12 * 7?", runtime=rt)
        plus = run(Workflow.default(), "And that plus 16?", runtime=rt, thread_id=first.thread_id)
        more = run(Workflow.default(), "Is that more than 150?", runtime=rt, thread_id=first.thread_id)
    assert first.text == "12 * 7 = 84" and plus.text == "84 + 16 = 100", plus.text
    assert plus.status == "ok" and more.status == "ok" and more.text.startswith("No"), more.text
    verdict = next(e for e in plus.trace if e.type == "Verdict").message()
    assert "arithmetic: passed" in verdict.checks  # Ref recomputes on the resolved question too
    assert all(not f.calls for f in fakes.values())


def test_a_model_written_conversion_must_use_the_units_the_question_names() -> None:
    from qsm.agents.tools.units import units_named
    from qsm.graph.team.candidate import _units_not_asked

    assert units_named("How many miles is 16km?") == {"mi", "km"}
    assert units_named("And that plus 16?") == set()
    stray = ToolCall(tool="convert_units", arguments={"value": 16, "from_unit": "km", "to_unit": "miles"})
    assert _units_not_asked(stray, "And that plus 16?") == "km"
    assert _units_not_asked(stray, "How far is 16 kilometres in miles?") is None
    assert (
        _units_not_asked(ToolCall(tool="calculator", arguments={"expression": "84+16"}), "plus 16?") is None
    )


def test_a_follow_up_naming_another_unit_converts_the_last_quantity(tmp_path: Path) -> None:
    fakes = team_fakes(QSM=[], SOM=[], WeQ=[], Ref=[])
    with _shipped(tmp_path, fakes) as rt:
        first = run(Workflow.default(), "Convert 5 km to miles.", runtime=rt)
        feet = run(Workflow.default(), "And in feet?", runtime=rt, thread_id=first.thread_id)
        inches = run(Workflow.default(), "What about inches?", runtime=rt, thread_id=first.thread_id)
    assert feet.status == "ok" and feet.text == "5 km = 16404.19948 ft", feet.text
    assert (
        inches.status == "ok" and inches.text.startswith("5 km = 196850.3") and inches.text.endswith(" in")
    ), inches.text
    assert all(not f.calls for f in fakes.values())


def test_a_reference_to_an_answer_in_words_is_not_read_as_its_number(tmp_path: Path) -> None:
    """A reference to an answer in words ("Paris has 2.1 million people.") is not read as its number."""
    fakes = team_fakes(WeQ=["Paris has 2.1 million people.", "Yes, far more."])
    with _shipped(tmp_path, fakes) as rt:
        first = run(Workflow.default(), "How many people live in Paris?", runtime=rt)
        more = run(Workflow.default(), "Is it more than 30?", runtime=rt, thread_id=first.thread_id)
    assert more.text == "Yes, far more." and len(fakes["WeQ"].calls) == 2


def test_a_wrong_product_before_a_parenthesis_is_still_caught() -> None:
    from qsm.graph.team.checks import _wrong_equation

    assert _wrong_equation("3 x 12.50 = 36.50 (approximately)") == ("3 x 12.50", 37.5, "36.50")
    assert _wrong_equation("3 x 12.50 = 37.50 (about)") is None
    assert _wrong_equation("(3 + 4) x 2 = 14") is None and _wrong_equation("3 x (2 + 4) = 18") is None


def test_a_model_written_calculation_must_use_the_numbers_the_question_gives() -> None:
    from qsm.graph.team.candidate import _number_not_asked

    def calc(expression: str) -> ToolCall:
        return ToolCall(tool="calculator", arguments={"expression": expression})

    question = "If I buy 3 books at $12.50 each, how much do I spend?"
    assert _number_not_asked(calc("3 * 12.5"), question) is None
    assert _number_not_asked(calc("2 + 2"), question) == "2"
    assert _number_not_asked(calc("15 / 100 * 240"), "What is 15% of 240?") is None  # 100: percent
    assert _number_not_asked(calc("1,000 + 1"), "What is 1,000 plus 1?") is None


def test_which_of_two_quantities_is_larger_is_settled_by_the_calculator(tmp_path: Path) -> None:
    fakes = team_fakes(QSM=[], SOM=[], WeQ=[], Ref=[])
    with _shipped(tmp_path, fakes) as rt:
        result = run(Workflow.default(), "Which is larger, 2^10 or 1000?", runtime=rt)
    assert result.status == "ok" and result.text == "2^10 = 1024 is larger than 1000.", result.text
    draft = next(e for e in result.trace if e.type == "Draft").message()
    assert [c.arguments["expression"] for c in draft.tool_calls] == ["2 ** 10", "1000"]
    assert all(not f.calls for f in fakes.values())


def test_a_note_answer_citing_a_note_it_was_not_shown_cites_the_one_it_was(tmp_path: Path) -> None:
    fakes = team_fakes(WeQ=["Bob Tarrin is 25 years old. [1]"])
    with _shipped(tmp_path, fakes) as rt:
        result = run(Workflow.default(), NOTES, runtime=rt)
    assert result.status == "ok" and result.text == "Bob Tarrin is 25 years old. [2]", result.text
    prompt = fakes["WeQ"].calls[0].messages[-1]["content"]
    assert "Bob Tarrin is 25" in prompt and "Ann Vorel" not in prompt  # note [2] alone was shown


@pytest.mark.parametrize(
    ("request_text", "answer"),
    [
        ("In at most 6 words, what is 6 times 34?", "204"),
        ("What is 7 plus 8, in at most 5 words?", "15"),
    ],
)
def test_a_format_stated_in_the_questions_own_clause_leaves_the_arithmetic_to_the_calculator(
    tmp_path: Path, request_text: str, answer: str
) -> None:
    fakes = team_fakes(QSM=[], SOM=[], WeQ=[], Ref=[])
    with _shipped(tmp_path, fakes) as rt:
        result = run(Workflow.default(), request_text, runtime=rt)
    assert result.status == "ok" and result.text == answer, result.text
    assert all(not f.calls for f in fakes.values())


def test_a_trailing_yes_or_no_leaves_the_resource_question_to_soms_capacity_check(tmp_path: Path) -> None:
    fakes = team_fakes(QSM=[], SOM=[], WeQ=[], Ref=[])
    request_text = "A pump moves 6 litres per minute. Can it fill a 195-litre tank in 32 minutes? Yes or no?"
    with _shipped(tmp_path, fakes) as rt:
        result = run(Workflow.default(), request_text, runtime=rt)
    assert result.status == "ok" and result.text.startswith("No."), result.text
    assert "192" in result.text and all(not f.calls for f in fakes.values())


@pytest.mark.parametrize(
    ("request_text", "expression", "decision"),
    [
        ("Quick question. In at most 6 words, what is 6 times 34?", "6 * 34", None),
        (
            "A pump moves 6 litres per minute. Can it fill a 195-litre tank in 32 minutes, yes or no?",
            None,
            False,
        ),
        (
            "Will 320 files of 338 MB fit on a drive with 108.3 GB free? Take 1 GB as 1000 MB. Yes or no?",
            None,
            True,
        ),
        (
            "I have 3 hours. I keep 1 hour as 60 minutes of slack. Can I fit 3 tasks of 50 minutes?",
            None,
            False,
        ),
        ("A disk has 10 GB free. Reserve 1 GB as 1000 MB of swap. Will 10 files of 950 MB fit?", None, False),
    ],
)
def test_the_format_is_cut_from_the_question_not_the_question_from_the_request(
    request_text: str, expression: str | None, decision: bool | None
) -> None:
    found = analyze(request_text, None, None)
    assert (found.tool_call.arguments["expression"] if found.tool_call else None) == expression
    assert found.decision() == decision
