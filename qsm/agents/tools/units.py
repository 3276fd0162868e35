"""Units of measure and how their names are written: lookup (many spellings, plurals, composites) and
conversion between units of one dimension.

Dimensions: length, mass, time, volume, area, speed, data size and temperature. Names are matched
case-insensitively, so ``Mb`` is read as megabytes (write ``megabits`` for bits). Composite units are
built from parts: ``square``/``sq``/``…2``/``… squared`` of a length is an area, ``cubic``/``…3``/
``… cubed`` a volume, and ``length per time`` (``km/h``, ``miles per hour``) a speed. A US ``gallon``,
``pint``, ``cup``, ``fl oz`` and ``ton`` (short ton) are meant unless ``imperial``/``uk``/``long`` says
otherwise; a ``year`` is 365 days and a ``month`` a twelfth of that.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from qsm.agents.tools.errors import ToolError

__all__ = ["DIMENSIONS", "Dimension", "Unit", "convert", "find_unit", "lookup_unit"]

Dimension = Literal["length", "mass", "time", "volume", "area", "speed", "data size", "temperature"]
DIMENSIONS: tuple[Dimension, ...] = (
    "length", "mass", "time", "volume", "area", "speed", "data size", "temperature",
)  # fmt: skip


@dataclass(frozen=True)
class Unit:
    """A unit: ``base = (value + offset) * factor`` in its dimension's base unit (m, kg, s, m³, m², m/s,
    byte, kelvin)."""

    symbol: str
    dimension: Dimension
    factor: float
    offset: float = 0.0

    def to_base(self, value: float) -> float:
        return (value + self.offset) * self.factor

    def from_base(self, value: float) -> float:
        return value / self.factor - self.offset


_DAY = 86_400.0
_YEAR = 365 * _DAY
_LITRE = 1e-3
# symbol, dimension, factor, symbols and abbreviations (never pluralised), names (plurals generated)
_TABLE: list[tuple[str, Dimension, float, tuple[str, ...], tuple[str, ...]]] = [
    ("nm", "length", 1e-9, ("nm",), ("nanometre",)),
    ("um", "length", 1e-6, ("um", "µm"), ("micrometre", "micron")),
    ("mm", "length", 1e-3, ("mm",), ("millimetre",)),
    ("cm", "length", 1e-2, ("cm",), ("centimetre",)),
    ("dm", "length", 1e-1, ("dm",), ("decimetre",)),
    ("m", "length", 1.0, ("m",), ("metre",)),
    ("km", "length", 1e3, ("km", "kms"), ("kilometre",)),
    ("in", "length", 0.0254, ("in",), ("inch",)),
    ("ft", "length", 0.3048, ("ft",), ("foot",)),
    ("yd", "length", 0.9144, ("yd", "yds"), ("yard",)),
    ("mi", "length", 1609.344, ("mi",), ("mile", "statute mile")),
    ("nmi", "length", 1852.0, ("nmi",), ("nautical mile",)),
    ("ly", "length", 9.4607304725808e15, ("ly",), ("light year", "light-year", "lightyear")),
    ("ug", "mass", 1e-9, ("ug", "µg", "mcg"), ("microgram",)),
    ("mg", "mass", 1e-6, ("mg",), ("milligram",)),
    ("g", "mass", 1e-3, ("g", "gm"), ("gram", "gramme")),
    ("kg", "mass", 1.0, ("kg", "kgs"), ("kilogram", "kilogramme", "kilo")),
    ("t", "mass", 1e3, ("t",), ("tonne", "metric ton", "metric tonne")),
    ("oz", "mass", 0.028349523125, ("oz",), ("ounce",)),
    ("lb", "mass", 0.45359237, ("lb", "lbs"), ("pound",)),
    ("st", "mass", 6.35029318, ("st",), ("stone",)),
    ("ton", "mass", 907.18474, ("tn",), ("ton", "short ton", "us ton")),
    ("long ton", "mass", 1016.0469088, (), ("long ton", "imperial ton", "uk ton")),
    ("ns", "time", 1e-9, ("ns",), ("nanosecond",)),
    ("us", "time", 1e-6, ("us", "µs"), ("microsecond",)),
    ("ms", "time", 1e-3, ("ms", "msec"), ("millisecond",)),
    ("s", "time", 1.0, ("s", "sec", "secs"), ("second",)),
    ("min", "time", 60.0, ("min", "mins"), ("minute",)),
    ("h", "time", 3600.0, ("h", "hr", "hrs"), ("hour",)),
    ("d", "time", _DAY, ("d",), ("day",)),
    ("wk", "time", 7 * _DAY, ("wk", "wks"), ("week",)),
    ("fortnight", "time", 14 * _DAY, (), ("fortnight",)),
    ("month", "time", _YEAR / 12, ("mo", "mos"), ("month",)),
    ("yr", "time", _YEAR, ("yr", "yrs", "y"), ("year",)),
    ("decade", "time", 10 * _YEAR, (), ("decade",)),
    ("century", "time", 100 * _YEAR, (), ("century",)),
    ("ml", "volume", 1e-3 * _LITRE, ("ml", "cc"), ("millilitre",)),
    ("cl", "volume", 1e-2 * _LITRE, ("cl",), ("centilitre",)),
    ("dl", "volume", 1e-1 * _LITRE, ("dl",), ("decilitre",)),
    ("l", "volume", _LITRE, ("l", "ltr"), ("litre",)),
    ("gal", "volume", 3.785411784 * _LITRE, ("gal", "gals"), ("gallon", "us gallon")),
    ("imp gal", "volume", 4.54609 * _LITRE, ("imp gal",), ("imperial gallon", "uk gallon")),
    ("qt", "volume", 0.946352946 * _LITRE, ("qt",), ("quart", "us quart")),
    ("pt", "volume", 0.473176473 * _LITRE, ("pt",), ("pint", "us pint")),
    ("imp pt", "volume", 0.56826125 * _LITRE, ("imp pt",), ("imperial pint", "uk pint")),
    ("cup", "volume", 0.2365882365 * _LITRE, (), ("cup", "us cup")),
    ("fl oz", "volume", 29.5735295625e-3 * _LITRE, ("fl oz", "floz", "fl. oz"), ("fluid ounce",)),
    ("tbsp", "volume", 14.78676478125e-3 * _LITRE, ("tbsp", "tbs"), ("tablespoon",)),
    ("tsp", "volume", 4.92892159375e-3 * _LITRE, ("tsp",), ("teaspoon",)),
    ("ha", "area", 1e4, ("ha",), ("hectare",)),
    ("acre", "area", 4046.8564224, ("ac",), ("acre",)),
    ("mph", "speed", 0.44704, ("mi/h",), ()),
    ("km/h", "speed", 1 / 3.6, ("kph", "kmh", "kmph"), ()),
    ("kn", "speed", 1852 / 3600, ("kn", "kt", "kts"), ("knot",)),
    ("bit", "data size", 1 / 8, (), ("bit",)),
    ("B", "data size", 1.0, ("b",), ("byte",)),
    ("kbit", "data size", 125.0, ("kbit", "kbits"), ("kilobit",)),
    ("Mbit", "data size", 125e3, ("mbit", "mbits"), ("megabit",)),
    ("Gbit", "data size", 125e6, ("gbit", "gbits"), ("gigabit",)),
    ("KB", "data size", 1e3, ("kb", "kbyte"), ("kilobyte",)),
    ("MB", "data size", 1e6, ("mb", "mbyte"), ("megabyte",)),
    ("GB", "data size", 1e9, ("gb", "gbyte"), ("gigabyte",)),
    ("TB", "data size", 1e12, ("tb", "tbyte"), ("terabyte",)),
    ("PB", "data size", 1e15, ("pb",), ("petabyte",)),
    ("KiB", "data size", 1024.0, ("kib",), ("kibibyte",)),
    ("MiB", "data size", 1024.0**2, ("mib",), ("mebibyte",)),
    ("GiB", "data size", 1024.0**3, ("gib",), ("gibibyte",)),
    ("TiB", "data size", 1024.0**4, ("tib",), ("tebibyte",)),
    ("PiB", "data size", 1024.0**5, ("pib",), ("pebibyte",)),
    ("°C", "temperature", 1.0, ("c", "degc"), ("celsius", "centigrade")),
    ("°F", "temperature", 5 / 9, ("f", "degf"), ("fahrenheit",)),
    ("K", "temperature", 1.0, ("k", "degk"), ("kelvin",)),
]
_OFFSETS = {"°C": 273.15, "°F": 459.67}


def _plurals(name: str) -> list[str]:
    words = name.split(" ")
    last = words[-1]
    if last == "foot":
        plural = "feet"
    elif last == "century":
        plural = "centuries"
    elif re.search(r"(s|x|z|ch|sh)$", last):
        plural = last + "es"
    else:
        plural = last + "s"
    return [name, " ".join([*words[:-1], plural])]


def _spellings(name: str) -> list[str]:
    forms = {name}
    for british, american in (("metre", "meter"), ("litre", "liter"), ("gramme", "gram")):
        forms |= {form.replace(british, american) for form in forms}
    return sorted(forms)


def _normalise(text: str) -> str:
    text = text.strip().lower().replace("µ", "u").replace("μ", "u").replace("²", "2").replace("³", "3")
    text = text.replace("°", " ").replace("º", " ")
    text = re.sub(r"^(?:degrees?|deg)\b", " ", text.strip())
    text = re.sub(r"\s+per\s+", "/", text)
    text = re.sub(r"\s*/\s*", "/", text)
    return " ".join(text.split()).rstrip(".")


def _build_aliases() -> dict[str, Unit]:
    aliases: dict[str, Unit] = {}
    for symbol, dimension, factor, symbols, names in _TABLE:
        unit = Unit(symbol, dimension, factor, _OFFSETS.get(symbol, 0.0))
        forms = [symbol.lower(), *symbols]
        for name in names:
            for spelled in _spellings(name):
                forms.extend(_plurals(spelled))
        for form in forms:
            aliases.setdefault(_normalise(form), unit)
    return aliases


_ALIASES = _build_aliases()
_SQUARE = re.compile(r"^(?:square|sq\.?)\s+(.+)$|^(.+?)\s*(?:\^?2|squared)$")
_CUBIC = re.compile(r"^(?:cubic|cu\.?)\s+(.+)$|^(.+?)\s*(?:\^?3|cubed)$")


def find_unit(text: str) -> Unit | None:
    """The unit ``text`` names, or None."""
    key = _normalise(text)
    if not key or len(key) > 40:
        return None
    for candidate in (key, key.replace(" ", "")):
        if candidate in _ALIASES:
            return _ALIASES[candidate]
    if "/" in key:
        top, _, bottom = key.partition("/")
        distance, duration = find_unit(top), find_unit(bottom)
        if distance and duration and distance.dimension == "length" and duration.dimension == "time":
            symbol = f"{distance.symbol}/{duration.symbol}"
            return _ALIASES.get(symbol) or Unit(symbol, "speed", distance.factor / duration.factor)
        return None
    powers: tuple[tuple[re.Pattern[str], int, Dimension], ...] = ((_SQUARE, 2, "area"), (_CUBIC, 3, "volume"))
    for pattern, power, dimension in powers:
        if match := pattern.match(key):
            base = find_unit(match.group(1) or match.group(2))
            if base is not None and base.dimension == "length":
                return Unit(f"{base.symbol}{'²' if power == 2 else '³'}", dimension, base.factor**power)
    return None


def units_named(text: str) -> set[str]:
    """The symbols of the units ``text`` names, as words or phrases of up to three words ("16km", "square
    metres", "km per hour")."""
    words = re.findall(r"[^\W\d_][\w°/.²³]*|°[CFK]", text)
    named: set[str] = set()
    for size in (1, 2, 3):
        for start in range(len(words) - size + 1):
            unit = find_unit(" ".join(words[start : start + size]))
            if unit is not None:
                named.add(unit.symbol)
    return named


def lookup_unit(text: str) -> Unit:
    """The unit ``text`` names; :class:`ToolError` naming what is known when it names none."""
    unit = find_unit(text)
    if unit is None:
        raise ToolError(
            f"unknown unit {text.strip()[:40]!r}",
            hint="use a unit of length (m, km, mi, ft), mass (kg, lb), time (s, h), volume (l, gal), area "
            "(m2, acre), speed (km/h, mph), data size (MB, GiB) or temperature (°C, °F, K)",
        )
    return unit


def convert(value: float, from_unit: str, to_unit: str) -> tuple[float, Unit, Unit]:
    """``value`` in ``from_unit`` expressed in ``to_unit``, with both units; :class:`ToolError` when a unit
    is unknown or the two measure different things."""
    source, target = lookup_unit(from_unit), lookup_unit(to_unit)
    if source.dimension != target.dimension:
        raise ToolError(
            f"cannot convert {source.symbol} ({source.dimension}) to {target.symbol} ({target.dimension})",
            hint="both units must measure the same thing",
        )
    result = target.from_base(source.to_base(value))
    if source.dimension == "temperature" and source.to_base(value) < 0:
        raise ToolError(f"{value} {source.symbol} is below absolute zero")
    return result, source, target
