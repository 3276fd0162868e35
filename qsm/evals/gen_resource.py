"""Team-set category ``resource``: yes/no questions about memory, budgets, time, capacity and rates, scored by
``yes_no``. Every template makes a "yes" and a "no" variant, never a tie, so the category is half and half."""

from __future__ import annotations

import math
import random
from collections.abc import Callable

from qsm.evals.gen_common import Draft, Maker, fmt, pick, words_for

__all__ = ["MAKERS"]

Template = Callable[[random.Random, bool], Draft]

_ASK = [" Answer yes or no.", " Yes or no?", " Reply with yes or no.", " Just say yes or no.",
        " Please answer yes or no."]  # fmt: skip
_THINGS = [("licence", "licences"), ("seat", "seats"), ("ticket", "tickets"), ("training voucher", "training vouchers"),
           ("cloud server-day", "cloud server-days")]  # fmt: skip
_ITEMS = ["desk", "chair", "lamp", "monitor", "keyboard", "printer", "router", "shelf", "headset", "webcam"]


def _draft(request: str, yes: bool, why: str) -> Draft:
    verdict = "yes" if yes else "no"
    return request, "yes_no", {"yes_no": verdict, "answer": f"{verdict.capitalize()}. {why}"}


def _money(rng: random.Random) -> str:
    return pick(rng, ["$", "€", "£"])


def _ram(rng: random.Random, yes: bool) -> Draft:
    cap = pick(rng, ["8", "16", "24", "32", "48", "64", "128"])
    have = int(cap)
    need = rng.randint(max(2, have // 3), have - 1) if yes else rng.randint(have + 1, have * 2)
    request = pick(rng, [
        f"The server has {have} GB of RAM and the job needs {need} GB. Is that enough?",
        f"A job needs {need} GB of memory and our machine has {have} GB. Will it fit in memory?",
        f"Can a machine with {have} GB of RAM run a process that needs {need} GB?",
    ]) + pick(rng, _ASK)  # fmt: skip
    return _draft(request, yes, f"It needs {need} GB and {have} GB are available.")


def _shopping(rng: random.Random, yes: bool) -> Draft:
    names = rng.sample(_ITEMS, 3)
    prices = [rng.randint(15, 400) for _ in names]
    total = sum(prices)
    budget = total + rng.randint(1, max(2, total // 8)) if yes else total - rng.randint(1, max(2, total // 8))
    c = _money(rng)
    listed = f"a {names[0]} for {c}{prices[0]}, a {names[1]} for {c}{prices[1]} and a {names[2]} for {c}{prices[2]}"
    request = pick(rng, [
        f"I have {c}{budget}. I want to buy {listed}. Can I afford all three?",
        f"My budget is {c}{budget}. Is it enough for {listed}?",
        f"Do {listed} fit in a budget of {c}{budget}?",
    ]) + pick(rng, _ASK)  # fmt: skip
    return _draft(request, yes, f"They cost {c}{total} in total against {c}{budget}.")


def _per_unit(rng: random.Random, yes: bool) -> Draft:
    unit, count = rng.randint(5, 120), rng.randint(3, 40)
    total = unit * count
    delta = rng.randint(1, max(2, total // 10))
    budget = total + delta if yes else total - delta
    c = _money(rng)
    thing, things = _THINGS[rng.randrange(len(_THINGS))]
    request = pick(rng, [
        f"Each {thing} costs {c}{unit} and we need {count}. Our budget is {c}{fmt(budget)}. Is the budget enough?",
        f"We need {count} {things} at {c}{unit} each. Can we pay for them with {c}{fmt(budget)}?",
        f"With {c}{fmt(budget)}, can we buy {count} {things} at {c}{unit} each?",
    ]) + pick(rng, _ASK)  # fmt: skip
    return _draft(request, yes, f"{count} × {c}{unit} = {c}{fmt(total)} against {c}{fmt(budget)}.")


def _time_total(rng: random.Random, yes: bool) -> Draft:
    tasks = [rng.randint(15, 95) for _ in range(rng.randint(3, 4))]
    total = sum(tasks)
    halves = total // 30
    if yes:
        available = (halves + 1 + rng.randint(0, 2)) * 30
    else:
        available = max(30, (halves - rng.randint(0, 2)) * 30)
        if available >= total:
            available -= 30
    hours = fmt(available / 60)
    listed = ", ".join(f"{t}" for t in tasks[:-1]) + f" and {tasks[-1]}"
    request = pick(rng, [
        f"My tasks take {listed} minutes. I have {hours} hours. Can I finish all of them?",
        f"Tasks of {listed} minutes must be done in a {hours}-hour slot. Is there enough time?",
        f"I have {hours} hours free. Will {listed} minutes of work fit?",
    ]) + pick(rng, _ASK)  # fmt: skip
    return _draft(request, yes, f"The tasks take {total} minutes and {hours} hours is {available} minutes.")


def _percent_cap(rng: random.Random, yes: bool) -> Draft:
    percent = pick(rng, ["5", "8", "10", "12", "15", "20", "25", "30"])
    budget = rng.randint(20, 400) * 100
    limit = int(percent) * budget // 100
    delta = rng.randint(1, max(2, limit // 6))
    cost = limit - delta if yes else limit + delta
    c = _money(rng)
    area = pick(rng, ["travel", "software", "hardware", "training", "catering"])
    request = pick(rng, [
        f"We may spend at most {percent}% of our {c}{fmt(budget)} budget on {area}. The {area} bill is "
        f"{c}{fmt(cost)}. Is it within the limit?",
        f"Our {area} spending is capped at {percent} percent of a {c}{fmt(budget)} budget. Can we pay a "
        f"{c}{fmt(cost)} {area} invoice?",
    ]) + pick(rng, _ASK)  # fmt: skip
    return _draft(request, yes, f"The cap is {c}{fmt(limit)} and the bill is {c}{fmt(cost)}.")


def _pump(rng: random.Random, yes: bool) -> Draft:
    rate, minutes = rng.randint(5, 60), rng.randint(5, 60)
    moved = rate * minutes
    delta = rng.randint(1, max(2, moved // 8))
    volume = moved - delta if yes else moved + delta
    request = pick(rng, [
        f"A pump moves {rate} litres per minute. Can it fill a {fmt(volume)}-litre tank in {minutes} minutes?",
        f"At {rate} L/min, will a {fmt(volume)} L tank be full within {minutes} minutes?",
    ]) + pick(rng, _ASK)  # fmt: skip
    return _draft(request, yes, f"In {minutes} minutes it moves {fmt(moved)} litres.")


def _download(rng: random.Random, yes: bool) -> Draft:
    speed = pick(rng, ["10", "20", "25", "40", "50", "100"])
    size = rng.randint(2, 60)
    needed = size * 1000 / int(speed) / 60
    if needed < 2:
        size = rng.randint(2, 60)
        speed, needed = "10", size * 1000 / 10 / 60
    limit = math.ceil(needed) + rng.randint(0, 4) if yes else math.floor(needed) - rng.randint(0, 1)
    if limit == needed:
        limit += 1 if yes else -1
    request = pick(rng, [
        f"A {size} GB file downloads at {speed} MB/s (1 GB = 1000 MB). Will it finish within {limit} minutes?",
        f"Can I download {size} GB at {speed} megabytes per second in under {limit} minutes? Use 1 GB = 1000 MB.",
    ]) + pick(rng, _ASK)  # fmt: skip
    return _draft(request, yes, f"It takes {fmt(round(needed, 2))} minutes.")


def _disk(rng: random.Random, yes: bool) -> Draft:
    files, each = rng.randint(10, 400), rng.randint(20, 900)
    used = files * each
    if yes:
        tenths = math.ceil(used / 100) + rng.randint(0, 3)
        tenths += 1 if tenths * 100 == used else 0
    else:
        tenths = math.floor(used / 100) - rng.randint(0, 3)
        tenths -= 1 if tenths * 100 == used else 0
    if tenths < 1:
        return _disk(rng, yes)
    free_mb = tenths * 100
    free = tenths / 10
    request = pick(rng, [
        f"A disk has {fmt(free)} GB free. We need to store {files} files of {each} MB each (1 GB = 1000 MB). "
        "Does it fit?",
        f"Will {files} files of {each} MB fit on a drive with {fmt(free)} GB free? Take 1 GB as 1000 MB.",
    ]) + pick(rng, _ASK)  # fmt: skip
    return _draft(request, yes, f"The files need {fmt(used)} MB and {fmt(free_mb)} MB are free.")


def _seats(rng: random.Random, yes: bool) -> Draft:
    groups, size = rng.randint(3, 12), rng.randint(4, 30)
    people = groups * size
    delta = rng.randint(1, max(2, people // 10))
    seats = people + delta if yes else people - delta
    request = pick(rng, [
        f"A hall seats {seats} people. {groups} groups of {size} people arrive. Is there a seat for everyone?",
        f"We expect {groups} teams of {size}. The room holds {seats}. Is it big enough?",
    ]) + pick(rng, _ASK)  # fmt: skip
    return _draft(request, yes, f"{groups} × {size} = {people} people for {seats} seats.")


def _van_in_words(rng: random.Random, yes: bool) -> Draft:
    crates, weight = rng.randint(2, 9), rng.randint(4, 60) * 10
    load = crates * weight
    delta = rng.randint(1, max(1, load // 100)) * 10
    capacity = load + delta if yes else load - delta
    request = pick(rng, [
        f"The van can carry {words_for(capacity)} kilograms. We have {words_for(crates)} crates of "
        f"{words_for(weight)} kilograms each. Can the van carry them all?",
        f"Can a trailer rated for {words_for(capacity)} kilograms take {words_for(crates)} crates weighing "
        f"{words_for(weight)} kilograms each?",
    ]) + pick(rng, _ASK)  # fmt: skip
    return _draft(request, yes, f"The load is {load} kg against {capacity} kg.")


def _fuel(rng: random.Random, yes: bool) -> Draft:
    per_100, tank = rng.randint(4, 12), rng.randint(20, 70)
    reach = tank * 100 / per_100
    delta = rng.randint(5, max(6, int(reach) // 8))
    distance = int(reach) - delta if yes else int(reach) + delta
    request = pick(rng, [
        f"A car uses {per_100} litres per 100 km and has {tank} litres in the tank. Can it drive {distance} km "
        "without refuelling?",
        f"With {tank} litres of fuel at {per_100} L/100 km, can I cover {distance} km?",
    ]) + pick(rng, _ASK)  # fmt: skip
    return _draft(request, yes, f"It can go {fmt(round(reach, 1))} km.")


def _person_hours(rng: random.Random, yes: bool) -> Draft:
    people, hours, weeks = rng.randint(2, 9), pick(rng, ["10", "20", "30", "40"]), rng.randint(2, 8)
    capacity = people * int(hours) * weeks
    delta = rng.randint(1, max(2, capacity // 10))
    needed = capacity - delta if yes else capacity + delta
    request = pick(rng, [
        f"{people} people each work {hours} hours a week. The project needs {fmt(needed)} person-hours and must "
        f"be done in {weeks} weeks. Is that achievable?",
        f"Can a team of {people}, each giving {hours} hours per week, deliver {fmt(needed)} hours of work in "
        f"{weeks} weeks?",
    ]) + pick(rng, _ASK)  # fmt: skip
    return _draft(request, yes, f"The team has {fmt(capacity)} person-hours.")


_TEMPLATES: list[Template] = [
    _ram, _shopping, _per_unit, _time_total, _percent_cap, _pump, _download, _disk, _seats, _van_in_words,
    _fuel, _person_hours,
]  # fmt: skip


def _fixed(template: Template, yes: bool) -> Maker:
    def make(rng: random.Random) -> Draft:
        return template(rng, yes)

    make.__name__ = f"{template.__name__}_{'yes' if yes else 'no'}"
    return make


MAKERS: list[Maker] = [_fixed(t, i % 2 == 0) for i, t in enumerate(_TEMPLATES)] + [
    _fixed(t, i % 2 == 1) for i, t in enumerate(_TEMPLATES)
]
"""Each template twice (yes, no), alternating, so any run of the cycle is balanced."""
