"""Every FinalAnswer of a run gets a content id and a ledger receipt, is anchored (in the background
on an RPC chain), and verifies with only the proof file and a chain endpoint."""

from __future__ import annotations

import time
from pathlib import Path

from qsm.chain import VerifyStatus, verify_proof
from qsm.errors import LedgerError
from qsm.graph import Runtime, Workflow, run
from qsm.settings import load_settings
from tests.chain.conftest import ChainUnderTest
from tests.helpers import team_fakes


def test_final_answers_are_anchored_and_verifiable(tmp_path: Path, chain: ChainUnderTest) -> None:
    from qsm.agents import ModelPool

    ledger = chain.settings(batch_max_leaves=1, poll_interval_s=0.5).model_dump(mode="json")
    settings = load_settings(overrides={"data_dir": str(tmp_path / "d"), "ledger": ledger})
    with Runtime(settings, models=ModelPool(overrides=team_fakes()), memory=None) as rt:
        result = run(Workflow.default(), "What is 2+2?", runtime=rt)
        assert result.receipt["content_id"] == result.final_id
        deadline = time.monotonic() + 60
        while True:
            chain.finalize()
            if chain.node is None:
                rt.ledger.tick()  # the embedded chain is ticked inline; RPC chains in the background
            try:
                proof = rt.ledger.proof(result.final_id)
            except LedgerError:  # not sealed into a batch yet
                proof = None
            if proof is not None and proof.anchor is not None and proof.anchor.final:
                break
            assert time.monotonic() < deadline, f"not anchored: {rt.ledger.status()}"
            time.sleep(0.5)
    assert proof.content is not None and proof.content["payload"]["text"] == result.final.text
    checked = verify_proof(proof, rpc_url=chain.rpc_url, data_dir=tmp_path / "d", answer=result.final.text)
    assert checked.status == VerifyStatus.VERIFIED, checked.message
    assert checked.content_id == result.final_id
