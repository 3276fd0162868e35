"""The memory interface the agents, graph, CLI and UI program against."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, TextIO, runtime_checkable

from qsm.store.models import (
    CurationRecord,
    DedupeReport,
    DirListing,
    EntryDraft,
    ImportReport,
    IngestReport,
    LogOperation,
    MemoryEntry,
    Scalar,
    SearchHit,
    TreeNode,
    ViewDefinition,
)

if TYPE_CHECKING:
    from qsm.store.ingest import IngestProgress
    from qsm.store.refine import RefineProgress, RefineReport

__all__ = ["MemoryStore"]


@runtime_checkable
class MemoryStore(Protocol):
    """A hierarchical, faceted memory. ``as_agent`` names the principal whose rights apply
    (an agent name or ``"user"``); refused operations raise ``PathAccessDenied`` and change nothing."""

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
        """Store ``text`` at ``path``; the same text at the same path (and key) is stored once."""
        ...

    def write_many(self, drafts: Sequence[EntryDraft], *, as_agent: str) -> list[MemoryEntry]:
        """Store several entries at once (all rights are checked before anything is written)."""
        ...

    def get(self, entry_id: str, *, as_agent: str = "user") -> MemoryEntry | None:
        """The entry with this id, following moves and merges; None if it never existed."""
        ...

    def expand_id(self, ref: str) -> str:
        """A full entry id from a full id or the 12-character short id listings print."""
        ...

    def ls(self, path: str = "/", *, as_agent: str = "user", limit: int | None = None) -> DirListing: ...

    def tree(self, path: str = "/", *, depth: int | None = None, as_agent: str = "user") -> TreeNode: ...

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
        """The ``k`` entries under ``under`` most similar to ``query`` that pass ``where``."""
        ...

    def move(self, entry_id: str, new_path: str, *, as_agent: str = "user") -> MemoryEntry: ...

    def refile(self, entry_id: str, new_path: str, *, as_agent: str = "Ref") -> MemoryEntry: ...

    def delete(self, entry_id: str, *, as_agent: str = "user") -> MemoryEntry: ...

    def ingest(
        self,
        file: Path | str,
        *,
        under: str | None = None,
        as_agent: str = "user",
        topic: str | None = None,
        progress: Callable[[IngestProgress], None] | None = None,
    ) -> IngestReport: ...

    def refine(
        self,
        under: str = "/",
        *,
        as_agent: str = "user",
        progress: Callable[[RefineProgress], None] | None = None,
    ) -> RefineReport:
        """Give entries that ingest stored with approximate vectors the embedder's own."""
        ...

    def rough_entries(self, under: str = "/") -> int:
        """How many entries at or below ``under`` still carry approximate vectors."""
        ...

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
    ) -> ViewDefinition: ...

    def drop_view(self, path: str, *, as_agent: str = "user") -> None: ...

    def views(self) -> list[ViewDefinition]: ...

    def dedupe(
        self, path: str = "/", *, threshold: float | None = None, as_agent: str = "Ref"
    ) -> DedupeReport: ...

    def summarise(
        self,
        path: str,
        summarise_fn: Callable[[list[str]], str],
        *,
        as_agent: str = "Ref",
        target: str | None = None,
        max_entries: int = 50,
    ) -> MemoryEntry: ...

    def curation_log(
        self, *, path: str | None = None, operation: LogOperation | None = None, limit: int | None = None
    ) -> list[CurationRecord]: ...

    def export(self, out: TextIO) -> int: ...

    def import_(self, source: TextIO, *, as_agent: str = "user") -> ImportReport: ...

    def stats(self) -> dict[str, Any]: ...

    def close(self) -> None: ...
