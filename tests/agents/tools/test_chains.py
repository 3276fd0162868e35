"""Multi-step requests: each step feeds the next, and the whole chain is one calculator expression;
conversions inside chains use the unit table's exact factors. Not plainly arithmetic: None."""

from __future__ import annotations

import pytest

from qsm.agents.tools import evaluate, parse_arithmetic, parse_conversion
from qsm.agents.tools.units import convert

CHAINS = [
    ("Double 335 and add 69 to the result.", "2 * 335 + 69", 739),
    ("Add 12 and 30, then divide the result by 6.", "(12 + 30) / 6", 7),
    ("Take 15% of 80 and subtract 5.", "15 / 100 * 80 - 5", 7),
    ("Triple 14, then subtract 7", "3 * 14 - 7", 35),
    ("Halve 90 and square it", "(90 / 2) ** 2", 2025),
    ("Multiply 6 by 7, then add 8, then divide by 2", "(6 * 7 + 8) / 2", 25),
    ("Start with 50, add 25, and then take 10% of that", "10 / 100 * (50 + 25)", 7.5),
    ("What is 3 squared plus 4 squared?", "3 ** 2 + 4 ** 2", 25),
    ("Begin with 100, subtract 37 from it, then double the answer.", "(100 - 37) * 2", 126),
    ("Take 5 away from 9, then square the result", "(9 - 5) ** 2", 16),
    ("Add 2 and 3. Then multiply the total by 4.", "(2 + 3) * 4", 20),
    ("Start with 10, then take the square root", "10 ** 0.5", 10**0.5),
    ("Start with 81 and take the square root of it", "81 ** 0.5", 9),
    ("Multiply 4 by 5, then take half of that", "4 * 5 / 2", 10),
    ("Add 7 to 8, then multiply it by 3, and finally subtract 5", "(8 + 7) * 3 - 5", 40),
    ("Subtract 4 from 10; then cube the result", "(10 - 4) ** 3", 216),
    ("12 times 3, then plus 4, then halve it", "(12 * 3 + 4) / 2", 20),
    ("Take 200, then take 5 off", "200 - 5", 195),
    ("Take 7, add 3, then, raise it to the power of 2", "(7 + 3) ** 2", 100),
    ("Start with 9, then quadruple it and take away 6", "9 * 4 - 6", 30),
    ("Divide 100 by 4, then subtract 5 from the result and double it", "(100 / 4 - 5) * 2", 40),
    ("What do you get if you multiply 6 by 7 and then add 8?", "6 * 7 + 8", 50),
    ("Add 1, 2 and 3, then multiply by 10", "(1 + 2 + 3) * 10", 60),
    ("Start with 1,000, take 15 percent of that, then subtract 50", "15 / 100 * 1000 - 50", 100),
]

CONVERSION_CHAINS = [
    ("Convert 7 hours to minutes, then add 46 minutes.", "7 * 60 + 46", 466),
    ("Convert 7 hours to minutes, then add 46.", "7 * 60 + 46", 466),
    ("How many metres is 2.5 km plus 300 m?", "2.5 * 1000 + 300", 2800),
    ("What is 2.5 km plus 300 m in metres?", "2.5 * 1000 + 300", 2800),
    ("What is 5 km plus 3 miles in metres?", "5 * 1000 + 3 * 1609.344", 9828.032),
    ("What is 20 kg plus 500 g?", "20 + 500 / 1000", 20.5),
    ("Convert 1 mile to feet, then subtract 280", "1 * 5280 - 280", 5000),
    ("Convert 3 miles to km then double it", "3 * 1.609344 * 2", 9.656064),
    ("Convert 20 C to F and then subtract 3", "20 * 1.8 + 32 - 3", 65),
    ("Convert 212 °F to Celsius, then halve it", "(212 - 32) / 1.8 / 2", 50),
    ("Convert 25 °C to kelvin, then add 10", "25 + 273.15 + 10", 308.15),
    ("What is 60 km/h times 2 in m/s?", "60 / 3.6 * 2", 100 / 3),
    ("How many minutes are in 3 hours minus 20 minutes?", "3 * 60 - 20", 160),
    ("How many MB is 2 GB plus 300 MB?", "2 * 1000 + 300", 2300),
    ("Convert 2 hours to minutes, then convert it to seconds and add 30", "2 * 3600 + 30", 7230),
    ("How many minutes is 2 hours and 30 minutes?", "2 * 60 + 30", 150),
    ("How many inches in 5 feet 10 inches?", "5 * 12 + 10", 70),
    ("How many seconds are in 1 h 2 min 3 s", "1 * 3600 + 2 * 60 + 3", 3723),
    ("Add 2 hours and 30 minutes", "2 + 30 / 60", 2.5),
]

NOT_CHAINS = [
    "Explain how to double a recipe",
    "Add salt and pepper",
    "Who won 3 medals?",
    "Double the recipe and add salt",
    "Start with the basics, then add 5 examples",
    "Take 3 apples and add 2 oranges",
    "Add 12 and 30, then explain why",
    "Multiply 6 by 7, then write a poem",
    "Triple the budget, then subtract 7",
    "Halve the cake and square it",
    "Add 5 minutes to the timer",
    "Start with 50, and then what?",
    "Take 10% of that",
    "Double it",
    "Add 2 km and 3 kg",
    "What is 5 km plus 3?",
    "What is 20 °C plus 5 °C?",
    "Convert 7 hours to minutes",
    "Convert 7 hours to minutes, then to seconds",
    "Convert 5 km to kg, then add 1",
    "What is 3 + 4 in binary?",
    "-40 C to F",
    "-5",
    "What is 2 + 2, and who is the president?",
    "(" * 149 + "1 + 1)",
    "Add 3 and 4 and then add",
    "What is 5 km 3 km",
    "What is 2 hours and 3 kg",
    "How many minutes is 30 minutes and 2 hours?",
]


@pytest.mark.parametrize(("text", "expression", "value"), CHAINS + CONVERSION_CHAINS)
def test_chains_are_one_expression(text: str, expression: str, value: float) -> None:
    assert parse_arithmetic(text) == expression
    assert evaluate(expression) == pytest.approx(value)


@pytest.mark.parametrize("text", NOT_CHAINS)
def test_not_plainly_a_chain(text: str) -> None:
    assert parse_arithmetic(text) is None


@pytest.mark.parametrize(
    ("value", "source", "target"),
    [
        (7, "hours", "minutes"),
        (2.5, "km", "m"),
        (3, "miles", "km"),
        (5, "km", "miles"),
        (100, "°F", "°C"),
        (-40, "°C", "°F"),
        (300, "kelvin", "fahrenheit"),
        (10, "stone", "kg"),
        (2, "gallons", "litres"),
        (60, "mph", "km/h"),
        (1, "acre", "m2"),
        (3, "GiB", "MB"),
        (1, "light year", "km"),
    ],
)
def test_any_convertible_pair_works_inside_a_chain(value: float, source: str, target: str) -> None:
    """The expression for "convert V A to B, then add 1" is the units module's conversion plus one."""
    expression = parse_arithmetic(f"Convert {value} {source} to {target}, then add 1")
    assert expression is not None
    expected, _, _ = convert(value, source, target)
    assert evaluate(expression) == pytest.approx(expected + 1, rel=1e-12)


@pytest.mark.parametrize("text", [t for t, *_ in CONVERSION_CHAINS])
def test_conversion_chains_are_not_taken_for_a_single_conversion(text: str) -> None:
    assert parse_conversion(text) is None
