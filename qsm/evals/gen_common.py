"""Shared pieces of the team-set generator: the item shape, number formatting, number words, fictional names.

Only ``build_team_set`` and its ``gen_*`` modules use these; nothing here is meant for training data.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any

__all__ = [
    "Draft",
    "Maker",
    "fictional_person",
    "fictional_place",
    "fmt",
    "pick",
    "round_robin",
    "words_for",
]

Draft = tuple[str, str, dict[str, Any]]
"""One generated item before it gets an id: (request, checker name, gold)."""

Maker = Callable[[random.Random], Draft]
"""A template: draws its numbers and phrasing from the generator's random source."""

_SMALL = [
    "zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve",
    "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen",
]  # fmt: skip
_TENS = ["", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]

_SYLLABLES_START = [
    "Al", "Bel", "Cor", "Dun", "El", "Fen", "Gar", "Hal", "Is", "Jor", "Kel", "Lor", "Mar", "Nor", "Or",
    "Pel", "Quin", "Ros", "Sel", "Tor", "Ul", "Val", "Wen", "Yar", "Zel", "Brin", "Cal", "Dra", "Hest", "Mor",
]  # fmt: skip
_SYLLABLES_MID = ["a", "e", "i", "o", "u", "ar", "en", "is", "or", "ul", "am", "ev"]
_SYLLABLES_END = [
    "by", "dale", "ford", "holm", "mere", "ton", "wick", "vard", "nor", "ven", "sk", "dor", "rin", "wyn", "mont",
]  # fmt: skip
_FIRST_NAMES = [
    "Idris", "Maren", "Tobin", "Elsa", "Corwin", "Ilse", "Bram", "Odile", "Fenna", "Lasse", "Rhea", "Anselm",
    "Petra", "Osric", "Liv", "Ruben", "Nadia", "Tamsin", "Jory", "Wilma", "Emrys", "Greta", "Hale", "Signe",
]  # fmt: skip


def pick(rng: random.Random, options: list[str]) -> str:
    """One of ``options``."""
    return options[rng.randrange(len(options))]


def fmt(value: float) -> str:
    """A number as a person writes it: no trailing ``.0``, thousands grouped with commas from 10,000."""
    if float(value).is_integer():
        integer = int(value)
        return f"{integer:,}" if abs(integer) >= 10_000 else str(integer)
    return f"{value:.10g}"


def words_for(n: int) -> str:
    """English words for 0 <= n < 10,000 ("two hundred and forty-five")."""
    if not 0 <= n < 10_000:
        raise ValueError(f"words_for handles 0..9999, got {n}")
    if n < 20:
        return _SMALL[n]
    if n < 100:
        tens, unit = divmod(n, 10)
        return _TENS[tens] + (f"-{_SMALL[unit]}" if unit else "")
    if n < 1000:
        hundreds, rest = divmod(n, 100)
        return f"{_SMALL[hundreds]} hundred" + (f" and {words_for(rest)}" if rest else "")
    thousands, rest = divmod(n, 1000)
    if rest == 0:
        return f"{_SMALL[thousands]} thousand"
    joiner = " and " if rest < 100 else " "
    return f"{_SMALL[thousands]} thousand{joiner}{words_for(rest)}"


def fictional_place(rng: random.Random) -> str:
    """A made-up proper name ("Halvarby", "Corendale") that no model can know facts about."""
    parts = [pick(rng, _SYLLABLES_START)]
    if rng.random() < 0.6:
        parts.append(pick(rng, _SYLLABLES_MID))
    parts.append(pick(rng, _SYLLABLES_END))
    return "".join(parts)


def fictional_person(rng: random.Random) -> str:
    """A made-up full name ("Maren Torwick")."""
    return f"{pick(rng, _FIRST_NAMES)} {fictional_place(rng)}"


def round_robin(rng: random.Random, makers: list[Maker], count: int, seen: set[str]) -> list[Draft]:
    """``count`` drafts cycling through ``makers`` in order, redrawing any request already in ``seen``.

    Cycling keeps every prefix of the category balanced across templates, so a runner that takes the first
    N items of a category still sees every kind of request.
    """
    drafts: list[Draft] = []
    for index in range(count):
        maker = makers[index % len(makers)]
        for _ in range(200):
            draft = maker(rng)
            if draft[0] not in seen:
                break
        else:
            raise RuntimeError(f"template {maker.__name__} keeps repeating itself; widen its ranges")
        seen.add(draft[0])
        drafts.append(draft)
    return drafts
