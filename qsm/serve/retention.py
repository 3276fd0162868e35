"""How much of its runs a server keeps in memory (:class:`Retention`), so that memory stays flat under a
long load: every run's events are kept as JSON text while it goes on; once runs have ended, the oldest
ended runs lose their events when all runs' events together pass ``max_bytes`` or when they ended more
than ``max_age_s`` ago, and the oldest ended runs are forgotten altogether beyond ``max_runs``.

A run whose events were dropped keeps its summary (status, answer, ids: a few hundred bytes), so
``GET /threads/{thread_id}/runs/{run_id}`` still answers; its event stream answers 410. Threads, their
answers and checkpoints live in the run store and are never dropped."""

from __future__ import annotations

import time
from collections.abc import MutableMapping
from dataclasses import dataclass
from typing import Protocol, TypeVar

__all__ = ["KEPT_EVENT_AGE_S", "KEPT_EVENT_BYTES", "KEPT_RUNS", "Retention"]

KEPT_RUNS = 1000
"""Runs a server remembers (ended ones beyond this are forgotten, oldest first)."""
KEPT_EVENT_BYTES = 32 * 2**20
"""Bytes of event JSON a server keeps for all its runs together."""
KEPT_EVENT_AGE_S = 3600.0
"""Seconds a run's events are kept after it ended."""


class Kept(Protocol):
    """What retention needs of a run."""

    @property
    def ended_at(self) -> float | None: ...

    @property
    def event_bytes(self) -> int: ...

    def drop_events(self) -> None: ...


K = TypeVar("K", bound=Kept)


@dataclass(frozen=True)
class Retention:
    """The limits (see the module docstring)."""

    max_runs: int = KEPT_RUNS
    max_bytes: int = KEPT_EVENT_BYTES
    max_age_s: float = KEPT_EVENT_AGE_S

    def prune(self, runs: MutableMapping[str, K], now: float | None = None) -> None:
        """Drop events and runs of ``runs`` (oldest first, as inserted) past the limits; a run that has
        not ended keeps everything. Call it with the runs' lock held."""
        now = time.time() if now is None else now
        total = sum(run.event_bytes for run in runs.values())
        for run_id in list(runs):
            run = runs[run_id]
            if run.ended_at is None:
                continue
            if len(runs) > self.max_runs:
                total -= run.event_bytes
                del runs[run_id]
            elif run.event_bytes and (total > self.max_bytes or now - run.ended_at > self.max_age_s):
                total -= run.event_bytes
                run.drop_events()
