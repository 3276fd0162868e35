"""Team-set category ``multistep``: requests that need two or more steps with one checkable result: chained
arithmetic, convert then compute, compute then compare (yes/no), a note lookup then arithmetic on the noted
number, a known fact then a simple transformation. Scored by ``contains_any`` (numeric) or ``yes_no``."""

from __future__ import annotations

import random
from dataclasses import dataclass

from qsm.evals.gen_arithmetic import numeric
from qsm.evals.gen_common import Draft, Maker, fictional_place, fmt, pick
from qsm.evals.gen_notes import notes_request

__all__ = ["makers"]


def _chained(rng: random.Random) -> Draft:
    kind = rng.randrange(5)
    if kind == 0:
        c = rng.randint(3, 12)
        total = c * rng.randint(3, 40)
        a = rng.randint(1, total - 1)
        b = total - a
        request = pick(
            rng, [f"Add {a} and {b}, then divide by {c}.", f"Sum {a} and {b} and divide the result by {c}."]
        )
        return numeric(request, total // c, 0, f"{a} + {b} = {total}, and {total} ÷ {c} = {total // c}.")
    if kind == 1:
        a, b = rng.randint(3, 40), rng.randint(3, 40)
        c = rng.randint(1, a * b - 1)
        value = a * b - c
        request = pick(
            rng, [f"Multiply {a} by {b}, then subtract {c}.", f"Take {a} times {b} and then take away {c}."]
        )
        return numeric(request, value, 0, f"{a} × {b} = {a * b}, and {a * b} - {c} = {value}.")
    if kind == 2:
        a, b = rng.randint(11, 500), rng.randint(3, 99)
        value = 2 * a + b
        request = pick(rng, [f"Take {a}, double it, then add {b}.", f"Double {a} and add {b} to the result."])
        return numeric(request, value, 0, f"2 × {a} = {2 * a}, and {2 * a} + {b} = {value}.")
    if kind == 3:
        a = rng.randint(30, 200)
        b, c = rng.randint(1, a - 1), rng.randint(2, 9)
        value = (a - b) * c
        request = pick(rng, [
            f"Start with {a}. Subtract {b}, then multiply the result by {c}.",
            f"From {a} take away {b}, and multiply what is left by {c}.",
        ])  # fmt: skip
        return numeric(request, value, 0, f"{a} - {b} = {a - b}, and {a - b} × {c} = {value}.")
    c = rng.randint(2, 9)
    total = c * rng.randint(4, 50)
    a = rng.randint(1, total - 1)
    d = rng.randint(2, 60)
    value = total // c + d
    request = f"Add {a} and {total - a}, divide the sum by {c}, then add {d}. What is the result?"
    return numeric(request, value, 0, f"{a} + {total - a} = {total}; {total} ÷ {c} = {total // c}; "
                                      f"{total // c} + {d} = {value}.")  # fmt: skip


def _convert_compute(rng: random.Random) -> Draft:
    kind = rng.randrange(5)
    if kind == 0:
        h, m = rng.randint(2, 9), rng.randint(5, 55)
        value = h * 60 + m
        request = f"Convert {h} hours to minutes, then add {m} minutes. How many minutes is that in total?"
        return numeric(request, value, 0, f"{h} h = {h * 60} min; {h * 60} + {m} = {value} minutes.")
    if kind == 1:
        grams = pick(rng, ["250", "500", "200", "100", "125"])
        g = int(grams)
        bags = rng.randint(4, 60)
        kg = bags * g / 1000
        request = f"{fmt(kg)} kg of flour is packed into bags of {g} g each. How many bags are filled?"
        return numeric(
            request, bags, 0, f"{fmt(kg)} kg = {fmt(kg * 1000)} g; {fmt(kg * 1000)} ÷ {g} = {bags} bags."
        )
    if kind == 2:
        laps, metres = rng.randint(3, 40), pick(rng, ["200", "250", "400", "500"])
        km = laps * int(metres) / 1000
        request = f"A runner does {laps} laps of {metres} metres. How many kilometres is that?"
        return numeric(
            request, km, 0.001, f"{laps} × {metres} m = {fmt(laps * int(metres))} m = {fmt(km)} km."
        )
    if kind == 3:
        per_cake = pick(rng, ["150", "200", "250", "300", "400"])
        cakes = rng.randint(3, 30)
        litres = cakes * int(per_cake) / 1000
        request = (f"A cake needs {per_cake} mL of milk. How many cakes can be made with exactly {fmt(litres)} "
                   "litres of milk?")  # fmt: skip
        return numeric(request, cakes, 0, f"{fmt(litres)} L = {fmt(litres * 1000)} mL; "
                                          f"{fmt(litres * 1000)} ÷ {per_cake} = {cakes} cakes.")  # fmt: skip
    h, m = rng.randint(1, 3), rng.randint(1, 59)
    value = (h * 60 + m) * 60
    request = f"A film lasts {h} hours and {m} minutes. How many seconds long is it?"
    return numeric(request, value, 0, f"{h} h {m} min = {h * 60 + m} min = {fmt(value)} seconds.")


class _Compare:
    """Compute-then-compare questions; alternates yes and no so the kind stays balanced."""

    def __init__(self) -> None:
        self._calls = 0
        self.__name__ = "compare"

    def __call__(self, rng: random.Random) -> Draft:
        yes = self._calls % 2 == 0
        self._calls += 1
        kind = rng.randrange(4)
        if kind == 0:
            a, b = rng.randint(6, 60), rng.randint(6, 60)
            product = a * b
            c = product - rng.randint(1, 30) if yes else product + rng.randint(0, 30)
            question, why = f"Is {a} × {b} greater than {c}?", f"{a} × {b} = {product}."
        elif kind == 1:
            p, n = pick(rng, ["10", "15", "20", "25", "40"]), rng.randint(2, 50) * 20
            part = int(p) * n // 100
            m = part - rng.randint(1, 20) if yes else part + rng.randint(0, 20)
            question, why = f"Is {p}% of {n} more than {m}?", f"{p}% of {n} is {part}."
        elif kind == 2:
            a, b, c = rng.randint(10, 300), rng.randint(10, 300), rng.randint(10, 300)
            total = a + b + c
            d = total + rng.randint(1, 40) if yes else total - rng.randint(0, 40)
            question, why = f"Is the sum of {a}, {b} and {c} less than {d}?", f"The sum is {total}."
        else:
            km = rng.randint(12, 95) / 10
            metres = round(km * 1000)
            m = metres - rng.randint(1, 400) if yes else metres + rng.randint(0, 400)
            question, why = f"Is {fmt(km)} km more than {m} metres?", f"{fmt(km)} km = {metres} m."
        request = question + pick(
            rng, [" Answer yes or no.", " Yes or no?", " Work it out, then say yes or no."]
        )
        verdict = "yes" if yes else "no"
        return request, "yes_no", {"yes_no": verdict, "answer": f"{verdict.capitalize()}. {why}"}


@dataclass(frozen=True)
class _Lookup:
    thing: str
    fact: str
    question: str
    unit: str
    lo: int
    hi: int


_LOOKUPS = [
    _Lookup("the {p} depot", "{E} stores {v} crates per shelf.", "How many crates fit on {k} shelves at {e}?",
            "crates", 12, 150),
    _Lookup("the {p} Festival", "A ticket to {e} costs {v} euros.", "How many euros do {k} tickets to {e} cost?",
            "euros", 6, 90),
    _Lookup("the {p} orchard", "Each tree at {e} yields {v} kg of fruit.",
            "How many kilograms of fruit do {k} trees at {e} yield?", "kg", 15, 120),
    _Lookup("the {p} Inn", "A room at {e} costs {v} pounds per night.",
            "How many pounds does a {k}-night stay at {e} cost?", "pounds", 40, 180),
    _Lookup("the {p} ferry", "{E} carries {v} passengers per crossing.",
            "How many passengers can {e} carry in {k} crossings?", "passengers", 20, 300),
]  # fmt: skip


def _cap(text: str) -> str:
    return text[0].upper() + text[1:]


class _NoteLookup:
    """Note lookup then arithmetic; cycles through the lookup families so each appears in turn."""

    def __init__(self) -> None:
        self._calls = 0
        self.__name__ = "note_lookup"

    def __call__(self, rng: random.Random) -> Draft:
        lookup = _LOOKUPS[self._calls % len(_LOOKUPS)]
        self._calls += 1
        return _note_lookup(rng, lookup)


def _note_lookup(rng: random.Random, lookup: _Lookup) -> Draft:
    right = rng.randint(1, 5)
    total = rng.randint(max(3, right), 5)
    places: set[str] = set()
    values: set[int] = set()
    notes: list[str] = []
    entity, value = "", 0
    for index in range(1, total + 1):
        place = fictional_place(rng)
        while place in places:
            place = fictional_place(rng)
        places.add(place)
        thing = lookup.thing.format(p=place)
        number = rng.randint(lookup.lo, lookup.hi)
        while number in values:
            number = rng.randint(lookup.lo, lookup.hi)
        values.add(number)
        notes.append(lookup.fact.format(E=_cap(thing), e=thing, v=number))
        if index == right:
            entity, value = thing, number
    k = rng.randint(3, 12)
    result = value * k
    request = notes_request(rng, notes, lookup.question.format(e=entity, k=k))
    answer = (f"{lookup.fact.format(E=_cap(entity), e=entity, v=value)[:-1]} [{right}], so the answer is "
              f"{value} × {k} = {result} {lookup.unit}.")  # fmt: skip
    return numeric(request, result, 0, answer)


_KNOWN_NUMBERS = [
    ("legs a spider has", 8), ("days in a week", 7), ("hours in a day", 24), ("months in a year", 12),
    ("sides of a triangle", 3), ("sides of a hexagon", 6), ("minutes in an hour", 60), ("legs an insect has", 6),
    ("weeks in a year", 52), ("strings on a standard violin", 4), ("planets in our Solar System", 8),
    ("sides of an octagon", 8), ("centimetres in a metre", 100), ("days in a leap year", 366),
]  # fmt: skip
_LETTER_COUNTS = [
    ("the capital of Italy", "Rome"), ("the capital of France", "Paris"), ("the largest planet", "Jupiter"),
    ("the capital of Japan", "Tokyo"), ("the planet known as the Red Planet", "Mars"),
    ("the author of Romeo and Juliet (surname only)", "Shakespeare"), ("the capital of Egypt", "Cairo"),
]  # fmt: skip


def _fact_transform(rng: random.Random) -> Draft:
    if rng.random() < 0.25:
        what, word = _LETTER_COUNTS[rng.randrange(len(_LETTER_COUNTS))]
        k = rng.randint(2, 9)
        value = len(word) * k
        request = f"Count the letters in the name of {what}, then multiply that count by {k}."
        return numeric(request, value, 0, f"{word} has {len(word)} letters; {len(word)} × {k} = {value}.")
    thing, number = _KNOWN_NUMBERS[rng.randrange(len(_KNOWN_NUMBERS))]
    kind = rng.randrange(3)
    k = rng.randint(2, 15)
    if kind == 0:
        value = number * k
        request = pick(rng, [f"Take the number of {thing} and multiply it by {k}.",
                             f"Multiply the number of {thing} by {k}."])  # fmt: skip
        return numeric(request, value, 0, f"The number of {thing} is {number}; {number} × {k} = {value}.")
    if kind == 1:
        value = number + k
        request = f"Add {k} to the number of {thing}. What do you get?"
        return numeric(request, value, 0, f"The number of {thing} is {number}; {number} + {k} = {value}.")
    k = rng.randint(1, number - 1)
    value = number - k
    request = f"Subtract {k} from the number of {thing}."
    return numeric(request, value, 0, f"The number of {thing} is {number}; {number} - {k} = {value}.")


def makers() -> list[Maker]:
    """Fresh templates (the compare template keeps its yes/no alternation per build), in cycle order."""
    return [_chained, _convert_compute, _Compare(), _NoteLookup(), _fact_transform]
