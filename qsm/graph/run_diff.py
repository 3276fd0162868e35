"""Which messages differ between two runs of the same workflow, by content id.

The n-th message on a channel of one run is compared with the n-th on the same channel of the other.
A message's id covers its type, payload and parents, so equal ids mean the same content with the same
history; a message whose payload is equal but whose id differs says the same thing downstream of a change.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from qsm.graph.envelope import Envelope

__all__ = ["MessageDiff", "diff_runs"]

DiffStatus = Literal["same", "changed", "same content, new parents", "only in first", "only in second"]


@dataclass(frozen=True)
class MessageDiff:
    """The ``index``-th message (from 1) on ``channel`` in the first and second runs."""

    channel: str
    index: int
    status: DiffStatus
    first: Envelope | None
    second: Envelope | None

    @property
    def changed_fields(self) -> list[str]:
        """The payload fields whose values differ (both runs sent the message)."""
        if self.first is None or self.second is None:
            return []
        a, b = self.first.payload, self.second.payload
        return sorted(k for k in {*a, *b} if a.get(k) != b.get(k))


def _key(env: Envelope) -> str:
    return f"{env.source}->{env.target}:{env.type}"


def _numbered(trace: list[Envelope]) -> dict[tuple[str, int], Envelope]:
    seen: dict[str, int] = {}
    out: dict[tuple[str, int], Envelope] = {}
    for env in trace:
        key = _key(env)
        seen[key] = seen.get(key, 0) + 1
        out[(key, seen[key])] = env
    return out


def diff_runs(first: list[Envelope], second: list[Envelope]) -> list[MessageDiff]:
    """Every message of either run, in the first run's order and then the second's extra ones."""
    a, b = _numbered(first), _numbered(second)
    out = []
    for slot in [*a, *(s for s in b if s not in a)]:
        x, y = a.get(slot), b.get(slot)
        status: DiffStatus
        if x is None:
            status = "only in second"
        elif y is None:
            status = "only in first"
        elif x.id == y.id:
            status = "same"
        elif x.payload == y.payload:
            status = "same content, new parents"
        else:
            status = "changed"
        out.append(MessageDiff(slot[0], slot[1], status, x, y))
    return out
