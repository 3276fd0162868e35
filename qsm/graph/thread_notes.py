"""What people add to their conversations: a title they gave a thread, and their thumbs up or down on an
answer (kept as training data: the question, the answer, its content id and the rating).

Both live in ``<data_dir>/thread_notes.sqlite``, beside the run database, whatever engine keeps the runs::

    notes = ThreadNotes.of(runtime)
    notes.rename("T", "Paris trip")
    notes.rate("T", final_id, +1, question="...", answer="...")
    notes.feedback()        # every rating, oldest first: `qsm feedback export` writes them as JSON lines
"""

from __future__ import annotations

import sqlite3
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel

from qsm.errors import QsmError

if TYPE_CHECKING:
    from qsm.graph.runtime import Runtime

__all__ = ["FEEDBACK_FILE", "Feedback", "ThreadNotes", "delete_thread", "notes_path"]

FEEDBACK_FILE = "thread_notes.sqlite"
_TITLE_CHARS = 200


class Feedback(BaseModel):
    """One rating of an answer: ``rating`` is 1 (thumbs up) or -1 (thumbs down)."""

    thread_id: str
    final_id: str
    rating: Literal[1, -1]
    question: str
    answer: str
    workflow: str
    user: str
    rated_at: float


def delete_thread(runtime: Runtime, thread_id: str, notes: ThreadNotes | None = None) -> None:
    """Delete a thread for good: its checkpoints (every branch), its row in the run index, and its title
    and ratings (in ``notes``, or the runtime's own)."""
    if runtime.runs.thread(thread_id) is None:
        raise QsmError(f"no thread {thread_id!r} in {runtime.data_dir}", hint="`qsm threads` lists them")
    runtime.runs.delete(thread_id)
    own = notes is None
    notes = notes or ThreadNotes.of(runtime)
    try:
        notes.forget(thread_id)
    finally:
        if own:
            notes.close()


def notes_path(runtime: Runtime) -> Path | None:
    """Where ``runtime``'s notes are kept: None when its runs are kept in memory (tests, throwaway runs)."""
    from langgraph.checkpoint.memory import InMemorySaver

    return None if isinstance(runtime.runs.saver, InMemorySaver) else runtime.data_dir / FEEDBACK_FILE


class ThreadNotes:
    """Titles and ratings; ``path=None`` keeps them in memory."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self._lock = threading.Lock()
        try:
            if path is not None:
                path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(path or ":memory:", check_same_thread=False, timeout=30)
            with self._db:
                self._db.execute("CREATE TABLE IF NOT EXISTS titles (thread_id TEXT PRIMARY KEY, title TEXT)")
                self._db.execute(
                    "CREATE TABLE IF NOT EXISTS feedback (thread_id TEXT, final_id TEXT, rating INTEGER,"
                    " question TEXT, answer TEXT, workflow TEXT, user TEXT, rated_at REAL,"
                    " PRIMARY KEY (thread_id, final_id))"
                )
        except sqlite3.DatabaseError as exc:
            raise QsmError(
                f"the notes database {path} is unreadable: {exc}",
                hint="move it aside: thread titles and answer ratings start afresh",
            ) from None

    @classmethod
    def of(cls, runtime: Runtime) -> ThreadNotes:
        """The notes of ``runtime``'s data dir (in memory when its runs are)."""
        return cls(notes_path(runtime))

    def rename(self, thread_id: str, title: str) -> str:
        """Give the thread a title (one line, at most 200 characters); an empty title drops it (the
        thread is named after its question again). The title kept."""
        title = " ".join(title.split())[:_TITLE_CHARS]
        with self._lock, self._db:
            if title:
                self._db.execute(
                    "INSERT INTO titles VALUES (?, ?) ON CONFLICT(thread_id) DO UPDATE SET title=excluded.title",
                    (thread_id, title),
                )
            else:
                self._db.execute("DELETE FROM titles WHERE thread_id=?", (thread_id,))
        return title

    def titles(self) -> dict[str, str]:
        """Every title given, by thread id."""
        with self._lock:
            return dict(self._db.execute("SELECT thread_id, title FROM titles").fetchall())

    def rate(
        self,
        thread_id: str,
        final_id: str,
        rating: int | None,
        *,
        question: str = "",
        answer: str = "",
        workflow: str = "",
        user: str = "local",
    ) -> None:
        """Rate the answer ``final_id`` of the thread: 1 (up), -1 (down), or None to take a rating back."""
        if rating not in (1, -1, None):
            raise QsmError(f"a rating is 1 or -1, not {rating!r}", hint="1: thumbs up, -1: thumbs down")
        with self._lock, self._db:
            if rating is None:
                self._db.execute(
                    "DELETE FROM feedback WHERE thread_id=? AND final_id=?", (thread_id, final_id)
                )
                return
            self._db.execute(
                "INSERT INTO feedback VALUES (?,?,?,?,?,?,?,?) ON CONFLICT(thread_id, final_id) DO UPDATE "
                "SET rating=excluded.rating, rated_at=excluded.rated_at",
                (thread_id, final_id, rating, question, answer, workflow, user, time.time()),
            )

    def rating(self, thread_id: str, final_id: str) -> int | None:
        with self._lock:
            row = self._db.execute(
                "SELECT rating FROM feedback WHERE thread_id=? AND final_id=?", (thread_id, final_id)
            ).fetchone()
        return int(row[0]) if row else None

    def feedback(self, thread_id: str | None = None) -> list[Feedback]:
        """Every rating (of one thread, or all), oldest first."""
        where, args = ("WHERE thread_id=?", (thread_id,)) if thread_id else ("", ())
        with self._lock:
            rows = self._db.execute(
                "SELECT thread_id, final_id, rating, question, answer, workflow, user, rated_at "
                f"FROM feedback {where} ORDER BY rated_at",
                args,
            ).fetchall()
        fields = list(Feedback.model_fields)
        return [Feedback(**dict(zip(fields, row, strict=True))) for row in rows]

    def forget(self, thread_id: str) -> None:
        """Drop the thread's title and ratings (the thread was deleted)."""
        with self._lock, self._db:
            self._db.execute("DELETE FROM titles WHERE thread_id=?", (thread_id,))
            self._db.execute("DELETE FROM feedback WHERE thread_id=?", (thread_id,))

    def close(self) -> None:
        with self._lock:
            self._db.close()
