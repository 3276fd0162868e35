"""The LangGraph state of a run. Keys written by parallel candidate branches have merging reducers.

A thread holds one run per turn. Its checkpoints keep every key from one run to the next, and the merging
reducers would fold a new run's writes into the last run's values (its spent budget, drafts, trace), so
:func:`new_run_input` starts every per-run key afresh: reducer keys through LangGraph's ``Overwrite``,
which bypasses the reducer, the others by writing their empty value. Resuming a run passes no input and
keeps the interrupted run's state as it is.
"""

from __future__ import annotations

import operator
from typing import Annotated, Any, TypedDict

from langgraph.types import Overwrite

__all__ = ["RunState", "add_costs", "first_set", "merge_dicts", "new_run_input"]


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
    """``plan``, ``budget``, ``final``, ``cost`` and ``receipt`` are None from the start of a run on a
    thread that already had one until this run writes them (see :func:`new_run_input`)."""

    workflow: str
    request: dict[str, Any]
    plan: dict[str, Any] | None
    budget: dict[str, Any] | None
    expected: int
    tasks: Annotated[dict[str, Any], merge_dicts]
    drafts: Annotated[dict[str, Any], merge_dicts]
    verdicts: Annotated[dict[str, Any], merge_dicts]
    settled: Annotated[dict[str, str], merge_dicts]
    inbox: Annotated[dict[str, Any], merge_dicts]
    final: dict[str, Any] | None
    cost: dict[str, Any] | None
    receipt: dict[str, Any] | None
    trace: Annotated[list[dict[str, Any]], operator.add]
    spent: Annotated[dict[str, dict[str, Any]], add_costs]
    exhausted: Annotated[str, first_set]
    errors: Annotated[list[str], operator.add]
    flow: Annotated[dict[str, Any], merge_dicts]
    """Pipeline control flow (:mod:`qsm.graph.flow`): how often each routed node ran (``rounds:<node>``),
    the target its route chose (``route:<node>``), and messages held for an approval (``pending:<node>``)."""
    conversation: dict[str, Any] | None
    """The earlier turns of the thread this run sees (:class:`qsm.graph.turns.EarlierTurns`), fixed when
    the run starts; None on a thread's first turn."""


def new_run_input(
    workflow: str,
    request: dict[str, Any],
    conversation: dict[str, Any] | None = None,
    spent: dict[str, dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """The graph input that starts a run on a thread: the workflow's name, the request (the trace's first
    message), and every other key of :class:`RunState` reset, so nothing of an earlier run on the same
    thread (its budget spent, drafts, verdicts, settled questions, answer, cost or trace) reaches this one.
    The thread's checkpoint history still holds the earlier runs; what of them the agents see is
    ``conversation`` (the earlier turns, see :mod:`qsm.graph.turns`), and ``spent`` is what preparing it
    cost (WeQ's summary of older turns), charged to this run."""
    return {
        "workflow": workflow,
        "request": request,
        "plan": None,
        "budget": None,
        "expected": 0,
        "tasks": Overwrite({}),
        "drafts": Overwrite({}),
        "verdicts": Overwrite({}),
        "settled": Overwrite({}),
        "inbox": Overwrite({}),
        "final": None,
        "cost": None,
        "receipt": None,
        "trace": Overwrite([request]),
        "spent": Overwrite(spent or {}),
        "exhausted": Overwrite(""),
        "errors": Overwrite([]),
        "flow": Overwrite({}),
        "conversation": conversation,
    }
