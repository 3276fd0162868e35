"""The memory's working parts shared by the public API, curation, ingestion and export: building
entries, storing them once, reading them back, and keeping the directory index in step."""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import numpy as np

from qsm.errors import MemoryStoreError
from qsm.filelock import ProcessLock
from qsm.store.backend import Record, VectorBackend
from qsm.store.codec import entry_from_record, metadata_of, now_ms
from qsm.store.embedder import Embedder
from qsm.store.filters import Where, all_of, subtree
from qsm.store.guard import OperationLock
from qsm.store.models import (
    CurationRecord,
    LogOperation,
    MemoryEntry,
    Operation,
    Provenance,
    Scalar,
    SearchHit,
    entry_id,
)
from qsm.store.paths import VIEWS_ROOT, is_under, normalize_path, topic_from_path
from qsm.store.rights import AccessPolicy
from qsm.store.sidecar import Sidecar

__all__ = ["FORMAT_VERSION", "EngineOptions", "MemoryEngine", "backend_info"]

FORMAT_VERSION = 1
MAX_TEXT_CHARS = 32_000
POST_FILTER_SHARE = 0.25  # search a subtree holding at least this share of entries unfiltered
_EXTRA_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")


def backend_info(embedder: Embedder) -> dict[str, Any]:
    """What a collection records about itself when created."""
    return {"qsm_format": FORMAT_VERSION, "qsm_embedder": embedder.name, "qsm_dim": embedder.dim}


@dataclass(frozen=True)
class EngineOptions:
    chunk_chars: int = 800
    chunk_overlap: int = 100
    dedupe_threshold: float = 0.95


def entry_order(entry: MemoryEntry) -> tuple[Any, ...]:
    """Oldest first; the chunks of one ingested document in document order."""
    chunk = entry.extra.get("chunk", 0)
    return (entry.created_at, entry.source, chunk if isinstance(chunk, int) else 0, entry.id)


class MemoryEngine:
    def __init__(
        self,
        backend: VectorBackend,
        sidecar: Sidecar,
        embedder: Embedder,
        policy: AccessPolicy,
        options: EngineOptions,
        clock: Callable[[], datetime] | None = None,
        *,
        process_lock: ProcessLock | None = None,
        lock_timeout_s: float = 30.0,
        shared_backend: bool = False,
        fast_embedder: Embedder | None = None,
    ) -> None:
        """With ``process_lock`` (Chroma on disk), other processes may use the same store: every
        operation under :attr:`lock` holds it, and the caller holds it while this constructor runs.
        ``shared_backend`` (a Chroma server) means other clients write to it without telling this one.
        ``fast_embedder``, a quicker approximation in ``embedder``'s vector space, embeds ingested chunks
        (their vectors are refined with ``embedder`` later)."""
        self.backend = backend
        self.shared_backend = shared_backend
        self.sidecar = sidecar
        self.embedder = embedder
        self.fast_embedder = fast_embedder
        self.policy = policy
        self.options = options
        self.lock = OperationLock(process_lock, lock_timeout_s, self.refresh_if_stale)
        self._clock = clock or (lambda: datetime.now(UTC))
        self._seen_generation = sidecar.generation()
        self._check_embedder()
        if sidecar.total_entries() != backend.count():
            self.reindex()

    def refresh_if_stale(self) -> None:
        """Called with the process lock just taken: when another process has changed the store since
        this one last saw it, reopen the backend (whose in-memory index missed those writes) and
        repair the directory index if that process died between the two."""
        generation = self.sidecar.generation()
        if generation == self._seen_generation:
            return
        self.backend.refresh()
        self._seen_generation = generation
        if self.sidecar.total_entries() != self.backend.count():
            self.reindex()

    def sync_shared_views(self) -> None:
        """Before a listing (ls, tree) of a memory on a Chroma server: other clients (API workers on
        other machines) add, move and remove entries without touching this client's directory index,
        so rebuild it from the server (one metadata read of the collection)."""
        if self.shared_backend:
            self.reindex()

    def _will_write(self) -> None:
        """Before changing the backend: tell other processes their view of it is stale (before, so
        a crash half-way through still makes them reload)."""
        if self.lock.cross_process:
            self._seen_generation = self.sidecar.bump_generation()

    def now(self) -> datetime:
        return now_ms(self._clock())

    def _check_embedder(self) -> None:
        info = self.backend.info()
        if "qsm_embedder" not in info:
            raise MemoryStoreError(
                f"{self.backend.description} holds a collection that qsm did not create",
                hint="point memory.collection (or memory.path) at a qsm memory",
            )
        if info["qsm_embedder"] != self.embedder.name or int(info.get("qsm_dim", 0)) != self.embedder.dim:
            raise MemoryStoreError(
                f"{self.backend.description} was built with the embedder {info['qsm_embedder']!r} "
                f"({info.get('qsm_dim')} dims) but this run uses {self.embedder.name!r} ({self.embedder.dim})",
                hint="set memory.embedder back, or export this memory and import it into a new directory",
            )

    # building entries ------------------------------------------------------------------------
    def new_entry(
        self,
        text: str,
        path: str,
        *,
        writer: str,
        operation: Operation,
        topic: str | None = None,
        source: str | None = None,
        confidence: float = 1.0,
        parents: Sequence[str] = (),
        key: str | None = None,
        extra: dict[str, Scalar] | None = None,
        at: datetime | None = None,
    ) -> MemoryEntry:
        """A validated entry (not stored); raise :class:`MemoryStoreError` on bad input."""
        path = self.entry_path(path)
        if not isinstance(text, str) or not text.strip():
            raise MemoryStoreError(f"cannot store an empty text at {path}")
        if len(text) > MAX_TEXT_CHARS:
            raise MemoryStoreError(
                f"text for {path} has {len(text)} characters (limit {MAX_TEXT_CHARS})",
                hint="save it as a file and `qsm memory ingest` it: ingestion splits it into chunks",
            )
        if not 0.0 <= confidence <= 1.0:
            raise MemoryStoreError(f"confidence must be between 0 and 1, got {confidence}")
        for name, value in (extra or {}).items():
            if not _EXTRA_NAME.match(name) or not isinstance(value, str | int | float | bool):
                raise MemoryStoreError(
                    f"extra facet {name!r}={value!r} is not allowed",
                    hint="names are identifiers (letters, digits, _); values are strings, numbers or bools",
                )
        at = now_ms(at) if at is not None else self.now()
        source = source if source is not None else writer
        return MemoryEntry(
            id=entry_id(text, path, key),
            text=text,
            path=path,
            topic=topic if topic is not None else topic_from_path(path),
            writer=writer,
            created_at=at,
            confidence=confidence,
            source=source,
            key=key,
            extra=dict(extra or {}),
            provenance=Provenance(
                operation=operation, by=writer, at=at, source=source, parents=tuple(parents)
            ),
        )

    @staticmethod
    def entry_path(path: str) -> str:
        path = normalize_path(path, allow_root=False)
        if is_under(path, VIEWS_ROOT):
            raise MemoryStoreError(
                f"{path} is inside {VIEWS_ROOT}, where directories are saved views",
                hint="write entries elsewhere; create a view with create_view()",
            )
        return path

    # storing and reading -----------------------------------------------------------------------
    def store(
        self, entries: Sequence[MemoryEntry], vectors: np.ndarray | None = None
    ) -> tuple[list[MemoryEntry], list[str]]:
        """Store entries not yet present (same id = same content); return the stored versions of all
        of them, in order, and the ids that were new."""
        unique: dict[str, int] = {}
        for index, entry in enumerate(entries):
            unique.setdefault(entry.id, index)
        existing = {e.id: e for e in self.fetch(list(unique))}
        fresh = [i for entry_key, i in unique.items() if entry_key not in existing]
        if fresh:
            if vectors is None:
                new_vectors = self.embedder.embed([entries[i].text for i in fresh])
            else:
                new_vectors = np.asarray(vectors, dtype=np.float32)[fresh]
            if new_vectors.shape != (len(fresh), self.embedder.dim):
                raise MemoryStoreError(
                    f"embedder {self.embedder.name} returned vectors of shape {new_vectors.shape}"
                )
            records = [
                Record(entries[i].id, entries[i].text, metadata_of(entries[i]), v)
                for i, v in zip(fresh, new_vectors, strict=True)
            ]
            self._will_write()
            self.backend.add(records)
            self.sidecar.adjust_dirs(Counter(entries[i].path for i in fresh))
            self.sidecar.drop_redirects([entries[i].id for i in fresh])
        stored = {**existing, **{entries[i].id: entries[i] for i in fresh}}
        return [stored[e.id] for e in entries], [entries[i].id for i in fresh]

    def fetch(self, ids: Sequence[str]) -> list[MemoryEntry]:
        return [entry_from_record(r.id, r.document, r.metadata) for r in self.backend.get(ids)]

    def existing(self, entry_id_: str) -> MemoryEntry:
        """The stored entry with this id, or a :class:`MemoryStoreError` saying how to find ids."""
        found = self.fetch([entry_id_])
        if not found:
            raise MemoryStoreError(
                f"no memory entry {entry_id_}",
                hint="find entry ids with `qsm memory ls PATH` or `qsm memory search`",
            )
        return found[0]

    def fetch_with_vectors(self, where: Where | None) -> tuple[list[MemoryEntry], np.ndarray]:
        records = self.backend.find(where, with_vectors=True)
        entries = [entry_from_record(r.id, r.document, r.metadata) for r in records]
        vectors = (
            np.stack([r.vector for r in records if r.vector is not None]) if records else np.zeros((0, 1))
        )
        return entries, vectors

    def vector_of(self, entry_id: str) -> np.ndarray:
        records = self.backend.get([entry_id], with_vectors=True)
        if not records or records[0].vector is None:
            raise MemoryStoreError(f"no memory entry {entry_id}")
        return records[0].vector

    def find(self, where: Where | None) -> list[MemoryEntry]:
        entries = [entry_from_record(r.id, r.document, r.metadata) for r in self.backend.find(where)]
        return sorted(entries, key=entry_order)

    def nearest(
        self,
        vector: np.ndarray,
        k: int,
        under: str,
        where: Where | None,
        keep: Callable[[MemoryEntry], bool],
    ) -> list[SearchHit]:
        """The ``k`` entries under ``under`` most similar to ``vector`` that match ``where`` and ``keep``.

        Chroma's metadata filters cost time in proportion to the entries they match, so a subtree
        holding a large share of the memory is searched unfiltered and filtered afterwards.
        """
        if under != "/" and where is None:
            total = self.sidecar.total_entries()
            inside = sum(self.sidecar.dir_counts(under).values())
            if total and inside / total >= POST_FILTER_SHARE:
                in_subtree = lambda e: is_under(e.path, under) and keep(e)  # noqa: E731
                return self._nearest(vector, k, None, in_subtree, math.ceil(k * total / inside))
        return self._nearest(vector, k, all_of(subtree(under), where), keep, k)

    def _nearest(
        self, vector: np.ndarray, k: int, where: Where | None, keep: Callable[[MemoryEntry], bool], asked: int
    ) -> list[SearchHit]:
        while True:
            pairs = self.backend.nearest(vector, asked, where)
            hits = [
                SearchHit(entry=entry_from_record(r.id, r.document, r.metadata), score=s) for r, s in pairs
            ]
            kept = [h for h in hits if keep(h.entry)]
            if len(kept) >= k or len(pairs) < asked:
                return kept[:k]
            asked *= 4

    def resolve(self, entry_id: str) -> MemoryEntry | None:
        """The entry with this id, following moves and merges to where it went."""
        seen: set[str] = set()
        current: str | None = entry_id
        while current is not None and current not in seen:
            seen.add(current)
            found = self.fetch([current])
            if found:
                return found[0]
            current = self.sidecar.redirect(current)
        return None

    # changing stored entries ---------------------------------------------------------------------
    def relocate(self, old: MemoryEntry, new: MemoryEntry) -> MemoryEntry:
        """Replace ``old`` by ``new`` (another id), reusing its vector; if ``new``'s id is already
        stored, ``old`` merges into it."""
        vector = self.vector_of(old.id)
        stored, added = self.store([new], vectors=vector[None, :])
        if added and self.sidecar.rough_count_of([old.id]):  # the vector it took is still approximate
            self.sidecar.add_rough({stored[0].id: stored[0].path})
        self.remove([old])
        self.sidecar.add_redirects({old.id: stored[0].id})
        return stored[0]

    def update(self, entries: Sequence[MemoryEntry]) -> None:
        """Rewrite facets/provenance of stored entries whose id (content) is unchanged."""
        self._will_write()
        self.backend.update([Record(e.id, e.text, metadata_of(e)) for e in entries])

    def set_vectors(self, ids: Sequence[str], vectors: np.ndarray) -> None:
        """Replace the vectors of stored entries (refining rough ones)."""
        self._will_write()
        self.backend.set_vectors(ids, vectors)

    def remove(self, entries: Sequence[MemoryEntry]) -> None:
        self._will_write()
        self.backend.delete([e.id for e in entries])
        self.sidecar.drop_rough([e.id for e in entries])
        self.sidecar.adjust_dirs({p: -n for p, n in Counter(e.path for e in entries).items()})

    def log(
        self,
        by: str,
        operation: LogOperation,
        path: str,
        inputs: list[str],
        outputs: list[str],
        **detail: Any,
    ) -> CurationRecord:
        return self.sidecar.append_log(
            at=self.now(),
            by=by,
            operation=operation,
            path=path,
            inputs=inputs,
            outputs=outputs,
            detail=detail,
        )

    def reindex(self) -> None:
        """Rebuild the directory index from the backend (after a crash or another writer)."""
        counts = Counter(str(r.metadata.get("path")) for r in self.backend.find(None))
        self.sidecar.replace_dirs(counts)
