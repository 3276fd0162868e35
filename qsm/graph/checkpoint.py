"""Run persistence: LangGraph's SQLite checkpointer plus an index of threads (what was asked, how it ended).

A thread can be resumed after a crash: LangGraph re-runs only the steps that had not finished. Checkpoints
are read with :class:`SafeSerializer`, which rebuilds only allow-listed types: the file is untrusted input."""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from pathlib import Path
from typing import Any

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
_ADDED_COLUMNS = ("options", "base_checkpoint", "error")  # absent from run databases of earlier versions
_OLD_FAILED = "failed: "  # earlier versions stored a qsm error as status "failed: <message>"


class RunStore:
    """``path=None`` keeps everything in memory (tests, throwaway runs)."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        try:
            if path is None:
                self._db = sqlite3.connect(":memory:", check_same_thread=False)
                self.saver: SqliteSaver | InMemorySaver = InMemorySaver(serde=SafeSerializer())
            else:
                path.parent.mkdir(parents=True, exist_ok=True)
                # The checkpointer and the thread index each get their own connection: one connection
                # shared under two locks lets their transactions interleave.
                self._saver_db = _connect(path)
                self.saver = SqliteSaver(self._saver_db, serde=SafeSerializer())
                self.saver.setup()
                self._db = _connect(path)
            self._db.execute(
                "CREATE TABLE IF NOT EXISTS qsm_threads (thread_id TEXT PRIMARY KEY, workflow TEXT, workflow_yaml TEXT,"
                " request TEXT, user TEXT, created_at REAL, updated_at REAL, status TEXT, final_id TEXT,"
                " options TEXT, base_checkpoint TEXT, error TEXT)"
            )
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
        self._lock = threading.Lock()

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
        with self._lock, self._db:
            self._db.execute(
                f"INSERT INTO qsm_threads ({','.join(_COLUMNS)}) VALUES (?,?,?,?,?,?,?,?,NULL,?,?,NULL) "
                "ON CONFLICT(thread_id) DO UPDATE SET request=excluded.request, user=excluded.user, "
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
        with self._lock, self._db:
            self._db.execute(
                "UPDATE qsm_threads SET status=?, error=?, updated_at=?, final_id=COALESCE(?, final_id) "
                "WHERE thread_id=?",
                (status, redact_urls(error)[:300] if error else None, time.time(), final_id, thread_id),
            )

    def set_options(self, thread_id: str, options: dict[str, Any]) -> None:
        """Replace the settings a thread's run keeps for its resumes (``qsm resume`` with overrides)."""
        with self._lock, self._db:
            self._db.execute(
                "UPDATE qsm_threads SET options=? WHERE thread_id=?", (json.dumps(options), thread_id)
            )

    def last_checkpoint(self, thread_id: str) -> str | None:
        """The id of the thread's newest checkpoint (None before its graph stored any)."""
        saved = self.saver.get_tuple({"configurable": {"thread_id": thread_id, "checkpoint_ns": ""}})
        return None if saved is None else str(saved.config["configurable"]["checkpoint_id"])

    def thread(self, thread_id: str) -> ThreadInfo | None:
        with self._lock:
            row = self._db.execute(
                f"SELECT {','.join(_COLUMNS)} FROM qsm_threads WHERE thread_id=?", (thread_id,)
            ).fetchone()
        return _info(row) if row else None

    def threads(self, limit: int = 50) -> list[ThreadInfo]:
        with self._lock:
            rows = self._db.execute(
                f"SELECT {','.join(_COLUMNS)} FROM qsm_threads ORDER BY updated_at DESC LIMIT ?", (limit,)
            ).fetchall()
        return [_info(r) for r in rows]

    def close(self) -> None:
        with self._lock:
            self._db.close()
            if self.path is not None:
                self._saver_db.close()


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
