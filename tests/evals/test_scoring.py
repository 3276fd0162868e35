"""The team-set scorer: every checker on right, wrong, format-broken and junk-appended answers, and every item
of the packaged set against its own canonical answer."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qsm.evals import CHECKERS, load_team_set, score
from qsm.evals.numbers import final_numbers, find_numbers, parse_number

NUM = {"number": 42, "tol": 0, "answer": "42"}
DEC = {"number": 8.0, "tol": 0.051, "answer": "8.0"}
BIG = {"number": 1000, "tol": 0, "answer": "1000"}
NEG = {"number": -40, "tol": 0, "answer": "-40"}
TEXT = {"aliases": ["Canberra"], "answer": "Canberra"}
BOTH = {"number": 8, "tol": 0, "aliases": ["eight"], "answer": "8"}
YES = {"yes_no": "yes", "answer": "Yes."}
NO = {"yes_no": "no", "answer": "No."}
CITE = {
    "aliases": ["1873"],
    "note": 2,
    "notes": 4,
    "distractors": ["1901", "1855"],
    "answer": "It was completed in 1873 [2].",
}
ONE = {"aliases": ["yellow"], "answer": "yellow"}
NUM_ONLY = {"number": 1000, "tol": 0, "answer": "1000"}
YN_ONLY = {"yes_no": "no", "answer": "No"}
JSON = {"keys": ["city", "country"], "values": {"city": ["Paris"], "country": ["France"]}, "answer": "{}"}
JSON_NUM = {"keys": ["sum", "product"], "values": {"sum": 13, "product": 42}, "tol": 0.001, "answer": "{}"}
CSV_ORDERED = {"n": 3, "items": ["7", "14", "21"], "answer": "7, 14, 21"}
CSV_ALLOWED = {"n": 2, "allowed": ["Monday", "Tuesday", "Sunday"], "answer": "Monday, Sunday"}
LOWER = {"aliases": ["jupiter"], "answer": "jupiter"}
MAX_WORDS = {"max_words": 3, "aliases": ["Oslo"], "answer": "Oslo."}
MAX_WORDS_NUM = {"max_words": 4, "number": 204, "tol": 0, "answer": "204"}

CASES: list[tuple[str, dict[str, Any], str, bool]] = [
    # contains_any, numeric: the last number or the number after the first answer marker counts
    ("contains_any", NUM, "42", True),
    ("contains_any", NUM, "The answer is 42.", True),
    ("contains_any", NUM, "12 + 30 = 42", True),
    ("contains_any", NUM, "The answer is 42, because 6 × 7 = 42 and 7 is prime.", True),
    ("contains_any", NUM, "Answer: 42 (check: 84 / 2)", True),
    ("contains_any", NUM, "forty-two", True),
    ("contains_any", NUM, "The result is about 42 units.", True),
    ("contains_any", NUM, "41", False),
    ("contains_any", NUM, "142", False),
    ("contains_any", NUM, "4.2", False),
    ("contains_any", NUM, "I think 42 or maybe 41 or 40", False),
    ("contains_any", NUM, "Try 40, 41, 42, 43 until one works: 43", False),
    ("contains_any", NUM, "The answer is 41. Also 17 + 5 = 22", False),
    ("contains_any", NUM, "There are 42 ways [2]", True),
    ("contains_any", NUM, "The total is 42 [3]", True),
    ("contains_any", NUM, "", False),
    ("contains_any", NUM, "I don't know.", False),
    ("contains_any", NUM, "The answer is forty. No, forty-three.", False),
    ("contains_any", DEC, "8.05 km", True),
    ("contains_any", DEC, "about 8 km", True),
    ("contains_any", DEC, "8.04672", True),
    ("contains_any", DEC, "8.2 km", False),
    ("contains_any", BIG, "1,000", True),
    ("contains_any", BIG, "That makes 1,000 grams.", True),
    ("contains_any", BIG, "1,000,000", False),
    ("contains_any", BIG, "100", False),
    ("contains_any", NEG, "-40 °F", True),
    ("contains_any", NEG, "It is −40 degrees.", True),
    ("contains_any", NEG, "40", False),
    ("contains_any", NEG, "10-50", False),
    ("contains_any", BOTH, "Eight legs.", True),
    ("contains_any", BOTH, "A spider has 8 legs.", True),
    ("contains_any", BOTH, "A spider has 6 legs.", False),
    # contains_any, text aliases: whole words, case and punctuation insensitive
    ("contains_any", TEXT, "Canberra", True),
    ("contains_any", TEXT, "It's CANBERRA.", True),
    ("contains_any", TEXT, "The capital is canberra, not Sydney.", True),
    ("contains_any", TEXT, "Sydney", False),
    ("contains_any", TEXT, "Canberrans live there", False),
    (
        "contains_any",
        {"aliases": ["Leonardo da Vinci", "da Vinci"], "answer": "x"},
        "Da-Vinci painted it",
        True,
    ),
    ("contains_any", {"aliases": ["São Paulo"], "answer": "x"}, "sao paulo", True),
    ("contains_any", {"aliases": ["carbon dioxide", "CO2"], "answer": "x"}, "CO₂", True),
    # yes_no: the first yes/no word decides
    ("yes_no", YES, "Yes", True),
    ("yes_no", YES, "yes, 12 GB is enough.", True),
    ("yes_no", YES, "YES!", True),
    ("yes_no", YES, "No.", False),
    ("yes_no", YES, "No, wait, yes.", False),
    ("yes_no", YES, "It fits.", False),
    ("yes_no", YES, "Yesterday it did not fit.", False),
    ("yes_no", NO, "No. It needs 20 GB.", True),
    ("yes_no", NO, "Not enough memory, so no.", True),
    ("yes_no", NO, "Yes. And no.", False),
    ("yes_no", NO, "", False),
    # cites: fact + the right note, no wrong note, no distractor fact
    ("cites", CITE, "1873 [2]", True),
    ("cites", CITE, "The bridge was completed in 1873 [ 2 ].", True),
    ("cites", CITE, "Completed in 1873, see [note 2].", True),
    ("cites", CITE, "1873", False),
    ("cites", CITE, "1873 [3]", False),
    ("cites", CITE, "1873 [2][3]", False),
    ("cites", CITE, "1873 [2, 4]", False),
    ("cites", CITE, "1901 [2]", False),
    ("cites", CITE, "1873 [2]. The other bridge was finished in 1901.", False),
    ("cites", CITE, "18730 [2]", False),
    ("cites", CITE, "[2]", False),
    # format_one_word
    ("format_one_word", ONE, "yellow", True),
    ("format_one_word", ONE, "Yellow.", True),
    ("format_one_word", ONE, '  "Yellow"!  ', True),
    ("format_one_word", ONE, "**Yellow**", True),
    ("format_one_word", ONE, "green", False),
    ("format_one_word", ONE, "Yellow, of course.", False),
    ("format_one_word", ONE, "It is yellow.", False),
    ("format_one_word", ONE, "yellow\nBananas turn yellow when ripe.", False),
    ("format_one_word", {"aliases": ["well-known"], "answer": "x"}, "well-known", True),
    # format_number_only
    ("format_number_only", NUM_ONLY, "1000", True),
    ("format_number_only", NUM_ONLY, "1,000.", True),
    ("format_number_only", NUM_ONLY, " 1000\n", True),
    ("format_number_only", NUM_ONLY, "999", False),
    ("format_number_only", NUM_ONLY, "1000 grams", False),
    ("format_number_only", NUM_ONLY, "The answer is 1000.", False),
    ("format_number_only", NUM_ONLY, "1000%", False),
    ("format_number_only", NUM_ONLY, "one thousand", False),
    ("format_number_only", NUM_ONLY, "1000\n1000", False),
    # format_yes_no_only
    ("format_yes_no_only", YN_ONLY, "No", True),
    ("format_yes_no_only", YN_ONLY, "no.", True),
    ("format_yes_no_only", YN_ONLY, "NO!", True),
    ("format_yes_no_only", YN_ONLY, "Yes", False),
    ("format_yes_no_only", YN_ONLY, "No, it is not prime.", False),
    ("format_yes_no_only", YN_ONLY, "Nope", False),
    # format_json_keys
    ("format_json_keys", JSON, '{"city": "Paris", "country": "France"}', True),
    ("format_json_keys", JSON, '{"country": "france", "city": "PARIS"}', True),
    ("format_json_keys", JSON, '```json\n{"city": "Paris", "country": "France"}\n```', True),
    ("format_json_keys", JSON, '{"city": "Lyon", "country": "France"}', False),
    ("format_json_keys", JSON, '{"city": "Paris"}', False),
    ("format_json_keys", JSON, '{"city": "Paris", "country": "France", "note": "x"}', False),
    ("format_json_keys", JSON, '{"City": "Paris", "Country": "France"}', False),
    ("format_json_keys", JSON, 'Here it is: {"city": "Paris", "country": "France"}', False),
    ("format_json_keys", JSON, '{"city": "Paris", "country": "France"} Hope this helps!', False),
    ("format_json_keys", JSON, "{'city': 'Paris', 'country': 'France'}", False),
    ("format_json_keys", JSON, '["Paris", "France"]', False),
    ("format_json_keys", JSON_NUM, '{"sum": 13, "product": 42}', True),
    ("format_json_keys", JSON_NUM, '{"sum": 13.0, "product": 42}', True),
    ("format_json_keys", JSON_NUM, '{"sum": "13", "product": 42}', False),
    ("format_json_keys", JSON_NUM, '{"sum": 14, "product": 42}', False),
    # format_csv_list
    ("format_csv_list", CSV_ORDERED, "7, 14, 21", True),
    ("format_csv_list", CSV_ORDERED, "7,14,21.", True),
    ("format_csv_list", CSV_ORDERED, "7, 14, and 21", True),
    ("format_csv_list", CSV_ORDERED, "14, 7, 21", False),
    ("format_csv_list", CSV_ORDERED, "7, 14, 21, 28", False),
    ("format_csv_list", CSV_ORDERED, "7 14 21", False),
    ("format_csv_list", CSV_ORDERED, "7,\n14,\n21", False),
    ("format_csv_list", CSV_ORDERED, "7, 14, , 21", False),
    ("format_csv_list", CSV_ALLOWED, "Sunday, monday", True),
    ("format_csv_list", CSV_ALLOWED, "Monday, Friday", False),
    ("format_csv_list", CSV_ALLOWED, "Monday, Monday", False),
    ("format_csv_list", CSV_ALLOWED, "Monday, Tuesday. These are weekdays", False),
    # format_lowercase
    ("format_lowercase", LOWER, "jupiter", True),
    ("format_lowercase", LOWER, "the largest planet is jupiter.", True),
    ("format_lowercase", LOWER, "Jupiter", False),
    ("format_lowercase", LOWER, "saturn", False),
    ("format_lowercase", LOWER, "jupiter. Hope that helps!", False),
    ("format_lowercase", LOWER, "   ", False),
    # format_max_words
    ("format_max_words", MAX_WORDS, "Oslo.", True),
    ("format_max_words", MAX_WORDS, "It is Oslo.", True),
    ("format_max_words", MAX_WORDS, "The capital is Oslo.", False),
    ("format_max_words", MAX_WORDS, "Bergen", False),
    ("format_max_words", MAX_WORDS_NUM, "6 × 34 = 204", True),
    ("format_max_words", MAX_WORDS_NUM, "It is 204.", True),
    ("format_max_words", MAX_WORDS_NUM, "It is 205.", False),
    ("format_max_words", MAX_WORDS_NUM, "The product of these is 204.", False),
]


@pytest.mark.parametrize(("checker", "gold", "answer", "expected"), CASES)
def test_checker_table(checker: str, gold: dict[str, Any], answer: str, expected: bool) -> None:
    verdict = score({"id": "t", "checker": checker, "gold": gold}, answer)
    assert verdict.correct is expected, verdict.reason
    assert verdict.reason


def test_every_checker_has_table_cases() -> None:
    covered = {checker for checker, *_ in CASES}
    assert covered == set(CHECKERS)
    for name in CHECKERS:
        outcomes = {expected for checker, _, _, expected in CASES if checker == name}
        assert outcomes == {True, False}, f"{name} needs both passing and failing cases"


def test_number_extraction() -> None:
    assert [f.value for f in find_numbers("1,000 and 2.5 and -3 but 5-3")] == [1000, 2.5, -3, 5, 3]
    assert [f.value for f in find_numbers("see [2] and [1, 3]: 7")] == [7]
    assert [f.value for f in find_numbers("two hundred and forty-five")] == [245]
    assert [f.value for f in find_numbers("the one with 3 legs")] == [3], "words only when no digit"
    assert final_numbers("12 + 30 = 42, so 42 / 6 = 7") == [7, 42]
    assert final_numbers("") == []
    assert parse_number("1,234.5") == 1234.5
    assert parse_number("12 cm") is None


def test_unknown_checker_and_incomplete_gold_are_clear_errors() -> None:
    with pytest.raises(ValueError, match="unknown checker 'nope'"):
        score({"id": "x", "checker": "nope", "gold": {}}, "a")
    with pytest.raises(ValueError, match="gold lacks 'yes_no'"):
        score({"id": "x", "checker": "yes_no", "gold": {"answer": "Yes"}}, "yes")
    with pytest.raises(ValueError, match="'aliases' or 'number'"):
        score({"id": "x", "checker": "contains_any", "gold": {"answer": "a"}}, "a")


@pytest.mark.parametrize("item", load_team_set(), ids=lambda item: item["id"])
def test_every_item_accepts_its_canonical_answer_and_rejects_empty(item: dict[str, Any]) -> None:
    canonical = score(item, item["gold"]["answer"])
    assert canonical.correct, f"{item['id']}: {canonical.reason}"
    assert not score(item, "").correct
    assert not score(item, "I cannot answer that.").correct


@settings(max_examples=300, deadline=None)
@given(index=st.integers(min_value=0, max_value=239), answer=st.text(max_size=80))
def test_any_text_gets_a_verdict_never_an_error(index: int, answer: str) -> None:
    items = load_team_set()
    verdict = score(items[index % len(items)], answer)
    assert isinstance(verdict.correct, bool) and verdict.reason
