"""The ledger may fail; the answer still reaches the user. A corrupt embedded-chain file is reported (with the
exact command to start over) while the answer is kept queued in the outbox; after the chain is reset or
replaced, the ledger deploys its registry again and anchors every batch again; an RPC chain that lost the
registry says to run `qsm ledger redeploy`, which does the same."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from qsm.chain import Ledger, VerifyStatus, verify_proof
from qsm.chain.anvil import AnvilNode
from qsm.chain.contract import Artifact
from qsm.chain.outbox import Outbox
from qsm.chain.session import EMBEDDED_JOURNAL
from qsm.cli import cli
from qsm.errors import LedgerError
from qsm.graph import Runtime, Workflow, run
from qsm.settings import load_settings
from tests.chain.conftest import cids, embedded_settings, rpc_settings
from tests.helpers import team_fakes


def chain_file(data: Path) -> Path:
    return data / "ledger" / EMBEDDED_JOURNAL


def corrupt(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    for extra in (path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        extra.unlink(missing_ok=True)
    path.write_bytes(b"this is not a database " * 200)


def remove_chain(data: Path) -> None:
    path = chain_file(data)
    for p in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        p.unlink(missing_ok=True)


def test_a_corrupt_chain_file_still_returns_the_answer(tmp_path: Path) -> None:
    from qsm.agents import ModelPool

    data = tmp_path / "d"
    corrupt(chain_file(data))
    ledger = embedded_settings(batch_max_age_s=0).model_dump(mode="json")
    settings = load_settings(overrides={"data_dir": str(data), "ledger": ledger})
    with Runtime(settings, models=ModelPool(overrides=team_fakes()), memory=None) as rt:
        result = run(Workflow.default(), "What is 2+2?", runtime=rt)
    assert result.final is not None and result.final.text and result.status == "ok"
    assert result.receipt is not None and result.receipt["content_id"] == result.final_id
    [error] = result.errors
    assert error.startswith("ledger: the embedded chain file") and "stays queued" in error
    outbox = Outbox(data / "ledger" / "outbox.sqlite")
    try:
        row = outbox.output(result.final_id or "")
        assert row is not None and row.content is not None  # kept, with the answer, for a later anchor
    finally:
        outbox.close()
    # the hint's command (move the file away) lets the queued answer anchor on a new chain
    shutil.move(chain_file(data), chain_file(data).with_name("broken.sqlite"))
    with Ledger(embedded_settings(), data) as led:
        led.anchor_now()
        proof = led.proof(result.final_id or "")
    assert verify_proof(proof, None, data, answer=result.final.text).ok


def test_cli_ask_prints_the_answer_and_the_ledger_warning(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = tmp_path / "data"
    monkeypatch.setenv("QSM_DATA_DIR", str(data))
    corrupt(chain_file(data))
    cfg = tmp_path / "qsm.toml"
    cfg.write_text(
        f'data_dir = "{data}"\n[defaults.model]\nbackend = "fake"\n[memory]\nenabled = false\n'
        "[ledger]\nbatch_max_age_s = 0\n"
    )
    out = CliRunner().invoke(cli, ["--config", str(cfg), "ask", "What is 2+2?"])
    assert out.exit_code == 0, out.output
    assert "Final answer" in out.output and "content id: final:" in out.output
    assert "warning: ledger: the embedded chain file" in out.output and "stays queued" in out.output
    assert f"mv '{chain_file(data)}'" in out.output  # the exact command that starts a new chain
    assert "Traceback" not in out.output
    status = CliRunner().invoke(cli, ["--config", str(cfg), "ledger", "status"])
    assert "pending=1" in status.output or "batched=1" in status.output


def test_corrupt_chain_file_is_a_clear_ledger_error(tmp_path: Path) -> None:
    corrupt(chain_file(tmp_path))
    with Ledger(embedded_settings(batch_max_age_s=0), tmp_path) as ledger:
        ledger.record(cids(1, "corrupt")[0])
        report = ledger.tick()  # never raises for chain trouble
        assert report.error is not None and "embedded chain file" in report.error
        with pytest.raises(LedgerError) as err:
            ledger.anchor_now()
        assert ledger.status().outputs == {"batched": 1}
    assert f"mv '{chain_file(tmp_path)}'" in err.value.hint


def test_deleted_chain_file_redeploys_and_reanchors_everything(tmp_path: Path) -> None:
    ids = cids(5, "reset")
    with Ledger(embedded_settings(batch_max_leaves=2), tmp_path) as ledger:
        for cid in ids[:3]:
            ledger.record(cid)
        ledger.anchor_now()
    remove_chain(tmp_path)  # the chain is gone; the outbox says 2 batches are final
    with Ledger(embedded_settings(batch_max_leaves=2), tmp_path) as ledger:
        for cid in ids[3:]:
            ledger.record(cid)
        ledger.anchor_now()
        assert ledger.status().batches == {"final": 3} and ledger.status().last_error is None
        proofs = [ledger.proof(cid) for cid in ids]
    for proof in proofs:
        assert verify_proof(proof, None, tmp_path).status is VerifyStatus.VERIFIED


def test_a_replaced_chain_file_reanchors_what_it_lacks(tmp_path: Path) -> None:
    mine, other = tmp_path / "mine", tmp_path / "other"
    with Ledger(embedded_settings(), other) as ledger:  # another data dir's chain: same registry address
        ledger.record(cids(1, "other")[0])
        ledger.anchor_now()
    ids = cids(2, "mine")
    with Ledger(embedded_settings(), mine) as ledger:
        for cid in ids:
            ledger.record(cid)
        ledger.anchor_now()
    remove_chain(mine)
    shutil.copy(chain_file(other), chain_file(mine))
    with Ledger(embedded_settings(), mine) as ledger:
        ledger.tick()
        ledger.anchor_now()
        proof = ledger.proof(ids[0])
    assert verify_proof(proof, None, mine).status is VerifyStatus.VERIFIED


def test_an_embedded_chain_with_the_previous_registry_moves_to_the_current_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A data dir anchored by the previous qsm (AnchorRegistry v1, 75k gas per anchor) upgrades by itself."""
    data = json.loads((Path(__file__).parent / "data" / "AnchorRegistry.v1.json").read_text())
    v1 = Artifact(
        abi=data["abi"],
        bytecode=bytes.fromhex(data["bytecode"][2:]),
        deployed_bytecode=bytes.fromhex(data["deployedBytecode"][2:]),
        compiler=data["compiler"],
        settings=data["settings"],
        source_sha256=data["sourceSha256"],
    )
    ids = cids(2, "upgrade")
    with monkeypatch.context() as patched:
        patched.setattr("qsm.chain.worker.load_artifact", lambda: v1)
        patched.setattr("qsm.chain.txbuild.load_artifact", lambda: v1)
        with Ledger(embedded_settings(), tmp_path) as ledger:
            ledger.record(ids[0])
            (old,) = ledger.anchor_now()
            assert old.state == "final"
            v1_registry = ledger.status().contract
    with Ledger(embedded_settings(), tmp_path) as ledger:
        ledger.record(ids[1])
        ledger.anchor_now()
        assert ledger.status().batches == {"final": 2} and ledger.status().contract != v1_registry
        proofs = [ledger.proof(cid) for cid in ids]
    for proof in proofs:
        assert verify_proof(proof, None, tmp_path).status is VerifyStatus.VERIFIED


@pytest.mark.anvil
def test_rpc_chain_reset_says_redeploy_and_redeploy_recovers(
    anvil_account: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.chain.conftest import anvil_binary

    binary = anvil_binary()
    assert binary is not None
    ids = cids(2, "rpc-reset")
    with AnvilNode(binary) as node, Ledger(rpc_settings(node), tmp_path) as ledger:
        ledger.record(ids[0])
        ledger.anchor_now()
    with AnvilNode(binary) as node:  # a new node of the same chain id: the registry is gone
        with Ledger(rpc_settings(node), tmp_path) as ledger:
            ledger.record(ids[1])
            with pytest.raises(LedgerError) as err:
                ledger.anchor_now()
            assert "no AnchorRegistry" in err.value.message and "`qsm ledger redeploy`" in err.value.hint
        cfg = tmp_path / "qsm.toml"
        cfg.write_text(
            f'data_dir = "{tmp_path}"\n[ledger]\nbackend = "rpc"\nrpc_url = "{node.url}"\n'
            f"chain_id = {node.chain_id}\npoll_interval_s = 0\n"
        )
        monkeypatch.setenv("QSM_DATA_DIR", str(tmp_path))
        out = CliRunner().invoke(cli, ["--config", str(cfg), "ledger", "redeploy"])
        assert out.exit_code == 0, out.output
        again = CliRunner().invoke(cli, ["--config", str(cfg), "ledger", "redeploy"])
        assert again.exit_code == 6 and "nothing to redeploy" in again.output
        node.mine(3)
        with Ledger(rpc_settings(node), tmp_path) as ledger:
            ledger.tick()
            proofs = [ledger.proof(cid) for cid in ids]
        for proof in proofs:
            assert verify_proof(proof, node.url).status is VerifyStatus.VERIFIED, json.dumps(
                proof.model_dump()
            )
