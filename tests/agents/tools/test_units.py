"""Unit conversion: many spellings, every dimension, clear errors."""

from __future__ import annotations

import pytest

from qsm.agents.tools import ConvertArgs, ToolError, UnitConverter, convert
from qsm.agents.tools.units import find_unit


@pytest.mark.parametrize(
    ("value", "source", "target", "expected"),
    [
        (3.5, "metres", "centimetres", 350),
        (5, "km", "miles", 3.106855961),
        (1, "mile", "feet", 5280),
        (12, "inches", "ft", 1),
        (1, "kilometer", "m", 1000),
        (100, "yards", "metres", 91.44),
        (1, "nautical mile", "km", 1.852),
        (3, "kg", "lb", 6.613867866),
        (1, "pound", "ounces", 16),
        (1, "stone", "pounds", 14),
        (1, "tonne", "kilograms", 1000),
        (1, "ton", "lbs", 2000),
        (500, "mg", "g", 0.5),
        (2, "hours", "minutes", 120),
        (1, "day", "seconds", 86400),
        (1, "week", "days", 7),
        (1, "year", "days", 365),
        (1500, "ms", "s", 1.5),
        (1, "gallon", "litres", 3.785411784),
        (1, "litre", "ml", 1000),
        (1, "imperial gallon", "liters", 4.54609),
        (1, "cup", "fl oz", 8),
        (1, "tablespoon", "teaspoons", 3),
        (1, "m³", "litres", 1000),
        (1, "cubic feet", "litres", 28.31684659),
        (1, "square miles", "acres", 640),
        (1, "hectare", "m2", 10000),
        (1, "sq ft", "square inches", 144),
        (1, "km²", "sq m", 1e6),
        (60, "mph", "km/h", 96.56064),
        (10, "m/s", "kilometres per hour", 36),
        (1, "knot", "km/h", 1.852),
        (100, "miles per hour", "m/s", 44.704),
        (2, "GB", "MB", 2000),
        (1, "GiB", "MiB", 1024),
        (1, "TB", "GB", 1000),
        (1, "KiB", "B", 1024),
        (8, "bits", "bytes", 1),
        (1, "megabit", "kilobytes", 125),
        (100, "°F", "celsius", 37.77777778),
        (-40, "C", "F", -40),
        (0, "celsius", "kelvin", 273.15),
        (212, "degrees fahrenheit", "degrees celsius", 100),
        (0, "K", "°F", -459.67),
        (300, "kelvins", "deg C", 26.85),
    ],
)
def test_converts(value: float, source: str, target: str, expected: float) -> None:
    result, _, _ = convert(value, source, target)
    assert result == pytest.approx(expected, rel=1e-9, abs=1e-9)


@pytest.mark.parametrize(
    ("spellings", "symbol"),
    [
        (["km", "KM", "kilometre", "kilometres", "kilometer", "kilometers", "kms"], "km"),
        (["mi", "mile", "miles", "Miles"], "mi"),
        (["ft", "foot", "feet"], "ft"),
        (["in", "inch", "inches"], "in"),
        (["lb", "lbs", "pound", "pounds"], "lb"),
        (["°F", "F", "fahrenheit", "degrees Fahrenheit", "degF", "º F"], "°F"),
        (["°C", "c", "celsius", "Centigrade", "degrees celsius"], "°C"),
        (["h", "hr", "hrs", "hour", "hours"], "h"),
        (["l", "L", "litre", "litres", "liter", "liters"], "l"),
        (["g", "gram", "grams", "gramme"], "g"),
        (["µm", "um", "micrometre", "microns"], "um"),
        (["MB", "mb", "megabyte", "megabytes"], "MB"),
        (["GiB", "gib", "gibibytes"], "GiB"),
        (["km/h", "kph", "km / h", "kilometres per hour"], "km/h"),
        (["mph", "miles per hour", "mi/h"], "mph"),
    ],
)
def test_many_spellings_name_one_unit(spellings: list[str], symbol: str) -> None:
    for spelling in spellings:
        unit = find_unit(spelling)
        assert unit is not None and unit.symbol == symbol, spelling


@pytest.mark.parametrize(
    ("source", "target", "message"),
    [
        ("kg", "metres", "cannot convert kg (mass) to m (length)"),
        ("GB", "seconds", "cannot convert GB (data size) to s (time)"),
        ("°C", "km", "cannot convert °C (temperature) to km (length)"),
        ("furlongs", "m", "unknown unit 'furlongs'"),
        ("m", "parsecs", "unknown unit 'parsecs'"),
        ("degrees", "m", "unknown unit"),
        ("square kg", "m2", "unknown unit"),
    ],
)
def test_clear_errors(source: str, target: str, message: str) -> None:
    with pytest.raises(ToolError) as info:
        convert(1, source, target)
    assert message in info.value.message


def test_below_absolute_zero_is_refused() -> None:
    with pytest.raises(ToolError, match="below absolute zero"):
        convert(-500, "°F", "°C")


def test_tool_output_is_exact_text_and_value() -> None:
    output = UnitConverter().run(ConvertArgs(value=100, from_unit="fahrenheit", to_unit="C"))
    assert output.text == "100 °F = 37.77777778 °C"
    assert output.value == pytest.approx(37.7777777778)
    assert UnitConverter().run(ConvertArgs(value=3.5, from_unit="m", to_unit="cm")).text == "3.5 m = 350 cm"
