"""The outbox on its own: durability settings, idempotent records, atomic sealing, the state machine."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from qsm.chain import MerkleTree
from qsm.chain.outbox import Outbox, OutboxStateError
from qsm.chain.outbox_schema import TRANSITIONS
from qsm.errors import LedgerError
from tests.chain.conftest import cids


@pytest.fixture
def outbox(tmp_path: Path) -> Iterator[Outbox]:
    box = Outbox(tmp_path / "ledger" / "outbox.sqlite")
    yield box
    box.close()


def fake_tx(nonce: int, tag: int = 0) -> dict:
    return {
        "chain_id": 1,
        "sender": "0xabc",
        "nonce": nonce,
        "tx_hash": bytes([nonce, tag]) * 16,
        "raw": b"raw",
        "gas": 1,
        "max_fee": 2,
        "priority_fee": 1,
    }


def test_wal_and_full_sync(outbox: Outbox) -> None:
    assert outbox._conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert outbox._conn.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL


def test_record_is_durable_and_idempotent(outbox: Outbox, tmp_path: Path) -> None:
    first, new = outbox.record(cids(1)[0], "final_answer")
    again, new_again = outbox.record(cids(1)[0], "final_answer")
    assert new and not new_again and again == first and len(first.salt) == 32
    other = sqlite3.connect(tmp_path / "ledger" / "outbox.sqlite")  # another connection sees it committed
    assert other.execute("SELECT COUNT(*) FROM outputs").fetchone()[0] == 1
    other.close()


@pytest.mark.parametrize("bad", ["final:xyz", "nohash", "FINAL:" + "a" * 64, "", 42])
def test_record_refuses_what_is_not_a_content_id(outbox: Outbox, bad: object) -> None:
    with pytest.raises(LedgerError, match="not a content id") as err:
        outbox.record(bad, "final_answer")  # type: ignore[arg-type]
    assert err.value.hint
    assert outbox.pending_summary()[0] == 0


def test_seal_takes_oldest_first_and_builds_the_root(outbox: Outbox) -> None:
    ids = cids(5)
    rows = [outbox.record(cid, "final_answer")[0] for cid in ids]
    batch = outbox.seal(3)
    assert batch is not None and batch.state == "sealed" and batch.leaf_count == 3
    members = outbox.batch_outputs(batch.id)
    assert [m.content_id for m in members] == ids[:3] and [m.leaf_index for m in members] == [0, 1, 2]
    assert batch.root == MerkleTree([(r.digest, r.salt) for r in rows[:3]]).root
    assert outbox.pending_summary()[0] == 2
    assert outbox.seal(10).leaf_count == 2 and outbox.seal(10) is None


def test_seal_is_all_or_nothing(outbox: Outbox, monkeypatch: pytest.MonkeyPatch) -> None:
    for cid in cids(4):
        outbox.record(cid, "final_answer")

    def broken_update(*args: object, **kwargs: object) -> None:
        raise sqlite3.OperationalError("disk I/O error (simulated)")

    conn = outbox._conn

    class Flaky:
        def __getattr__(self, name: str) -> object:
            return broken_update if name == "executemany" else getattr(conn, name)

    monkeypatch.setattr(outbox, "_conn", Flaky())
    with pytest.raises(sqlite3.OperationalError):
        outbox.seal(10)  # fails after the batch row was inserted, before outputs moved into it
    monkeypatch.setattr(outbox, "_conn", conn)
    assert outbox.pending_summary()[0] == 4
    assert outbox.batches() == []


def test_state_machine_moves_and_refuses(outbox: Outbox) -> None:
    outbox.record(cids(1)[0], "final_answer")
    batch = outbox.seal(10)
    with pytest.raises(OutboxStateError):
        outbox.transition(batch.id, "mine")  # sealed cannot be mined before it is signed
    batch = outbox.store_signed(batch.id, "sign", fake_tx(7), chain_id=1, sender="0xabc", nonce=7)
    assert batch.state == "signed" and [t.nonce for t in outbox.txs(batch.id)] == [7]
    assert outbox.next_nonce(1, "0xabc") == 8
    batch = outbox.mark_sent(outbox.txs(batch.id)[0].id, batch.id)
    assert batch.state == "broadcast"
    batch = outbox.store_signed(batch.id, "bump", fake_tx(7, tag=1))
    assert batch.state == "broadcast" and len(outbox.txs(batch.id)) == 2
    batch = outbox.transition(batch.id, "mine", block_number=5, block_hash=b"h" * 32, tx_hash=b"t" * 32)
    batch = outbox.transition(batch.id, "reorg", reorgs=1)
    assert batch.state == "broadcast" and batch.reorgs == 1
    batch = outbox.transition(batch.id, "mine", block_number=6, block_hash=b"i" * 32, tx_hash=b"t" * 32)
    with pytest.raises(OutboxStateError):
        outbox.transition(batch.id, "sign")
    batch = outbox.transition(batch.id, "finalize", finalized_block=9)
    assert batch.state == "final"
    events = [t["event"] for t in outbox.transitions(batch.id)]
    assert events == ["seal", "sign", "broadcast", "bump", "mine", "reorg", "mine", "finalize"]
    for event in TRANSITIONS:
        if event not in ("finalize", "reanchor"):  # a final batch moves only if its chain lost the registry
            with pytest.raises(OutboxStateError):
                outbox.transition(batch.id, event)
    batch = outbox.reanchor(batch.id, "chain reset")
    assert (batch.state, batch.tx_hash, batch.block_number, batch.contract_address) == (
        "sealed",
        None,
        None,
        None,
    )
    assert outbox.txs(batch.id) == [] and outbox.next_nonce(1, "0xabc") is None


def test_orphaned_batch_goes_back_to_sealed_and_frees_its_nonce(outbox: Outbox) -> None:
    outbox.record(cids(1)[0], "final_answer")
    batch = outbox.seal(10)
    outbox.store_signed(batch.id, "sign", fake_tx(3), chain_id=1, sender="0xabc", nonce=3)
    batch = outbox.drop_txs(batch.id, "orphan")
    assert batch.state == "sealed" and outbox.txs(batch.id) == []
    assert [t.state for t in outbox.txs(batch.id, live_only=False)] == ["dropped"]
    assert outbox.next_nonce(1, "0xabc") is None


def test_a_corrupt_outbox_file_gives_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "outbox.sqlite"
    path.write_bytes(b"this is not a database" * 100)
    with pytest.raises(LedgerError, match="cannot be opened") as err:
        Outbox(path)
    assert "backup" in err.value.hint


def test_an_older_outbox_gains_the_user_column(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite"
    old = sqlite3.connect(path)
    old.executescript(
        "CREATE TABLE outputs (id INTEGER PRIMARY KEY, content_id TEXT NOT NULL UNIQUE, kind TEXT NOT NULL,"
        " digest BLOB NOT NULL, salt BLOB NOT NULL, leaf BLOB NOT NULL, recorded_at REAL NOT NULL,"
        " state TEXT NOT NULL, batch_id INTEGER, leaf_index INTEGER, content TEXT);"
        "INSERT INTO outputs (content_id, kind, digest, salt, leaf, recorded_at, state)"
        f" VALUES ('{cids(1, 'old')[0]}', 'final_answer', x'00', x'00', x'00', 1.0, 'pending');"
    )
    old.commit()
    old.close()
    box = Outbox(path)
    try:
        row = box.output(cids(1, "old")[0])
        assert row is not None and row.user is None  # recorded before users: nobody's
        again, new = box.record(cids(1, "old")[0], "final_answer", user="alice")
        assert not new and again.user == "alice"
    finally:
        box.close()
