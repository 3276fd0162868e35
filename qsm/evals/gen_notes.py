"""Team-set category ``notes``: a question over 3-5 short numbered notes about made-up things; the answer must
state the fact of the right note and cite it as ``[n]`` (checker ``cites``).

The other notes are distractors: the same attribute of similar made-up things, and sometimes another
attribute of the asked thing. The right note's position is drawn uniformly.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass

from qsm.evals.gen_common import Draft, Maker, fictional_person, fictional_place, pick

__all__ = ["FAMILIES", "MAKERS", "Family", "notes_request"]

Value = tuple[str, list[str]]
"""A fact's value as written in the note, and the aliases that count as stating it."""

_MONTHS = [
    "January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
    "November", "December",
]  # fmt: skip
_DISHES = [
    "lentil soup", "barley stew", "plum dumplings", "smoked trout", "onion tart", "fish pie", "apple cake",
    "pea fritters", "mushroom pie", "beet salad",
]  # fmt: skip
_ANIMALS = ["heron", "badger", "otter", "falcon", "lynx", "hare", "stag", "kestrel", "bison", "raven"]
_COLOURS = ["maroon", "teal", "amber", "olive", "navy", "crimson", "ochre", "violet"]
_FRUITS = [("pears", "pear"), ("plums", "plum"), ("cherries", "cherry"), ("quinces", "quince"),
           ("apricots", "apricot"), ("apples", "apple")]  # fmt: skip


def _year(rng: random.Random) -> Value:
    year = str(rng.randint(1820, 1990))
    return year, [year]


def _person(rng: random.Random) -> Value:
    name = fictional_person(rng)
    return name, [name]


def _count(lo: int, hi: int) -> Callable[[random.Random], Value]:
    def draw(rng: random.Random) -> Value:
        value = rng.randint(lo, hi)
        shown = f"{value:,}"
        return shown, sorted({shown, str(value)})

    return draw


def _choice(options: list[str]) -> Callable[[random.Random], Value]:
    def draw(rng: random.Random) -> Value:
        value = pick(rng, options)
        return value, [value]

    return draw


def _fruit(rng: random.Random) -> Value:
    plural, singular = _FRUITS[rng.randrange(len(_FRUITS))]
    return plural, [plural, singular]


@dataclass(frozen=True)
class Family:
    """A kind of made-up thing, one attribute asked about, and one other attribute used as a distractor."""

    entity: str
    value: Callable[[random.Random], Value]
    fact: str
    questions: tuple[str, ...]
    other: str
    other_value: Callable[[random.Random], Value]


FAMILIES: list[Family] = [
    Family("the {p} Bridge", _year, "{E} was completed in {v}.",
           ("When was {e} completed?", "In which year was {e} finished?"),
           "{E} is {v} metres long.", _count(60, 900)),
    Family("the {p} lighthouse", _person, "The keeper of {e} is {v}.",
           ("Who keeps {e}?", "Who is the keeper of {e}?"),
           "{E} is {v} metres tall.", _count(12, 70)),
    Family("the village of {p}", _year, "{E} was founded in {v}.",
           ("When was {e} founded?", "In what year was {e} founded?"),
           "{E} has {v} inhabitants.", _count(200, 4000)),
    Family("the ship {p}", _person, "{E} is captained by {v}.",
           ("Who captains {e}?", "Who is the captain of {e}?"),
           "{E} was launched in {v}.", _year),
    Family("the {p} Workshop", _person, "{E} was founded by {v}.",
           ("Who founded {e}?", "Which person founded {e}?"),
           "{E} employs {v} people.", _count(8, 400)),
    Family("the {p} Festival", _choice(_MONTHS), "{E} is held every {v}.",
           ("In which month is {e} held?", "When in the year does {e} take place?"),
           "{E} has {v} stalls.", _count(20, 300)),
    Family("the river {p}", _count(40, 900), "{E} is {v} km long.",
           ("How long is {e}?", "What is the length of {e} in kilometres?"),
           "{E} rises near the town of {v}.", lambda rng: (fictional_place(rng), [])),
    Family("the {p} Library", _count(8000, 90000), "{E} holds {v} books.",
           ("How many books does {e} hold?", "How many books are in {e}?"),
           "{E} opened in {v}.", _year),
    Family("the {p} café", _choice(_DISHES), "The signature dish of {e} is {v}.",
           ("What is the signature dish of {e}?", "Which dish is {e} known for?"),
           "{E} seats {v} guests.", _count(12, 120)),
    Family("the {p} Rovers", _choice(_ANIMALS), "The mascot of {e} is a {v}.",
           ("What animal is the mascot of {e}?", "Which animal do {e} have as their mascot?"),
           "{E} were formed in {v}.", _year),
    Family("the {p} Academy", _choice(_COLOURS), "The uniform colour of {e} is {v}.",
           ("What colour is the uniform of {e}?", "Which colour do pupils of {e} wear?"),
           "{E} has {v} pupils.", _count(90, 1500)),
    Family("the {p} orchard", _fruit, "{E} grows mainly {v}.",
           ("What does {e} mainly grow?", "Which fruit is {e} mostly planted with?"),
           "{E} covers {v} hectares.", _count(3, 90)),
]  # fmt: skip
"""Every note family; the generator cycles through them."""

_LAYOUTS = [
    "Notes:\n{notes}\nQuestion: {q}\nAnswer and cite the note you used as [n].",
    "Use the notes below to answer. Cite the supporting note in square brackets, like [2].\n{notes}\n"
    "Question: {q}",
    "{q}\nNotes:\n{notes}\nCite the note number, for example [1].",
    "Read these notes:\n{notes}\n{q} Give the answer with the number of its note in brackets.",
    "Question: {q}\nNotes:\n{notes}\nAnswer briefly and cite your source note as [n].",
]


def _cap(text: str) -> str:
    return text[0].upper() + text[1:]


def notes_request(rng: random.Random, notes: list[str], question: str) -> str:
    """A request with the numbered ``notes`` and the ``question`` in one of several layouts."""
    numbered = "\n".join(f"[{index}] {note}" for index, note in enumerate(notes, start=1))
    return pick(rng, _LAYOUTS).format(notes=numbered, q=question)


def _unique_entity(rng: random.Random, family: Family, used: set[str]) -> str:
    while True:
        place = fictional_place(rng)
        if place not in used:
            used.add(place)
            return family.entity.format(p=place)


def _sentence(template: str, entity: str, value: str) -> str:
    return template.format(E=_cap(entity), e=entity, v=value)


def _family_maker(family: Family) -> Maker:
    def make(rng: random.Random) -> Draft:
        used: set[str] = set()
        right = rng.randint(1, 5)
        total = rng.randint(max(3, right), 5)
        entity = _unique_entity(rng, family, used)
        value, aliases = family.value(rng)
        seen_values = {value}
        notes: list[str] = []
        distractors: list[str] = []
        other_slot = rng.randrange(total) if rng.random() < 0.5 else -1
        for index in range(1, total + 1):
            if index == right:
                notes.append(_sentence(family.fact, entity, value))
            elif index - 1 == other_slot:
                other, _ = family.other_value(rng)
                while other in seen_values:
                    other, _ = family.other_value(rng)
                seen_values.add(other)
                notes.append(_sentence(family.other, entity, other))
            else:
                other_entity = _unique_entity(rng, family, used)
                other_value, other_aliases = family.value(rng)
                while other_value in seen_values or set(other_aliases) & set(aliases):
                    other_value, other_aliases = family.value(rng)
                seen_values.add(other_value)
                distractors.extend(other_aliases)
                notes.append(_sentence(family.fact, other_entity, other_value))
        question = pick(rng, list(family.questions)).format(e=entity)
        gold = {
            "aliases": aliases,
            "note": right,
            "notes": total,
            "distractors": distractors,
            "answer": f"{_sentence(family.fact, entity, value)[:-1]} [{right}].",
        }
        return notes_request(rng, notes, question), "cites", gold

    make.__name__ = f"notes_{family.entity.split()[-1].lower()}"
    return make


MAKERS: list[Maker] = [_family_maker(family) for family in FAMILIES]
"""One template per note family."""
