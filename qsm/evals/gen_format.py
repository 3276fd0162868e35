"""Team-set category ``format``: requests that state an output format (one word, number only, yes/no only,
JSON with given keys, a comma-separated list of N items, all lowercase, at most N words), each with a
checkable right content; scored by the ``format_*`` checkers."""

from __future__ import annotations

import json
import random
from typing import Any

from qsm.evals.gen_common import Draft, Maker, pick

__all__ = ["makers"]

_ONE_WORD = [
    ("what colour is a ripe banana?", ["yellow"]),
    ("what colour is fresh grass?", ["green"]),
    ("what is frozen water called?", ["ice"]),
    ("which farm animal says moo?", ["cow"]),
    ("what is a baby cat called?", ["kitten"]),
    ("what is the opposite of hot?", ["cold"]),
    ("which planet is famous for its bright rings?", ["Saturn"]),
    ("what is the capital of Peru?", ["Lima"]),
    ("what do you call a young dog?", ["puppy", "pup"]),
    ("which season comes after summer?", ["autumn", "fall"]),
    ("what colour is a clear daytime sky?", ["blue"]),
    ("which metal is liquid at room temperature?", ["mercury"]),
    ("what is the opposite of up?", ["down"]),
    ("which gas makes up most of Earth's atmosphere?", ["nitrogen"]),
]
_LOWERCASE = [
    ("which planet has the Great Red Spot?", ["jupiter"]),
    ("which country is home to the kangaroo?", ["australia"]),
    ("what is the capital of Germany?", ["berlin"]),
    ("who wrote Hamlet?", ["shakespeare"]),
    ("what is the chemical symbol for iron?", ["fe"]),
    ("which ocean lies between Africa and Australia?", ["indian"]),
    ("what is the largest continent by area?", ["asia"]),
    ("which animal is known for black and white stripes?", ["zebra", "zebras"]),
    ("what is the capital of Norway?", ["oslo"]),
]
_CAPITALS = [
    ("Portugal", ["Lisbon"]), ("Greece", ["Athens"]), ("Thailand", ["Bangkok"]), ("Poland", ["Warsaw"]),
    ("Ireland", ["Dublin"]), ("Sweden", ["Stockholm"]), ("Austria", ["Vienna", "Wien"]), ("Cuba", ["Havana"]),
    ("Turkey", ["Ankara"]), ("Argentina", ["Buenos Aires"]), ("Finland", ["Helsinki"]), ("Hungary", ["Budapest"]),
]  # fmt: skip
_LANDMARKS = [
    ("the Eiffel Tower", ["Paris"], ["France"]),
    ("the Colosseum", ["Rome"], ["Italy"]),
    ("the Sydney Opera House", ["Sydney"], ["Australia"]),
    ("the Brandenburg Gate", ["Berlin"], ["Germany"]),
    ("the Taj Mahal", ["Agra"], ["India"]),
    ("the Sagrada Família", ["Barcelona"], ["Spain"]),
    ("the Acropolis", ["Athens"], ["Greece"]),
]
_DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
_LONG_MONTHS = ["January", "March", "May", "July", "August", "October", "December"]
_PLANETS = ["Mercury", "Venus", "Earth", "Mars", "Jupiter", "Saturn", "Uranus", "Neptune"]


class _Pool:
    """Hand-written entries drawn without replacement, in an order fixed by the generator's random source."""

    def __init__(self, entries: list[Any]) -> None:
        self._entries = list(entries)

    def draw(self, rng: random.Random) -> Any:
        if not self._entries:
            raise RuntimeError("a format pool ran out of entries; add entries or lower the count")
        return self._entries.pop(rng.randrange(len(self._entries)))


def _cap(text: str) -> str:
    return text[0].upper() + text[1:]


def _is_prime(n: int) -> bool:
    return n > 1 and all(n % d for d in range(2, int(n**0.5) + 1))


def _one_word(pool: _Pool) -> Maker:
    def one_word(rng: random.Random) -> Draft:
        question, aliases = pool.draw(rng)
        request = pick(rng, [
            f"Answer with one word: {question}", f"{_cap(question)} Reply in one word.",
            f"One word only: {question}", f"In a single word, {question}",
        ])  # fmt: skip
        return request, "format_one_word", {"aliases": aliases, "answer": aliases[0]}

    return one_word


def _number_only(rng: random.Random) -> Draft:
    kind = rng.randrange(5)
    n = rng.randint(3, 19)
    if kind == 0:
        question, value = f"how many minutes are in {n} hours?", n * 60
    elif kind == 1:
        question, value = f"how many legs do {n} cats have in total?", n * 4
    elif kind == 2:
        question, value = f"how many days are in {n} weeks?", n * 7
    elif kind == 3:
        question, value = f"how many wheels do {n} bicycles have?", n * 2
    else:
        a, b = rng.randint(20, 300), rng.randint(20, 300)
        question, value = f"what is {a} + {b}?", a + b
    request = pick(rng, [
        f"Reply with the number only: {question}", f"{_cap(question)} Give only the number.",
        f"Number only, no words: {question}", f"{_cap(question)} Answer with just a number.",
    ])  # fmt: skip
    return request, "format_number_only", {"number": value, "tol": 0, "answer": str(value)}


def _yes_no_only(rng: random.Random) -> Draft:
    kind = rng.randrange(4)
    yes = rng.random() < 0.5
    if kind == 0:
        candidates = [n for n in range(20, 200) if _is_prime(n) == yes and (yes or n % 2)]
        n = pick(rng, [str(c) for c in candidates])
        question = f"is {n} a prime number?"
    elif kind == 1:
        a = rng.randint(100, 999)
        b = a - rng.randint(1, 50) if yes else a + rng.randint(1, 50)
        question = f"is {a} greater than {b}?"
    elif kind == 2:
        k = rng.randint(3, 12)
        n_value = k * rng.randint(5, 40) + (0 if yes else rng.randint(1, k - 1))
        question = f"is {n_value} divisible by {k}?"
    else:
        a, b = rng.randint(6, 30), rng.randint(6, 30)
        c = a * b if yes else a * b + rng.choice([-2, -1, 1, 2])
        question = f"is {a} × {b} equal to {c}?"
    verdict = "yes" if yes else "no"
    request = pick(rng, [
        f"Answer only yes or no: {question}", f"{_cap(question)} Reply with just yes or no.",
        f"Yes or no only: {question}", f"{_cap(question)} Say only yes or no, nothing else.",
    ])  # fmt: skip
    return request, "format_yes_no_only", {"yes_no": verdict, "answer": verdict.capitalize()}


def _json_draft(request: str, values: dict[str, Any], shown: dict[str, Any]) -> Draft:
    return request, "format_json_keys", {"keys": list(values), "values": values, "tol": 0.001,
                                          "answer": json.dumps(shown)}  # fmt: skip


def _json_keys(landmarks: _Pool) -> Maker:
    def json_keys(rng: random.Random) -> Draft:
        kind = rng.randrange(5)
        lead = pick(rng, ["Return only a JSON object", "Reply with JSON only, an object", "Answer in JSON"])
        if kind == 0:
            a, b = rng.randint(3, 60), rng.randint(3, 60)
            values: dict[str, Any] = {"sum": a + b, "product": a * b}
            return _json_draft(f'{lead} with the keys "sum" and "product" for the numbers {a} and {b}.', values,
                               values)  # fmt: skip
        if kind == 1:
            celsius = rng.randrange(-20, 105, 5)
            values = {"celsius": celsius, "fahrenheit": celsius * 9 // 5 + 32}
            return _json_draft(f'{lead} with the keys "celsius" and "fahrenheit" for a temperature of '
                               f"{celsius} °C.", values, values)  # fmt: skip
        if kind == 2:
            numbers = rng.sample(range(1, 200), rng.randint(4, 6))
            values = {"min": min(numbers), "max": max(numbers)}
            listed = ", ".join(str(n) for n in numbers)
            return _json_draft(f'{lead} with the keys "min" and "max" for these numbers: {listed}.', values,
                               values)  # fmt: skip
        if kind == 3:
            b = rng.randint(3, 12)
            a = b * rng.randint(3, 30) + rng.randint(1, b - 1)
            values = {"quotient": a // b, "remainder": a % b}
            return _json_draft(f'{lead} with the keys "quotient" and "remainder" for {a} divided by {b} '
                               "(whole-number division).", values, values)  # fmt: skip
        place, city, country = landmarks.draw(rng)
        values = {"city": city, "country": country}
        return _json_draft(f'{lead} with the keys "city" and "country": where is {place}?', values,
                           {"city": city[0], "country": country[0]})  # fmt: skip

    return json_keys


def _csv(request_core: str, n: int, rng: random.Random, gold: dict[str, Any], answer: list[str]) -> Draft:
    request = pick(rng, [
        f"{request_core} Answer as a comma-separated list.", f"{request_core} Separate them with commas.",
        f"Give a comma-separated list of exactly {n} items. {request_core}",
    ])  # fmt: skip
    return request, "format_csv_list", {"n": n, **gold, "answer": ", ".join(answer)}


def _csv_list(rng: random.Random) -> Draft:
    kind = rng.randrange(6)
    n = rng.randint(3, 5)
    if kind == 0:
        k = rng.randint(3, 15)
        items = [str(k * i) for i in range(1, n + 1)]
        return _csv(f"List the first {n} positive multiples of {k}, smallest first.", n, rng, {"items": items},
                    items)  # fmt: skip
    if kind == 1:
        start = rng.randint(10, 500)
        items = [str(start + i) for i in range(1, n + 1)]
        return _csv(f"List the {n} whole numbers that come right after {start}, in order.", n, rng,
                    {"items": items}, items)  # fmt: skip
    if kind == 2:
        start = rng.randint(20, 300)
        items = [str(start - i) for i in range(n)]
        return _csv(f"Count down from {start}, giving {n} numbers.", n, rng, {"items": items}, items)
    if kind == 3:
        return _csv(f"Name {n} days of the week.", n, rng, {"allowed": _DAYS}, rng.sample(_DAYS, n))
    if kind == 4:
        return _csv(f"Name {n} months that have 31 days.", n, rng, {"allowed": _LONG_MONTHS},
                    rng.sample(_LONG_MONTHS, n))  # fmt: skip
    return _csv(
        f"Name {n} planets of our Solar System.", n, rng, {"allowed": _PLANETS}, rng.sample(_PLANETS, n)
    )


def _lowercase(pool: _Pool) -> Maker:
    def lowercase(rng: random.Random) -> Draft:
        question, aliases = pool.draw(rng)
        request = pick(rng, [
            f"Write your answer in all lowercase letters: {question}",
            f"{_cap(question)} Use only lowercase letters in your reply.",
            f"Answer in lowercase only, no capital letters: {question}",
        ])  # fmt: skip
        return request, "format_lowercase", {"aliases": aliases, "answer": aliases[0]}

    return lowercase


def _max_words(capitals: _Pool) -> Maker:
    def max_words(rng: random.Random) -> Draft:
        limit = rng.randint(3, 8)
        lead = pick(rng, [f"In at most {limit} words,", f"Using no more than {limit} words,",
                          f"Answer in {limit} words or fewer:"])  # fmt: skip
        if rng.random() < 0.5:
            country, aliases = capitals.draw(rng)
            return (f"{lead} what is the capital of {country}?", "format_max_words",
                    {"max_words": limit, "aliases": aliases, "answer": f"{aliases[0]}."})  # fmt: skip
        a, b = rng.randint(4, 40), rng.randint(4, 40)
        return (f"{lead} what is {a} times {b}?", "format_max_words",
                {"max_words": limit, "number": a * b, "tol": 0, "answer": f"{a * b}."})  # fmt: skip

    return max_words


def makers() -> list[Maker]:
    """Fresh templates (hand-written pools start full), in the order the generator cycles through them."""
    return [
        _one_word(_Pool(_ONE_WORD)), _number_only, _yes_no_only, _json_keys(_Pool(_LANDMARKS)), _csv_list,
        _lowercase(_Pool(_LOWERCASE)), _max_words(_Pool(_CAPITALS)),
    ]  # fmt: skip
