"""Routing data for QSM's student router: requests labelled with an intent (answer / resource /
multistep) and a complexity (low / medium / high), generated from templates and vocabularies written for
this purpose (never from the held-out team evaluation set in :mod:`qsm.evals`).

Groups keep one template's instances on one side of the split, so the test split measures phrasings the
student never saw.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

__all__ = ["RouteExample", "build_router_data", "split_by_group"]


@dataclass(frozen=True)
class RouteExample:
    text: str
    intent: str
    complexity: str
    group: str


_TOPICS = [
    "photosynthesis", "gravity", "inflation", "the water cycle", "black holes", "vaccines", "compound interest",
    "the French Revolution", "machine learning", "plate tectonics", "DNA", "the stock market", "electricity",
    "volcanoes", "the immune system", "supply and demand", "climate change", "the internet", "magnetism",
    "evolution", "democracy", "the moon's phases", "rainbows", "tides", "earthquakes", "antibiotics",
]  # fmt: skip
_PLACES = ["Japan", "Kenya", "Peru", "Norway", "Canada", "Egypt", "Brazil", "India", "Spain", "Chile", "Ghana",
           "Vietnam", "Poland", "Mexico", "Italy", "Australia", "Turkey", "Greece", "Sweden", "Argentina"]  # fmt: skip
_THINGS = ["a bicycle", "a tent", "bread", "a paper plane", "a budget spreadsheet", "a compost bin", "a kite",
           "a resume", "tea", "a birdhouse", "a password", "a garden bed", "a sourdough starter"]  # fmt: skip
_PEOPLE = ["Marie Curie", "Isaac Newton", "Ada Lovelace", "Nelson Mandela", "Leonardo da Vinci", "Cleopatra",
           "Albert Einstein", "Frida Kahlo", "Alan Turing", "Confucius", "Galileo", "Jane Austen"]  # fmt: skip
_UNITS = [("kilometres", "miles"), ("pounds", "kilograms"), ("inches", "centimetres"), ("litres", "gallons"),
          ("hours", "minutes"), ("Celsius", "Fahrenheit"), ("megabytes", "gigabytes"), ("feet", "metres"),
          ("ounces", "grams"), ("days", "hours"), ("yards", "metres"), ("tonnes", "kilograms")]  # fmt: skip
_RESOURCES = [("GB of RAM", "machine"), ("CPU cores", "server"), ("GPU hours", "cluster"), ("dollars", "budget"),
              ("engineers", "team"), ("hours", "week"), ("TB of disk", "storage array"), ("tokens", "quota"),
              ("euros", "grant"), ("seats", "room"), ("licenses", "subscription"),
              ("minutes", "meeting slot")]  # fmt: skip
_FACT_Q = [
    "What is the capital of {place}?", "Which language is spoken in {place}?", "What currency does {place} use?",
    "Who was {person}?", "What is {person} known for?", "When did {person} live?", "Where is {place}?",
    "What is the largest city in {place}?", "Tell me one fact about {place}.", "Who discovered penicillin?",
    "How many planets are in the solar system?", "What is the boiling point of water?", "Who painted the Mona Lisa?",
    "What gas do plants absorb?", "Which ocean is the largest?", "How many legs does an insect have?",
    "What is the chemical symbol for gold?", "Name the longest river in Africa.", "What is H2O?",
]  # fmt: skip
_EXPLAIN = [
    "Explain {topic} in simple terms.", "What is {topic}?", "Why does {topic} matter?", "Give me a short "
    "summary of {topic}.", "How does {topic} work?", "Describe {topic} to a child.", "What causes {topic}?",
    "Can you tell me about {topic}?", "Define {topic}.", "What are the main ideas behind {topic}?",
]  # fmt: skip
_HOWTO = ["How do I make {thing}?", "What is the best way to build {thing}?", "Give tips for making {thing}.",
          "Steps to fix {thing}?", "How can I clean {thing}?", "Write a short poem about {thing}.",
          "Suggest a name for {thing}.", "Write one sentence describing {thing}."]  # fmt: skip
_ARITH = ["What is {a} + {b}?", "What is {a} times {b}?", "Compute {a} - {b}.", "What is {a} divided by {b}?",
          "How much is {a} * {b}?", "{a} plus {b} equals what?", "What is {p}% of {a}?", "What is {a} squared?",
          "Calculate {a} minus {b}.", "What's the sum of {a} and {b}?", "Multiply {a} by {b}.",
          "What is {a} to the power of 2?", "What do you get if you subtract {b} from {a}?"]  # fmt: skip
_CONVERT = ["Convert {a} {u1} to {u2}.", "How many {u2} are in {a} {u1}?", "What is {a} {u1} in {u2}?",
            "{a} {u1} is how many {u2}?", "Express {a} {u1} in {u2}."]  # fmt: skip
_FORMAT = ["Answer with one word: what colour is {thing}?", "Reply with the number only: how many sides does a "
           "hexagon have?", "In one word, what is the capital of {place}?", "Give a comma-separated list of "
           "three {topic} facts.", "Answer yes or no only: is {place} in Europe?", "Reply in JSON with keys "
           "\"name\" and \"country\": which city is the capital of {place}?", "Answer in at most five words: "
           "what is {topic}?", "Answer in lowercase: name a fruit from {place}."]  # fmt: skip
_NOTES = ["Notes:\n[1] {person} moved to {place} in {y}.\n[2] The {topic} lab opened in {y2}.\n[3] {a} people "
          "attended.\nQuestion: When did {person} move to {place}? Cite the note.",
          "[1] The {thing} costs {a} coins.\n[2] {person} likes {topic}.\nAccording to the notes, what does "
          "{person} like?", "Use these notes.\n1. Project Alder started in {y}.\n2. It has {a} members.\n3. Its "
          "lead is {person}.\nWho leads Project Alder?"]  # fmt: skip
_RESOURCE = [
    "The {owner} has {a} {res}. The job needs {b}. Is that enough?",
    "We need {b} {res} but the {owner} only has {a}. Can we do it?",
    "Can a {owner} with {a} {res} handle {n} tasks that need {c} each?",
    "Our {owner} allows {a} {res}; we have used {b}. How much is left?",
    "How should I split {a} {res} between {n} projects?",
    "Is {a} {res} enough for {n} jobs of {c} {res} each? Answer yes or no.",
    "What does it cost to run {n} servers at ${c} per hour for {b} hours?",
    "Which is cheaper: {n} units at ${c} each or a bundle for ${a}?",
    "Can we afford {n} licenses at ${c} each with a budget of ${a}?",
    "We have {a} hours this week. {n} tasks take {c} hours each. Do we finish on time?",
    "How many {res} do we need for {n} people if each needs {c}?",
    "Estimate the monthly cost of {n} machines at ${c} a day.",
    "Will {n} items of {c} {res} fit in a {owner} of {a} {res}?",
    "Is a budget of ${a} enough to pay {n} people ${c} each?",
    "Allocate a {owner} of {a} {res} across {n} teams fairly.",
    "Does spending ${b} out of ${a} keep us under 80% of the budget?",
]  # fmt: skip
_MULTI = [
    "First find the capital of {place}, then tell me how many letters its name has.",
    "Add {a} and {b}, then divide the result by {n}.",
    "Convert {a} {u1} to {u2} and then double it.",
    "Explain {topic}, then give two examples and a one-line summary.",
    "Compare {topic} and {topic2}: list one similarity and one difference, then say which is older.",
    "Read the notes, find the number of members, and multiply it by {n}.\n[1] Club Birch has {a} members.\n"
    "[2] Club Oak has {b} members.",
    "Compute {a} times {b}, then say whether the result is more than {c}.",
    "Plan a three-step study schedule for {topic}, then estimate the total hours.",
    "Summarise {topic} in one sentence and then translate the sentence into simple words.",
    "Work out {p}% of {a}, subtract {b}, and tell me if it is positive.",
    "Name {person}'s country of birth, then give its capital.",
    "Write a short plan to learn {topic}: pick resources, set a weekly schedule, and list checkpoints.",
]  # fmt: skip

_TEMPLATES: list[tuple[str, list[str], str, str]] = [
    ("fact", _FACT_Q, "answer", "low"),
    ("explain", _EXPLAIN, "answer", "medium"),
    ("howto", _HOWTO, "answer", "medium"),
    ("arith", _ARITH, "answer", "low"),
    ("convert", _CONVERT, "answer", "low"),
    ("format", _FORMAT, "answer", "low"),
    ("notes", _NOTES, "answer", "medium"),
    ("resource", _RESOURCE, "resource", "medium"),
    ("multi", _MULTI, "multistep", "high"),
]


def _fill(template: str, rng: random.Random) -> str:
    u1, u2 = rng.choice(_UNITS)
    res, owner = rng.choice(_RESOURCES)
    a, b = rng.randint(2, 900), rng.randint(2, 900)
    topics = rng.sample(_TOPICS, 2)
    return template.format(
        a=a, b=b, c=rng.randint(2, 60), n=rng.randint(2, 12), p=rng.choice([5, 10, 15, 20, 25, 40, 75]),
        y=rng.randint(1950, 2020), y2=rng.randint(1950, 2020), u1=u1, u2=u2, res=res, owner=owner,
        topic=topics[0], topic2=topics[1], place=rng.choice(_PLACES), person=rng.choice(_PEOPLE),
        thing=rng.choice(_THINGS),
    )  # fmt: skip


def build_router_data(per_template: int = 12, seed: int = 7) -> list[RouteExample]:
    """Every template filled ``per_template`` times (distinct texts), labelled by its family."""
    rng = random.Random(seed)
    out: list[RouteExample] = []
    for family, templates, intent, complexity in _TEMPLATES:
        for t_index, template in enumerate(templates):
            seen: set[str] = set()
            for _ in range(per_template * 4):
                text = _fill(template, rng)
                if text in seen:
                    continue
                seen.add(text)
                out.append(RouteExample(text, intent, complexity, f"{family}-{t_index}"))
                if len(seen) >= per_template:
                    break
    return out


def split_by_group(data: list[RouteExample], every: int = 4) -> tuple[list[RouteExample], list[RouteExample]]:
    """Train and held-out parts: every ``every``-th template group (sorted by name) is held out whole."""
    groups = sorted({e.group for e in data})
    held = {g for i, g in enumerate(groups) if i % every == every - 1}
    return [e for e in data if e.group not in held], [e for e in data if e.group in held]
