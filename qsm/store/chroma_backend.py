"""Chroma as the vector backend: a PersistentClient on disk, or an HttpClient for a Chroma server.

Chroma never embeds anything here: collections are created and opened with
``embedding_function=None`` and every add and query carries precomputed vectors, so Chroma's
downloading default embedder is never used. Telemetry is off.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import numpy as np

from qsm.errors import MemoryStoreError
from qsm.store.backend import Record
from qsm.store.filters import Where

__all__ = ["ChromaBackend"]

_PAGE = 5000
_INCLUDE_VECTORS = ["documents", "metadatas", "embeddings"]
_INCLUDE = ["documents", "metadatas"]


@contextmanager
def _guard(doing: str, where: str, hint: str) -> Iterator[None]:
    """Turn Chroma's exceptions (Rust panics included) into one :class:`MemoryStoreError`."""
    try:
        yield
    except MemoryStoreError:
        raise
    except BaseException as exc:
        if isinstance(exc, Exception) or type(exc).__name__ == "PanicException":
            detail = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise MemoryStoreError(f"Chroma failed while {doing} ({where}): {detail}", hint=hint) from None
        raise


class ChromaBackend:
    """One Chroma collection holding every memory entry."""

    def __init__(self, client: Any, description: str, hint: str, directory: Path | None = None) -> None:
        self._client = client
        self._description = description
        self._hint = hint
        self._directory = directory  # on disk: reopened by refresh()
        self._collection: Any = None
        self._collection_name = ""
        self._batch = 1000

    @classmethod
    def persistent(cls, directory: Path) -> ChromaBackend:
        """A client on ``directory`` (which the caller has checked)."""
        hint = (
            f"if {directory} is damaged, move it aside and restore from an export "
            "(`qsm memory import FILE` after `qsm memory export`)"
        )
        where = f"memory at {directory}"
        with _guard("opening the store", where, hint):
            client = _persistent_client(directory)
        return cls(client, where, hint, directory)

    @classmethod
    def http(cls, url: str) -> ChromaBackend:
        """A client for the Chroma server at ``url`` (``http(s)://host[:port]``)."""
        parsed = urlparse(url)
        ssl = parsed.scheme == "https"
        hint = f"start the server (`chroma run --path DIR --port {parsed.port or 8000}`) or unset memory.chroma_url"
        where = f"Chroma server {parsed.scheme}://{parsed.hostname}:{parsed.port or (443 if ssl else 8000)}"
        with _guard("connecting", where, hint):
            import chromadb
            from chromadb.config import Settings

            client = chromadb.HttpClient(
                host=parsed.hostname or "localhost",
                port=parsed.port or (443 if ssl else 8000),
                ssl=ssl,
                settings=Settings(anonymized_telemetry=False),
            )
            client.heartbeat()
        return cls(client, where, hint)

    @property
    def description(self) -> str:
        return self._description

    def open_collection(self, name: str, info: dict[str, Any], create: bool) -> bool:
        """Open (or create, when allowed) the collection; True when it was created now."""
        with self._guard("opening the collection"):
            from chromadb.errors import NotFoundError

            try:
                self._collection = self._client.get_collection(name, embedding_function=None)
                created = False
            except NotFoundError:
                if not create:
                    raise MemoryStoreError(
                        f"{self._description} has no memory collection {name!r}",
                        hint="write or ingest something first (`qsm memory ingest FILE`), "
                        "or check memory.collection",
                    ) from None
                self._collection = self._client.create_collection(
                    name, embedding_function=None, configuration={"hnsw": {"space": "cosine"}}, metadata=info
                )
                created = True
            self._collection_name = name
            self._batch = max(1, min(self._client.get_max_batch_size(), 2000))
        return created

    def info(self) -> dict[str, Any]:
        return dict(self._coll().metadata or {})

    def add(self, records: Sequence[Record]) -> None:
        with self._guard("adding entries"):
            for start in range(0, len(records), self._batch):
                part = records[start : start + self._batch]
                self._coll().add(
                    ids=[r.id for r in part],
                    embeddings=np.stack([np.asarray(r.vector, dtype=np.float32) for r in part]),
                    documents=[r.document for r in part],
                    metadatas=[r.metadata for r in part],
                )

    def update(self, records: Sequence[Record]) -> None:
        with self._guard("updating entries"):
            for start in range(0, len(records), self._batch):
                part = records[start : start + self._batch]
                # documents are left out: Chroma would try to embed them (the text of an id never changes)
                self._coll().update(ids=[r.id for r in part], metadatas=[r.metadata for r in part])

    def set_vectors(self, ids: Sequence[str], vectors: np.ndarray) -> None:
        with self._guard("updating vectors"):
            for start in range(0, len(ids), self._batch):
                self._coll().update(
                    ids=list(ids[start : start + self._batch]),
                    embeddings=np.asarray(vectors[start : start + self._batch], dtype=np.float32),
                )

    def get(self, ids: Sequence[str], with_vectors: bool = False) -> list[Record]:
        found: dict[str, Record] = {}
        unique = list(dict.fromkeys(ids))  # Chroma refuses a request that names an id twice
        with self._guard("reading entries"):
            for start in range(0, len(unique), self._batch):
                result = self._coll().get(
                    ids=unique[start : start + self._batch],
                    include=_INCLUDE_VECTORS if with_vectors else _INCLUDE,
                )
                found.update((r.id, r) for r in _records(result))
        return [found[i] for i in unique if i in found]

    def find(self, where: Where | None, with_vectors: bool = False) -> list[Record]:
        out: list[Record] = []
        with self._guard("listing entries"):
            offset = 0
            while True:
                result = self._coll().get(
                    where=where,
                    limit=_PAGE,
                    offset=offset,
                    include=_INCLUDE_VECTORS if with_vectors else _INCLUDE,
                )
                page = _records(result)
                out.extend(page)
                if len(page) < _PAGE:
                    return out
                offset += _PAGE

    def nearest(self, vector: np.ndarray, k: int, where: Where | None) -> list[tuple[Record, float]]:
        with self._guard("searching"):
            result = self._coll().query(
                query_embeddings=np.asarray(vector, dtype=np.float32)[None, :],
                n_results=k,
                where=where,
                include=["documents", "metadatas", "distances"],
            )
        ids, docs, metas = result["ids"][0], result["documents"][0], result["metadatas"][0]
        distances = result["distances"][0]
        return [
            (Record(i, d or "", dict(m or {})), 1.0 - float(dist))
            for i, d, m, dist in zip(ids, docs, metas, distances, strict=True)
        ]

    def delete(self, ids: Sequence[str]) -> None:
        with self._guard("deleting entries"):
            for start in range(0, len(ids), self._batch):
                self._coll().delete(ids=list(ids[start : start + self._batch]))

    def count(self) -> int:
        with self._guard("counting entries"):
            return int(self._coll().count())

    def refresh(self) -> None:
        """On disk: close the client and open a new one. Chroma keeps each collection's vector index
        in memory per client and never rereads it, so a client that missed another process's writes
        would search without them, and its own writes could overwrite theirs."""
        if self._directory is None or self._collection is None:
            return  # a server keeps one index for all its clients
        with self._guard("reopening the store"):
            self._collection = None
            close = getattr(self._client, "close", None)
            if close is not None:
                close()
            else:  # chromadb before close(): drop the process's shared instance for this path
                from chromadb.api.shared_system_client import SharedSystemClient

                system = SharedSystemClient._identifier_to_system.pop(str(self._directory), None)
                if system is not None:
                    system.stop()
            self._client = _persistent_client(self._directory)
            self._collection = self._client.get_collection(self._collection_name, embedding_function=None)

    def close(self) -> None:
        self._collection = None
        close = getattr(self._client, "close", None)
        if close is not None:
            with self._guard("closing"):
                close()

    def _coll(self) -> Any:
        if self._collection is None:
            raise MemoryStoreError(f"{self._description} is closed", hint="open the memory again")
        return self._collection

    def _guard(self, doing: str) -> Any:
        return _guard(doing, self._description, self._hint)


def _persistent_client(directory: Path) -> Any:
    import chromadb
    from chromadb.config import Settings

    return chromadb.PersistentClient(
        path=str(directory), settings=Settings(anonymized_telemetry=False, allow_reset=False)
    )


def _records(result: Any) -> list[Record]:
    embeddings = result.get("embeddings")
    vectors = [None] * len(result["ids"]) if embeddings is None else list(embeddings)
    return [
        Record(i, d or "", dict(m or {}), None if v is None else np.asarray(v, dtype=np.float32))
        for i, d, m, v in zip(result["ids"], result["documents"], result["metadatas"], vectors, strict=True)
    ]
