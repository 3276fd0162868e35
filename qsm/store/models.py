"""What the memory stores and returns: entries with facets and provenance, hits, listings, reports."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from qsm.ids import content_id

__all__ = [
    "CurationRecord",
    "DedupeReport",
    "DirInfo",
    "DirListing",
    "DuplicateGroup",
    "EntryDraft",
    "ImportReport",
    "IngestReport",
    "LogOperation",
    "MemoryEntry",
    "Operation",
    "PartialIngest",
    "Provenance",
    "Scalar",
    "SearchHit",
    "TreeNode",
    "ViewDefinition",
    "entry_id",
]

Scalar = str | int | float | bool
Operation = Literal["write", "ingest", "dedupe", "summarise", "refile", "move", "import"]
LogOperation = Literal["dedupe", "summarise", "refile", "move", "delete", "import"]
_FROZEN = ConfigDict(frozen=True, extra="forbid")


def entry_id(text: str, path: str, key: str | None = None) -> str:
    """An entry's content id: the same text at the same path (and key) is the same entry."""
    content: dict[str, str] = {"text": text, "path": path}
    if key is not None:
        content["key"] = key
    return content_id("mem", content)


class Provenance(BaseModel):
    """How an entry came to be what it is: the last operation, who did it, and what it came from."""

    model_config = _FROZEN

    operation: Operation
    by: str
    at: datetime
    source: str = ""
    parents: tuple[str, ...] = ()
    merged: tuple[str, ...] = Field((), description="ids of near-duplicates folded into this entry")


class MemoryEntry(BaseModel):
    """One remembered piece of text at a primary path, with facets and provenance."""

    model_config = _FROZEN

    id: str
    text: str
    path: str
    topic: str
    writer: str
    created_at: datetime
    confidence: float = Field(ge=0.0, le=1.0)
    source: str
    key: str | None = None
    extra: dict[str, Scalar] = Field(default_factory=dict)
    provenance: Provenance

    @property
    def content_id(self) -> str:
        return self.id

    @property
    def short_id(self) -> str:
        return self.id.split(":", 1)[-1][:12]

    def citation(self) -> str:
        """A compact reference for answers: ``[mem:3f2a9c01b7d4 /knowledge/python, notes.md#2]``."""
        where = self.source
        if "chunk" in self.extra:
            where = f"{where}#{self.extra['chunk']}"
        return f"[mem:{self.short_id} {self.path}, {where}]"


class EntryDraft(BaseModel):
    """An entry to be written; the store fills in id, writer, time and provenance."""

    model_config = _FROZEN

    text: str
    path: str
    topic: str | None = None
    source: str | None = None
    confidence: float = Field(1.0, ge=0.0, le=1.0)
    parents: tuple[str, ...] = ()
    key: str | None = None
    extra: dict[str, Scalar] = Field(default_factory=dict)


class SearchHit(BaseModel):
    model_config = _FROZEN

    entry: MemoryEntry
    score: float = Field(description="cosine similarity to the query, 1.0 = same direction")


class ViewDefinition(BaseModel):
    """A saved query shown as a directory under /views: a facet filter and/or a semantic query."""

    model_config = _FROZEN

    path: str
    query: str | None = None
    where: dict[str, Any] | None = None
    under: str = "/"
    k: int | None = Field(None, ge=1, le=1000, description="most entries shown (query views: 20)")
    description: str = ""
    created_by: str = "user"
    created_at: datetime = Field(default_factory=lambda: datetime.now(UTC))


class DirInfo(BaseModel):
    model_config = _FROZEN

    path: str
    name: str
    entries: int | None = Field(description="entries directly in this directory (None for views)")
    total: int | None = Field(description="entries in this directory and below (None for views)")
    view: bool = False


class DirListing(BaseModel):
    model_config = _FROZEN

    path: str
    dirs: list[DirInfo]
    entries: list[MemoryEntry]
    view: ViewDefinition | None = None


class TreeNode(BaseModel):
    model_config = _FROZEN

    path: str
    name: str
    entries: int | None
    total: int | None
    view: bool = False
    children: list[TreeNode] = Field(default_factory=list)


class CurationRecord(BaseModel):
    """One step in the curation log; ``id`` hashes the record and the previous record's id."""

    model_config = _FROZEN

    seq: int
    id: str
    prev: str | None
    at: datetime
    by: str
    operation: LogOperation
    path: str
    inputs: tuple[str, ...]
    outputs: tuple[str, ...]
    detail: dict[str, Any] = Field(default_factory=dict)


class DuplicateGroup(BaseModel):
    model_config = _FROZEN

    kept: str
    removed: tuple[str, ...]
    min_similarity: float


class DedupeReport(BaseModel):
    model_config = _FROZEN

    path: str
    threshold: float
    scanned: int
    groups: list[DuplicateGroup]
    record: CurationRecord | None = None

    @property
    def removed(self) -> int:
        return sum(len(g.removed) for g in self.groups)


class IngestReport(BaseModel):
    model_config = _FROZEN

    file: str
    under: str
    chunks: int
    added: int
    skipped: int = Field(description="chunks already present (same content id)")
    entry_ids: list[str]
    resumed: bool = Field(False, description="an earlier ingest of this document had not finished")


class PartialIngest(BaseModel):
    """A document whose ingest started and never finished: ingesting it again completes it."""

    model_config = _FROZEN

    path: str
    source: str = Field(description="the document's file name")
    started_at: datetime
    chunks: int = Field(description="chunks stored before it stopped")


class ImportReport(BaseModel):
    model_config = _FROZEN

    entries_added: int
    entries_skipped: int
    views: int
    log_records: int
