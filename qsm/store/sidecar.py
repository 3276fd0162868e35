"""The small SQLite file beside the Chroma store: directory index, views, move redirects and the
curation log (hash-chained: each record's id covers the previous record's id)."""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from qsm.errors import MemoryStoreError
from qsm.ids import content_id
from qsm.sqlitetx import immediate_transaction
from qsm.store.models import CurationRecord, LogOperation, PartialIngest, ViewDefinition

__all__ = ["SIDECAR_NAME", "Sidecar", "check_sqlite_file"]

SIDECAR_NAME = "qsm-memory.sqlite3"
SIDECAR_FORMAT = 1
_SQLITE_MAGIC = b"SQLite format 3\x00"
_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS dirs (path TEXT PRIMARY KEY, entries INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS views (path TEXT PRIMARY KEY, definition TEXT NOT NULL, vector TEXT,
                                  embedder TEXT);
CREATE TABLE IF NOT EXISTS ingests (path TEXT NOT NULL, source TEXT NOT NULL, started_at TEXT NOT NULL,
                                    chunks INTEGER NOT NULL DEFAULT 0, PRIMARY KEY (path, source));
CREATE TABLE IF NOT EXISTS rough (id TEXT PRIMARY KEY, path TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS rough_by_path ON rough (path, id);
CREATE TABLE IF NOT EXISTS redirects (old_id TEXT PRIMARY KEY, new_id TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS log (seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT UNIQUE NOT NULL,
                                prev TEXT, at TEXT NOT NULL, by TEXT NOT NULL, operation TEXT NOT NULL,
                                path TEXT NOT NULL, inputs TEXT NOT NULL, outputs TEXT NOT NULL,
                                detail TEXT NOT NULL);
"""


def check_sqlite_file(path: Path, what: str, hint: str) -> None:
    """Raise :class:`MemoryStoreError` unless ``path`` is a readable, structurally sound SQLite file."""
    try:
        with path.open("rb") as handle:
            header = handle.read(len(_SQLITE_MAGIC))
    except OSError as exc:
        raise MemoryStoreError(f"cannot read {what} {path}: {exc.strerror}", hint=hint) from None
    if header != _SQLITE_MAGIC:
        raise MemoryStoreError(f"{what} {path} is not an SQLite database (damaged or overwritten)", hint=hint)
    try:
        conn = sqlite3.connect(path, timeout=30)  # another process may hold a write lock
        try:
            rows = conn.execute("PRAGMA quick_check(5)").fetchall()
        finally:
            conn.close()
    except sqlite3.DatabaseError as exc:
        raise MemoryStoreError(f"{what} {path} is corrupt: {exc}", hint=hint) from None
    if rows != [("ok",)]:
        problems = "; ".join(str(r[0]) for r in rows)
        raise MemoryStoreError(f"{what} {path} is corrupt: {problems}", hint=hint)


class Sidecar:
    """Thread-safe wrapper around one SQLite connection."""

    def __init__(self, conn: sqlite3.Connection, description: str) -> None:
        self._conn = conn
        self._description = description
        self._lock = threading.RLock()
        try:
            conn.executescript(_SCHEMA)
        except sqlite3.DatabaseError as exc:
            raise MemoryStoreError(f"memory index {description} is unusable: {exc}") from None
        found = self.meta("format")
        if found is None:
            self.set_meta("format", str(SIDECAR_FORMAT))
        elif not found.isdigit() or int(found) > SIDECAR_FORMAT:
            raise MemoryStoreError(
                f"memory index {description} has format {found}; this qsm reads up to {SIDECAR_FORMAT}",
                hint="upgrade qsm (pip install -U qsm-agents), or export with the newer qsm",
            )

    @classmethod
    def open(cls, path: Path, hint: str) -> Sidecar:
        if path.exists():
            check_sqlite_file(path, "memory index", hint)
        try:
            # several processes share one data dir: wait for another's write instead of failing after 5 s
            conn = sqlite3.connect(path, check_same_thread=False, isolation_level=None, timeout=30)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=FULL")
        except sqlite3.DatabaseError as exc:
            raise MemoryStoreError(f"cannot open memory index {path}: {exc}", hint=hint) from None
        return cls(conn, str(path))

    @classmethod
    def in_memory(cls) -> Sidecar:
        return cls(sqlite3.connect(":memory:", check_same_thread=False, isolation_level=None), "in memory")

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        try:
            with immediate_transaction(self._conn, self._lock) as conn:
                yield conn
        except sqlite3.DatabaseError as exc:
            raise MemoryStoreError(
                f"memory index {self._description} failed: {exc}",
                hint="if it is damaged, move it aside: it is rebuilt from the store (views and log are lost)",
            ) from None

    def meta(self, key: str) -> str | None:
        with self._tx() as db:
            row = db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else str(row[0])

    def set_meta(self, key: str, value: str) -> None:
        with self._tx() as db:
            db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (key, value))

    def generation(self) -> int:
        """How many times any process has started changing the vector store (0 for a new memory)."""
        value = self.meta("generation")
        return int(value) if value is not None and value.isdigit() else 0

    def bump_generation(self) -> int:
        with self._tx() as db:
            row = db.execute("SELECT value FROM meta WHERE key = 'generation'").fetchone()
            new = (int(row[0]) if row is not None and str(row[0]).isdigit() else 0) + 1
            db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES ('generation', ?)", (str(new),))
        return new

    # directory index: entries per exact path ---------------------------------------------------
    def adjust_dirs(self, deltas: Mapping[str, int]) -> None:
        with self._tx() as db:
            for path, delta in deltas.items():
                db.execute(
                    "INSERT INTO dirs (path, entries) VALUES (?, ?) "
                    "ON CONFLICT(path) DO UPDATE SET entries = MAX(0, entries + excluded.entries)",
                    (path, delta),
                )
            db.execute("DELETE FROM dirs WHERE entries <= 0")

    def replace_dirs(self, counts: Mapping[str, int]) -> None:
        with self._tx() as db:
            db.execute("DELETE FROM dirs")
            db.executemany("INSERT INTO dirs (path, entries) VALUES (?, ?)", list(counts.items()))

    def dir_counts(self, under: str) -> dict[str, int]:
        """Exact path -> number of entries, for every non-empty path at or below ``under``."""
        with self._tx() as db:
            if under == "/":
                rows = db.execute("SELECT path, entries FROM dirs").fetchall()
            else:
                rows = db.execute(
                    "SELECT path, entries FROM dirs WHERE path = ? OR substr(path, 1, ?) = ?",
                    (under, len(under) + 1, under + "/"),
                ).fetchall()
        return {str(p): int(n) for p, n in rows}

    def total_entries(self) -> int:
        with self._tx() as db:
            return int(db.execute("SELECT COALESCE(SUM(entries), 0) FROM dirs").fetchone()[0])

    # views ----------------------------------------------------------------------------------
    def put_view(self, view: ViewDefinition, vector: list[float] | None, embedder: str | None) -> None:
        with self._tx() as db:
            db.execute(
                "INSERT OR REPLACE INTO views (path, definition, vector, embedder) VALUES (?, ?, ?, ?)",
                (view.path, view.model_dump_json(), None if vector is None else json.dumps(vector), embedder),
            )

    def view(self, path: str) -> tuple[ViewDefinition, list[float] | None, str | None] | None:
        with self._tx() as db:
            row = db.execute(
                "SELECT definition, vector, embedder FROM views WHERE path = ?", (path,)
            ).fetchone()
        if row is None:
            return None
        return (
            ViewDefinition.model_validate_json(row[0]),
            None if row[1] is None else json.loads(row[1]),
            row[2],
        )

    def views(self) -> list[ViewDefinition]:
        with self._tx() as db:
            rows = db.execute("SELECT definition FROM views ORDER BY path").fetchall()
        return [ViewDefinition.model_validate_json(r[0]) for r in rows]

    def drop_view(self, path: str) -> bool:
        with self._tx() as db:
            return db.execute("DELETE FROM views WHERE path = ?", (path,)).rowcount > 0

    # ingest markers: a document whose ingest started and has not finished ------------------------
    def start_ingest(self, path: str, source: str, now: datetime) -> tuple[datetime, bool]:
        """Mark ``source`` as being ingested at ``path``; return when its ingest started and whether
        an earlier, unfinished one did (its start time is kept)."""
        with self._tx() as db:
            row = db.execute(
                "SELECT started_at FROM ingests WHERE path = ? AND source = ?", (path, source)
            ).fetchone()
            if row is not None:
                return datetime.fromisoformat(row[0]), True
            db.execute(
                "INSERT INTO ingests (path, source, started_at) VALUES (?, ?, ?)",
                (path, source, now.astimezone(UTC).isoformat()),
            )
        return now, False

    def ingest_progress(self, path: str, source: str, chunks: int) -> None:
        with self._tx() as db:
            db.execute(
                "UPDATE ingests SET chunks = MAX(chunks, ?) WHERE path = ? AND source = ?",
                (chunks, path, source),
            )

    def finish_ingest(self, path: str, source: str) -> None:
        with self._tx() as db:
            db.execute("DELETE FROM ingests WHERE path = ? AND source = ?", (path, source))

    def partial_ingests(self, under: str = "/") -> list[PartialIngest]:
        """Documents whose ingest started and never finished (a crash, a kill), at or below ``under``."""
        query, args = _under("SELECT path, source, started_at, chunks FROM ingests", under)
        with self._tx() as db:
            rows = db.execute(query + " ORDER BY path, source", args)
            return [
                PartialIngest(path=r[0], source=r[1], started_at=datetime.fromisoformat(r[2]), chunks=r[3])
                for r in rows
            ]

    # rough vectors: entries stored with the fast stand-in's vectors, waiting for the model's ------------
    def add_rough(self, entries: Mapping[str, str]) -> None:
        """Mark entries (id -> path) as carrying approximate vectors."""
        with self._tx() as db:
            db.executemany("INSERT OR REPLACE INTO rough (id, path) VALUES (?, ?)", entries.items())

    def rough(self, under: str = "/", limit: int | None = None) -> list[str]:
        """Ids of entries at or below ``under`` whose vectors are approximate, in a stable order."""
        query, args = _under("SELECT id FROM rough", under)
        with self._tx() as db:
            rows = db.execute(query + " ORDER BY path, id" + (f" LIMIT {int(limit)}" if limit else ""), args)
            return [r[0] for r in rows]

    def rough_count(self, under: str = "/") -> int:
        query, args = _under("SELECT COUNT(*) FROM rough", under)
        with self._tx() as db:
            return int(db.execute(query, args).fetchone()[0])

    def rough_count_of(self, ids: list[str]) -> int:
        """How many of these entries carry approximate vectors."""
        with self._tx() as db:
            marks = ",".join("?" * len(ids))
            return int(db.execute(f"SELECT COUNT(*) FROM rough WHERE id IN ({marks})", ids).fetchone()[0])

    def drop_rough(self, ids: list[str]) -> None:
        with self._tx() as db:
            db.executemany("DELETE FROM rough WHERE id = ?", [(i,) for i in ids])

    # redirects: where a moved or merged entry went ------------------------------------------------
    def add_redirects(self, mapping: Mapping[str, str]) -> None:
        with self._tx() as db:
            db.executemany(
                "INSERT OR REPLACE INTO redirects (old_id, new_id) VALUES (?, ?)", list(mapping.items())
            )
            db.executemany(
                "UPDATE redirects SET new_id = ? WHERE new_id = ?", [(n, o) for o, n in mapping.items()]
            )

    def drop_redirects(self, ids: list[str]) -> None:
        with self._tx() as db:
            db.executemany("DELETE FROM redirects WHERE old_id = ?", [(i,) for i in ids])

    def redirect(self, old_id: str) -> str | None:
        with self._tx() as db:
            row = db.execute("SELECT new_id FROM redirects WHERE old_id = ?", (old_id,)).fetchone()
        return None if row is None else str(row[0])

    def redirects(self) -> dict[str, str]:
        with self._tx() as db:
            return {str(o): str(n) for o, n in db.execute("SELECT old_id, new_id FROM redirects")}

    # curation log ------------------------------------------------------------------------------
    def append_log(
        self,
        *,
        at: datetime,
        by: str,
        operation: LogOperation,
        path: str,
        inputs: list[str],
        outputs: list[str],
        detail: dict[str, Any],
    ) -> CurationRecord:
        with self._tx() as db:
            row = db.execute("SELECT id FROM log ORDER BY seq DESC LIMIT 1").fetchone()
            prev = None if row is None else str(row[0])
            body = {
                "prev": prev,
                "at": at.astimezone(UTC).isoformat(),
                "by": by,
                "operation": operation,
                "path": path,
                "inputs": inputs,
                "outputs": outputs,
                "detail": json.loads(json.dumps(detail)),  # as it reads back: tuples become lists
            }
            record_id = content_id("curation", body)
            cursor = db.execute(
                "INSERT INTO log (id, prev, at, by, operation, path, inputs, outputs, detail) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    record_id,
                    prev,
                    body["at"],
                    by,
                    operation,
                    path,
                    *map(json.dumps, (inputs, outputs, detail)),
                ),
            )
            seq = int(cursor.lastrowid or 0)
        return CurationRecord(seq=seq, id=record_id, **{k: v for k, v in body.items() if k != "id"})

    def import_log_record(self, record: CurationRecord) -> bool:
        """Add a record from an export unless a record with its id is present; True if added."""
        with self._tx() as db:
            cursor = db.execute(
                "INSERT OR IGNORE INTO log (id, prev, at, by, operation, path, inputs, outputs, detail) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    record.id,
                    record.prev,
                    record.at.astimezone(UTC).isoformat(),
                    record.by,
                    record.operation,
                    record.path,
                    *map(json.dumps, (list(record.inputs), list(record.outputs), record.detail)),
                ),
            )
            return cursor.rowcount > 0

    def log(self, operation: str | None = None, limit: int | None = None) -> list[CurationRecord]:
        """Records oldest first (the last ``limit`` of them), optionally of one operation."""
        query = "SELECT seq, id, prev, at, by, operation, path, inputs, outputs, detail FROM log"
        args: list[Any] = []
        if operation:
            query += " WHERE operation = ?"
            args.append(operation)
        query += " ORDER BY seq DESC"
        if limit is not None:
            query += " LIMIT ?"
            args.append(limit)
        with self._tx() as db:
            rows = db.execute(query, args).fetchall()
        return [
            CurationRecord(
                seq=r[0],
                id=r[1],
                prev=r[2],
                at=datetime.fromisoformat(r[3]),
                by=r[4],
                operation=r[5],
                path=r[6],
                inputs=tuple(json.loads(r[7])),
                outputs=tuple(json.loads(r[8])),
                detail=json.loads(r[9]),
            )
            for r in reversed(rows)
        ]

    def close(self) -> None:
        with self._lock:
            self._conn.close()


def _under(query: str, under: str) -> tuple[str, tuple[str, ...]]:
    """``query`` limited to rows whose path is ``under`` or below it."""
    if under == "/":
        return query, ()
    return query + " WHERE (path = ? OR substr(path, 1, ?) = ?)", (under, str(len(under) + 1), under + "/")
