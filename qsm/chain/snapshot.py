"""A cache for the embedded chain: py-evm's key-value store saved beside the journal every so often, so
that reopening replays only the journal entries after it. The journal stays the source of truth: a
snapshot that is missing, damaged or does not match the journal is ignored (full replay)."""

from __future__ import annotations

import sqlite3
from typing import Any

from eth.db.atomic import AtomicDB
from eth.db.backends.memory import MemoryDB

__all__ = ["SNAPSHOT_SCHEMA", "chain_store", "load_snapshot", "restore_chain", "write_snapshot"]

SNAPSHOT_SCHEMA = """
CREATE TABLE IF NOT EXISTS snapshot_meta (id INTEGER PRIMARY KEY CHECK (id = 1), seq INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS snapshot_kv (key BLOB PRIMARY KEY, value BLOB NOT NULL);
"""


def chain_store(backend: Any) -> dict[bytes, bytes]:
    """The live key-value store under an eth-tester PyEVMBackend's chain (AtomicDB over MemoryDB)."""
    return backend.chain.chaindb.db.wrapped_db.kv_store


def restore_chain(backend: Any, store: dict[bytes, bytes]) -> None:
    """Point ``backend`` at a chain read from ``store`` (same chain class, so same rules and chain id)."""
    backend.chain = type(backend.chain)(AtomicDB(MemoryDB(store)))


def load_snapshot(db: sqlite3.Connection) -> tuple[int, dict[bytes, bytes]] | None:
    """``(journal seq it covers, store)`` or None when there is no snapshot."""
    meta = db.execute("SELECT seq FROM snapshot_meta WHERE id = 1").fetchone()
    if meta is None:
        return None
    store = {bytes(k): bytes(v) for k, v in db.execute("SELECT key, value FROM snapshot_kv")}
    return int(meta[0]), store


def write_snapshot(
    db: sqlite3.Connection, seq: int, store: dict[bytes, bytes], written: dict[bytes, bytes] | None
) -> dict[bytes, bytes]:
    """Save ``store`` as the snapshot at ``seq`` in one transaction, writing only what changed since
    ``written`` (what the table holds; None = unknown, rewrite it all). Returns the new ``written``."""
    current = dict(store)
    db.execute("BEGIN IMMEDIATE")
    try:
        if written is None:
            db.execute("DELETE FROM snapshot_kv")
            written = {}
        gone = [(key,) for key in written if key not in current]
        db.executemany("DELETE FROM snapshot_kv WHERE key = ?", gone)
        changed = [(key, value) for key, value in current.items() if written.get(key) != value]
        db.executemany("INSERT OR REPLACE INTO snapshot_kv (key, value) VALUES (?, ?)", changed)
        db.execute("INSERT OR REPLACE INTO snapshot_meta (id, seq) VALUES (1, ?)", (seq,))
    except BaseException:
        db.execute("ROLLBACK")
        raise
    db.execute("COMMIT")
    return current
