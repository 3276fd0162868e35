"""General requests as users send them, with a correct short answer and the ways an answer goes wrong.

One generator feeds three roles: QSM learns to route these to WeQ with a short relevant plan, WeQ learns the
short direct answer (in the format the request states, citing the note that holds a fact), and Ref learns to
tell the right answer from plausible wrong ones (wrong number, wrong entity, junk appended, off-topic text,
the wrong note cited, a broken format). Kinds: arithmetic, unit conversion, facts, definitions, how-to,
stated formats (one word, number only, yes/no, JSON with keys), questions over notes given in the request,
and multi-step requests. Every template and fact here is written for these generators.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from qsm.train.seed_common import Seeds
from qsm.train.seed_facts import NoteFact, fact_notes
from qsm.train.seed_vocab import BOOKS, COUNTRIES, DEFINITIONS, ELEMENTS, HOWTO_ANSWERS, WORLD_FACTS

__all__ = ["GENERAL_KINDS", "FormatKind", "GeneralTask", "format_problem", "general_task"]

FormatKind = Literal["word", "number", "yesno", "json"]


@dataclass(frozen=True)
class GeneralTask:
    """One request with its correct answer and a plausible wrong one."""

    kind: str  # the category: arithmetic, units, fact, define, howto, format.<f>, notes, multistep
    request: str
    answer: str  # a correct short answer, as WeQ should write it
    value: str  # what every correct answer contains
    goal: str
    steps: tuple[str, ...]
    wrong: str  # a plausible wrong answer: wrong number or wrong entity
    wrong_reason: str
    group: str  # near-duplicates share a group (kept on one side of the splits)
    fmt: FormatKind | None = None
    keys: tuple[str, ...] = ()
    broken: str = ""  # the right content, ignoring the stated format
    notes: int = 0  # numbered notes given in the request itself
    cite: int | None = None
    wrong_note: int | None = None  # a note that does not hold the answer
    wrong_value: str = ""  # the wrong number or entity inside ``wrong``


def general_task(seeds: Seeds, kind: str | None = None) -> GeneralTask:
    """A task of ``kind`` (one of :data:`GENERAL_KINDS`), or of a kind drawn by weight."""
    name = kind or seeds.pick(_DRAW)
    return GENERAL_KINDS[name](seeds)


def format_problem(fmt: FormatKind, keys: tuple[str, ...], text: str) -> str | None:
    """Why ``text`` breaks the stated format, or None when it keeps it."""
    bare = text.strip().rstrip(".!").strip()
    if fmt == "word":
        return None if bare and len(bare.split()) == 1 else "the request asks for one word"
    if fmt == "number":
        return None if _is_number(bare) else "the request asks for the number only"
    if fmt == "yesno":
        return None if bare.lower() in ("yes", "no") else "the request asks for yes or no only"
    try:
        data = json.loads(text.strip())
    except ValueError:
        return "the request asks for JSON"
    if not isinstance(data, dict) or set(data) != set(keys):
        return f"the request asks for JSON with the keys {', '.join(keys)}"
    return None


def _is_number(text: str) -> bool:
    try:
        float(text.replace(",", ""))
    except ValueError:
        return False
    return True


def _near(seeds: Seeds, value: int) -> int:
    """A plausible wrong result: off by a little, by ten, or by a factor of ten."""
    wrong = seeds.pick((value - 2, value - 1, value + 1, value + 2, value + 10, value - 10, value * 10))
    return wrong if wrong != value else value + 1


_OPS = {
    "+": (("+", "plus"), lambda a, b: a + b, "add {a} and {b}"),
    "-": (("-", "minus"), lambda a, b: a - b, "subtract {b} from {a}"),
    "*": (("times", "x", "*", "multiplied by"), lambda a, b: a * b, "multiply {a} by {b}"),
    "/": (("divided by", "/"), lambda a, b: a // b, "divide {a} by {b}"),
}
_ASK = ("What is {q}?", "Compute {q}.", "Calculate {q}.", "What's {q}?", "How much is {q}?", "{q} = ?",
        "Can you work out {q}?", "Quick maths: {q}?")  # fmt: skip


def _arithmetic(seeds: Seeds) -> GeneralTask:
    op = seeds.pick(("+", "+", "-", "*", "*", "/", "%"))
    if op == "%":
        pct, base = seeds.pick((10, 20, 25, 50, 75, 5, 15)), seeds.pick((40, 60, 80, 120, 200, 300, 400))
        value = pct * base // 100
        q = f"{pct}% of {base}"
        goal, steps = f"Compute {pct}% of {base}", (f"multiply {base} by {pct}/100",)
        say = f"{q} is {{}}."
    else:
        words, fn, step = _OPS[op]
        a, b = seeds.number(2, 99), seeds.number(2, 60)
        if op == "-" and b > a:
            a, b = b, a
        if op == "*":
            b = seeds.number(2, 19)
        if op == "/":
            b = seeds.number(2, 12)
            a = b * seeds.number(2, 20)
        value = fn(a, b)
        q = f"{a} {seeds.pick(words)} {b}"
        goal, steps = f"Compute {q}", (step.format(a=a, b=b),)
        say = seeds.pick((f"{q} = {{}}.", f"{q} is {{}}.", "The answer is {}."))
    wrong = _near(seeds, value)
    return GeneralTask(
        "arithmetic", seeds.pick(_ASK).format(q=q), say.format(value), str(value), goal, steps,
        say.format(wrong), f"{q} is {value}, not {wrong}.", f"arith:{q}", wrong_value=str(wrong),
    )  # fmt: skip


_UNITS = (  # (from, to, factor, low, high)
    ("kilometres", "metres", 1000, 2, 40), ("metres", "centimetres", 100, 2, 90),
    ("kilograms", "grams", 1000, 2, 30), ("litres", "millilitres", 1000, 2, 20),
    ("hours", "minutes", 60, 2, 24), ("minutes", "seconds", 60, 2, 30), ("days", "hours", 24, 2, 14),
    ("weeks", "days", 7, 2, 20), ("dozen", "items", 12, 2, 12), ("years", "months", 12, 2, 15),
    ("centimetres", "millimetres", 10, 3, 90), ("tonnes", "kilograms", 1000, 2, 9),
)  # fmt: skip


def _units(seeds: Seeds) -> GeneralTask:
    src, dst, factor, low, high = seeds.pick(_UNITS)
    n = seeds.number(low, high)
    value = n * factor
    request = seeds.pick((f"Convert {n} {src} to {dst}.", f"How many {dst} are in {n} {src}?",
                          f"What is {n} {src} in {dst}?", f"{n} {src} is how many {dst}?"))  # fmt: skip
    answer = f"{n} {src} is {value} {dst}."
    wrong = seeds.pick((n * factor // 10 if factor >= 100 else n * factor + factor, _near(seeds, value)))
    return GeneralTask(
        "units", request, answer, str(value), f"Convert {n} {src} to {dst}", (f"multiply {n} by {factor}",),
        f"{n} {src} is {wrong} {dst}.", f"{n} {src} is {value} {dst} ({n} x {factor}), not {wrong}.",
        f"units:{src}:{n}", wrong_value=str(wrong),
    )  # fmt: skip


def _fact(seeds: Seeds) -> GeneralTask:
    source = seeds.pick(("capital", "capital", "book", "element", "world", "world"))
    if source == "capital":
        (country, capital), (_, other) = seeds.sample(COUNTRIES, 2)
        request = seeds.pick((f"What is the capital of {country}?", f"Which city is the capital of {country}?",
                              f"Name the capital of {country}."))  # fmt: skip
        answer, wrong = f"The capital of {country} is {capital}.", f"The capital of {country} is {other}."
        return GeneralTask("fact", request, answer, capital, f"Name the capital of {country}",
                           ("recall the capital",), wrong, f"The capital of {country} is {capital}, not {other}.",
                           f"capital:{country}")  # fmt: skip
    if source == "book":
        (book, author), (_, other) = seeds.sample(BOOKS, 2)
        while other == author:
            other = seeds.pick(BOOKS)[1]
        request = seeds.pick(
            (f"Who wrote {book}?", f"Who is the author of {book}?", f"Name the author of {book}.")
        )
        answer, wrong = f"{book} was written by {author}.", f"{book} was written by {other}."
        return GeneralTask("fact", request, answer, author, f"Name the author of {book}", ("recall the author",),
                           wrong, f"{book} was written by {author}, not {other}.", f"book:{book}")  # fmt: skip
    if source == "element":
        (name, symbol), (_, other) = seeds.sample(ELEMENTS, 2)
        request = seeds.pick((f"What is the chemical symbol for {name}?", f"Which symbol stands for {name}?"))
        answer, wrong = (
            f"The chemical symbol for {name} is {symbol}.",
            f"The chemical symbol for {name} is {other}.",
        )
        return GeneralTask("fact", request, answer, symbol, f"Give the symbol for {name}", ("recall the symbol",),
                           wrong, f"The symbol for {name} is {symbol}, not {other}.", f"element:{name}")  # fmt: skip
    question, right, other = seeds.pick(WORLD_FACTS)
    answer = right[0].upper() + right[1:] + "."
    wrong = other[0].upper() + other[1:] + "."
    return GeneralTask("fact", question, answer, right, question.rstrip("?"), ("answer directly",), wrong,
                       f"The answer is {right}, not {other}.", f"world:{question}")  # fmt: skip


def _define(seeds: Seeds) -> GeneralTask:
    concept, other = seeds.sample(tuple(DEFINITIONS), 2)
    request = seeds.pick((f"What is {concept}?", f"Define {concept}.", f"Explain {concept} in one sentence.",
                          f"What does {concept} mean?", f"Briefly, what is {concept}?"))  # fmt: skip
    head = concept.removeprefix("a ").removeprefix("an ").removeprefix("the ")
    return GeneralTask(
        "define", request, DEFINITIONS[concept], head, f"Define {concept}", (f"define {head} in one sentence",),
        DEFINITIONS[other], f"The answer explains {other}, not {concept}.", f"define:{concept}",
    )  # fmt: skip


_HOWTO_KEYS = {
    "reverse a string in Python": "[::-1]", "make a cup of green tea": "80 degrees",
    "write a good commit message": "summary line", "remove a stuck screw": "rubber band",
    "back up my photos": "external drive", "read a CSV file in Python": "csv.reader",
    "set up a Git repository": "git init", "keep basil alive": "six hours", "take better notes": "own words",
    "boil an egg": "7 to 9 minutes", "sort a list in Python": "sorted",
}  # fmt: skip


def _howto(seeds: Seeds) -> GeneralTask:
    task, other = seeds.sample(tuple(HOWTO_ANSWERS), 2)
    request = seeds.pick((f"How do I {task}?", f"How can I {task}?", f"Tell me how to {task}.",
                          f"What's the quickest way to {task}?"))  # fmt: skip
    return GeneralTask(
        "howto", request, HOWTO_ANSWERS[task], _HOWTO_KEYS[task], f"Explain how to {task}", ("give the key step",),
        HOWTO_ANSWERS[other], f"The answer explains how to {other}, not how to {task}.", f"howto:{task}",
    )  # fmt: skip


def _format_word(seeds: Seeds) -> GeneralTask:
    pick = seeds.pick(("capital", "element", "planet"))
    if pick == "capital":
        (country, right), (_, other) = seeds.sample([c for c in COUNTRIES if " " not in c[1]], 2)
        q = f"what is the capital of {country}?"
        broken = f"The capital of {country} is {right}."
    elif pick == "element":
        (right, symbol), (other, _) = seeds.sample(ELEMENTS, 2)
        right, other = right.capitalize(), other.capitalize()
        q = f"which element has the symbol {symbol}?"
        broken = f"The element with the symbol {symbol} is {right.lower()}."
    else:
        q, right, other = seeds.pick((
            ("which planet is the largest?", "Jupiter", "Saturn"),
            ("which planet is closest to the Sun?", "Mercury", "Venus"),
            ("which planet is called the red planet?", "Mars", "Venus"),
            ("what colour is the sky on a clear day?", "Blue", "Green"),
            ("which animal says moo?", "Cow", "Sheep"),
        ))  # fmt: skip
        broken = f"The answer to that is {right}."
    lead = seeds.pick(("Answer with one word: {q}", "In one word, {q}", "{Q} Answer in one word.",
                       "Using a single word, {q}", "{Q} One-word answer please."))  # fmt: skip
    request = lead.format(q=q, Q=q[0].upper() + q[1:])
    return GeneralTask(
        "format.word", request, right, right, "Answer in one word", ("find the answer", "reply with one word"),
        other, f"The answer is {right}, not {other}.", f"word:{q}", fmt="word", broken=broken,
    )  # fmt: skip


def _format_number(seeds: Seeds) -> GeneralTask:
    base = seeds.pick((_arithmetic, _units))(seeds)
    lead = seeds.pick(("Reply with the number only: {q}", "{q} Number only.", "{q} Give just the number.",
                       "Answer with digits only: {q}"))  # fmt: skip
    wrong = base.wrong_value
    return GeneralTask(
        "format.number", lead.format(q=base.request), base.value, base.value, base.goal,
        (*base.steps, "reply with the number only"), wrong, base.wrong_reason, base.group,
        fmt="number", broken=base.answer, wrong_value=wrong,
    )  # fmt: skip


def _format_yesno(seeds: Seeds) -> GeneralTask:
    pick = seeds.pick(("larger", "capital", "even", "legs"))
    if pick == "larger":
        x, y = seeds.sample(range(2, 200), 2)
        q, yes = f"is {x} larger than {y}?", x > y
        why = f"{x} is {'larger' if yes else 'smaller'} than {y}"
    elif pick == "capital":
        (country, capital), (_, other) = seeds.sample(COUNTRIES, 2)
        shown = capital if seeds.chance(0.5) else other
        q, yes = f"is {shown} the capital of {country}?", shown == capital
        why = f"the capital of {country} is {capital}"
    elif pick == "even":
        n = seeds.number(3, 199)
        q, yes = f"is {n} an even number?", n % 2 == 0
        why = f"{n} is {'even' if yes else 'odd'}"
    else:
        animal, legs = seeds.pick((("a spider", 8), ("a cat", 4), ("a bird", 2), ("an ant", 6), ("a dog", 4)))
        claimed = legs if seeds.chance(0.5) else seeds.pick([n for n in (2, 4, 6, 8) if n != legs])
        q, yes = f"does {animal} have {claimed} legs?", claimed == legs
        why = f"{animal} has {legs} legs"
    right, other = ("Yes", "No") if yes else ("No", "Yes")
    lead = seeds.pick(("Answer yes or no: {q}", "{Q} Yes or no only.", "Just yes or no: {q}",
                       "{Q} Answer with yes or no."))  # fmt: skip
    return GeneralTask(
        "format.yesno", lead.format(q=q, Q=q[0].upper() + q[1:]), right, right.lower(), "Answer yes or no",
        ("check the claim", "reply yes or no"), other, f"The answer is {right.lower()}: {why}.", f"yesno:{q}",
        fmt="yesno", broken=f"{right}, {why}.",
    )  # fmt: skip


def _format_json(seeds: Seeds) -> GeneralTask:
    pick = seeds.pick(("capital", "book", "sum"))
    keys: tuple[str, ...]
    data: dict[str, str | int]
    bad: dict[str, str | int]
    if pick == "capital":
        (country, capital), (_, other) = seeds.sample(COUNTRIES, 2)
        keys, data = ("country", "capital"), {"country": country, "capital": capital}
        q, value, bad = f"What is the capital of {country}?", capital, {"country": country, "capital": other}
        broken = f"The capital of {country} is {capital}."
    elif pick == "book":
        (book, author), (_, other) = seeds.sample(BOOKS, 2)
        keys, data = ("book", "author"), {"book": book, "author": author}
        q, value, bad = f"Who wrote {book}?", author, {"book": book, "author": other}
        broken = f"{book} was written by {author}."
    else:
        a, b = seeds.number(2, 90), seeds.number(2, 90)
        keys, data = ("a", "b", "sum"), {"a": a, "b": b, "sum": a + b}
        q, value, bad = (
            f"What is the sum of {a} and {b}?",
            str(a + b),
            {"a": a, "b": b, "sum": _near(seeds, a + b)},
        )
        broken = f"The sum of {a} and {b} is {a + b}."
    names = " and ".join(keys) if len(keys) == 2 else f"{keys[0]}, {keys[1]} and {keys[2]}"
    lead = seeds.pick(("{q} Reply in JSON with keys {k}.", "{q} Answer in JSON with the keys {k}.",
                       "{q} Give the answer as JSON with keys {k}."))  # fmt: skip
    return GeneralTask(
        "format.json", lead.format(q=q, k=names), json.dumps(data), value, "Answer in JSON",
        ("find the values", f"reply as JSON with keys {names}"), json.dumps(bad), "A value in the JSON is wrong.",
        f"json:{q}", fmt="json", keys=keys, broken=broken,
    )  # fmt: skip


def _notes(seeds: Seeds) -> GeneralTask:
    fact: NoteFact = fact_notes(seeds)
    listed = "\n".join(f"[{i}] {text}" for i, (text, _, _) in enumerate(fact.notes, 1))
    layout = seeds.pick((
        "Notes:\n{n}\nQuestion: {q}", "{q} Use these notes and cite the note number.\n{n}",
        "Here are my notes:\n{n}\n{q}", "Read the notes and answer. {q}\n{n}", "{n}\nBased on the notes above: {q}",
    ))  # fmt: skip
    request = layout.format(n=listed, q=fact.question)
    others = [i for i in range(1, len(fact.notes) + 1) if i != fact.cite]
    wrong_note = seeds.pick(others) if others else None
    return GeneralTask(
        "notes", request, f"{fact.answer} [{fact.cite}].", fact.value, fact.question.rstrip("?"),
        ("read the notes", f"cite the note about {fact.entity}"),
        f"{fact.note_text(wrong_note).rstrip('.')} [{wrong_note}]." if wrong_note else f"I don't know [{fact.cite}].",
        f"Note [{fact.cite}] answers it: {fact.value}.", f"notes:{fact.entity}:{fact.attribute}",
        notes=len(fact.notes), cite=fact.cite, wrong_note=wrong_note,
    )  # fmt: skip


def _multistep(seeds: Seeds) -> GeneralTask:
    pick = seeds.pick(("add_mul", "hours_plus", "sum_even", "sub_div"))
    if pick == "add_mul":
        a, b, c = seeds.number(2, 40), seeds.number(2, 40), seeds.number(2, 9)
        s, value = a + b, (a + b) * c
        request = f"Add {a} and {b}, then multiply the result by {c}."
        answer, steps = f"{a} + {b} = {s}, and {s} x {c} = {value}.", (f"add {a} and {b}", f"multiply by {c}")
    elif pick == "hours_plus":
        h, m = seeds.number(2, 9), seeds.number(5, 55)
        s, value = 60 * h, 60 * h + m
        request = f"Convert {h} hours to minutes, then add {m} minutes."
        answer, steps = f"{h} hours = {s} minutes; {s} + {m} = {value} minutes.", ("convert hours to minutes",
                                                                                   f"add {m}")  # fmt: skip
    elif pick == "sum_even":
        a, b = seeds.number(2, 99), seeds.number(2, 99)
        value = a + b
        parity = "even" if value % 2 == 0 else "odd"
        request = f"What is {a} plus {b}, and is the result even or odd?"
        answer, steps = f"{a} + {b} = {value}, which is {parity}.", (f"add {a} and {b}", "check the parity")
    else:
        c = seeds.number(2, 9)
        b = seeds.number(2, 30)
        a = b + c * seeds.number(2, 15)
        s, value = a - b, (a - b) // c
        request = f"Subtract {b} from {a} and divide what is left by {c}."
        answer, steps = (
            f"{a} - {b} = {s}, and {s} / {c} = {value}.",
            (f"subtract {b} from {a}", f"divide by {c}"),
        )
    wrong = _near(seeds, value)
    return GeneralTask(
        "multistep", seeds.phrase(request), answer, str(value), request.rstrip(".?"), steps,
        answer.rsplit(str(value), 1)[0] + str(wrong) + answer.rsplit(str(value), 1)[1],
        f"The result is {value}, not {wrong}.", f"multi:{request}",
    )  # fmt: skip


GENERAL_KINDS: dict[str, Callable[[Seeds], GeneralTask]] = {
    "arithmetic": _arithmetic,
    "units": _units,
    "fact": _fact,
    "define": _define,
    "howto": _howto,
    "format.word": _format_word,
    "format.number": _format_number,
    "format.yesno": _format_yesno,
    "format.json": _format_json,
    "notes": _notes,
    "multistep": _multistep,
}
_WEIGHTS = {"arithmetic": 3, "units": 2, "fact": 3, "define": 1, "howto": 1, "format.word": 1,
            "format.number": 1, "format.yesno": 1, "format.json": 1, "notes": 3, "multistep": 2}  # fmt: skip
_DRAW = tuple(k for k, w in _WEIGHTS.items() for _ in range(w))
