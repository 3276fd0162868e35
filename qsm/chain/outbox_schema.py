"""Outbox tables, row types and the batch state machine (see :mod:`qsm.chain.outbox`)."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

from qsm.chain.models import BatchState, OutputKind

__all__ = [
    "BATCH_STATES",
    "OPEN_STATES",
    "SCHEMA",
    "TRANSITIONS",
    "BatchRow",
    "BatchState",
    "OutputRow",
    "TxRow",
    "batch_from_row",
    "migrate",
    "output_from_row",
    "tx_from_row",
]

BATCH_STATES: tuple[BatchState, ...] = ("sealed", "signed", "broadcast", "mined", "final", "failed")
OPEN_STATES: tuple[BatchState, ...] = ("sealed", "signed", "broadcast", "mined")

#: event -> (states it may start from, state it leads to). Every batch state change goes through this.
TRANSITIONS: dict[str, tuple[tuple[BatchState, ...], BatchState]] = {
    "sign": (("sealed",), "signed"),  # nonce chosen, raw signed tx stored (before any broadcast)
    "broadcast": (("signed",), "broadcast"),  # node took it (or already had it / a sibling)
    "bump": (("broadcast",), "broadcast"),  # fee-bumped replacement stored (same nonce)
    "mine": (("signed", "broadcast", "mined"), "mined"),  # receipt (status 1) for one of its hashes
    "finalize": (("mined",), "final"),  # finalized tag (or confirmations) reached its block
    "reorg": (("mined",), "broadcast"),  # its receipt vanished: rebroadcast the stored raw tx
    "orphan": (("signed", "broadcast"), "sealed"),  # nonce used by a foreign tx (as of finalized): re-sign
    "revert": (("signed", "broadcast", "mined"), "sealed"),  # receipt status 0: re-sign with a new nonce
    "fail": (("signed", "broadcast", "mined", "sealed"), "failed"),  # reverted too often: needs a person
    "adopt": (("sealed",), "mined"),  # the root is already anchored (e.g. front-run): use that anchor
    "unadopt": (("mined",), "sealed"),  # that adopted anchor was reorganised away: anchor it ourselves
    # the chain lost the registry the batch was anchored in (reset, replaced, or an older contract): anchor
    # (or deploy) it again from scratch; its leaves and root stay the same
    "reanchor": (("signed", "broadcast", "mined", "final"), "sealed"),
}

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS batches (
    id INTEGER PRIMARY KEY,
    purpose TEXT NOT NULL CHECK (purpose IN ('deploy', 'anchor')),
    root BLOB UNIQUE,
    leaf_count INTEGER NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('sealed', 'signed', 'broadcast', 'mined', 'final', 'failed')),
    sealed_at REAL NOT NULL,
    chain_id INTEGER,
    sender TEXT,
    nonce INTEGER,
    tx_hash BLOB,
    block_number INTEGER,
    block_hash BLOB,
    contract_address TEXT,
    finalized_block INTEGER,
    reorgs INTEGER NOT NULL DEFAULT 0,
    reverts INTEGER NOT NULL DEFAULT 0,
    last_error TEXT,
    updated_at REAL NOT NULL,
    event_batch_id INTEGER
);
CREATE TABLE IF NOT EXISTS outputs (
    id INTEGER PRIMARY KEY,
    content_id TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL,
    digest BLOB NOT NULL,
    salt BLOB NOT NULL,
    leaf BLOB NOT NULL,
    recorded_at REAL NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('pending', 'batched')),
    batch_id INTEGER REFERENCES batches(id),
    leaf_index INTEGER,
    content TEXT,
    user TEXT,
    CHECK ((state = 'pending') = (batch_id IS NULL))
);
CREATE INDEX IF NOT EXISTS outputs_by_state ON outputs(state, id);
CREATE INDEX IF NOT EXISTS outputs_by_batch ON outputs(batch_id, leaf_index);
CREATE TABLE IF NOT EXISTS txs (
    id INTEGER PRIMARY KEY,
    batch_id INTEGER NOT NULL REFERENCES batches(id),
    chain_id INTEGER NOT NULL,
    sender TEXT NOT NULL,
    nonce INTEGER NOT NULL,
    tx_hash BLOB NOT NULL UNIQUE,
    raw BLOB NOT NULL,
    gas INTEGER NOT NULL,
    max_fee INTEGER NOT NULL,
    priority_fee INTEGER NOT NULL,
    signed_at REAL NOT NULL,
    sent_at REAL,
    state TEXT NOT NULL CHECK (state IN ('live', 'dropped', 'reverted'))
);
CREATE INDEX IF NOT EXISTS txs_by_batch ON txs(batch_id, id);
CREATE TABLE IF NOT EXISTS transitions (
    id INTEGER PRIMARY KEY,
    batch_id INTEGER NOT NULL REFERENCES batches(id),
    event TEXT NOT NULL,
    from_state TEXT NOT NULL,
    to_state TEXT NOT NULL,
    at REAL NOT NULL,
    block_number INTEGER,
    finalized_block INTEGER,
    note TEXT
);
"""


@dataclass(frozen=True)
class OutputRow:
    id: int
    content_id: str
    kind: OutputKind
    digest: bytes
    salt: bytes
    leaf: bytes
    recorded_at: float
    state: str
    batch_id: int | None
    leaf_index: int | None
    content: str | None = None  # canonical JSON of what the content id covers (None: recorded without it)
    user: str | None = None  # the user whose run recorded it (None: recorded without one)


@dataclass(frozen=True)
class BatchRow:
    id: int
    purpose: str
    root: bytes | None
    leaf_count: int
    state: BatchState
    sealed_at: float
    chain_id: int | None
    sender: str | None
    nonce: int | None
    tx_hash: bytes | None
    block_number: int | None
    block_hash: bytes | None
    contract_address: str | None
    finalized_block: int | None
    reorgs: int
    reverts: int
    last_error: str | None
    updated_at: float
    event_batch_id: int | None = (
        None  # an adopted anchor's batch id (its submitter's numbering, in its event)
    )


@dataclass(frozen=True)
class TxRow:
    id: int
    batch_id: int
    chain_id: int
    sender: str
    nonce: int
    tx_hash: bytes
    raw: bytes
    gas: int
    max_fee: int
    priority_fee: int
    signed_at: float
    sent_at: float | None
    state: str


def migrate(conn: sqlite3.Connection) -> None:
    """Bring an outbox written by an older qsm up to this schema (outputs.content, added for proofs that
    carry their output; outputs.user, the user whose run recorded it; batches.event_batch_id, the batch id
    an adopted anchor's event states)."""
    columns = {row[1] for row in conn.execute("PRAGMA table_info(outputs)")}
    if "content" not in columns:
        conn.execute("ALTER TABLE outputs ADD COLUMN content TEXT")
    if "user" not in columns:
        conn.execute("ALTER TABLE outputs ADD COLUMN user TEXT")
    columns = {row[1] for row in conn.execute("PRAGMA table_info(batches)")}
    if "event_batch_id" not in columns:
        conn.execute("ALTER TABLE batches ADD COLUMN event_batch_id INTEGER")


def _blob(value: object) -> bytes | None:
    """A BLOB column as bytes (sqlite3 hands back bytes or memoryview), None for NULL."""
    if value is None:
        return None
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value)
    raise TypeError(f"expected a BLOB column, got {type(value).__name__}")


def output_from_row(row: sqlite3.Row) -> OutputRow:
    values = dict(row)
    for key in ("digest", "salt", "leaf"):
        values[key] = bytes(values[key])
    return OutputRow(**values)


def batch_from_row(row: sqlite3.Row) -> BatchRow:
    values = dict(row)
    for key in ("root", "tx_hash", "block_hash"):
        values[key] = _blob(values[key])
    return BatchRow(**values)


def tx_from_row(row: sqlite3.Row) -> TxRow:
    values = dict(row)
    values["tx_hash"], values["raw"] = bytes(values["tx_hash"]), bytes(values["raw"])
    return TxRow(**values)
