"""One memory operation at a time, across threads and, for Chroma on disk, across processes.

Chroma's on-disk client is not process-safe: each process keeps its own copy of the vector index in
memory, so a process that missed another's writes searches a stale index, and writing from it could
lose them. Several processes (``qsm ui`` and ``qsm ask``) still share one memory directory: each
operation holds an exclusive file lock for as long as it runs (not for the process's lifetime), and
a process that finds the store changed by another since its last operation reopens its Chroma client
before it reads or writes (see :meth:`qsm.store.engine.MemoryEngine.refresh_if_stale`).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from types import TracebackType

from qsm.errors import MemoryStoreError
from qsm.filelock import ProcessLock

__all__ = ["OperationLock"]


class OperationLock:
    """A re-entrant context manager: a thread lock, plus ``process_lock`` (when given) held from the
    outermost ``with`` to its end. ``on_acquire`` runs each time the process lock is taken."""

    def __init__(
        self,
        process_lock: ProcessLock | None = None,
        timeout_s: float = 30.0,
        on_acquire: Callable[[], None] | None = None,
    ) -> None:
        self.threads = threading.RLock()  # threads of this process only (closing, sharing)
        self._process_lock = process_lock
        self._timeout_s = timeout_s
        self._on_acquire = on_acquire
        self._depth = 0

    @property
    def cross_process(self) -> bool:
        return self._process_lock is not None

    def __enter__(self) -> OperationLock:
        self.threads.acquire()
        if self._depth == 0 and self._process_lock is not None:
            try:
                self._take(self._process_lock)
            except BaseException:
                self.threads.release()
                raise
        self._depth += 1
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._depth -= 1
        if self._depth == 0 and self._process_lock is not None:
            self._process_lock.release()
        self.threads.release()

    def _take(self, lock: ProcessLock) -> None:
        if not lock.acquire(self._timeout_s):
            raise MemoryStoreError(
                f"the memory at {lock.path.parent} stayed busy for {self._timeout_s:g} s: another qsm "
                f"process (pid {lock.holder_pid()}) is in the middle of a long operation",
                hint="try again when it finishes (a large `qsm memory ingest` or import holds it per "
                "batch), or raise memory.lock_timeout_s",
            )
        try:
            if self._on_acquire is not None:
                self._on_acquire()
        except BaseException:
            lock.release()
            raise
