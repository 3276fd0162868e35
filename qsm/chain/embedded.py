"""The embedded chain: an in-process EVM (eth-tester on py-evm, via web3's EthereumTesterProvider) that
survives restarts.

Persistence choice: a *transaction journal* as the source of truth, plus a *snapshot cache* of py-evm's
database. Every signed raw transaction the in-process chain accepts is appended (with its hash and block
number) to ``embedded-chain.sqlite`` (WAL, synchronous=FULL). Opening the chain starts eth-tester from its
fixed genesis and replays the journal in order; eth-tester mines one block per transaction, so every
transaction lands in the same block number with the same hash, and the contract state (who anchored which
root in which block) is reproduced exactly. Replay costs ~15-25 ms per transaction, so every
``SNAPSHOT_EVERY`` entries the worker also saves py-evm's key-value store (:mod:`qsm.chain.snapshot`);
opening then restores the snapshot, checks it against the journal, and replays only what came after.

Why the journal leads: signed transactions are a stable, small, self-verifying format, while py-evm's
database layout belongs to a beta library that can change under us; a snapshot that does not match the
journal (or cannot be read) is simply ignored and the journal replayed. Block hashes of blocks replayed
(not restored) differ from the original run (py-evm draws a random mix hash per block); no proof relies on
them. Another process of the same data dir (``qsm ledger verify``) opens it read-only and sees everything
journaled so far; :meth:`EmbeddedChain.sync` catches up with entries appended since.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from eth_tester import EthereumTester, PyEVMBackend
from eth_tester.backends.pyevm.main import get_default_account_keys
from web3 import EthereumTesterProvider, Web3

from qsm.chain.client import ChainClient, SendOutcome
from qsm.chain.snapshot import SNAPSHOT_SCHEMA, chain_store, load_snapshot, restore_chain, write_snapshot
from qsm.errors import LedgerError

__all__ = ["SNAPSHOT_EVERY", "EmbeddedChain", "embedded_dev_key"]

log = logging.getLogger(__name__)
SNAPSHOT_EVERY = 25  # journal entries between snapshots

_SCHEMA = """
CREATE TABLE IF NOT EXISTS journal (
    seq INTEGER PRIMARY KEY,
    tx_hash BLOB NOT NULL UNIQUE,
    raw BLOB NOT NULL,
    block_number INTEGER NOT NULL
);
"""


def embedded_dev_key() -> bytes:
    """Key of eth-tester's first pre-funded account (public test key; it only has value on this chain)."""
    return get_default_account_keys()[0].to_bytes()


class EmbeddedChain(ChainClient):
    """An eth-tester chain rebuilt from the journal at ``path`` (via its latest snapshot when one matches).

    Only the anchoring worker (holding the data dir's worker lock) sends, so only it appends to the
    journal and writes snapshots (``writable``); verifiers open it read-only.
    """

    def __init__(self, path: Path, *, writable: bool = True, snapshot_every: int = SNAPSHOT_EVERY) -> None:
        self._backend = PyEVMBackend()
        self._tester = EthereumTester(self._backend)
        super().__init__(Web3(EthereumTesterProvider(self._tester)), "embedded chain")
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path, self.writable, self.snapshot_every = path, writable, snapshot_every
        self._applied = 0
        self._snapshot_seq = 0
        self._snapshot_rows: dict[bytes, bytes] | None = None  # what snapshot_kv holds, if known
        self.restored_from: int | None = None
        with self._guard("opened"):
            self._db = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=30)
            try:
                self._db.execute("PRAGMA journal_mode=WAL")
                self._db.execute("PRAGMA synchronous=FULL")
                self._db.executescript(_SCHEMA + SNAPSHOT_SCHEMA)
                self._restore_snapshot()
                self.sync()
            except BaseException:
                self._db.close()
                raise

    @contextmanager
    def _guard(self, action: str) -> Iterator[None]:
        """A broken chain file (not a database, damaged pages, unreadable) becomes a LedgerError that says
        how to start over; outputs stay queued in the outbox, which is a file of its own."""
        try:
            yield
        except sqlite3.Error as exc:
            raise LedgerError(
                f"the embedded chain file {self.path} cannot be {action}: {exc}",
                hint=f"restore it from a backup, or move it away to start a new embedded chain "
                f"(`mv '{self.path}' '{self.path}.broken'`); queued and anchored outputs are then "
                "anchored again on the new chain",
            ) from None

    def close(self) -> None:
        self._db.close()

    def _restore_snapshot(self) -> None:
        loaded = load_snapshot(self._db)
        if loaded is None:
            return
        seq, store = loaded
        entry = self._db.execute("SELECT tx_hash, block_number FROM journal WHERE seq = ?", (seq,)).fetchone()
        try:
            restore_chain(self._backend, dict(store))
            receipt = self.receipt(bytes(entry[0])) if entry else None
            if receipt is None or receipt.block_number != entry[1] or self.block_number() != entry[1]:
                raise ValueError("snapshot does not match the journal")
        except Exception as exc:
            log.warning(
                "embedded chain: ignoring its snapshot at entry %s (%s); replaying the journal", seq, exc
            )
            self._tester.reset_to_genesis()
            return
        self._applied = self._snapshot_seq = self.restored_from = seq
        self._snapshot_rows = store

    def _maybe_snapshot(self) -> None:
        if self.writable and self._applied - self._snapshot_seq >= self.snapshot_every:
            self._snapshot_rows = write_snapshot(
                self._db, self._applied, chain_store(self._backend), self._snapshot_rows
            )
            self._snapshot_seq = self._applied

    def sync(self) -> int:
        """Replay journal entries appended since the last sync (by any process); returns how many."""
        with self._guard("read"):
            rows = self._db.execute(
                "SELECT seq, tx_hash, raw, block_number FROM journal WHERE seq > ? ORDER BY seq",
                (self._applied,),
            ).fetchall()
        for seq, tx_hash, raw, block_number in rows:
            self._replay(seq, bytes(tx_hash), bytes(raw), block_number)
            self._applied = seq
        return len(rows)

    def _replay(self, seq: int, tx_hash: bytes, raw: bytes, block_number: int) -> None:
        try:
            self.w3.eth.send_raw_transaction(raw)
        except Exception as exc:
            raise _journal_error(self.path, seq, f"the node refused it ({type(exc).__name__})") from None
        receipt = self.receipt(tx_hash)
        if receipt is None or receipt.block_number != block_number:
            found = receipt.block_number if receipt else None
            raise _journal_error(self.path, seq, f"expected block {block_number}, got {found}")

    def send_raw(self, raw: bytes) -> SendOutcome:
        """Send (after catching up with the journal) and journal the transaction if the chain took it."""
        self.sync()
        outcome = super().send_raw(raw)
        if outcome is SendOutcome.ACCEPTED:
            tx_hash = Web3.keccak(raw)
            receipt = self.receipt(tx_hash)
            if receipt is None:  # eth-tester mines on send; no receipt means it was not included
                raise LedgerError("the embedded chain accepted a transaction but did not mine it")
            with self._guard("written"):
                cursor = self._db.execute(  # autocommit: one durable statement
                    "INSERT INTO journal (tx_hash, raw, block_number) VALUES (?, ?, ?)",
                    (bytes(tx_hash), raw, receipt.block_number),
                )
                self._applied = int(cursor.lastrowid or self._applied)
                self._maybe_snapshot()
        return outcome

    def journal_length(self) -> int:
        with self._guard("read"):
            return int(self._db.execute("SELECT COUNT(*) FROM journal").fetchone()[0])


def _journal_error(path: Path, seq: int, why: str) -> LedgerError:
    return LedgerError(
        f"the embedded chain journal {path} cannot be replayed at entry {seq}: {why}",
        hint="it was changed or written by another qsm version; restore it from a backup, or move it away "
        f"to start a new embedded chain (`mv '{path}' '{path}.broken'`); queued and anchored outputs are then "
        "anchored again on the new chain",
    )
