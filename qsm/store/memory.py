""":class:`DirectoryMemory`: the :class:`~qsm.store.protocol.MemoryStore` over any vector backend."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, TextIO

from pydantic import ValidationError

from qsm.errors import MemoryStoreError
from qsm.store.curation import dedupe_subtree, delete_entry, relocate_entry, summarise_subtree
from qsm.store.engine import MemoryEngine
from qsm.store.filters import all_of, translate
from qsm.store.ingest import IngestProgress, ingest_file
from qsm.store.listing import ReadScope, build_tree, create_view, list_directory
from qsm.store.models import (
    CurationRecord,
    DedupeReport,
    DirListing,
    EntryDraft,
    ImportReport,
    IngestReport,
    LogOperation,
    MemoryEntry,
    Operation,
    PartialIngest,
    Scalar,
    SearchHit,
    TreeNode,
    ViewDefinition,
)
from qsm.store.paths import VIEWS_ROOT, is_under, normalize_path
from qsm.store.refine import RefineProgress, RefineReport, refine_vectors
from qsm.store.transfer import export_memory, import_memory

__all__ = ["DirectoryMemory"]


class DirectoryMemory:
    """Entries at paths with facets, saved views, per-agent rights and logged curation.

    Built by :func:`qsm.store.open_memory` (Chroma) or :class:`qsm.store.FakeMemoryStore` (in memory).
    Thread-safe: operations run one at a time.
    """

    def __init__(self, engine: MemoryEngine, on_close: Callable[[], None] | None = None) -> None:
        self._engine = engine
        self._closed = False
        self._on_close = on_close
        self._refs = 1

    def __enter__(self) -> DirectoryMemory:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def embedder_name(self) -> str:
        return self._engine.embedder.name

    def write(
        self,
        text: str,
        path: str,
        *,
        as_agent: str,
        topic: str | None = None,
        source: str | None = None,
        confidence: float = 1.0,
        parents: Sequence[str] = (),
        key: str | None = None,
        extra: Mapping[str, Scalar] | None = None,
    ) -> MemoryEntry:
        try:
            draft = EntryDraft(
                text=text,
                path=path,
                topic=topic,
                source=source,
                confidence=confidence,
                parents=tuple(parents),
                key=key,
                extra=dict(extra or {}),
            )
        except ValidationError as exc:
            problem = exc.errors()[0]
            where = ".".join(str(p) for p in problem["loc"])
            raise MemoryStoreError(f"cannot write to {path}: {where}: {problem['msg']}") from None
        return self.write_many([draft], as_agent=as_agent)[0]

    def write_many(
        self, drafts: Sequence[EntryDraft], *, as_agent: str, operation: Operation = "write"
    ) -> list[MemoryEntry]:
        with self._engine.lock:
            entries = [
                self._engine.new_entry(
                    d.text,
                    d.path,
                    writer=as_agent,
                    operation=operation,
                    topic=d.topic,
                    source=d.source,
                    confidence=d.confidence,
                    parents=d.parents,
                    key=d.key,
                    extra=d.extra,
                )
                for d in drafts
            ]
            for entry in entries:
                self._engine.policy.require(as_agent, "write", entry.path, rejected=entry)
            return self._engine.store(entries)[0]

    def get(self, entry_id: str, *, as_agent: str = "user") -> MemoryEntry | None:
        with self._engine.lock:
            entry = self._engine.resolve(entry_id)
        if entry is not None:
            self._engine.policy.require(as_agent, "read", entry.path)
        return entry

    def expand_id(self, ref: str) -> str:
        """The full id for ``ref``: a full id, or the 12-character short id that listings print."""
        if ":" in ref:
            return ref
        with self._engine.lock:
            matches = [r.id for r in self._engine.backend.find({"sid": {"$eq": ref}})]
            matches += [o for o in self._engine.sidecar.redirects() if o.split(":", 1)[-1][:12] == ref]
        if len(set(matches)) != 1:
            problem = "no entry has" if not matches else "several entries have"
            raise MemoryStoreError(f"{problem} the short id {ref!r}", hint="pass the full id (mem:<64 hex>)")
        return matches[0]

    def ls(self, path: str = "/", *, as_agent: str = "user", limit: int | None = None) -> DirListing:
        with self._engine.lock:
            self._engine.sync_shared_views()
            return list_directory(
                self._engine, normalize_path(path), ReadScope(self._engine, as_agent), limit
            )

    def tree(self, path: str = "/", *, depth: int | None = None, as_agent: str = "user") -> TreeNode:
        if depth is not None and depth < 0:
            raise MemoryStoreError(f"tree depth must be 0 or more, got {depth}")
        with self._engine.lock:
            self._engine.sync_shared_views()
            return build_tree(self._engine, normalize_path(path), depth, ReadScope(self._engine, as_agent))

    def search(
        self,
        query: str,
        *,
        under: str = "/",
        k: int = 4,
        as_agent: str = "user",
        where: Mapping[str, Any] | None = None,
        min_score: float | None = None,
    ) -> list[SearchHit]:
        under = normalize_path(under)
        if not isinstance(query, str) or not query.strip():
            raise MemoryStoreError("the search query is empty")
        if not 1 <= k <= 1000:
            raise MemoryStoreError(f"k must be between 1 and 1000, got {k}")
        if is_under(under, VIEWS_ROOT):
            raise MemoryStoreError(
                f"{under} is a view, not a subtree", hint=f"list it with `qsm memory ls {under}`"
            )
        clause = translate(where)
        with self._engine.lock:
            self._engine.policy.require_some_read(as_agent, under)
            scope = ReadScope(self._engine, as_agent)
            vector = self._engine.embedder.embed([query])[0]
            hits = self._engine.nearest(vector, k, under, all_of(clause, scope.clause), scope.keep)
        return [h for h in hits if min_score is None or h.score >= min_score]

    def move(self, entry_id: str, new_path: str, *, as_agent: str = "user") -> MemoryEntry:
        return self._relocate(entry_id, new_path, as_agent, "move")

    def refile(self, entry_id: str, new_path: str, *, as_agent: str = "Ref") -> MemoryEntry:
        return self._relocate(entry_id, new_path, as_agent, "refile")

    def _relocate(self, entry_id_: str, new_path: str, as_agent: str, operation: Operation) -> MemoryEntry:
        with self._engine.lock:
            return relocate_entry(self._engine, entry_id_, new_path, as_agent, operation)

    def delete(self, entry_id: str, *, as_agent: str = "user") -> MemoryEntry:
        """Remove an entry; the log record keeps it in full."""
        with self._engine.lock:
            return delete_entry(self._engine, entry_id, as_agent)

    def ingest(
        self,
        file: Path | str,
        *,
        under: str | None = None,
        as_agent: str = "user",
        topic: str | None = None,
        progress: Callable[[IngestProgress], None] | None = None,
    ) -> IngestReport:
        """Stream ``file`` into the memory a batch at a time (others may use it between batches);
        ``progress`` hears of each batch. Ingesting a document again adds only what is missing, so it
        completes one that a crash left partly ingested (:meth:`partial_ingests`)."""
        return ingest_file(self._engine, Path(file), under, as_agent, topic, progress)

    def refine(
        self,
        under: str = "/",
        *,
        as_agent: str = "user",
        progress: Callable[[RefineProgress], None] | None = None,
    ) -> RefineReport:
        """Give the entries that ingest stored with approximate vectors (``memory.ingest_vectors =
        "fast"``) at or below ``under`` the model's vectors, a batch at a time; a refine cut short is
        completed by the next one."""
        under = normalize_path(under)
        self._engine.policy.require(as_agent, "write", under)
        return refine_vectors(self._engine, under, progress)

    @property
    def ingests_fast(self) -> bool:
        """Whether ingest stores chunks with the fast stand-in's vectors, to be refined (no lock taken)."""
        return self._engine.fast_embedder is not None

    def rough_entries(self, under: str = "/") -> int:
        """How many entries at or below ``under`` still carry approximate vectors (see :meth:`refine`)."""
        with self._engine.lock:
            return self._engine.sidecar.rough_count(normalize_path(under))

    def partial_ingests(self, under: str = "/") -> list[PartialIngest]:
        """Documents whose ingest started and never finished, at or below ``under``."""
        with self._engine.lock:
            return self._engine.sidecar.partial_ingests(normalize_path(under))

    def create_view(
        self,
        path: str,
        *,
        query: str | None = None,
        where: Mapping[str, Any] | None = None,
        under: str = "/",
        k: int | None = None,
        description: str = "",
        as_agent: str = "user",
    ) -> ViewDefinition:
        with self._engine.lock:
            return create_view(
                self._engine,
                path,
                query=query,
                where=where,
                under=under,
                k=k,
                description=description,
                as_agent=as_agent,
            )

    def drop_view(self, path: str, *, as_agent: str = "user") -> None:
        """Remove the view at ``path``: a valid path, or exactly as listed (a view saved with a
        malformed path before views were checked can be removed too)."""
        with self._engine.lock:
            stored = [v.path for v in self._engine.sidecar.views()]
            if path not in stored:
                path = normalize_path(path)
            try:
                rights_path = normalize_path(path)
            except MemoryStoreError:
                rights_path = VIEWS_ROOT
            self._engine.policy.require(as_agent, "write", rights_path)
            if not self._engine.sidecar.drop_view(path):
                listed = ", ".join(repr(p) for p in stored) or "none"
                raise MemoryStoreError(
                    f"there is no view {path}", hint=f"the views are: {listed} (`qsm memory ls {VIEWS_ROOT}`)"
                )

    def views(self) -> list[ViewDefinition]:
        with self._engine.lock:
            return self._engine.sidecar.views()

    def dedupe(
        self, path: str = "/", *, threshold: float | None = None, as_agent: str = "Ref"
    ) -> DedupeReport:
        """Fold near-duplicates under ``path`` (see :func:`dedupe_subtree`); rough vectors (fast ingest)
        are refined first, so that similarity is the model's."""
        root = normalize_path(path)
        self._engine.policy.require(as_agent, "curate", root)
        refine_vectors(self._engine, root)
        with self._engine.lock:
            limit = self._engine.options.dedupe_threshold if threshold is None else threshold
            return dedupe_subtree(self._engine, path, limit, as_agent)

    def summarise(
        self,
        path: str,
        summarise_fn: Callable[[list[str]], str],
        *,
        as_agent: str = "Ref",
        target: str | None = None,
        max_entries: int = 50,
    ) -> MemoryEntry:
        with self._engine.lock:
            return summarise_subtree(self._engine, path, summarise_fn, as_agent, target, max_entries)

    def curation_log(
        self, *, path: str | None = None, operation: LogOperation | None = None, limit: int | None = None
    ) -> list[CurationRecord]:
        """Curation records, oldest first (the newest ``limit``), optionally under ``path``."""
        with self._engine.lock:
            records = self._engine.sidecar.log(operation, None if path else limit)
        if path:
            prefix = normalize_path(path)
            records = [
                r
                for r in records
                if is_under(r.path, prefix) or is_under(r.detail.get("from_path", ""), prefix)
            ]
            records = records[-limit:] if limit else records
        return records

    def export(self, out: TextIO) -> int:
        with self._engine.lock:
            return export_memory(self._engine, out)

    def import_(self, source: TextIO, *, as_agent: str = "user") -> ImportReport:
        with self._engine.lock:
            return import_memory(self._engine, source, as_agent)

    def reindex(self) -> None:
        """Rebuild the directory index from the stored entries."""
        with self._engine.lock:
            self._engine.reindex()

    def stats(self) -> dict[str, Any]:
        with self._engine.lock:
            return {
                "backend": self._engine.backend.description,
                "embedder": self._engine.embedder.name,
                "entries": self._engine.backend.count(),
                "directories": len(self._engine.sidecar.dir_counts("/")),
                "views": len(self._engine.sidecar.views()),
                "curation_records": len(self._engine.sidecar.log()),
                "partial_ingests": len(self._engine.sidecar.partial_ingests()),
                "rough_vectors": self._engine.sidecar.rough_count(),
            }

    def share(self) -> DirectoryMemory:
        """Another owner in this process; the store closes when the last one calls :meth:`close`."""
        with self._engine.lock.threads:
            self._refs += 1
        return self

    @property
    def closed(self) -> bool:
        return self._closed

    def close(self) -> None:
        with self._engine.lock.threads:
            self._refs -= 1
            if self._refs <= 0 and not self._closed:
                self._closed = True
                self._engine.backend.close()
                self._engine.sidecar.close()
                if self._on_close is not None:
                    self._on_close()
