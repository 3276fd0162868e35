"""What the seed generators share: a seeded random source, example construction, JSON targets, splits."""

from __future__ import annotations

import json
import random
from collections import defaultdict
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from pydantic import BaseModel

from qsm.agents.backend import ChatMessage
from qsm.train.example import Example, Split, TaskKey, example_id

__all__ = ["Seeds", "reply_json", "split_by_group", "unique_examples"]

T = TypeVar("T")


class Seeds:
    """A deterministic source of choices for the templates (one per role and generator seed)."""

    def __init__(self, seed: int, salt: str) -> None:
        self.rng = random.Random(f"{seed}:{salt}")

    def pick(self, options: Sequence[T]) -> T:
        return options[self.rng.randrange(len(options))]

    def sample(self, options: Sequence[T], k: int) -> list[T]:
        return self.rng.sample(list(options), k)

    def number(self, low: int, high: int) -> int:
        return self.rng.randint(low, high)

    def chance(self, p: float) -> bool:
        return self.rng.random() < p

    def strength(self) -> float:
        """A channel strength as runs see them: new channels start at 0.5, use reinforces them."""
        return round(self.rng.uniform(0.5, 1.0), 2)

    def phrase(self, request: str) -> str:
        """The same request as users vary it: a greeting or a politeness around it, sometimes."""
        before = self.pick(("", "", "", "Hi! ", "Quick question: ", "Please help: ", "Hello, "))
        after = self.pick(("", "", "", " Thanks.", " Please be brief.", " Thank you!"))
        return before + request + after

    def shuffle(self, items: list[T]) -> list[T]:
        self.rng.shuffle(items)
        return items


def reply_json(reply: BaseModel) -> str:
    """A reply object as the one-line JSON an agent should answer with (schema field order)."""
    return json.dumps(reply.model_dump(mode="json"), ensure_ascii=False)


def example(
    task: TaskKey,
    category: str,
    group: str,
    messages: list[ChatMessage],
    target: str,
    gold: dict[str, Any],
) -> Example:
    role = task.split(".", 1)[0]
    return Example(
        id=example_id(task, messages, target),
        role=role,
        task=task,
        category=category,
        group=f"{task}:{group}",
        messages=messages,
        target=target,
        gold=gold,
    )


def unique_examples(make: Callable[[], Example], count: int) -> list[Example]:
    """``count`` examples from ``make`` with distinct user messages (templates repeat; duplicates are
    dropped). Stops early if the templates cannot give that many distinct prompts."""
    seen: set[str] = set()
    out: list[Example] = []
    tries = 0
    while len(out) < count and tries < count * 30:
        tries += 1
        item = make()
        key = item.messages[-1]["content"]
        if key not in seen:
            seen.add(key)
            out.append(item)
    return out


def split_by_group(
    examples: list[Example], *, test: float, val: float, seed: int
) -> dict[Split, list[Example]]:
    """Split whole groups, so near-duplicates never straddle train and test, stratified by task and by
    the category of each group's first example."""
    splits: dict[Split, list[Example]] = {"train": [], "val": [], "test": []}
    groups: dict[str, list[Example]] = defaultdict(list)
    for item in examples:
        groups[item.group].append(item)
    strata: dict[tuple[str, str], dict[str, list[Example]]] = defaultdict(dict)
    for group, items in groups.items():
        strata[items[0].task, items[0].category][group] = items
    rng = random.Random(f"{seed}:split")
    held_out: tuple[tuple[Split, float], ...] = (("test", test), ("val", val))
    # rounding carried across strata, so many small strata still add up
    owed: dict[Split, float] = {"test": 0.0, "val": 0.0}
    for stratum in sorted(strata):
        names = sorted(strata[stratum])
        rng.shuffle(names)
        total = sum(len(strata[stratum][g]) for g in names)
        want: dict[Split, int] = {}
        for split, share in held_out:
            exact = total * share + owed[split]
            want[split] = round(exact)
            owed[split] = exact - want[split]
        for group in names:
            items = strata[stratum][group]
            name: Split = next((s for s, _ in held_out if want[s] > 0), "train")
            if name != "train":
                want[name] -= len(items)
            splits[name].extend(items)
    return splits
