"""Entries <-> flat backend metadata (Chroma metadata holds only scalars and lists of them).

``ancestors`` lists every prefix of the entry's path, so ``{"ancestors": {"$contains": P}}`` selects
the subtree ``P`` inside a Chroma query.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from qsm.store.models import MemoryEntry, Provenance
from qsm.store.paths import ancestors

__all__ = ["entry_from_record", "metadata_of", "now_ms", "to_datetime", "to_ms"]


def to_ms(moment: datetime) -> int:
    return round(moment.timestamp() * 1000)


def to_datetime(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, tz=UTC)


def now_ms(moment: datetime) -> datetime:
    """``moment`` in UTC, truncated to milliseconds (what the store can keep exactly)."""
    return to_datetime(to_ms(moment))


def metadata_of(entry: MemoryEntry) -> dict[str, Any]:
    meta: dict[str, Any] = {
        "path": entry.path,
        "sid": entry.short_id,
        "ancestors": ancestors(entry.path),
        "topic": entry.topic,
        "writer": entry.writer,
        "created_ms": to_ms(entry.created_at),
        "confidence": float(entry.confidence),
        "source": entry.source,
        "op": entry.provenance.operation,
        "by": entry.provenance.by,
        "op_ms": to_ms(entry.provenance.at),
        "op_source": entry.provenance.source,
        "parents": json.dumps(list(entry.provenance.parents)),
        "merged": json.dumps(list(entry.provenance.merged)),
    }
    if entry.key is not None:
        meta["key"] = entry.key
    meta.update({f"x_{name}": value for name, value in entry.extra.items()})
    return meta


def entry_from_record(record_id: str, document: str, meta: dict[str, Any]) -> MemoryEntry:
    return MemoryEntry(
        id=record_id,
        text=document,
        path=meta["path"],
        topic=meta["topic"],
        writer=meta["writer"],
        created_at=to_datetime(int(meta["created_ms"])),
        confidence=round(float(meta["confidence"]), 6),
        source=meta["source"],
        key=meta.get("key"),
        extra={k[2:]: v for k, v in meta.items() if k.startswith("x_")},
        provenance=Provenance(
            operation=meta["op"],
            by=meta["by"],
            at=to_datetime(int(meta["op_ms"])),
            source=meta.get("op_source", ""),
            parents=tuple(json.loads(meta.get("parents", "[]"))),
            merged=tuple(json.loads(meta.get("merged", "[]"))),
        ),
    )
