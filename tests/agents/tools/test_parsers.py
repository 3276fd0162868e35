"""The word front ends: plain arithmetic and conversion requests recognised without a model; anything
else left to the model (None)."""

from __future__ import annotations

import pytest

from qsm.agents.tools import ConvertArgs, evaluate, parse_arithmetic, parse_conversion

ARITHMETIC = [
    ("What is 17 + 25?", "17 + 25", 42),
    ("what's 12 times 8", "12 * 8", 96),
    ("What’s 12 x 8?", "12 * 8", 96),
    ("Compute 144 divided by 12.", "144 / 12", 12),
    ("What is 15% of 80?", "15 / 100 * 80", 12),
    ("what is 5 percent of 200", "5 / 100 * 200", 10),
    ("7 squared", "7 ** 2", 49),
    ("What is 4 cubed?", "4 ** 3", 64),
    ("the square root of 81", "81 ** 0.5", 9),
    ("What is the square root of 144?", "144 ** 0.5", 12),
    ("sqrt 16", "16 ** 0.5", 4),
    ("What is the cube root of 27?", "27 ** (1 / 3)", 3),
    ("Subtract 9 from 30", "30 - 9", 21),
    ("Add 12 and 30", "12 + 30", 42),
    ("add 5 to 7", "7 + 5", 12),
    ("Add 1, 2 and 3", "1 + 2 + 3", 6),
    ("Multiply 6 by 7", "6 * 7", 42),
    ("divide 144 by 12", "144 / 12", 12),
    ("take 5 away from 9", "9 - 5", 4),
    ("square 9", "9 ** 2", 81),
    ("What is 3 to the power of 4?", "3 ** 4", 81),
    ("2 raised to the power of 8", "2 ** 8", 256),
    ("What is 3 to the 4th power?", "3 ** 4", 81),
    ("2 to the 10", "2 ** 10", 1024),
    ("2^10", "2 ** 10", 1024),
    ("(3+4)*2=?", "(3 + 4) * 2", 14),
    ("3+4*2", "3 + 4 * 2", 11),
    ("10 - (4 - 1)", "10 - (4 - 1)", 7),
    ("How much is 2.5 multiplied by 4?", "2.5 * 4", 10),
    ("What is the sum of 4, 5 and 6?", "4 + 5 + 6", 15),
    ("What is the sum of 4, 5, and 6?", "4 + 5 + 6", 15),
    ("What is the product of 6 and 7?", "6 * 7", 42),
    ("the difference between 10 and 3", "10 - 3", 7),
    ("the quotient of 20 and 4", "20 / 4", 5),
    ("What is the average of 2, 4 and 9?", "(2 + 4 + 9) / 3", 5),
    ("What is the remainder when 17 is divided by 5?", "17 % 5", 2),
    ("what is 17 mod 5", "17 % 5", 2),
    ("What is 100 minus 37, then times 2?", "(100 - 37) * 2", 126),
    ("Add 2 and 3, then multiply by 4", "(2 + 3) * 4", 20),
    ("What is 3 + 4, and then squared?", "(3 + 4) ** 2", 49),
    ("10 plus 5 then divide by 3", "(10 + 5) / 3", 5),
    ("What is twenty five times four?", "25 * 4", 100),
    ("what is three hundred and six minus six", "306 - 6", 300),
    ("half of 30", "30 / 2", 15),
    ("What is double 21?", "2 * 21", 42),
    ("What is 1,000 + 2,500?", "1000 + 2500", 3500),
    ("Calculate -5 + 3", "-5 + 3", -2),
    ("what is negative 4 times 3", "-4 * 3", -12),
    ("Please calculate 6 * 7 for me.", "6 * 7", 42),
    ("Can you work out 9 * 9?", "9 * 9", 81),
    ("What does 6 times 7 equal?", "6 * 7", 42),
    ("how much does 5 times 3 make?", "5 * 3", 15),
    ("What do you get if you multiply 6 by 7?", "6 * 7", 42),
    ("what is 10 over 4", "10 / 4", 2.5),
    ("7 // 2", "7 // 2", 3),
    ("What is 0.1 + 0.2?", "0.1 + 0.2", 0.3),
]

NOT_ARITHMETIC = [
    "What is the capital of France?",
    "Is 12 GB enough for a 16 GB job?",
    "Who wrote 1984?",
    "What is 1984?",
    "42",
    "What is 2 + 2 in binary?",
    "Convert 5 km to miles",
    "2 hours in minutes",
    "What is 10 times better?",
    "How many apples are 3 + 4?",
    "Write a poem about 7 times 8",
    "What is x + 2?",
    "What is 2024-12-01?",
    "Meet me at 3:45",
    "Answer in one word: what is 2 + 2?",
    "What is 5 +?",
    "Add salt and pepper",
    "the sum of 4",
    "",
    "?",
    "1 + 1 " * 100,
]


@pytest.mark.parametrize(("text", "expression", "value"), ARITHMETIC)
def test_arithmetic_in_words(text: str, expression: str, value: float) -> None:
    assert parse_arithmetic(text) == expression
    assert evaluate(expression) == pytest.approx(value)


@pytest.mark.parametrize("text", NOT_ARITHMETIC)
def test_not_plainly_arithmetic(text: str) -> None:
    assert parse_arithmetic(text) is None


CONVERSIONS = [
    ("How many centimetres are in 3.5 metres?", 3.5, "m", "cm"),
    ("How many centimeters in 3.5 meters", 3.5, "m", "cm"),
    ("Convert 5 km to miles", 5, "km", "mi"),
    ("convert 5 kilometres into miles.", 5, "km", "mi"),
    ("What is 100 °F in Celsius?", 100, "°F", "°C"),
    ("What is 100 degrees Fahrenheit in degrees Celsius?", 100, "°F", "°C"),
    ("-40 C to F", -40, "°C", "°F"),
    ("minus 40 celsius in fahrenheit", -40, "°C", "°F"),
    ("2 hours in minutes", 2, "h", "min"),
    ("3 kg = ? lb", 3, "kg", "lb"),
    ("3kg = ? lbs", 3, "kg", "lb"),
    ("How many MB is 2 GB?", 2, "GB", "MB"),
    ("How many MiB in 1 GiB?", 1, "GiB", "MiB"),
    ("how many feet in a mile", 1, "mi", "ft"),
    ("How many seconds are there in a day?", 1, "d", "s"),
    ("How many teaspoons in a tablespoon?", 1, "tbsp", "tsp"),
    ("How many ounces in 2 pounds?", 2, "lb", "oz"),
    ("5 km is how many miles?", 5, "km", "mi"),
    ("Convert twelve inches to cm", 12, "in", "cm"),
    ("convert 12 in to cm", 12, "in", "cm"),
    ("Please convert 60 mph to km/h", 60, "mph", "km/h"),
    ("60 miles per hour in kilometres per hour", 60, "mph", "km/h"),
    ("100 m/s to km/h", 100, "m/s", "km/h"),
    ("convert 5 km2 to m2", 5, "km²", "m²"),
    ("1 acre in square metres", 1, "acre", "m²"),
    ("What is 3 cubic feet in litres?", 3, "ft³", "l"),
    ("Express 1.5 litres in millilitres", 1.5, "l", "ml"),
    ("What's 250 grams in ounces?", 250, "g", "oz"),
    ("10 stone in kg", 10, "st", "kg"),
    ("How many bytes in a kilobyte?", 1, "KB", "B"),
    ("What is 1,500 metres in km?", 1500, "m", "km"),
]

NOT_CONVERSIONS = [
    "Is 12 GB enough for a 16 GB job?",
    "What is the capital of France?",
    "What is 17 + 25?",
    "How many people live in Paris?",
    "How many kg in 3 metres?",
    "5 km",
    "Convert this text to uppercase",
    "Convert 5 to miles",
    "How many legs does a spider have?",
    "2 hours in furlongs",
    "How many minutes?",
    "What is 5 km in miles and why?",
    "",
]


@pytest.mark.parametrize(("text", "value", "source", "target"), CONVERSIONS)
def test_conversions_in_words(text: str, value: float, source: str, target: str) -> None:
    assert parse_conversion(text) == ConvertArgs(value=value, from_unit=source, to_unit=target)


@pytest.mark.parametrize("text", NOT_CONVERSIONS)
def test_not_plainly_a_conversion(text: str) -> None:
    assert parse_conversion(text) is None


@pytest.mark.parametrize("text", [t for t, *_ in CONVERSIONS])
def test_conversions_are_not_taken_for_arithmetic(text: str) -> None:
    assert parse_arithmetic(text) is None
