"""Team-set category ``arithmetic``: arithmetic and unit conversion in words and symbols, scored by
``contains_any`` on a numeric gold."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass

from qsm.evals.gen_common import Draft, Maker, fmt, pick, words_for

__all__ = ["MAKERS", "numeric"]


def numeric(request: str, value: float, tol: float, answer: str) -> Draft:
    """A ``contains_any`` draft with a numeric gold."""
    return request, "contains_any", {"number": value, "tol": tol, "answer": answer}


def _add(rng: random.Random) -> Draft:
    a, b = rng.randint(11, 999), rng.randint(11, 999)
    request = pick(rng, [
        f"What is {a} + {b}?", f"Add {a} and {b}.", f"What do you get when you add {a} to {b}?",
        f"Compute {a} plus {b}.", f"What's the sum of {a} and {b}?", f"{a} + {b} = ?",
    ])  # fmt: skip
    return numeric(request, a + b, 0, f"{a} + {b} = {a + b}")


def _subtract(rng: random.Random) -> Draft:
    a = rng.randint(100, 2000)
    b = rng.randint(10, a - 1)
    request = pick(rng, [
        f"What is {a} - {b}?", f"Subtract {b} from {a}.", f"{a} minus {b} equals what?",
        f"How much is {a} take away {b}?", f"What is the difference between {a} and {b}?", f"{a} − {b} = ?",
    ])  # fmt: skip
    return numeric(request, a - b, 0, f"{a} - {b} = {a - b}")


def _multiply(rng: random.Random) -> Draft:
    a, b = rng.randint(3, 99), rng.randint(3, 99)
    request = pick(rng, [
        f"What is {a} × {b}?", f"{a} * {b} = ?", f"Multiply {a} by {b}.", f"What is {a} times {b}?",
        f"What is the product of {a} and {b}?", f"Calculate {a} x {b}.",
    ])  # fmt: skip
    return numeric(request, a * b, 0, f"{a} × {b} = {a * b}")


def _divide(rng: random.Random) -> Draft:
    b, q = rng.randint(3, 25), rng.randint(4, 99)
    p = b * q
    request = pick(rng, [
        f"What is {p} ÷ {b}?", f"Divide {p} by {b}.", f"{p} / {b} = ?", f"How many times does {b} go into {p}?",
        f"What is {p} divided by {b}?", f"Split {p} into {b} equal parts. How big is each part?",
    ])  # fmt: skip
    return numeric(request, q, 0, f"{p} ÷ {b} = {q}")


def _percent(rng: random.Random) -> Draft:
    p = pick(rng, ["5", "10", "12", "15", "20", "25", "30", "35", "40", "45", "60", "75", "80", "90"])
    n = rng.randint(3, 60) * 20
    value = int(p) * n / 100
    request = pick(rng, [
        f"What is {p}% of {n}?", f"Calculate {p} percent of {n}.", f"Find {p}% of {n}.",
        f"How much is {p} per cent of {n}?", f"What is {p}% of {n}? Give the number.",
    ])  # fmt: skip
    return numeric(request, value, 0.001, f"{p}% of {n} is {fmt(value)}")


_ORDINALS = {2: "second", 3: "third", 4: "fourth", 5: "fifth", 6: "sixth"}


def _power(rng: random.Random) -> Draft:
    kind = rng.randrange(4)
    if kind == 0:
        base = rng.randint(11, 40)
        request = pick(rng, [f"What is {base} squared?", f"Square {base}.", f"What is {base}²?"])
        return numeric(request, base**2, 0, f"{base}² = {base**2}")
    if kind == 1:
        base = rng.randint(3, 21)
        request = pick(rng, [f"What is {base} cubed?", f"What is the cube of {base}?", f"What is {base}³?"])
        return numeric(request, base**3, 0, f"{base}³ = {base**3}")
    base = rng.randint(2, 9)
    exponent = rng.randint(4, 8) if base <= 4 else rng.randint(3, 5)
    value = base**exponent
    request = pick(rng, [
        f"What is {base} to the power of {exponent}?", f"{base}^{exponent} = ?", f"Compute {base}**{exponent}.",
        f"What is {base} raised to the {_ORDINALS.get(exponent, f'{exponent}th')} power?",
    ])  # fmt: skip
    return numeric(request, value, 0, f"{base}^{exponent} = {value}")


def _in_words(rng: random.Random) -> Draft:
    a, b = rng.randint(12, 99), rng.randint(2, 49)
    op = rng.randrange(3)
    if op == 0:
        verb, value, symbol = pick(rng, ["plus", "added to"]), a + b, "+"
    elif op == 1:
        verb, value, symbol = pick(rng, ["minus", "take away"]), a - b, "-"
    else:
        b = rng.randint(2, 12)
        verb, value, symbol = pick(rng, ["times", "multiplied by"]), a * b, "×"
    request = pick(rng, [
        f"What is {words_for(a)} {verb} {words_for(b)}?", f"How much is {words_for(a)} {verb} {words_for(b)}?",
        f"Tell me what {words_for(a)} {verb} {words_for(b)} makes.",
    ])  # fmt: skip
    return numeric(request, value, 0, f"{a} {symbol} {b} = {value}")


def _precedence(rng: random.Random) -> Draft:
    a, b, c = rng.randint(2, 60), rng.randint(2, 20), rng.randint(2, 12)
    if rng.random() < 0.5:
        value = a + b * c
        request = pick(
            rng, [f"What is {a} + {b} × {c}?", f"Evaluate {a} + {b} * {c}.", f"Compute {a} + {b}·{c}."]
        )
        return numeric(request, value, 0, f"{a} + {b} × {c} = {a} + {b * c} = {value}")
    value = (a + b) * c
    request = pick(
        rng, [f"What is ({a} + {b}) × {c}?", f"Evaluate ({a} + {b}) * {c}.", f"Compute ({a}+{b})*{c}."]
    )
    return numeric(request, value, 0, f"({a} + {b}) × {c} = {a + b} × {c} = {value}")


@dataclass(frozen=True)
class Unit:
    """One conversion: unit names, how to draw a value, the conversion, and how many decimals to keep."""

    src: str
    src_short: str
    dst: str
    dst_short: str
    draw: Callable[[random.Random], float]
    convert: Callable[[float], float]
    decimals: int | None = None
    hint: str = ""


def _tenths(lo: int, hi: int) -> Callable[[random.Random], float]:
    return lambda rng: rng.randint(lo * 10, hi * 10) / 10


def _ints(lo: int, hi: int, step: int = 1) -> Callable[[random.Random], float]:
    return lambda rng: float(rng.randrange(lo, hi + 1, step))


_LENGTH = [
    Unit("kilometres", "km", "metres", "m", _tenths(2, 60), lambda x: x * 1000),
    Unit("metres", "m", "centimetres", "cm", _tenths(2, 40), lambda x: x * 100),
    Unit("centimetres", "cm", "millimetres", "mm", _tenths(2, 90), lambda x: x * 10),
    Unit("miles", "mi", "kilometres", "km", _ints(2, 60), lambda x: x * 1.609344, 1),
    Unit("inches", "in", "centimetres", "cm", _ints(2, 60), lambda x: x * 2.54),
    Unit("feet", "ft", "inches", "in", _ints(2, 40), lambda x: x * 12),
]
_MASS = [
    Unit("kilograms", "kg", "grams", "g", _tenths(2, 50), lambda x: x * 1000),
    Unit("grams", "g", "kilograms", "kg", _ints(150, 9950, 50), lambda x: x / 1000),
    Unit("pounds", "lb", "kilograms", "kg", _ints(3, 200), lambda x: x * 0.45359237, 1),
    Unit("tonnes", "t", "kilograms", "kg", _tenths(2, 30), lambda x: x * 1000),
]
_TIME = [
    Unit("hours", "h", "minutes", "min", lambda rng: rng.randint(4, 48) / 4, lambda x: x * 60),
    Unit("minutes", "min", "seconds", "s", _ints(2, 180), lambda x: x * 60),
    Unit("days", "d", "hours", "h", _ints(2, 30), lambda x: x * 24),
    Unit("weeks", "wk", "days", "d", _ints(2, 52), lambda x: x * 7),
    Unit("hours", "h", "seconds", "s", _ints(2, 24), lambda x: x * 3600),
]
_TEMPERATURE = [
    Unit("degrees Celsius", "°C", "degrees Fahrenheit", "°F", _ints(-40, 200, 5), lambda c: c * 9 / 5 + 32),
    Unit(
        "degrees Fahrenheit",
        "°F",
        "degrees Celsius",
        "°C",
        lambda rng: float(32 + 9 * rng.randint(-8, 24)),
        lambda f: (f - 32) * 5 / 9,
    ),
    Unit("degrees Celsius", "°C", "kelvin", "K", _ints(-50, 300), lambda c: c + 273.15),
]
_DATA = [
    Unit("bytes", "B", "bits", "bit", _ints(3, 4096), lambda x: x * 8),
    Unit("gibibytes", "GiB", "mebibytes", "MiB", _ints(2, 64), lambda x: x * 1024),
    Unit("mebibytes", "MiB", "kibibytes", "KiB", _ints(2, 512), lambda x: x * 1024),
    Unit(
        "gigabytes", "GB", "megabytes", "MB", _tenths(1, 90), lambda x: x * 1000, hint=" Use 1 GB = 1000 MB."
    ),
    Unit("bits", "bit", "bytes", "B", _ints(8, 512, 8), lambda x: x / 8),
]
_VOLUME = [
    Unit("litres", "L", "millilitres", "mL", _tenths(1, 30), lambda x: x * 1000),
    Unit("millilitres", "mL", "litres", "L", _ints(250, 9750, 250), lambda x: x / 1000),
    Unit("US gallons", "gal", "litres", "L", _ints(2, 80), lambda x: x * 3.785411784, 1),
    Unit("cubic metres", "m³", "litres", "L", _tenths(1, 20), lambda x: x * 1000),
]


def _conversion(table: list[Unit]) -> Maker:
    def make(rng: random.Random) -> Draft:
        unit = table[rng.randrange(len(table))]
        x = unit.draw(rng)
        exact = unit.convert(x)
        shown = fmt(x)
        if unit.decimals is None:
            value, tol, rounding = round(exact, 6), 0.001, ""
        else:
            value = round(exact, unit.decimals)
            tol, rounding = 0.051, pick(rng, [" Round to one decimal place.", " (to one decimal place)"])
        request = pick(rng, [
            f"Convert {shown} {unit.src} to {unit.dst}.", f"How many {unit.dst} are in {shown} {unit.src}?",
            f"What is {shown} {unit.src} in {unit.dst}?", f"Express {shown} {unit.src} in {unit.dst}.",
            f"{shown} {unit.src_short} = ? {unit.dst_short}",
        ]) + unit.hint + rounding  # fmt: skip
        return numeric(request, value, tol, f"{shown} {unit.src_short} = {fmt(value)} {unit.dst_short}")

    make.__name__ = f"convert_{table[0].src.split()[0]}"
    return make


MAKERS: list[Maker] = [
    _add, _conversion(_LENGTH), _multiply, _conversion(_MASS), _percent, _conversion(_TIME), _subtract,
    _conversion(_TEMPERATURE), _power, _conversion(_DATA), _divide, _conversion(_VOLUME), _in_words, _precedence,
]  # fmt: skip
"""Arithmetic templates interleaved with conversions, in the order the generator cycles through them."""
