"""Opening a memory: check the directory, then Chroma on disk (default) or a Chroma server."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from qsm.errors import MemoryStoreError
from qsm.filelock import ProcessLock
from qsm.store.chroma_backend import ChromaBackend
from qsm.store.embedder import Embedder, make_embedder, make_fast_embedder
from qsm.store.engine import EngineOptions, MemoryEngine, backend_info
from qsm.store.memory import DirectoryMemory
from qsm.store.rights import AccessPolicy
from qsm.store.settings import MemorySettings
from qsm.store.sidecar import SIDECAR_NAME, Sidecar, check_sqlite_file

__all__ = ["CHROMA_FILE", "memory_directory", "open_memory"]

CHROMA_FILE = "chroma.sqlite3"
LOCK_FILE = "memory.lock"
_OPEN: dict[tuple[Path, str | None, str, str, str], DirectoryMemory] = {}
_OPEN_LOCK = threading.Lock()
_OURS = {SIDECAR_NAME, f"{SIDECAR_NAME}-wal", f"{SIDECAR_NAME}-shm", f"{SIDECAR_NAME}-journal", LOCK_FILE}


def memory_directory(settings: MemorySettings, data_dir: Path) -> Path:
    """``settings.path`` if set, else ``<data_dir>/memory``."""
    return (settings.path or Path(data_dir) / "memory").expanduser()


def open_memory(
    settings: MemorySettings,
    data_dir: Path,
    *,
    create: bool = True,
    embedder: Embedder | None = None,
    policy: AccessPolicy | None = None,
    clock: Callable[[], datetime] | None = None,
) -> DirectoryMemory:
    """Open the memory ``settings`` describe. With ``create=False`` a memory that does not exist yet
    is an error; a damaged one always is (:class:`MemoryStoreError` saying what to do).

    Several processes may open the same memory on disk (``qsm ui`` and ``qsm ask``): each operation
    holds an exclusive lock while it runs and rereads what other processes wrote (:mod:`qsm.store.guard`);
    an operation waits up to ``settings.lock_timeout_s`` for another process's, then gets a clear error.
    Opening the same memory twice in one process shares the open store (closed by its last owner)."""
    directory = memory_directory(settings, data_dir)
    key = (
        directory.resolve(),
        settings.chroma_url,
        settings.collection,
        settings.embedder,
        settings.ingest_vectors,
    )
    with _OPEN_LOCK:
        shared = _OPEN.get(key)
        if shared is not None and not shared.closed and embedder is None and policy is None and clock is None:
            return shared.share()
        memory = _open(settings, directory, create=create, embedder=embedder, policy=policy, clock=clock)
        if embedder is None and policy is None and clock is None:
            _OPEN[key] = memory
        return memory


def _open(
    settings: MemorySettings,
    directory: Path,
    *,
    create: bool,
    embedder: Embedder | None,
    policy: AccessPolicy | None,
    clock: Callable[[], datetime] | None,
) -> DirectoryMemory:
    hint = (
        f"move {directory} aside and restore a backup into a new one: "
        "`qsm memory import FILE` (backups come from `qsm memory export`)"
    )
    remote = settings.chroma_url is not None
    _check_directory(directory, create=create or remote, hint=hint)
    lock = None if remote else _lock(directory, settings.lock_timeout_s)
    try:
        sidecar = Sidecar.open(directory / SIDECAR_NAME, hint)
    except BaseException:
        if lock is not None:
            lock.release()
        raise
    backend: ChromaBackend | None = None
    try:
        if not remote:
            _check_chroma_file(directory, sidecar, hint)
        embedder = embedder or make_embedder(settings)
        backend = (
            ChromaBackend.http(settings.chroma_url)
            if settings.chroma_url
            else ChromaBackend.persistent(directory)
        )
        backend.open_collection(settings.collection, backend_info(embedder), create)
        options = EngineOptions(settings.chunk_chars, settings.chunk_overlap, settings.dedupe_threshold)
        engine = MemoryEngine(
            backend,
            sidecar,
            embedder,
            policy or AccessPolicy.from_settings(settings.rights),
            options,
            clock,
            process_lock=lock,
            lock_timeout_s=settings.lock_timeout_s,
            shared_backend=remote,
            fast_embedder=make_fast_embedder(settings, embedder),
        )
    except BaseException:
        if backend is not None:
            backend.close()
        sidecar.close()
        raise
    finally:
        if lock is not None:
            lock.release()  # from now on, each operation takes it (engine.lock)
    return DirectoryMemory(engine)


def _lock(directory: Path, timeout_s: float) -> ProcessLock:
    """The lock every operation on this memory holds (opening it too), taken now."""
    lock = ProcessLock(directory / LOCK_FILE)
    if not lock.acquire(timeout_s):
        raise MemoryStoreError(
            f"the memory at {directory} stayed busy for {timeout_s:g} s: another qsm process "
            f"(pid {lock.holder_pid()}) is in the middle of a long operation",
            hint="try again when it finishes, or raise memory.lock_timeout_s",
        )
    return lock


def _check_directory(directory: Path, *, create: bool, hint: str) -> None:
    if directory.exists() and not directory.is_dir():
        raise MemoryStoreError(
            f"{directory} is a file, not a memory directory", hint="point memory.path elsewhere"
        )
    if not directory.exists():
        if not create:
            raise MemoryStoreError(
                f"there is no memory at {directory}",
                hint="ingest or write something first (`qsm memory ingest FILE`), "
                "or point --data-dir / memory.path at an existing memory",
            )
        try:
            directory.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise MemoryStoreError(
                f"cannot create the memory directory {directory}: {exc.strerror}"
            ) from None
        return
    try:
        names = {p.name for p in directory.iterdir()}
    except OSError as exc:
        raise MemoryStoreError(f"cannot read the memory directory {directory}: {exc.strerror}") from None
    if CHROMA_FILE in names or SIDECAR_NAME in names:
        return  # a memory (or what is left of one: _check_chroma_file looks closer)
    foreign = sorted(names - _OURS)
    if foreign:
        shown = ", ".join(foreign[:5]) + (", ..." if len(foreign) > 5 else "")
        raise MemoryStoreError(
            f"{directory} is not a memory directory: it has no {CHROMA_FILE} but holds other files ({shown})",
            hint=f"point memory.path (or --data-dir) at a memory directory, or move {directory} aside",
        )
    if not create and not names:
        raise MemoryStoreError(
            f"the memory directory {directory} is empty",
            hint="ingest or write something first (`qsm memory ingest FILE`)",
        )


def _check_chroma_file(directory: Path, sidecar: Sidecar, hint: str) -> None:
    chroma_file = directory / CHROMA_FILE
    if chroma_file.exists():
        check_sqlite_file(chroma_file, "Chroma store", hint)
    elif (held := sidecar.total_entries()) > 0:
        raise MemoryStoreError(
            f"the Chroma store {chroma_file} is missing, but the memory index says it held {held} entries",
            hint=hint + f"; or move {directory} aside to start an empty memory",
        )
