"""Ref's curation steps: fold near-duplicates together and summarise a subtree. Each step is
appended to the curation log with who did it, when, and the ids that went in and came out;
removed entries are kept in full in the log record, so curation never loses text."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from qsm.errors import MemoryStoreError
from qsm.store.engine import MemoryEngine
from qsm.store.filters import subtree
from qsm.store.models import (
    DedupeReport,
    DuplicateGroup,
    LogOperation,
    MemoryEntry,
    Operation,
    Provenance,
    entry_id,
)
from qsm.store.paths import normalize_path, topic_from_path

__all__ = ["Summariser", "dedupe_subtree", "delete_entry", "relocate_entry", "summarise_subtree"]

Summariser = Callable[[list[str]], str]
_BLOCK = 1024


def dedupe_subtree(engine: MemoryEngine, path: str, threshold: float, as_agent: str) -> DedupeReport:
    """Group entries under ``path`` whose cosine similarity to a kept entry is >= ``threshold``.

    The kept entry of a group is the most confident, then the oldest; it records the others' ids in
    ``provenance.merged`` and the others are removed (their ids redirect to it).
    """
    path = normalize_path(path)
    if not 0.0 < threshold <= 1.0:
        raise MemoryStoreError(f"dedupe threshold must be in (0, 1], got {threshold}")
    engine.policy.require(as_agent, "curate", path)
    entries, vectors = engine.fetch_with_vectors(subtree(path))
    order = sorted(
        range(len(entries)), key=lambda i: (-entries[i].confidence, entries[i].created_at, entries[i].id)
    )
    entries = [entries[i] for i in order]
    groups = _group(vectors[order] if entries else vectors, threshold)
    report_groups: list[DuplicateGroup] = []
    kept_updates: list[MemoryEntry] = []
    removed: list[MemoryEntry] = []
    now = engine.now()
    for keep, members, similarity in groups:
        kept, others = entries[keep], [entries[m] for m in members]
        merged = (
            *kept.provenance.merged,
            *(o.id for o in others),
            *(m for o in others for m in o.provenance.merged),
        )
        provenance = Provenance(
            operation="dedupe",
            by=as_agent,
            at=now,
            source=kept.provenance.source,
            parents=kept.provenance.parents,
            merged=tuple(dict.fromkeys(merged)),
        )
        kept_updates.append(kept.model_copy(update={"provenance": provenance}))
        removed.extend(others)
        report_groups.append(
            DuplicateGroup(kept=kept.id, removed=tuple(o.id for o in others), min_similarity=similarity)
        )
    record = None
    if report_groups:
        engine.update(kept_updates)
        engine.remove(removed)
        engine.sidecar.add_redirects({o: g.kept for g in report_groups for o in g.removed})
        record = engine.log(
            as_agent,
            "dedupe",
            path,
            inputs=[i for g in report_groups for i in (g.kept, *g.removed)],
            outputs=[g.kept for g in report_groups],
            threshold=threshold,
            groups=[g.model_dump() for g in report_groups],
            removed_entries=[e.model_dump(mode="json") for e in removed],
        )
    return DedupeReport(
        path=path, threshold=threshold, scanned=len(entries), groups=report_groups, record=record
    )


def _group(vectors: np.ndarray, threshold: float) -> list[tuple[int, list[int], float]]:
    """Greedy grouping in preference order: each unassigned row takes every later unassigned row
    at least ``threshold`` similar to it. Returns (kept row, member rows, lowest similarity)."""
    n = len(vectors)
    assigned = np.zeros(n, dtype=bool)
    neighbours: dict[int, list[tuple[int, float]]] = {}
    for start in range(0, n, _BLOCK):
        sims = vectors[start : start + _BLOCK] @ vectors.T
        for offset, row in enumerate(sims):
            i = start + offset
            close = np.nonzero(row[i + 1 :] >= threshold - 1e-6)[0] + i + 1
            if close.size:
                neighbours[i] = [(int(j), float(row[j])) for j in close]
    groups: list[tuple[int, list[int], float]] = []
    for i in range(n):
        if assigned[i] or i not in neighbours:
            continue
        members = [(j, s) for j, s in neighbours[i] if not assigned[j]]
        if members:
            assigned[i] = True
            assigned[[j for j, _ in members]] = True
            groups.append((i, [j for j, _ in members], round(min(s for _, s in members), 6)))
    return groups


def summarise_subtree(
    engine: MemoryEngine,
    path: str,
    summarise: Summariser,
    as_agent: str,
    target: str | None,
    max_entries: int,
) -> MemoryEntry:
    """Write ``summarise(texts)`` of the newest ``max_entries`` entries under ``path`` to ``target``
    (default: ``path``), with the summarised entries as parents."""
    path = normalize_path(path, allow_root=False)
    target = engine.entry_path(target or path)
    engine.policy.require(as_agent, "curate", path)
    entries = engine.find(subtree(path))[-max_entries:]
    if not entries:
        raise MemoryStoreError(f"there is nothing to summarise under {path}")
    text = summarise([e.text for e in entries])
    if not isinstance(text, str) or not text.strip():
        raise MemoryStoreError(
            f"the summariser returned no text for {path}", hint="check the model behind it"
        )
    summary = engine.new_entry(
        text.strip(),
        target,
        writer=as_agent,
        operation="summarise",
        source=f"summary of {path}",
        confidence=min(e.confidence for e in entries),
        parents=[e.id for e in entries],
        extra={"summarised": len(entries)},
    )
    engine.policy.require(as_agent, "curate", target, rejected=summary)
    stored, added = engine.store([summary])
    engine.log(
        as_agent,
        "summarise",
        target,
        [e.id for e in entries],
        [stored[0].id],
        source_path=path,
        new=bool(added),
    )
    return stored[0]


def relocate_entry(
    engine: MemoryEngine, entry_id_: str, new_path: str, as_agent: str, operation: Operation
) -> MemoryEntry:
    """Move an entry to ``new_path``: a new id (path is part of the content), the old id as parent and
    redirecting to it, the vector reused; onto identical content at ``new_path`` it merges."""
    old = engine.existing(entry_id_)
    new_path = engine.entry_path(new_path)
    engine.policy.require(as_agent, "curate", old.path)
    if new_path == old.path:
        return old
    topic = topic_from_path(new_path) if old.topic == topic_from_path(old.path) else old.topic
    provenance = Provenance(
        operation=operation,
        by=as_agent,
        at=engine.now(),
        source=old.provenance.source,
        parents=(old.id,),
        merged=old.provenance.merged,
    )
    new = old.model_copy(
        update={
            "id": entry_id(old.text, new_path, old.key),
            "path": new_path,
            "topic": topic,
            "provenance": provenance,
        }
    )
    engine.policy.require(as_agent, "curate", new_path, rejected=new)
    stored = engine.relocate(old, new)
    log_op: LogOperation = "refile" if operation == "refile" else "move"
    engine.log(as_agent, log_op, new_path, [old.id], [stored.id], from_path=old.path)
    return stored


def delete_entry(engine: MemoryEngine, entry_id_: str, as_agent: str) -> MemoryEntry:
    """Remove an entry; its log record keeps it in full, so it can be restored."""
    entry = engine.existing(entry_id_)
    engine.policy.require(as_agent, "curate", entry.path)
    engine.remove([entry])
    engine.log(as_agent, "delete", entry.path, [entry.id], [], entry=entry.model_dump(mode="json"))
    return entry
