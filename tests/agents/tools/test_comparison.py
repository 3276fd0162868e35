"""Yes/no questions comparing a computable quantity with a number: parsed into a Comparison and decided
exactly with the calculator; anything else is None."""

from __future__ import annotations

import pytest

from qsm.agents.tools import Comparison, ToolError, evaluate, parse_comparison

COMPARISONS = [
    ("Is 37 × 20 greater than 727?", Comparison("37 * 20", ">", "727"), True),
    ("Is 15% of 300 more than 40?", Comparison("15 / 100 * 300", ">", "40"), True),
    ("Is 2 km longer than 1500 m?", Comparison("2 * 1000", ">", "1500", "m"), True),
    ("Does 12 times 12 exceed 150?", Comparison("12 * 12", ">", "150"), False),
    ("Is 7 hours less than 400 minutes?", Comparison("7 * 60", "<", "400", "min"), False),
    ("Is 144 divisible by 12?", Comparison("144", "divisible", "12"), True),
    ("Is 2^10 at least 1000?", Comparison("2 ** 10", ">=", "1000"), True),
    ("Is 33 a prime number?", Comparison("33", "prime", None), False),
    ("Is 37 prime?", Comparison("37", "prime", None), True),
    ("is 3 + 4 more than 2 x 3", Comparison("3 + 4", ">", "2 * 3"), True),
    ("Is 100 minus 37 smaller than 60?", Comparison("100 - 37", "<", "60"), False),
    ("Is 5 less than 10?", Comparison("5", "<", "10"), True),
    ("Is 9 squared under 80?", Comparison("9 ** 2", "<", "80"), False),
    ("Is it true that 9 squared is less than 80?", Comparison("9 ** 2", "<", "80"), False),
    ("Is 2^10 greater than or equal to 1024?", Comparison("2 ** 10", ">=", "1024"), True),
    ("Is 6 times 7 at most 41?", Comparison("6 * 7", "<=", "41"), False),
    ("Is 6 times 7 no more than 42? Yes or no.", Comparison("6 * 7", "<=", "42"), True),
    ("Is 0.1 + 0.2 equal to 0.3?", Comparison("0.1 + 0.2", "==", "0.3"), True),
    ("Does 6 times 7 equal 42?", Comparison("6 * 7", "==", "42"), True),
    ("Does the sum of 17 and 25 come to more than 40?", Comparison("17 + 25", ">", "40"), True),
    ("Is 145 divisible by 12?", Comparison("145", "divisible", "12"), False),
    ("Is 12 a factor of 144?", Comparison("144", "divisible", "12"), True),
    ("Is 91 a multiple of 7?", Comparison("91", "divisible", "7"), True),
    ("Does 12 divide 144?", Comparison("144", "divisible", "12"), True),
    ("Is 7 even?", Comparison("7", "divisible", "2"), False),
    ("Is 2 to the power of 5 minus 1 a prime number?", Comparison("2 ** 5 - 1", "prime", None), True),
    ("Is 1 prime?", Comparison("1", "prime", None), False),
    ("Is 100 °F hotter than 40 °C?", Comparison("(100 - 32) / 1.8", ">", "40", "°C"), False),
    ("Is 3 miles further than 5 km?", Comparison("3 * 1.609344", ">", "5", "km"), False),
    ("Is 2 GB more than 1800 MB?", Comparison("2 * 1000", ">", "1800", "MB"), True),
    ("Is 90 minutes longer than 1.5 hours?", Comparison("90 / 60", ">", "1.5", "h"), False),
    (
        "Is 2.5 km plus 300 m more than 2 miles?",
        Comparison("2.5 / 1.609344 + 300 / 1609.344", ">", "2", "mi"),
        False,
    ),
    ("Quick question: is 15% of 80 > 10?", Comparison("15 / 100 * 80", ">", "10"), True),
    ("Is half of 30 bigger than 14?", Comparison("30 / 2", ">", "14"), True),
    (
        "Is 5 feet 10 inches taller than 1.8 m?",
        Comparison("5 * 0.3048 + 10 * 0.0254", ">", "1.8", "m"),
        False,
    ),
]

NOT_COMPARISONS = [
    "Is Paris bigger than London?",
    "Is 12 GB enough for a 16 GB job?",
    "Is 37 × 20 greater than the population of France?",
    "Are 3 apples more than 2 pears?",
    "Is 2 km more than 1500?",
    "Is 2 km longer than 3 kg?",
    "Is it going to rain?",
    "Is 5 the answer?",
    "What is 37 × 20?",
    "Is 37 × 20?",
    "Does 12 times 12 matter?",
    "Is 2 km divisible by 2?",
    "Is 5 km prime?",
    "Is the number 7 lucky?",
    "Is 7 greater than 5 and why?",
    "Is " + "(" * 140 + "1 more than 2?",
    "",
]


@pytest.mark.parametrize(("text", "comparison", "holds"), COMPARISONS)
def test_comparisons_are_parsed_and_decided(text: str, comparison: Comparison, holds: bool) -> None:
    parsed = parse_comparison(text)
    assert parsed == comparison
    decided, explanation = parsed.decide(evaluate)
    assert decided is holds
    assert explanation.startswith("Yes. " if holds else "No. ")


@pytest.mark.parametrize("text", NOT_COMPARISONS)
def test_not_a_comparison(text: str) -> None:
    assert parse_comparison(text) is None


@pytest.mark.parametrize(
    ("text", "explanation"),
    [
        ("Is 37 × 20 greater than 727?", "Yes. 37 × 20 = 740, which is greater than 727."),
        ("Is 37 × 20 greater than 750?", "No. 37 × 20 = 740, which is less than 750."),
        ("Is 740 greater than 727?", "Yes. 740 is greater than 727."),
        ("Is 2^10 at least 1024?", "Yes. 2 ^ 10 = 1024, which is equal to 1024."),
        ("Is 3 + 4 more than 2 × 3?", "Yes. 3 + 4 = 7, which is greater than 2 × 3 = 6."),
        ("Is 2 km longer than 1500 m?", "Yes. 2 × 1000 = 2000 m, which is greater than 1500 m."),
        ("Is 144 divisible by 12?", "Yes. 144 ÷ 12 = 12 exactly."),
        ("Is 145 divisible by 12?", "No. 145 ÷ 12 = 12 remainder 1."),
        ("Is 37 × 20 divisible by 3?", "No. 37 × 20 = 740, and 740 ÷ 3 = 246 remainder 2."),
        ("Is 7.5 divisible by 2?", "No. 7.5, which is not a whole number, so it is not divisible by 2."),
        ("Is 33 a prime number?", "No. 33 = 3 × 11."),
        ("Is 30 + 3 prime?", "No. 30 + 3 = 33, and 33 = 3 × 11."),
        ("Is 37 prime?", "Yes. 37 is a prime number: no whole number from 2 to 6 divides it."),
        ("Is 2 prime?", "Yes. 2 is a prime number."),
        ("Is 1 prime?", "No. 1 is not a prime number: primes are whole numbers from 2 up."),
    ],
)
def test_explanations_show_the_computation(text: str, explanation: str) -> None:
    comparison = parse_comparison(text)
    assert comparison is not None
    assert comparison.decide(evaluate)[1] == explanation


def test_decide_uses_the_evaluator_it_is_given() -> None:
    seen: list[str] = []

    def recording(expression: str) -> int | float:
        seen.append(expression)
        return evaluate(expression)

    assert Comparison("37 * 20", ">", "727").decide(recording)[0] is True
    assert seen == ["37 * 20", "727"]


def test_equality_tolerates_float_rounding_but_not_real_differences() -> None:
    assert Comparison("0.1 + 0.2", "==", "0.3").decide(evaluate)[0] is True
    assert Comparison("0.1 + 0.2", ">", "0.3").decide(evaluate)[0] is False
    assert Comparison("1 / 3", "==", "0.333").decide(evaluate)[0] is False


def test_primality_refuses_numbers_too_large_to_check() -> None:
    with pytest.raises(ToolError, match="too large to check"):
        Comparison("10 ** 13 + 1", "prime", None).decide(evaluate)
    assert Comparison("999983", "prime", None).decide(evaluate)[0] is True  # the largest prime below 10**6
    assert Comparison("999983 * 999979", "prime", None).decide(evaluate) == (
        False,
        "No. 999983 × 999979 = 999962000357, and 999962000357 = 999979 × 999983.",
    )


def test_calculator_errors_propagate() -> None:
    with pytest.raises(ToolError, match="division by zero"):
        Comparison("1 / 0", ">", "2").decide(evaluate)
