"""Run persistence: LangGraph's checkpointer (SQLite, or PostgreSQL for several API workers) plus an index of
threads (what was asked, how it ended).

A thread can be resumed after a crash: LangGraph re-runs only the steps that had not finished. Checkpoints
are read with :class:`SafeSerializer`, which rebuilds only allow-listed types: the file is untrusted input."""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from pathlib import Path
from typing import Any

from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.checkpoint.sqlite import SqliteSaver
from pydantic import BaseModel, ValidationError

from qsm.errors import QsmError
from qsm.graph.events import RunStatus
from qsm.graph.serde import SafeSerializer
from qsm.redact import redact_urls

__all__ = ["RunStore", "ThreadInfo"]


class ThreadInfo(BaseModel):
    thread_id: str
    workflow: str
    workflow_yaml: str
    request: str
    user: str
    created_at: float
    updated_at: float
    status: RunStatus
    """How the thread's latest run stands (``running`` while it goes, ``error`` when a qsm error stopped it)."""
    error: str | None = None
    """The message of the qsm error that stopped the run (status ``error``)."""
    final_id: str | None = None
    options: dict[str, Any] = {}
    """The run's own settings (``runtime`` and ``budget`` sections) that a resume reuses."""
    base_checkpoint: str | None = None
    """The thread's last checkpoint before this run's input; a run whose graph is still there never
    started, and a resume restarts it from its request."""


_COLUMNS = (
    "thread_id",
    "workflow",
    "workflow_yaml",
    "request",
    "user",
    "created_at",
    "updated_at",
    "status",
    "final_id",
    "options",
    "base_checkpoint",
    "error",
)
_COLUMN_LIST = ",".join(f'"{column}"' for column in _COLUMNS)  # quoted: "user" is a keyword in PostgreSQL
_CREATE = (
    "CREATE TABLE IF NOT EXISTS qsm_threads (thread_id TEXT PRIMARY KEY, workflow TEXT, workflow_yaml TEXT,"
    ' request TEXT, "user" TEXT, created_at {real}, updated_at {real}, status TEXT, final_id TEXT,'
    " options TEXT, base_checkpoint TEXT, error TEXT)"
)
_SETUP_LOCK = 0x71736D  # pg_advisory_lock key while creating the tables ("qsm")
_ADDED_COLUMNS = ("options", "base_checkpoint", "error")  # absent from run databases of earlier versions
_OLD_FAILED = "failed: "  # earlier versions stored a qsm error as status "failed: <message>"


class RunStore:
    """``path=None`` keeps everything in memory (tests, throwaway runs); ``postgres_url`` keeps checkpoints
    and the thread index in a PostgreSQL database instead (see :meth:`postgres`)."""

    def __init__(self, path: Path | None, *, postgres_url: str | None = None, pool_size: int = 8) -> None:
        self.path = path
        self._pool: Any = None
        self._lock = threading.Lock()
        if postgres_url is not None:
            self._open_postgres(postgres_url, pool_size)
            return
        try:
            if path is None:
                self._db = sqlite3.connect(":memory:", check_same_thread=False)
                self.saver: BaseCheckpointSaver = InMemorySaver(serde=SafeSerializer())
            else:
                path.parent.mkdir(parents=True, exist_ok=True)
                # The checkpointer and the thread index each get their own connection: one connection
                # shared under two locks lets their transactions interleave.
                self._saver_db = _connect(path)
                sqlite_saver = SqliteSaver(self._saver_db, serde=SafeSerializer())
                sqlite_saver.setup()
                self.saver = sqlite_saver
                self._db = _connect(path)
            self._db.execute(_CREATE.format(real="REAL"))
            present = {row[1] for row in self._db.execute("PRAGMA table_info(qsm_threads)")}
            for column in _ADDED_COLUMNS:
                if column not in present:
                    self._db.execute(f"ALTER TABLE qsm_threads ADD COLUMN {column} TEXT")
            self._db.commit()
        except sqlite3.DatabaseError as exc:
            raise QsmError(
                f"the run database {path} is unreadable: {exc}",
                hint="move it aside (runs and threads start afresh) or restore it from a backup",
            ) from None

    @classmethod
    def postgres(cls, url: str, pool_size: int = 8) -> RunStore:
        """Checkpoints (langgraph-checkpoint-postgres) and the thread index in one PostgreSQL database,
        shared by every process that opens it: a run one API worker started resumes on another."""
        return cls(None, postgres_url=url, pool_size=pool_size)

    def _open_postgres(self, url: str, pool_size: int) -> None:
        try:
            import psycopg
            from langgraph.checkpoint.postgres import PostgresSaver
            from psycopg.rows import dict_row
            from psycopg_pool import ConnectionPool
        except ImportError:
            raise QsmError(
                "runs.backend = 'postgres' needs langgraph-checkpoint-postgres and psycopg",
                hint='pip install -e ".[postgres]" (or set runs.backend = "sqlite")',
            ) from None
        where = redact_urls(url)
        try:
            psycopg.connect(url, connect_timeout=10).close()  # fails at once, where the pool would retry
            self._pool = ConnectionPool(
                url,
                min_size=1,
                max_size=pool_size,
                kwargs={"autocommit": True, "prepare_threshold": 0, "row_factory": dict_row},
                open=False,
            )
            self._pool.open(wait=True, timeout=15)
            saver = PostgresSaver(self._pool, serde=SafeSerializer())
            with self._pool.connection() as conn:
                # several workers starting at once must not race on creating the tables
                _take_setup_lock(conn, where)
                try:
                    saver.setup()
                    conn.execute(_CREATE.format(real="DOUBLE PRECISION"))
                    for column in _ADDED_COLUMNS:
                        conn.execute(f"ALTER TABLE qsm_threads ADD COLUMN IF NOT EXISTS {column} TEXT")
                finally:
                    conn.execute("SELECT pg_advisory_unlock(%s)", (_SETUP_LOCK,))
        except (psycopg.Error, OSError, TimeoutError) as exc:
            if self._pool is not None:
                self._pool.close()
            why = redact_urls(str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__)
            raise QsmError(
                f"cannot use the PostgreSQL run database at {where}: {why}",
                hint="check runs.url and that the server is running and accepts this user "
                "(`pg_isready -d URL`), or set runs.backend = 'sqlite'",
            ) from None
        self.saver = saver

    def _execute(self, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        """Run one statement on the thread index (committed at once) and return its rows."""
        if self._pool is None:
            with self._lock, self._db:
                return self._db.execute(sql, params).fetchall()
        import psycopg
        from psycopg.rows import tuple_row

        try:
            with self._pool.connection() as conn, conn.cursor(row_factory=tuple_row) as cursor:
                cursor.execute(sql.replace("?", "%s"), params)
                return cursor.fetchall() if cursor.description else []
        except (psycopg.Error, TimeoutError) as exc:
            why = redact_urls(str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__)
            raise QsmError(
                f"the PostgreSQL run database failed: {why}",
                hint="check that the server is up and reachable (`pg_isready -d URL`); the run can be "
                "resumed once it is",
            ) from None

    def start_thread(
        self,
        thread_id: str,
        workflow: str,
        workflow_yaml: str,
        request: str,
        user: str,
        options: dict[str, Any] | None = None,
        base_checkpoint: str | None = None,
    ) -> None:
        """Record a run (a new thread or a new turn on one) before its graph starts: its request, its own
        settings (``options``) and the thread's checkpoint before it (``base_checkpoint``)."""
        now = time.time()
        self._execute(
            f"INSERT INTO qsm_threads ({_COLUMN_LIST}) VALUES (?,?,?,?,?,?,?,?,NULL,?,?,NULL) "
            'ON CONFLICT(thread_id) DO UPDATE SET request=excluded.request, "user"=excluded."user", '
            "updated_at=excluded.updated_at, status=excluded.status, final_id=NULL, error=NULL, "
            "options=excluded.options, base_checkpoint=excluded.base_checkpoint",
            # a model URL's password in the spec is never stored (resuming such a thread says so)
            (
                thread_id,
                workflow,
                redact_urls(workflow_yaml),
                request,
                user,
                now,
                now,
                "running",
                json.dumps(options or {}),
                base_checkpoint,
            ),
        )

    def set_status(
        self, thread_id: str, status: RunStatus, final_id: str | None = None, error: str | None = None
    ) -> None:
        """Record how the thread's run stands; ``error`` is the message of the qsm error that stopped it
        (kept with status ``error``, cleared by any other status)."""
        self._execute(
            "UPDATE qsm_threads SET status=?, error=?, updated_at=?, final_id=COALESCE(?, final_id) "
            "WHERE thread_id=?",
            (status, redact_urls(error)[:300] if error else None, time.time(), final_id, thread_id),
        )

    def set_options(self, thread_id: str, options: dict[str, Any]) -> None:
        """Replace the settings a thread's run keeps for its resumes (``qsm resume`` with overrides)."""
        self._execute("UPDATE qsm_threads SET options=? WHERE thread_id=?", (json.dumps(options), thread_id))

    def last_checkpoint(self, thread_id: str) -> str | None:
        """The id of the thread's newest checkpoint (None before its graph stored any)."""
        saved = self.saver.get_tuple({"configurable": {"thread_id": thread_id, "checkpoint_ns": ""}})
        return None if saved is None else str(saved.config["configurable"]["checkpoint_id"])

    def thread(self, thread_id: str) -> ThreadInfo | None:
        rows = self._execute(f"SELECT {_COLUMN_LIST} FROM qsm_threads WHERE thread_id=?", (thread_id,))
        return _info(rows[0]) if rows else None

    def threads(self, limit: int = 50) -> list[ThreadInfo]:
        rows = self._execute(
            f"SELECT {_COLUMN_LIST} FROM qsm_threads ORDER BY updated_at DESC LIMIT ?", (limit,)
        )
        return [_info(r) for r in rows]

    def delete(self, thread_id: str) -> None:
        """Forget a thread: its checkpoints (every branch of its history) and its index row."""
        self.saver.delete_thread(thread_id)
        self._execute("DELETE FROM qsm_threads WHERE thread_id=?", (thread_id,))

    def close(self) -> None:
        if self._pool is not None:
            self._pool.close()
            return
        with self._lock:
            self._db.close()
            if self.path is not None:
                self._saver_db.close()


def _take_setup_lock(conn: Any, where: str, timeout_s: float = 120.0) -> None:
    """Take the setup lock by polling, never by waiting inside a statement: LangGraph's setup builds
    indexes CONCURRENTLY, which waits for every open transaction, so a worker blocked in
    ``pg_advisory_lock`` would wait for the setup that waits for it."""
    from psycopg.rows import tuple_row

    deadline = time.monotonic() + timeout_s
    with conn.cursor(row_factory=tuple_row) as cursor:
        while True:
            cursor.execute("SELECT pg_try_advisory_lock(%s)", (_SETUP_LOCK,))
            row = cursor.fetchone()
            if row is not None and row[0]:
                return
            if time.monotonic() > deadline:
                raise QsmError(
                    f"another qsm process kept the PostgreSQL run database at {where} busy setting up "
                    f"its tables for {timeout_s:g} s",
                    hint="start the workers again; if it persists, look for a stuck session (pg_stat_activity)",
                )
            time.sleep(0.05)


def _connect(path: Path) -> sqlite3.Connection:
    db = sqlite3.connect(path, check_same_thread=False, timeout=30)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA busy_timeout=30000")
    return db


def _info(row: tuple) -> ThreadInfo:
    values = dict(zip(_COLUMNS, row, strict=True))
    try:
        options = json.loads(values["options"] or "{}")
    except json.JSONDecodeError:
        options = None
    if not isinstance(options, dict):
        raise QsmError(
            f"the run database holds unreadable settings for thread {values['thread_id']!r}",
            hint="it was changed outside qsm: ask the question again on a new thread",
        )
    status, error = values["status"], values["error"]
    if isinstance(status, str) and status.startswith(_OLD_FAILED):
        status, error = "error", status.removeprefix(_OLD_FAILED)
    try:
        return ThreadInfo(**(values | {"options": options, "status": status, "error": error}))
    except ValidationError:
        raise QsmError(
            f"the run database holds an unknown status {status!r} for thread {values['thread_id']!r}",
            hint="it was changed outside qsm: ask the question again on a new thread",
        ) from None
