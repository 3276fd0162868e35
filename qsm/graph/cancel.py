"""Stopping a run at its next token: a :class:`threading.Event` per run, set by whoever stops it (Stop in the
app, Ctrl-C in ``qsm chat``, the run manager), checked by every streamed token and before every model call.

The runner puts the event into the graph's config (:func:`run_config`); each :class:`~qsm.graph.agent_call.
AgentCall` reads it (:func:`current_signal`) and raises :class:`RunCancelled` once it is set. The exception
leaves the step without writes, so the thread's checkpoint is the one before the step (plus the writes of
parallel tasks that finished) and a resume runs the interrupted step again; the runner turns it into a
``done`` event with status ``interrupted``.
"""

from __future__ import annotations

import threading
from typing import Any

__all__ = ["RunCancelled", "check", "current_signal", "run_config"]

_KEY = "__qsm_cancel"  # LangGraph keeps configurable keys that start with "__" out of checkpoint metadata


class RunCancelled(BaseException):
    """The run was asked to stop. A BaseException, like KeyboardInterrupt, so that no retry or error
    handler in a step or a backend takes it for a failed model call."""


def run_config(config: dict[str, Any], cancel: threading.Event | None) -> dict[str, Any]:
    """``config`` with the run's stop signal in it (unchanged without one)."""
    if cancel is None:
        return config
    return {**config, "configurable": {**config["configurable"], _KEY: cancel}}


def current_signal() -> threading.Event | None:
    """The stop signal of the run whose step is executing; None outside a run or for a run without one."""
    try:
        from langgraph.config import get_config

        value = get_config().get("configurable", {}).get(_KEY)
    except (RuntimeError, LookupError):  # not inside a running graph
        return None
    return value if isinstance(value, threading.Event) else None


def check(cancel: threading.Event | None) -> None:
    """Raise :class:`RunCancelled` when ``cancel`` is set."""
    if cancel is not None and cancel.is_set():
        raise RunCancelled("the run was stopped")
