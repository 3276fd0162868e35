"""WeQ seed tasks: answers grounded in notes from memory with [n] citations (gold: the fact and the note
that holds it), revisions after Ref's diagnosis, and plain answers when no notes are given."""

from __future__ import annotations

from qsm.agents.messages import Diagnosis, Draft, Plan, RepairPlan, UserRequest
from qsm.agents.roles import ROLE_PROMPTS
from qsm.graph import prompts
from qsm.train.example import Example
from qsm.train.seed_common import Seeds, example, unique_examples
from qsm.train.seed_vocab import CITIES, COUNTRIES, MONTHS, PEOPLE, PROJECTS, SERVICES, TEAMS

__all__ = ["weq_examples"]

# attribute -> (note, questions, answers); {e} is the entity, {v} the value
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


def weq_examples(seeds: Seeds, count: int) -> list[Example]:
    revisions, plain = max(1, round(count * 0.13)), max(1, round(count * 0.12))
    return (
        unique_examples(lambda: _grounded(seeds, revise=False), count - revisions - plain)
        + unique_examples(lambda: _grounded(seeds, revise=True), revisions)
        + unique_examples(lambda: _plain(seeds), plain)
    )


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
    return FACTS[attribute][0].format(e=entity, E=entity[0].upper() + entity[1:], v=value)


def _path(kind: str, entity: str) -> str:
    slug = entity.removeprefix("the ").split()[0].lower()
    return PATHS[kind] + slug


def _grounded(seeds: Seeds, *, revise: bool) -> Example:
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
    answer = seeds.pick(FACTS[attribute][2]).format(e=entity, E=entity[0].upper() + entity[1:], v=value)
    target = f"{answer} [{cite}]."
    plan = Plan(goal=question.rstrip("?"), steps=["search memory", "answer with a citation"])
    repair = previous = None
    category = f"{kind}.{attribute}"
    if revise:
        previous, repair, category = _faulty(seeds, answer, notes, cite)
    messages = prompts.draft_prompt(
        ROLE_PROMPTS["WeQ.draft"],
        UserRequest(text=question),
        plan,
        seeds.strength(),
        notes=[f"{text} (from {path})" for text, path, _ in notes],
        repair=repair,
        previous=previous,
    )
    gold = {"answer": value, "cite": cite, "notes": len(notes)}
    return example("WeQ.draft", category, f"{entity}:{attribute}:{value}", messages, target, gold)


def _faulty(
    seeds: Seeds, answer: str, notes: list[tuple[str, str, str]], cite: int
) -> tuple[Draft, RepairPlan, str]:
    """A first draft with one typical fault and Ref's diagnosis of it."""
    if seeds.chance(0.5) or len(notes) < 2:
        text, problem = f"{answer}.", Diagnosis(problem="no citation", solution="cite the note used")
        instruction, category = "Cite the note that gives the answer.", "revise.uncited"
    else:
        wrong = seeds.pick([i for i in range(1, len(notes) + 1) if i != cite])
        text = f"{notes[wrong - 1][0].rstrip('.')} [{wrong}]."
        problem = Diagnosis(problem="answers from the wrong note", solution="use the note about the question")
        instruction, category = "Answer from the note that matches the question.", "revise.wrong_note"
    draft = Draft(text=text, author="WeQ", candidate=0)
    return draft, RepairPlan(candidate=0, round=1, diagnoses=[problem], instruction=instruction), category


def _plain(seeds: Seeds) -> Example:
    kind = seeds.pick(("plus", "weeks", "capital"))
    if kind == "plus":
        a, b = seeds.number(2, 60), seeds.number(2, 40)
        question, value, target = f"What is {a} plus {b}?", str(a + b), f"{a} plus {b} is {a + b}."
    elif kind == "weeks":
        n = seeds.number(2, 12)
        question, value, target = (
            f"How many days are in {n} weeks?",
            str(7 * n),
            f"{n} weeks have {7 * n} days.",
        )
    else:
        country, capital = seeds.pick(COUNTRIES)
        question, value = f"What is the capital of {country}?", capital
        target = f"The capital of {country} is {capital}."
    plan = Plan(goal=question.rstrip("?"), steps=["answer directly"])
    messages = prompts.draft_prompt(
        ROLE_PROMPTS["WeQ.draft"], UserRequest(text=question), plan, seeds.strength()
    )
    gold = {"answer": value, "cite": None, "notes": 0}
    return example("WeQ.draft", f"plain.{kind}", question, messages, target, gold)
