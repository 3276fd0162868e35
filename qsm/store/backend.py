"""Vector backends: where entries' texts, metadata and vectors live. Chroma is the real one
(:mod:`qsm.store.chroma_backend`); :class:`InMemoryBackend` is exact, in-process and for tests."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np

from qsm.store.filters import Where, matches

__all__ = ["InMemoryBackend", "Record", "VectorBackend"]


@dataclass(frozen=True)
class Record:
    """One stored item: id, document text, flat metadata and (when asked for) its vector."""

    id: str
    document: str
    metadata: dict[str, Any]
    vector: np.ndarray | None = field(default=None, compare=False)


class VectorBackend(Protocol):
    """What the directory memory needs from a vector database."""

    @property
    def description(self) -> str:
        """Where the data lives, for messages (``chroma on disk at ...``)."""
        ...

    def info(self) -> dict[str, Any]:
        """Metadata recorded when the collection was created (format, embedder, dim)."""
        ...

    def add(self, records: Sequence[Record]) -> None:
        """Store new records; every record carries its vector."""
        ...

    def update(self, records: Sequence[Record]) -> None:
        """Replace the metadata of existing records (same id, so same document and vector)."""
        ...

    def set_vectors(self, ids: Sequence[str], vectors: np.ndarray) -> None:
        """Replace the vectors of existing records (``vectors[i]`` for ``ids[i]``)."""
        ...

    def get(self, ids: Sequence[str], with_vectors: bool = False) -> list[Record]:
        """The records with these ids that exist, in the order asked for."""
        ...

    def find(self, where: Where | None, with_vectors: bool = False) -> list[Record]:
        """Every record matching ``where`` (in no particular order)."""
        ...

    def nearest(self, vector: np.ndarray, k: int, where: Where | None) -> list[tuple[Record, float]]:
        """Up to ``k`` records matching ``where``, most similar first, with cosine similarity."""
        ...

    def delete(self, ids: Sequence[str]) -> None: ...

    def count(self) -> int: ...

    def refresh(self) -> None:
        """Drop whatever this process cached of the store, so that another process's writes show."""
        ...

    def close(self) -> None: ...


class InMemoryBackend:
    """Exact cosine search over a dict; behaves like the Chroma backend for the store's purposes."""

    def __init__(self, info: dict[str, Any]) -> None:
        self._info = dict(info)
        self._records: dict[str, Record] = {}

    @property
    def description(self) -> str:
        return "in-memory (fake)"

    def info(self) -> dict[str, Any]:
        return dict(self._info)

    def add(self, records: Sequence[Record]) -> None:
        for record in records:
            if record.vector is None:
                raise ValueError(f"record {record.id} has no vector")
            vector = np.asarray(record.vector, dtype=np.float32)
            self._records[record.id] = Record(record.id, record.document, dict(record.metadata), vector)

    def update(self, records: Sequence[Record]) -> None:
        for record in records:
            old = self._records[record.id]
            self._records[record.id] = Record(record.id, old.document, dict(record.metadata), old.vector)

    def set_vectors(self, ids: Sequence[str], vectors: np.ndarray) -> None:
        for record_id, vector in zip(ids, vectors, strict=True):
            old = self._records[record_id]
            self._records[record_id] = Record(
                old.id, old.document, old.metadata, np.asarray(vector, dtype=np.float32)
            )

    def get(self, ids: Sequence[str], with_vectors: bool = False) -> list[Record]:
        return [self._copy(self._records[i], with_vectors) for i in ids if i in self._records]

    def find(self, where: Where | None, with_vectors: bool = False) -> list[Record]:
        return [self._copy(r, with_vectors) for r in self._records.values() if matches(r.metadata, where)]

    def nearest(self, vector: np.ndarray, k: int, where: Where | None) -> list[tuple[Record, float]]:
        candidates = [r for r in self._records.values() if matches(r.metadata, where)]
        if not candidates:
            return []
        matrix = np.stack([r.vector for r in candidates if r.vector is not None])
        scores = matrix @ np.asarray(vector, dtype=np.float32)
        order = sorted(range(len(candidates)), key=lambda i: (-float(scores[i]), candidates[i].id))[:k]
        return [(self._copy(candidates[i], False), float(scores[i])) for i in order]

    def delete(self, ids: Sequence[str]) -> None:
        for record_id in ids:
            self._records.pop(record_id, None)

    def count(self) -> int:
        return len(self._records)

    def refresh(self) -> None:
        """Nothing is cached: the records are the store."""

    def close(self) -> None:
        """Nothing to release."""

    @staticmethod
    def _copy(record: Record, with_vector: bool) -> Record:
        return Record(
            record.id, record.document, dict(record.metadata), record.vector if with_vector else None
        )
