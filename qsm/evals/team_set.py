"""The public team set: categories and loading from the packaged ``team_set.jsonl``."""

from __future__ import annotations

import json
from importlib import resources
from importlib.resources.abc import Traversable
from typing import Any, Final

__all__ = ["CATEGORIES", "load_team_set", "team_set_file"]

CATEGORIES: Final[tuple[str, ...]] = ("arithmetic", "facts", "notes", "resource", "format", "multistep")
"""Every category of the team set, in file order."""


def team_set_file() -> Traversable:
    """The packaged ``team_set.jsonl``."""
    return resources.files("qsm.evals") / "team_set.jsonl"


def load_team_set(
    categories: list[str] | None = None, limit_per_category: int | None = None
) -> list[dict[str, Any]]:
    """The team set's items (fresh dicts), optionally only ``categories`` and the first
    ``limit_per_category`` items of each, in file order.

    Raises ValueError for an unknown category or a negative limit, FileNotFoundError when the package data
    is missing (reinstall qsm-agents, or run ``python -m qsm.evals.build_team_set``).
    """
    wanted = list(CATEGORIES) if categories is None else list(categories)
    unknown = [name for name in wanted if name not in CATEGORIES]
    if unknown:
        raise ValueError(f"unknown team-set categories {unknown}; choose from {list(CATEGORIES)}")
    if limit_per_category is not None and limit_per_category < 0:
        raise ValueError(f"limit_per_category must be >= 0, got {limit_per_category}")
    source = team_set_file()
    if not source.is_file():
        raise FileNotFoundError(
            f"{source} is missing: reinstall qsm-agents, or run python -m qsm.evals.build_team_set"
        )
    taken: dict[str, int] = dict.fromkeys(wanted, 0)
    items: list[dict[str, Any]] = []
    for line in source.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        item = json.loads(line)
        category = item["category"]
        if category not in taken:
            continue
        if limit_per_category is not None and taken[category] >= limit_per_category:
            continue
        taken[category] += 1
        items.append(item)
    return items
