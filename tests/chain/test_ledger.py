"""The ledger end to end, each test on the embedded chain and on a real anvil node."""

from __future__ import annotations

from pathlib import Path

import pytest

from qsm.chain import Ledger, MerkleTree, ProofFile, VerifyStatus, open_ledger, verify_proof
from qsm.chain.anvil import AnvilNode
from qsm.chain.contract import ANCHORED_TOPIC, anchor_of_calldata, decode_anchor_of, decode_anchored_log
from qsm.chain.models import LeafValue, hex32
from qsm.errors import LedgerError
from qsm.ids import digest_of
from tests.chain.conftest import ChainUnderTest, cids


def open_on(chain: ChainUnderTest, data_dir: Path, **overrides: object) -> Ledger:
    ledger = open_ledger(chain.settings(**overrides), data_dir)
    assert isinstance(ledger, Ledger)
    return ledger


def check(chain: ChainUnderTest, proof: ProofFile, data_dir: Path) -> VerifyStatus:
    return verify_proof(proof, chain.rpc_url, data_dir).status


def test_record_anchor_prove_verify(chain: ChainUnderTest, tmp_path: Path) -> None:
    ids = cids(7, "e2e")
    with open_on(chain, tmp_path) as ledger:
        receipts = [ledger.record(cid) for cid in ids]
        assert all(r.state == "pending" and r.leaf_hash for r in receipts)
        (batch,) = ledger.anchor_now()
        assert batch.leaf_count == 7 and batch.tx_hash and batch.block_number
        proof = ProofFile.model_validate_json(ledger.proof(ids[3]).model_dump_json())
        assert proof.anchor is not None and proof.anchor.tx_hash == batch.tx_hash
        if chain.node:  # anvil: mined but not yet final
            assert batch.state == "mined" and not proof.anchor.final
            assert check(chain, proof, tmp_path) is VerifyStatus.NOT_FINAL
            chain.finalize()
            ledger.tick()
        assert ledger.batches()[0].state == "final"
        assert check(chain, proof, tmp_path) is VerifyStatus.VERIFIED
        assert ledger.verify(ledger.proof(ids[0])).ok
        assert ledger.record(ids[0]).state == "batched"


def test_tampered_or_forged_proofs_are_rejected(chain: ChainUnderTest, tmp_path: Path) -> None:
    ids = cids(5, "tamper")
    with open_on(chain, tmp_path) as ledger:
        for cid in ids:
            ledger.record(cid)
        ledger.anchor_now()
        chain.finalize()
        ledger.tick()
        proof = ledger.proof(ids[1])
    assert check(chain, proof, tmp_path) is VerifyStatus.VERIFIED
    other_digest = hex32(digest_of(ids[2]))
    tampered = [
        proof.model_copy(update={"content_id": ids[2]}),
        proof.model_copy(update={"leaf": LeafValue(digest=other_digest, salt=proof.leaf.salt)}),
        proof.model_copy(update={"leaf": LeafValue(digest=proof.leaf.digest, salt="0x" + "ab" * 32)}),
        proof.model_copy(update={"proof": ["0x" + "00" * 32, *proof.proof[1:]]}),
        proof.model_copy(update={"proof": proof.proof[:-1]}),
        proof.model_copy(update={"root": "0x" + "cd" * 32}),
    ]
    for bad in tampered:
        assert check(chain, bad, tmp_path) is VerifyStatus.TAMPERED
    assert (
        verify_proof(proof, chain.rpc_url, tmp_path, expected_content_id=ids[0]).status
        is VerifyStatus.TAMPERED
    )
    # a self-consistent proof of a root nobody anchored
    salt = bytes(32)
    forged_root = MerkleTree([(digest_of(ids[1]), salt)]).root
    forged = proof.model_copy(
        update={
            "leaf": LeafValue(digest=proof.leaf.digest, salt=hex32(salt)),
            "proof": [],
            "root": hex32(forged_root),
            "leaf_hash": hex32(forged_root),
            "leaf_count": 1,
        }
    )
    assert check(chain, forged, tmp_path) is VerifyStatus.NOT_ANCHORED


def test_batching_policy_by_size_age_and_open_batches(chain: ChainUnderTest, tmp_path: Path) -> None:
    with open_on(chain, tmp_path, batch_max_leaves=3, max_open_batches=10) as ledger:
        for cid in cids(7, "policy"):
            ledger.record(cid)
        report = ledger.tick()
        assert report.error is None and report.sealed == 2
        assert ledger.status().outputs == {"batched": 6, "pending": 1}
        assert ledger.tick().sealed == 0  # one left, younger than batch_max_age_s
    with open_on(chain, tmp_path, batch_max_leaves=3, batch_max_age_s=0) as ledger:
        assert ledger.tick().sealed == 1
        assert ledger.status().outputs == {"batched": 7}
        assert sorted(b.leaf_count for b in ledger.batches()) == [1, 3, 3]


def test_at_most_max_open_batches_wait_unmined(tmp_path: Path) -> None:
    from tests.chain.conftest import embedded_settings

    with Ledger(embedded_settings(batch_max_leaves=2, max_open_batches=1), tmp_path) as ledger:
        for cid in cids(6, "open"):
            ledger.record(cid)
        ledger._worker.seal_due(now=0)
        assert len(ledger.batches()) == 1  # the others wait for the first to be mined
        ledger.anchor_now()
        assert len(ledger.batches()) == 3 and ledger.status().outputs == {"batched": 6}


def test_registry_records_roots_and_events(chain: ChainUnderTest, tmp_path: Path) -> None:
    with open_on(chain, tmp_path, batch_max_leaves=4) as ledger:
        for cid in cids(10, "registry"):
            ledger.record(cid)
        ledger.anchor_now()
        batches = sorted(ledger.batches(), key=lambda b: b.batch_id)
        client = ledger._worker.session().client
        registry = batches[0].contract
        logs = [decode_anchored_log(log) for log in client.get_logs(registry, [ANCHORED_TOPIC])]
        signer = ledger._worker.session().signer.address
    assert [hex32(r.root) for r in logs] == [b.root for b in batches]
    assert [r.batch_id for r in logs] == [b.batch_id for b in batches]
    assert [r.leaf_count for r in logs] == [4, 4, 2]
    assert {r.submitter for r in logs} == {signer}
    for batch in batches:
        root = bytes.fromhex(batch.root[2:])
        record = decode_anchor_of(root, client.call(registry, anchor_of_calldata(root)))
        assert (record.block_number, record.leaf_count, record.submitter) == (
            batch.block_number,
            batch.leaf_count,
            signer,
        )


@pytest.mark.anvil
def test_a_second_data_dir_reuses_a_configured_registry(
    anvil_node: AnvilNode, anvil_account: str, tmp_path: Path
) -> None:
    chain = ChainUnderTest("anvil", anvil_node)
    with open_on(chain, tmp_path / "a") as first:
        first.record(cids(1, "first")[0])
        registry = first.anchor_now()[0].contract
    with open_on(chain, tmp_path / "b", contract_address=registry) as second:
        second.record(cids(1, "second")[0])
        assert second.anchor_now()[0].contract == registry
        assert second.outbox.batches(None, purpose="deploy") == []
    with open_on(chain, tmp_path / "c", contract_address="0x" + "12" * 20) as third:
        third.record(cids(1, "third")[0])
        with pytest.raises(LedgerError, match="no AnchorRegistry"):
            third.anchor_now()
        assert third.status().outputs == {"batched": 1} and third.batches()[0].state == "sealed"


def test_tick_is_cheap_and_offline_when_idle(chain: ChainUnderTest, tmp_path: Path) -> None:
    with open_on(chain, tmp_path) as ledger:
        assert ledger.tick().skipped == "idle"
        ledger.record(cids(1, "idle")[0])
        assert ledger.tick().skipped == "idle"  # pending but not yet due (batch_max_age_s = 3600)
        assert ledger._worker._client is None  # no chain connection was needed so far
        status = ledger.status()
        assert status.outputs == {"pending": 1} and status.oldest_pending_age_s is not None
