"""The fake ledger behaves like the real one where other packages can tell; both satisfy the Protocol."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from qsm.chain import (
    DisabledLedger,
    FakeLedger,
    Ledger,
    LedgerProtocol,
    LedgerSettings,
    VerifyStatus,
    open_ledger,
)
from qsm.errors import LedgerError
from tests.chain.conftest import cids, embedded_settings


@pytest.fixture(params=["fake", "embedded"])
def ledger(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[LedgerProtocol]:
    real = request.param == "embedded"
    instance: LedgerProtocol = (
        Ledger(embedded_settings(), tmp_path) if real else FakeLedger(batch_max_age_s=3600)
    )
    yield instance
    instance.close()


def test_everyone_implements_the_protocol(tmp_path: Path) -> None:
    assert isinstance(FakeLedger(), LedgerProtocol)
    assert isinstance(DisabledLedger(LedgerSettings(enabled=False), tmp_path), LedgerProtocol)
    with Ledger(LedgerSettings(), tmp_path) as real:
        assert isinstance(real, LedgerProtocol)


def test_same_observable_behaviour(ledger: LedgerProtocol) -> None:
    ids = cids(9, "proto")
    first = ledger.record(ids[0])
    assert ledger.record(ids[0]) == first and first.state == "pending" and first.leaf_hash
    for cid in ids[1:]:
        ledger.record(cid)
    assert ledger.status().outputs == {"pending": 9}
    with pytest.raises(LedgerError, match="not a content id"):
        ledger.record("final:not-hex")
    with pytest.raises(LedgerError):
        ledger.proof(ids[0])  # not yet batched
    (batch,) = ledger.anchor_now()
    assert batch.leaf_count == 9 and batch.state == "final" and ledger.batches()[0].batch_id == batch.batch_id
    for cid in ids:
        proof = ledger.proof(cid)
        assert proof.root == batch.root and ledger.verify(proof).status is VerifyStatus.VERIFIED
    tampered = ledger.proof(ids[3]).model_copy(update={"content_id": ids[4]})
    assert ledger.verify(tampered).status is VerifyStatus.TAMPERED
    assert ledger.record(ids[5]).state == "batched"
    assert ledger.status().outputs == {"batched": 9} and ledger.status().batches == {"final": 1}
    assert ledger.tick().error is None


def test_fake_policy_finality_reorg_and_failures() -> None:
    now = [1000.0]
    fake = FakeLedger(batch_max_leaves=3, batch_max_age_s=10, finality_lag=2, clock=lambda: now[0])
    for cid in cids(4, "fake"):
        fake.record(cid)
    assert fake.tick().sealed == 1  # 3 by size; the fourth is younger than 10 s
    now[0] += 11
    assert fake.tick().sealed == 1
    proof = fake.proof(cids(4, "fake")[0])
    assert fake.verify(proof).status is VerifyStatus.NOT_FINAL
    fake.mine(2)
    assert fake.verify(proof).status is VerifyStatus.VERIFIED
    fake.reorg(1)
    assert fake.verify(proof).status is VerifyStatus.NOT_ANCHORED and fake.batches()[-1].reorgs == 1
    fake.fail_with = LedgerError("chain down", hint="wait")
    assert fake.tick().error == "chain down"
    with pytest.raises(LedgerError, match="chain down"):
        fake.anchor_now()
    assert fake.status().last_error == "chain down"
    fake.fail_with = None
    fake.tick()
    fake.mine(2)
    assert fake.verify(fake.proof(cids(4, "fake")[0])).ok


def test_disabled_ledger_records_nothing_but_says_so(tmp_path: Path) -> None:
    disabled = open_ledger(LedgerSettings(enabled=False), tmp_path)
    assert isinstance(disabled, DisabledLedger)
    receipt = disabled.record(cids(1)[0])
    assert receipt.state == "disabled" and receipt.leaf_hash is None
    assert disabled.tick().skipped == "ledger disabled" and disabled.batches() == []
    with pytest.raises(LedgerError, match="disabled"):
        disabled.anchor_now()
    assert not (tmp_path / "ledger").exists()


def test_a_record_keeps_the_user_whose_run_made_it(ledger: LedgerProtocol) -> None:
    mine, theirs, anonymous = cids(3, "users")
    assert ledger.record(mine, user="alice").user == "alice"
    assert ledger.record(mine).user == "alice"  # recorded again without a user: still alice's
    assert ledger.record(mine, user="bob").user == "alice"  # nor does another user take it over
    ledger.record(theirs, user="bob")
    ledger.record(anonymous)
    receipts = [ledger.receipt(c) for c in (mine, theirs, anonymous)]
    assert [r.user if r else "not recorded" for r in receipts] == ["alice", "bob", None]
    assert ledger.receipt(cids(1, "never")[0]) is None
    ledger.anchor_now()
    batched = ledger.receipt(mine)
    assert batched is not None and batched.state == "batched" and batched.user == "alice"
