"""Refining rough vectors: entries that ingest stored with the fast stand-in's vectors get the model's.

Batch by batch, like ingest: the texts are embedded without holding the memory's lock (others read and
write meanwhile) and the vectors replaced under it; an entry deleted or moved meanwhile is skipped. A
kill leaves the rest marked rough, and the next refine goes on from there.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from qsm.store.engine import MemoryEngine
from qsm.store.ingest import INGEST_BATCH, EmbeddingPool

__all__ = ["RefineProgress", "RefineReport", "refine_vectors"]


@dataclass(frozen=True)
class RefineProgress:
    """After each batch: entries refined so far, of ``total`` rough ones when the refine started."""

    refined: int
    total: int


@dataclass(frozen=True)
class RefineReport:
    refined: int
    skipped: int
    """Rough entries no longer stored (deleted, or moved under a new id since)."""


def refine_vectors(
    engine: MemoryEngine,
    under: str,
    progress: Callable[[RefineProgress], None] | None = None,
    batch: int = INGEST_BATCH,
) -> RefineReport:
    """Give every rough entry at or below ``under`` the memory's own embedder's vector."""
    with engine.lock:
        total = engine.sidecar.rough_count(under)
    refined = skipped = 0
    with EmbeddingPool("qsm-refine") as pool:
        while True:
            with engine.lock:
                ids = engine.sidecar.rough(under, limit=batch)
                records = engine.backend.get(ids)
            if not ids:
                break
            vectors = pool.embed(engine.embedder, [r.document for r in records])
            with engine.lock:
                present = {r.id for r in engine.backend.get([r.id for r in records])}
                keep = [i for i, r in enumerate(records) if r.id in present]
                if keep:  # marks of entries gone (deleted meanwhile, or a kill before unmarking) just go
                    engine.set_vectors([records[i].id for i in keep], vectors[keep])
                engine.sidecar.drop_rough(ids)
            refined += len(keep)
            skipped += len(ids) - len(keep)
            if progress is not None:
                progress(RefineProgress(refined + skipped, total))
    return RefineReport(refined=refined, skipped=skipped)
