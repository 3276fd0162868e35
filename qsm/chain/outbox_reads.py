"""Reading the outbox: rows, batches, txs, counts and the transition log (no writes here)."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Sequence
from typing import Any

from qsm.chain.outbox_schema import (
    BatchRow,
    BatchState,
    OutputRow,
    TxRow,
    batch_from_row,
    output_from_row,
    tx_from_row,
)
from qsm.errors import LedgerError

__all__ = ["OutboxReads"]


class OutboxReads:
    """Queries of :class:`~qsm.chain.outbox.Outbox` (which adds every write)."""

    _conn: sqlite3.Connection
    _lock: threading.RLock

    def _query(self, sql: str, args: Sequence[Any] = ()) -> list[sqlite3.Row]:
        with self._lock:
            return self._conn.execute(sql, tuple(args)).fetchall()

    def output(self, content_id: str) -> OutputRow | None:
        rows = self._query("SELECT * FROM outputs WHERE content_id = ?", (content_id,))
        return output_from_row(rows[0]) if rows else None

    def batch_outputs(self, batch_id: int) -> list[OutputRow]:
        rows = self._query("SELECT * FROM outputs WHERE batch_id = ? ORDER BY leaf_index", (batch_id,))
        return [output_from_row(r) for r in rows]

    def pending_summary(self) -> tuple[int, float | None]:
        """How many outputs wait for a batch, and when the oldest was recorded."""
        row = self._query("SELECT COUNT(*), MIN(recorded_at) FROM outputs WHERE state = 'pending'")[0]
        return int(row[0]), row[1]

    def batch(self, batch_id: int) -> BatchRow:
        rows = self._query("SELECT * FROM batches WHERE id = ?", (batch_id,))
        if not rows:
            raise LedgerError(f"no batch {batch_id} in the outbox")
        return batch_from_row(rows[0])

    def batches(
        self,
        states: Sequence[BatchState] | None = None,
        purpose: str | None = "anchor",
        limit: int | None = None,
    ) -> list[BatchRow]:
        """Batches, oldest first (newest first when ``limit`` is given)."""
        where: list[str] = ["1=1"]
        args: list[Any] = []
        if states is not None:
            where.append(f"state IN ({','.join('?' * len(states))})")
            args.extend(states)
        if purpose is not None:
            where.append("purpose = ?")
            args.append(purpose)
        order = "DESC LIMIT ?" if limit is not None else "ASC"
        args += [limit] if limit is not None else []
        rows = self._query(f"SELECT * FROM batches WHERE {' AND '.join(where)} ORDER BY id {order}", args)
        return [batch_from_row(r) for r in rows]

    def txs(self, batch_id: int, live_only: bool = True) -> list[TxRow]:
        extra = " AND state = 'live'" if live_only else ""
        rows = self._query(f"SELECT * FROM txs WHERE batch_id = ?{extra} ORDER BY id", (batch_id,))
        return [tx_from_row(r) for r in rows]

    def next_nonce(self, chain_id: int, sender: str) -> int | None:
        """One past the highest nonce of our live txs on this chain (None if there are none)."""
        row = self._query(
            "SELECT MAX(nonce) FROM txs WHERE chain_id = ? AND sender = ? AND state = 'live'",
            (chain_id, sender),
        )[0]
        return None if row[0] is None else int(row[0]) + 1

    def last_sender(self) -> str | None:
        """The account that signed our most recent transaction."""
        rows = self._query("SELECT sender FROM txs ORDER BY id DESC LIMIT 1")
        return rows[0][0] if rows else None

    def meta(self, key: str) -> str | None:
        rows = self._query("SELECT value FROM meta WHERE key = ?", (key,))
        return rows[0][0] if rows else None

    def counts(self) -> dict[str, dict[str, int]]:
        outputs = {
            str(state): int(n)
            for state, n in self._query("SELECT state, COUNT(*) FROM outputs GROUP BY state")
        }
        batches = {
            str(state): int(n)
            for state, n in self._query(
                "SELECT state, COUNT(*) FROM batches WHERE purpose = 'anchor' GROUP BY state"
            )
        }
        return {"outputs": outputs, "batches": batches}

    def transitions(self, batch_id: int) -> list[dict[str, Any]]:
        return [
            dict(r)
            for r in self._query("SELECT * FROM transitions WHERE batch_id = ? ORDER BY id", (batch_id,))
        ]
