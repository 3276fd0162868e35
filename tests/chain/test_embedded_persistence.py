"""The embedded chain survives restarts: anchor in one process, verify from another, keep anchoring in a
third; a damaged journal is refused with a clear error."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from qsm.chain import Ledger, LedgerSettings
from qsm.chain.embedded import EmbeddedChain
from qsm.errors import LedgerError
from tests.chain.conftest import REPO, cids

ANCHOR_SCRIPT = """
import sys
from pathlib import Path
from qsm.chain import Ledger, LedgerSettings
from qsm.ids import content_id
data_dir, tag, n = Path(sys.argv[1]), sys.argv[2], int(sys.argv[3])
with Ledger(LedgerSettings(batch_max_age_s=3600), data_dir) as ledger:
    ids = [content_id("final", {"tag": tag, "i": i}) for i in range(n)]
    for cid in ids:
        ledger.record(cid)
    (batch,) = ledger.anchor_now()
    for i, cid in enumerate(ids):
        (data_dir / f"{tag}-{i}.json").write_text(ledger.proof(cid).model_dump_json())
    print(batch.tx_hash, batch.block_number, batch.state)
"""


def run_python(*args: str, code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", code, *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def qsm(*args: str) -> subprocess.CompletedProcess[str]:
    return run_python(*args, code="import sys; from qsm.cli import main; sys.argv[0] = 'qsm'; main()")


@pytest.mark.slow
def test_anchor_in_one_process_verify_in_another_and_continue_in_a_third(tmp_path: Path) -> None:
    data = tmp_path / "data"
    first = run_python(str(data), "one", "4", code=ANCHOR_SCRIPT)
    assert first.returncode == 0, first.stderr
    tx_one, block_one, state = first.stdout.split()
    assert state == "final"

    verified = qsm("--data-dir", str(data), "ledger", "verify", str(data / "one-2.json"))
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert "VERIFIED" in verified.stdout and f"block {block_one}" in verified.stdout

    third = run_python(str(data), "two", "3", code=ANCHOR_SCRIPT)  # nonces continue after the replay
    assert third.returncode == 0, third.stderr
    tx_two, block_two, _ = third.stdout.split()
    assert int(block_two) > int(block_one) and tx_two != tx_one

    chain = EmbeddedChain(data / "ledger" / "embedded-chain.sqlite")  # a fresh replay in this process
    try:
        for tx_hash, block in ((tx_one, block_one), (tx_two, block_two)):
            receipt = chain.receipt(bytes.fromhex(tx_hash[2:]))
            assert receipt is not None and receipt.status == 1 and receipt.block_number == int(block)
    finally:
        chain.close()
    for name in ("one-0.json", "two-2.json"):
        again = qsm("--data-dir", str(data), "ledger", "verify", str(data / name))
        assert again.returncode == 0, again.stdout + again.stderr


def test_replay_reproduces_hashes_blocks_and_registry_state(tmp_path: Path) -> None:
    with Ledger(LedgerSettings(batch_max_leaves=2, batch_max_age_s=3600), tmp_path) as ledger:
        for cid in cids(5, "replay"):
            ledger.record(cid)
        before = {b.tx_hash: b.block_number for b in ledger.anchor_now()}
        proofs = [ledger.proof(cid) for cid in cids(5, "replay")]
    with Ledger(LedgerSettings(), tmp_path) as reopened:
        assert {b.tx_hash: b.block_number for b in reopened.batches()} == before
        assert all(reopened.verify(p).ok for p in proofs)


def test_a_damaged_journal_is_refused_clearly(tmp_path: Path) -> None:
    with Ledger(LedgerSettings(batch_max_age_s=3600), tmp_path) as ledger:
        ledger.record(cids(1, "damage")[0])
        ledger.anchor_now()
    journal = tmp_path / "ledger" / "embedded-chain.sqlite"
    db = sqlite3.connect(journal)
    raw = bytearray(db.execute("SELECT raw FROM journal WHERE seq = 2").fetchone()[0])
    raw[-40] ^= 0xFF  # corrupt the signature of the anchor tx
    db.execute("UPDATE journal SET raw = ? WHERE seq = 2", (bytes(raw),))
    db.commit()
    db.close()
    with pytest.raises(LedgerError, match="cannot be replayed at entry 2") as err:
        EmbeddedChain(journal)
    assert "backup" in err.value.hint


def anchored_chain(tmp_path: Path, anchors: int, snapshot_every: int) -> tuple[Path, dict[str, int]]:
    """Anchor ``anchors`` one-output batches with a worker chain that snapshots every ``snapshot_every``."""
    with Ledger(LedgerSettings(batch_max_age_s=3600), tmp_path) as ledger:
        ledger._worker._client = EmbeddedChain(
            tmp_path / "ledger" / "embedded-chain.sqlite", snapshot_every=snapshot_every
        )
        for cid in cids(anchors, "snap"):
            ledger.record(cid)
            ledger.anchor_now()
        blocks = {b.tx_hash: b.block_number for b in ledger.batches(limit=100)}
    return tmp_path / "ledger" / "embedded-chain.sqlite", blocks


def test_reopening_restores_the_snapshot_and_replays_only_the_rest(tmp_path: Path) -> None:
    journal, blocks = anchored_chain(tmp_path, anchors=7, snapshot_every=3)  # deploy + 7 anchors = 8 txs
    chain = EmbeddedChain(journal, writable=False)
    try:
        assert chain.restored_from == 6 and chain.journal_length() == 8
        for tx_hash, block in blocks.items():
            assert chain.receipt(bytes.fromhex(tx_hash[2:])).block_number == block
    finally:
        chain.close()
    with Ledger(LedgerSettings(), tmp_path) as ledger:  # and the ledger keeps anchoring on top of it
        ledger.record(cids(1, "after-snapshot")[0])
        assert ledger.anchor_now()[-1].nonce == 8
        assert all(ledger.verify(ledger.proof(cid)).ok for cid in cids(7, "snap"))


def test_a_snapshot_that_does_not_match_the_journal_is_ignored(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    journal, blocks = anchored_chain(tmp_path, anchors=5, snapshot_every=2)
    db = sqlite3.connect(journal)
    db.execute("DELETE FROM snapshot_kv WHERE rowid % 3 = 0")  # damaged cache
    db.commit()
    db.close()
    chain = EmbeddedChain(journal, writable=False)
    try:
        assert chain.restored_from is None and "ignoring its snapshot" in caplog.text
        for tx_hash, block in blocks.items():  # the journal alone rebuilt the same chain
            assert chain.receipt(bytes.fromhex(tx_hash[2:])).block_number == block
    finally:
        chain.close()
