"""Transaction lifecycle on a real anvil node: fee bumps, 'already known' / 'nonce too low' after a crash
(receipts are checked, nothing is signed again), a nonce taken by a foreign tx, a front-run root, reorgs and
finality. Each test gets its own node because it changes how the node mines."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from pathlib import Path

import pytest
from eth_account import Account

from qsm.chain import Ledger, VerifyStatus, faults, verify_proof
from qsm.chain.anvil import AnvilNode
from qsm.chain.contract import ANCHORED_TOPIC, anchor_calldata
from qsm.chain.keys import ENV_PRIVATE_KEY
from qsm.chain.outbox_schema import BatchRow
from qsm.errors import LedgerError
from tests.chain.conftest import anvil_key, cids, rpc_settings

pytestmark = pytest.mark.anvil


class SimulatedCrash(BaseException):
    """Stands in for SIGKILL at a crash point (the subprocess crash tests use the real signal)."""


@pytest.fixture
def node(fresh_anvil: AnvilNode, monkeypatch: pytest.MonkeyPatch) -> Iterator[AnvilNode]:
    monkeypatch.setenv(ENV_PRIVATE_KEY, anvil_key(0))
    yield fresh_anvil


def crash_at(monkeypatch: pytest.MonkeyPatch, point: str) -> None:
    def crash(name: str) -> None:
        if name == point:
            raise SimulatedCrash(point)

    monkeypatch.setattr(faults, "crash_point", crash)


def anchored_events(ledger: Ledger) -> list[dict]:
    session = ledger._worker.session()
    registry = ledger.status().contract
    return session.client.get_logs(registry, [ANCHORED_TOPIC])


def deployed(node: AnvilNode, tmp_path: Path, **overrides: object) -> Ledger:
    """A ledger whose registry is deployed and first batch anchored (auto-mining still on)."""
    ledger = Ledger(rpc_settings(node, **overrides), tmp_path)
    ledger.record(cids(1, "warmup")[0])
    ledger.anchor_now()
    return ledger


def crashed_at(
    node: AnvilNode,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    point: str,
    tag: str,
    automine: bool = True,
) -> BatchRow:
    """Deploy, record one output, die at ``point`` while anchoring it; crash points are off afterwards."""
    with deployed(node, tmp_path) as ledger:
        node.rpc("evm_setAutomine", [automine])
        ledger.record(cids(1, tag)[0])
        crash_at(monkeypatch, point)
        with pytest.raises(SimulatedCrash):
            ledger.anchor_now()
        (batch,) = ledger.outbox.batches(("signed",))
    monkeypatch.setattr(faults, "crash_point", lambda name: None)
    return batch


def send_foreign(node: AnvilNode, key_index: int, nonce: int, **fields: object) -> bytes:
    """Sign and send a tx from anvil account ``key_index`` outside the ledger; returns its hash."""
    tx = {
        "nonce": nonce,
        "gas": 200_000,
        "maxFeePerGas": 10**10,
        "maxPriorityFeePerGas": 10**9,
        "chainId": 31337,
    }
    signed = Account.from_key(anvil_key(key_index)).sign_transaction({**tx, **fields})
    node.rpc("eth_sendRawTransaction", ["0x" + bytes(signed.raw_transaction).hex()])
    return bytes(signed.hash)


def test_stuck_tx_is_fee_bumped_with_the_same_nonce(node: AnvilNode, tmp_path: Path) -> None:
    fees = {"bump_after_s": 0, "rebroadcast_after_s": 3600, "bump_percent": 30, "max_bumps": 2}
    with deployed(node, tmp_path, fees=fees) as ledger:
        node.rpc("evm_setAutomine", [False])
        ledger.record(cids(1, "stuck")[0])
        ledger.anchor_now(timeout_s=0.5) if False else None
        ledger._worker.seal_all()
        ledger._worker.advance_all()  # sign + broadcast: sits in the pool
        (batch,) = ledger.outbox.batches(("broadcast",))
        ledger._worker.advance_all()  # no receipt, bump_after_s = 0: replacement
        ledger._worker.advance_all()  # and once more (max_bumps = 2)
        ledger._worker.advance_all()  # no third bump
        txs = ledger.outbox.txs(batch.id)
        assert len(txs) == 3 and len({t.nonce for t in txs}) == 1 and len({t.tx_hash for t in txs}) == 3
        for older, newer in itertools.pairwise(txs):
            assert newer.max_fee >= older.max_fee * 1.3 and newer.priority_fee >= older.priority_fee * 1.3
        pool = node.rpc("txpool_content")["pending"]  # type: ignore[index]
        assert sum(len(by_nonce) for by_nonce in pool.values()) == 1  # the node kept only the newest
        node.rpc("evm_mine")
        ledger._worker.advance_all()
        batch = ledger.outbox.batch(batch.id)
        assert batch.state == "mined" and batch.tx_hash == txs[-1].tx_hash
        assert len(anchored_events(ledger)) == 2  # warm-up batch + this one, once each


def test_fee_bump_respects_the_cap(node: AnvilNode, tmp_path: Path) -> None:
    with deployed(node, tmp_path) as ledger:
        first_fee = ledger.outbox.txs(ledger.batches()[0].batch_id)[0].max_fee
    cap_gwei = first_fee * 1.1 / 1e9  # room for a first tx, not for a +25 % bump
    fees = {"bump_after_s": 0, "max_fee_gwei": cap_gwei}
    with Ledger(rpc_settings(node, fees=fees), tmp_path) as ledger:
        node.rpc("evm_setAutomine", [False])
        ledger.record(cids(1, "capped")[0])
        ledger._worker.seal_all()
        ledger._worker.advance_all()
        ledger._worker.advance_all()
        (batch,) = ledger.outbox.batches(("broadcast",))
        assert len(ledger.outbox.txs(batch.id)) == 1
        assert "max_fee_gwei" in (batch.last_error or "")


@pytest.mark.parametrize("automine", [True, False])
def test_crash_after_send_then_node_says_known_or_nonce_too_low(
    node: AnvilNode, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, automine: bool
) -> None:
    batch = crashed_at(
        node, tmp_path, monkeypatch, "sent", "resend", automine
    )  # the node has it, the outbox not
    with Ledger(rpc_settings(node), tmp_path) as restarted:
        restarted._worker.advance_all()  # resend: 'nonce too low' (mined) or 'already known' (pooled)
        if not automine:
            assert restarted.outbox.batch(batch.id).state == "broadcast"
            node.rpc("evm_mine")
            restarted._worker.advance_all()
        assert restarted.outbox.batch(batch.id).state == "mined"
        assert len(restarted.outbox.txs(batch.id, live_only=False)) == 1  # never signed again
        assert len(anchored_events(restarted)) == 2


def test_nonce_taken_by_a_foreign_tx_is_re_signed_only_after_finality(
    node: AnvilNode, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    batch = crashed_at(node, tmp_path, monkeypatch, "signed", "orphan")
    # someone else uses the same key and nonce (a plain transfer) before our tx goes out
    send_foreign(node, 0, batch.nonce, to=Account.from_key(anvil_key(0)).address, value=1, gas=21_000)
    with Ledger(rpc_settings(node), tmp_path) as restarted:
        restarted._worker.advance_all()  # 'nonce too low', no receipt; not final yet: wait
        assert restarted.outbox.batch(batch.id).state == "broadcast"
        node.mine(3)
        restarted._worker.advance_all()  # now the foreign tx is final: back to sealed
        assert restarted.outbox.batch(batch.id).state == "sealed"
        restarted.anchor_now()
        again = restarted.outbox.batch(batch.id)
        assert again.state == "mined" and again.nonce == batch.nonce + 1
        states = [t.state for t in restarted.outbox.txs(batch.id, live_only=False)]
        assert states == ["dropped", "live"]
        assert len(anchored_events(restarted)) == 2


def test_a_front_run_root_is_adopted_not_sent_again(node: AnvilNode, tmp_path: Path) -> None:
    with deployed(node, tmp_path) as ledger:
        registry = ledger.status().contract
        ledger.record(cids(1, "frontrun")[0])
        (batch,) = ledger._worker.seal_all()
        # another account copies our root into its own anchor tx and gets in first
        front_run = send_foreign(node, 5, 0, to=registry, data=anchor_calldata(batch.root, 999, 1))
        ledger.anchor_now()
        adopted = ledger.outbox.batch(batch.id)
        assert adopted.state == "mined" and adopted.tx_hash == front_run
        assert ledger.outbox.txs(batch.id, live_only=False) == []  # we never sent one
        node.mine(3)
        ledger.tick()
        proof = ledger.proof(cids(1, "frontrun")[0])
    result = verify_proof(proof, node.url)
    assert result.ok and result.submitter == Account.from_key(anvil_key(5)).address


@pytest.mark.parametrize("how", ["anvil_reorg", "anvil_rollback"])
def test_reorg_re_anchors_and_is_never_final_too_early(node: AnvilNode, tmp_path: Path, how: str) -> None:
    with deployed(node, tmp_path) as ledger:
        node.mine(3)
        ledger.tick()
        cid = cids(1, "reorg")[0]
        ledger.record(cid)
        (batch,) = ledger.anchor_now()
        mined_block = batch.block_number
        batch_row = ledger.outbox.batch(batch.batch_id)
        assert node.block_number("finalized") < mined_block
        for _ in range(3):
            ledger.tick()
            assert ledger.outbox.batch(batch.batch_id).state == "mined"  # finalized tag has not reached it
        assert verify_proof(ledger.proof(cid), node.url).status is VerifyStatus.NOT_FINAL
        if how == "anvil_reorg":
            node.rpc("anvil_reorg", [1, []])  # its block is replaced by an empty one: the tx is gone
        else:
            node.rpc("anvil_rollback", [1])  # its block is dropped: the chain is one block shorter
        assert verify_proof(ledger.proof(cid), node.url).status is VerifyStatus.NOT_ANCHORED
        ledger.tick()  # receipt vanished -> reorg -> the stored raw tx is sent again (auto-mined)
        ledger.tick()
        after = ledger.outbox.batch(batch.batch_id)
        assert after.state == "mined" and after.reorgs == 1 and after.block_hash != batch_row.block_hash
        assert after.block_number >= mined_block
        assert len(ledger.outbox.txs(batch.batch_id, live_only=False)) == 1  # same signed tx, not re-signed
        node.mine(3)
        ledger.tick()
        final = ledger.outbox.batch(batch.batch_id)
        assert final.state == "final" and final.finalized_block >= final.block_number
        events = [t["event"] for t in ledger.outbox.transitions(batch.batch_id)]
        assert events == ["seal", "sign", "broadcast", "mine", "reorg", "mine", "finalize"]
        roots = [log["topics"][1] for log in anchored_events(ledger)]
        assert roots.count(roots[-1]) == 1
        assert verify_proof(ledger.proof(cid), node.url).ok


def test_confirmations_mode(node: AnvilNode, tmp_path: Path) -> None:
    with deployed(node, tmp_path, finality="confirmations", confirmations=4) as ledger:
        ledger.record(cids(1, "confirm")[0])
        batch = ledger.anchor_now()[-1]  # the warm-up batch (mined, not final) is listed too
        node.mine(2)  # 3 confirmations
        ledger.tick()
        assert ledger.outbox.batch(batch.batch_id).state == "mined"
        node.mine(1)  # 4
        ledger.tick()
        assert ledger.outbox.batch(batch.batch_id).state == "final"


def test_our_tx_reverts_when_front_run_then_the_batch_adopts_the_other_anchor(
    node: AnvilNode, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    batch = crashed_at(node, tmp_path, monkeypatch, "signed", "revert")
    front_run = send_foreign(node, 6, 0, to=batch.contract_address, data=anchor_calldata(batch.root, 7, 1))
    with Ledger(rpc_settings(node), tmp_path) as restarted:
        restarted.anchor_now()  # our stored tx is sent, mined, reverts (AlreadyAnchored); then adopted
        after = restarted.outbox.batch(batch.id)
        assert after.state == "mined" and after.reverts == 1 and after.tx_hash == front_run
        assert [t.state for t in restarted.outbox.txs(batch.id, live_only=False)] == ["reverted"]
        events = [t["event"] for t in restarted.outbox.transitions(batch.id)]
        assert events == ["seal", "sign", "broadcast", "revert", "adopt"]


def test_a_deploy_that_keeps_reverting_stops_instead_of_burning_fees(
    node: AnvilNode, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from qsm.chain.steps import TxSteps

    monkeypatch.setattr(
        TxSteps, "_gas_limit", lambda self, client, purpose, tx: 80_000
    )  # too little to deploy
    with Ledger(rpc_settings(node), tmp_path) as ledger:
        ledger.record(cids(1, "nodeploy")[0])
        for _ in range(3):
            with pytest.raises(LedgerError):
                ledger.anchor_now(timeout_s=2)
        (deploy,) = ledger.outbox.batches(None, purpose="deploy")
        assert deploy.state == "failed" and deploy.reverts == 3
        with pytest.raises(LedgerError, match="deploying the AnchorRegistry on chain 31337 failed"):
            ledger.anchor_now(timeout_s=2)
        assert len(ledger.outbox.batches(None, purpose="deploy")) == 1  # no fourth, fifth... attempt
        assert ledger.status().outputs == {"batched": 1}


def test_after_a_restart_a_pending_tx_the_node_lost_is_sent_again_at_once(
    node: AnvilNode, tmp_path: Path
) -> None:
    settings = {"fees": {"rebroadcast_after_s": 3600, "bump_after_s": 3600}}
    with deployed(node, tmp_path, **settings) as ledger:
        node.rpc("evm_setAutomine", [False])
        ledger.record(cids(1, "lost")[0])
        ledger._worker.seal_all()
        ledger._worker.advance_all()
        (batch,) = ledger.outbox.batches(("broadcast",))
        ledger._worker.advance_all()  # the same process does not resend before rebroadcast_after_s
        assert ledger.outbox.txs(batch.id)[0].sent_at is not None
    node.rpc("anvil_dropAllTransactions")  # the node forgets its pool (as after a node restart)
    with Ledger(rpc_settings(node, **settings), tmp_path) as restarted:
        restarted._worker.advance_all()  # a new process: sends the stored raw tx again immediately
        node.rpc("evm_mine")
        restarted._worker.advance_all()
        assert restarted.outbox.batch(batch.id).state == "mined"
        assert len(restarted.outbox.txs(batch.id, live_only=False)) == 1
