"""The LangGraph state of a run. Keys written by parallel candidate branches have merging reducers."""

from __future__ import annotations

import operator
from typing import Annotated, Any, TypedDict

__all__ = ["RunState", "add_costs", "first_set", "merge_dicts"]


def merge_dicts(left: dict[str, Any] | None, right: dict[str, Any] | None) -> dict[str, Any]:
    return {**(left or {}), **(right or {})}


def add_costs(
    left: dict[str, dict[str, Any]] | None, right: dict[str, dict[str, Any]] | None
) -> dict[str, Any]:
    """Sum per-agent costs: ``{"WeQ": {"calls": 1, "prompt_tokens": 30, ...}}``."""
    out = {k: dict(v) for k, v in (left or {}).items()}
    for agent, cost in (right or {}).items():
        mine = out.setdefault(agent, {})
        for field, value in cost.items():
            mine[field] = mine.get(field, 0) + value
    return out


def first_set(left: str | None, right: str | None) -> str:
    return left or right or ""


class RunState(TypedDict, total=False):
    workflow: str
    request: dict[str, Any]
    plan: dict[str, Any]
    budget: dict[str, Any]
    expected: int
    tasks: Annotated[dict[str, Any], merge_dicts]
    drafts: Annotated[dict[str, Any], merge_dicts]
    verdicts: Annotated[dict[str, Any], merge_dicts]
    settled: Annotated[dict[str, str], merge_dicts]
    inbox: Annotated[dict[str, Any], merge_dicts]
    final: dict[str, Any]
    cost: dict[str, Any]
    receipt: dict[str, Any]
    trace: Annotated[list[dict[str, Any]], operator.add]
    spent: Annotated[dict[str, dict[str, Any]], add_costs]
    exhausted: Annotated[str, first_set]
    errors: Annotated[list[str], operator.add]
