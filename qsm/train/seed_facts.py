"""Invented facts about projects, people and services, written as numbered notes with distractors: the
grounded questions of WeQ (notes recalled from memory), of requests that carry their own notes, and of Ref's
wrong-note cases. No model can know these facts; it has to read them from the notes."""

from __future__ import annotations

from dataclasses import dataclass

from qsm.train.seed_common import Seeds
from qsm.train.seed_vocab import CITIES, MONTHS, PEOPLE, PROJECTS, SERVICES, TEAMS

__all__ = ["FACTS", "KINDS", "NoteFact", "fact_notes"]

# attribute -> (note, questions, answers); {e} is the entity, {E} the same capitalised, {v} the value
FACTS: dict[str, tuple[str, tuple[str, ...], tuple[str, ...]]] = {
    "deadline": (
        "The {e} project deadline is {v}.",
        ("When is the {e} project deadline?", "What is the deadline for the {e} project?",
         "By when must {e} be finished?"),
        ("The {e} project deadline is {v}", "{e} is due on {v}"),
    ),
    "owner": (
        "{v} owns the {e} project.",
        ("Who owns the {e} project?", "Who is responsible for {e}?", "Who leads the {e} project?"),
        ("{v} owns the {e} project", "The {e} project is owned by {v}"),
    ),
    "budget": (
        "The {e} project has a budget of {v}.",
        ("What is the budget of the {e} project?", "How much money does the {e} project have?"),
        ("The {e} project has a budget of {v}", "Its budget is {v}"),
    ),
    "server": (
        "The {e} project runs on the server {v}.",
        ("Which server does {e} run on?", "What machine hosts the {e} project?"),
        ("The {e} project runs on {v}", "It runs on the server {v}"),
    ),
    "team": (
        "{e} works in the {v} team.",
        ("Which team is {e} in?", "What team does {e} work for?"),
        ("{e} works in the {v} team", "{e} is in the {v} team"),
    ),
    "city": (
        "{e} is based in {v}.",
        ("Where is {e} based?", "In which city does {e} work?"),
        ("{e} is based in {v}", "{e} works from {v}"),
    ),
    "port": (
        "{E} listens on port {v}.",
        ("Which port does {e} use?", "On what port does {e} listen?"),
        ("{E} listens on port {v}", "It uses port {v}"),
    ),
    "version": (
        "{E} runs version {v}.",
        ("What version of {e} do we run?", "Which version is {e} on?"),
        ("{E} runs version {v}", "We run version {v} of {e}"),
    ),
}  # fmt: skip
KINDS = {
    "project": ("deadline", "owner", "budget", "server"),
    "person": ("team", "city"),
    "service": ("port", "version"),
}
PATHS = {"project": "/knowledge/projects/", "person": "/knowledge/people/", "service": "/knowledge/services/"}


@dataclass(frozen=True)
class NoteFact:
    """A question whose answer is in exactly one of ``notes`` (note text, memory path, value or "")."""

    kind: str
    attribute: str
    entity: str
    value: str
    notes: list[tuple[str, str, str]]
    cite: int  # 1-based number of the note that holds the answer
    question: str
    answer: str  # the answer sentence, without citation or final full stop

    @property
    def category(self) -> str:
        return f"{self.kind}.{self.attribute}"

    def note_text(self, number: int) -> str:
        return self.notes[number - 1][0]


def fact_notes(seeds: Seeds) -> NoteFact:
    """One fact, the note that states it, and one to three distractor notes (the same attribute of another
    entity, or another attribute of the same entity), shuffled."""
    kind = seeds.pick(tuple(KINDS))
    attribute = seeds.pick(KINDS[kind])
    entity, value = seeds.pick(_entities(kind)), _value(seeds, attribute)
    notes = [(_note(attribute, entity, value), _path(kind, entity), value)]
    used = {(entity, attribute)}
    for _ in range(seeds.number(1, 3)):
        if seeds.chance(0.5):  # the same question about another entity: the hard distractor
            pair = (seeds.pick([e for e in _entities(kind) if e != entity]), attribute)
        else:
            pair = (entity, seeds.pick([a for a in KINDS[kind] if a != attribute]))
        if pair not in used:
            used.add(pair)
            notes.append((_note(pair[1], pair[0], _value(seeds, pair[1])), _path(kind, pair[0]), ""))
    seeds.shuffle(notes)
    cite = next(i for i, n in enumerate(notes, 1) if n[2])
    question = seeds.pick(FACTS[attribute][1]).format(e=entity)
    answer = seeds.pick(FACTS[attribute][2]).format(e=entity, E=_capital(entity), v=value)
    return NoteFact(kind, attribute, entity, value, notes, cite, question, answer)


def _capital(text: str) -> str:
    return text[0].upper() + text[1:]


def _entities(kind: str) -> tuple[str, ...]:
    return {"project": PROJECTS, "person": PEOPLE, "service": SERVICES}[kind]


def _value(seeds: Seeds, attribute: str) -> str:
    if attribute == "deadline":
        return f"{seeds.number(1, 28)} {seeds.pick(MONTHS)}"
    if attribute == "owner":
        return seeds.pick(PEOPLE)
    if attribute == "budget":
        return f"{seeds.number(3, 95)},000 dollars"
    if attribute == "server":
        return f"srv-{seeds.number(10, 99)}"
    if attribute == "team":
        return seeds.pick(TEAMS)
    if attribute == "city":
        return seeds.pick(CITIES)
    if attribute == "port":
        return str(seeds.pick((80, 443, 5432, 6379, 8000, 8080, 8443, 9000, 9090, 9200)) + seeds.number(0, 9))
    return f"{seeds.number(1, 4)}.{seeds.number(0, 12)}.{seeds.number(0, 9)}"


def _note(attribute: str, entity: str, value: str) -> str:
    return FACTS[attribute][0].format(e=entity, E=_capital(entity), v=value)


def _path(kind: str, entity: str) -> str:
    slug = entity.removeprefix("the ").split()[0].lower()
    return PATHS[kind] + slug
