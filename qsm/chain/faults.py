"""Crash injection for the crash tests: ``QSM_LEDGER_CRASH_AT=<point>[:<n>]`` SIGKILLs this process the
n-th time (default first) the worker passes ``<point>``. Unset in normal use: a single dict lookup."""

from __future__ import annotations

import os
import signal
from collections import Counter

__all__ = ["CRASH_ENV", "CRASH_POINTS", "crash_point"]

CRASH_ENV = "QSM_LEDGER_CRASH_AT"

#: Where the worker checks: right after each committed outbox transition, and right after a send.
CRASH_POINTS = (
    "recorded",  # output committed, receipt not yet returned (so not acknowledged)
    "sealed",  # batch sealed
    "signed",  # raw tx stored, not yet sent
    "sent",  # node took the tx, outbox not yet updated
    "broadcast",  # outbox says broadcast
    "bumped",  # fee-bumped replacement stored, not yet sent
    "mined",  # receipt recorded
    "reorged",  # receipt vanished, recorded, not yet re-sent
    "final",  # marked final
)

_hits: Counter[str] = Counter()


def crash_point(name: str) -> None:
    """Kill this process with SIGKILL if ``$QSM_LEDGER_CRASH_AT`` names this point (and hit count)."""
    spec = os.environ.get(CRASH_ENV)
    if not spec:
        return
    target, _, count = spec.partition(":")
    if target != name:
        return
    _hits[name] += 1
    if _hits[name] >= int(count or 1):
        os.kill(os.getpid(), signal.SIGKILL)
