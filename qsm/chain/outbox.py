"""The durable outbox: SQLite (WAL, synchronous=FULL) holding every output from record to final anchor.

State machine (every change is one SQLite transaction, logged in ``transitions``):

- output: ``pending`` --seal--> ``batched`` (sealing writes the batch, its root and every output's leaf
  index in the same transaction, so a batch is all-or-nothing);
- batch: ``sealed`` --sign--> ``signed`` (nonce chosen; the *raw signed tx is stored before it is sent*)
  --broadcast--> ``broadcast`` --mine--> ``mined`` --finalize--> ``final``; plus ``bump`` (a replacement
  with the same nonce and higher fees is stored; all hashes are kept), ``reorg`` (mined -> broadcast: the
  receipt vanished, the stored tx is sent again), ``orphan`` (the nonce was used by a foreign tx as of the
  finalized block and none of our hashes has a receipt: sign again), ``revert`` / ``fail`` (receipt with
  status 0), ``adopt`` / ``unadopt`` (someone else anchored the same root first: use that anchor),
  ``reanchor`` (the chain lost the registry: the embedded chain was reset or replaced; anchor it again).

See :data:`qsm.chain.outbox_schema.TRANSITIONS` for the table of allowed moves.
"""

from __future__ import annotations

import secrets
import sqlite3
import threading
import time
from collections.abc import Mapping
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

from qsm.chain.merkle import MerkleTree, leaf_hash
from qsm.chain.models import OutputKind
from qsm.chain.outbox_reads import OutboxReads
from qsm.chain.outbox_schema import (
    SCHEMA,
    TRANSITIONS,
    BatchRow,
    OutputRow,
    batch_from_row,
    migrate,
    output_from_row,
)
from qsm.errors import LedgerError
from qsm.ids import canonical_json, digest_of, is_content_id
from qsm.ids import content_id as content_id_of
from qsm.sqlitetx import immediate_transaction

__all__ = ["Outbox", "OutboxStateError"]

MAX_REVERTS = 3
_ANCHOR_COLUMNS = (
    "chain_id",
    "sender",
    "nonce",
    "tx_hash",
    "block_number",
    "block_hash",
    "contract_address",
    "finalized_block",
    "event_batch_id",
)


class OutboxStateError(LedgerError):
    """A transition was asked for from a state that does not allow it (a bug, never user input)."""


class Outbox(OutboxReads):
    """The ledger's SQLite outbox at ``path`` (created if missing). Thread-safe; many processes may share it."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._lock = threading.RLock()
        try:
            self._conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=30)
            self._conn.row_factory = sqlite3.Row
            self._conn.execute("PRAGMA journal_mode=WAL")
            self._conn.execute("PRAGMA synchronous=FULL")
            self._conn.execute("PRAGMA foreign_keys=ON")
            self._conn.executescript(SCHEMA)
            migrate(self._conn)
        except sqlite3.DatabaseError as exc:
            raise LedgerError(
                f"the ledger outbox {path} cannot be opened: {exc}",
                hint="is the data dir on a local disk and the file intact? restore it from a backup",
            ) from None

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    def _write(self) -> AbstractContextManager[sqlite3.Connection]:
        return immediate_transaction(self._conn, self._lock)

    # -- outputs -------------------------------------------------------------------------------
    def record(
        self,
        content_id: str,
        kind: OutputKind,
        content: Mapping[str, Any] | None = None,
        user: str | None = None,
    ) -> tuple[OutputRow, bool]:
        """Store an output durably (committed with fsync) unless already there; ``(row, newly_recorded)``.

        ``content`` is what the id covers (``content_id == prefix:sha256(canonical_json(content))``); it
        is kept so that the output's proof file can carry it; ``user`` is whose run made it. Recording an
        id again adds missing content or user (it never changes a user)."""
        if not isinstance(content_id, str) or not is_content_id(content_id):
            raise LedgerError(
                f"cannot record {content_id!r}: not a content id",
                hint="pass an id from qsm.ids.content_id(), like 'final:<64 hex chars>'",
            )
        text = None
        if content is not None:
            if content_id_of(content_id.split(":", 1)[0], content) != content_id:
                raise LedgerError(
                    f"cannot record {content_id}: the content given with it has another id",
                    hint="pass the object the id was computed from (Envelope.hashed_content())",
                )
            text = canonical_json(content).decode("utf-8")
        digest, salt = digest_of(content_id), secrets.token_bytes(32)
        try:
            return self._insert_output(content_id, kind, digest, salt, text, user)
        except sqlite3.Error as exc:
            raise LedgerError(
                f"cannot write {content_id} to the ledger outbox {self.path}: {exc}",
                hint="the output was NOT recorded; check free disk space and permissions of the data dir",
            ) from None

    def _insert_output(
        self,
        content_id: str,
        kind: OutputKind,
        digest: bytes,
        salt: bytes,
        content: str | None,
        user: str | None,
    ) -> tuple[OutputRow, bool]:
        with self._write() as conn:
            existing = conn.execute("SELECT * FROM outputs WHERE content_id = ?", (content_id,)).fetchone()
            if existing is not None:
                missing = {
                    column: value
                    for column, value in (("content", content), ("user", user))
                    if value is not None and existing[column] is None
                }
                for column, value in missing.items():  # column names from the tuple above, not input
                    conn.execute(f"UPDATE outputs SET {column} = ? WHERE id = ?", (value, existing["id"]))
                if missing:
                    existing = conn.execute(
                        "SELECT * FROM outputs WHERE id = ?", (existing["id"],)
                    ).fetchone()
                return output_from_row(existing), False
            conn.execute(
                "INSERT INTO outputs (content_id, kind, digest, salt, leaf, recorded_at, state, content, user)"
                " VALUES (?, ?, ?, ?, ?, ?, 'pending', ?, ?)",
                (content_id, kind, digest, salt, leaf_hash(digest, salt), time.time(), content, user),
            )
            row = conn.execute("SELECT * FROM outputs WHERE content_id = ?", (content_id,)).fetchone()
        return output_from_row(row), True

    # -- batches -------------------------------------------------------------------------------
    def seal(self, max_leaves: int) -> BatchRow | None:
        """Move up to ``max_leaves`` pending outputs (oldest first) into a new sealed batch, atomically."""
        with self._write() as conn:
            rows = conn.execute(
                "SELECT id, digest, salt FROM outputs WHERE state = 'pending' ORDER BY id LIMIT ?",
                (max_leaves,),
            ).fetchall()
            if not rows:
                return None
            tree = MerkleTree([(bytes(r["digest"]), bytes(r["salt"])) for r in rows])
            now = time.time()
            cursor = conn.execute(
                "INSERT INTO batches (purpose, root, leaf_count, state, sealed_at, updated_at)"
                " VALUES ('anchor', ?, ?, 'sealed', ?, ?)",
                (tree.root, len(rows), now, now),
            )
            batch_id = int(cursor.lastrowid or 0)
            conn.executemany(
                "UPDATE outputs SET state = 'batched', batch_id = ?, leaf_index = ? WHERE id = ? AND state = 'pending'",
                [(batch_id, index, r["id"]) for index, r in enumerate(rows)],
            )
            conn.execute(
                "INSERT INTO transitions (batch_id, event, from_state, to_state, at)"
                " VALUES (?, 'seal', '', 'sealed', ?)",
                (batch_id, now),
            )
            return batch_from_row(conn.execute("SELECT * FROM batches WHERE id = ?", (batch_id,)).fetchone())

    def create_deploy(self) -> BatchRow:
        """A batch-like job that deploys the registry (it goes through the same states as an anchor)."""
        with self._write() as conn:
            now = time.time()
            cursor = conn.execute(
                "INSERT INTO batches (purpose, leaf_count, state, sealed_at, updated_at)"
                " VALUES ('deploy', 0, 'sealed', ?, ?)",
                (now, now),
            )
            return batch_from_row(
                conn.execute("SELECT * FROM batches WHERE id = ?", (cursor.lastrowid,)).fetchone()
            )

    def transition(self, batch_id: int, event: str, note: str | None = None, **fields: Any) -> BatchRow:
        """Apply ``event`` to a batch (see TRANSITIONS), setting ``fields`` in the same transaction."""
        with self._write() as conn:
            return self._transition(conn, batch_id, event, note, **fields)

    def _transition(
        self, conn: sqlite3.Connection, batch_id: int, event: str, note: str | None, **fields: Any
    ) -> BatchRow:
        allowed_from, to_state = TRANSITIONS[event]
        row = conn.execute("SELECT state FROM batches WHERE id = ?", (batch_id,)).fetchone()
        if row is None or row["state"] not in allowed_from:
            found = row["state"] if row else "missing"
            raise OutboxStateError(f"batch {batch_id}: cannot {event} from state {found}")
        now = time.time()
        sets = ", ".join(f"{name} = ?" for name in fields)
        conn.execute(
            f"UPDATE batches SET state = ?, updated_at = ?{', ' + sets if sets else ''} WHERE id = ?",
            (to_state, now, *fields.values(), batch_id),
        )
        conn.execute(
            "INSERT INTO transitions (batch_id, event, from_state, to_state, at, block_number, finalized_block,"
            " note) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                batch_id,
                event,
                row["state"],
                to_state,
                now,
                fields.get("block_number"),
                fields.get("finalized_block"),
                note,
            ),
        )
        return batch_from_row(conn.execute("SELECT * FROM batches WHERE id = ?", (batch_id,)).fetchone())

    def set_error(self, batch_id: int, message: str | None) -> None:
        with self._write() as conn:
            conn.execute("UPDATE batches SET last_error = ? WHERE id = ?", (message, batch_id))

    # -- transactions --------------------------------------------------------------------------
    def store_signed(self, batch_id: int, event: str, tx: dict[str, Any], **fields: Any) -> BatchRow:
        """Store a signed raw tx (``sign`` or ``bump``) and move the batch, in one transaction."""
        with self._write() as conn:
            batch = self._transition(conn, batch_id, event, None, **fields)
            conn.execute(  # a re-anchored batch can sign the very tx it had before (same nonce and fees)
                "INSERT INTO txs (batch_id, chain_id, sender, nonce, tx_hash, raw, gas, max_fee, priority_fee,"
                " signed_at, state) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'live')"
                " ON CONFLICT(tx_hash) DO UPDATE SET state = 'live', batch_id = excluded.batch_id,"
                " signed_at = excluded.signed_at, sent_at = NULL WHERE txs.state != 'live'",
                (
                    batch_id,
                    tx["chain_id"],
                    tx["sender"],
                    tx["nonce"],
                    tx["tx_hash"],
                    tx["raw"],
                    tx["gas"],
                    tx["max_fee"],
                    tx["priority_fee"],
                    time.time(),
                ),
            )
            return batch

    def mark_sent(self, tx_id: int, batch_id: int) -> BatchRow:
        """The node has (or had) this tx: note when, and move ``signed`` batches to ``broadcast``."""
        with self._write() as conn:
            conn.execute("UPDATE txs SET sent_at = ? WHERE id = ?", (time.time(), tx_id))
            state = conn.execute("SELECT state FROM batches WHERE id = ?", (batch_id,)).fetchone()["state"]
            if state == "signed":
                return self._transition(conn, batch_id, "broadcast", None)
            return batch_from_row(conn.execute("SELECT * FROM batches WHERE id = ?", (batch_id,)).fetchone())

    def drop_txs(self, batch_id: int, event: str, state: str = "dropped", **fields: Any) -> BatchRow:
        """Retire a batch's live txs (``orphan``/``revert``/``fail``) and move the batch, atomically."""
        with self._write() as conn:
            conn.execute("UPDATE txs SET state = ? WHERE batch_id = ? AND state = 'live'", (state, batch_id))
            return self._transition(conn, batch_id, event, None, **fields)

    def reanchor(self, batch_id: int, note: str) -> BatchRow:
        """The chain lost this batch's registry: retire its txs and forget where it was anchored (back to
        ``sealed``, same leaves and root), in one transaction."""
        cleared = dict.fromkeys(_ANCHOR_COLUMNS) | {"reverts": 0, "last_error": None}
        with self._write() as conn:
            conn.execute(
                "UPDATE txs SET state = 'dropped' WHERE batch_id = ? AND state = 'live'", (batch_id,)
            )
            return self._transition(conn, batch_id, "reanchor", note, **cleared)

    # -- meta ------------------------------------------------------------------------------------
    def set_meta(self, key: str, value: str) -> None:
        with self._write() as conn:
            conn.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (key, value))

    def delete_meta(self, key: str) -> None:
        with self._write() as conn:
            conn.execute("DELETE FROM meta WHERE key = ?", (key,))
