"""`qsm ledger status|anchor|proof|verify` as a user runs them, with their exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from qsm.chain import Ledger
from qsm.chain.anvil import AnvilNode
from qsm.chain.keys import ENV_PRIVATE_KEY
from qsm.cli import cli
from tests.chain.conftest import ANVIL_CHAIN_ID, anvil_key, cids, embedded_settings, rpc_settings


def qsm(data: Path, *args: str) -> Result:
    return CliRunner().invoke(cli, ["--data-dir", str(data), "ledger", *args])


def test_status_and_anchor_on_an_empty_data_dir(tmp_path: Path) -> None:
    status = qsm(tmp_path, "status")
    assert (
        status.exit_code == 0 and "backend   embedded" in status.output and "outputs   none" in status.output
    )
    anchored = qsm(tmp_path, "anchor")
    assert anchored.exit_code == 0 and "nothing to anchor" in anchored.output
    as_json = json.loads(qsm(tmp_path, "status", "--json").output)
    assert as_json["backend"] == "embedded" and as_json["outputs"] == {}


def test_anchor_proof_verify_round_trip_and_verdicts(tmp_path: Path) -> None:
    ids = cids(3, "cli")
    with Ledger(embedded_settings(), tmp_path) as ledger:
        for cid in ids:
            ledger.record(cid)
    anchored = qsm(tmp_path, "anchor")
    assert anchored.exit_code == 0 and "final" in anchored.output and "3 leaves" in anchored.output
    status = qsm(tmp_path, "status")
    assert "batched=3" in status.output and "final=1" in status.output

    proof_file = tmp_path / "p.json"
    written = qsm(tmp_path, "proof", ids[1], "-o", str(proof_file))
    assert written.exit_code == 0 and "final" in written.output
    assert json.loads(proof_file.read_text())["content_id"] == ids[1]
    assert (
        json.loads(qsm(tmp_path, "proof", ids[1]).output)["root"]
        == json.loads(proof_file.read_text())["root"]
    )

    ok = qsm(tmp_path, "verify", str(proof_file))
    assert ok.exit_code == 0 and ok.output.startswith("VERIFIED")
    assert qsm(tmp_path, "verify", str(proof_file), "--content-id", ids[1]).exit_code == 0
    assert qsm(tmp_path, "verify", str(proof_file), "--content-id", ids[0]).exit_code == 12

    data = json.loads(proof_file.read_text())
    data["leaf"]["salt"] = data["leaf"]["salt"][:-1] + ("0" if data["leaf"]["salt"][-1] != "0" else "1")
    tampered = tmp_path / "tampered.json"
    tampered.write_text(json.dumps(data))
    bad = qsm(tmp_path, "verify", str(tampered))
    assert bad.exit_code == 12 and bad.output.startswith("TAMPERED")

    garbage = tmp_path / "garbage.json"
    garbage.write_text('{"format": "something else"}')
    broken = qsm(tmp_path, "verify", str(garbage))
    assert broken.exit_code == 12 and "not a valid proof file" in broken.output


def test_proof_before_anchoring_and_unknown_ids(tmp_path: Path) -> None:
    ids = cids(2, "early")
    with Ledger(embedded_settings(), tmp_path) as ledger:
        for cid in ids:
            ledger.record(cid)
        queued = qsm(tmp_path, "proof", ids[0])
        assert queued.exit_code == 6 and "not yet in a batch" in queued.output and "hint:" in queued.output
        ledger._worker.seal_all()  # sealed, not yet anchored
    early = tmp_path / "early.json"
    assert qsm(tmp_path, "proof", ids[0], "-o", str(early)).exit_code == 0
    unanchored = qsm(tmp_path, "verify", str(early))
    assert unanchored.exit_code == 11 and unanchored.output.startswith("NOT ANCHORED")
    unknown = qsm(tmp_path, "proof", "final:" + "0" * 64)
    assert unknown.exit_code == 6 and "never recorded" in unknown.output


def test_anchor_error_is_reported_without_traceback(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QSM_LEDGER__BACKEND", "rpc")
    monkeypatch.setenv("QSM_LEDGER__RPC_URL", "http://127.0.0.1:9/")
    monkeypatch.setenv(ENV_PRIVATE_KEY, anvil_key(1))
    with Ledger(embedded_settings(backend="rpc", rpc_url="http://127.0.0.1:9/"), tmp_path) as ledger:
        ledger.record(cids(1, "err")[0])
    result = qsm(tmp_path, "anchor")
    assert result.exit_code == 6
    assert "error: cannot reach the ledger RPC endpoint http://127.0.0.1:9" in result.output
    assert "hint:" in result.output and "Traceback" not in result.output
    status = qsm(tmp_path, "status").output  # the output is kept, sealed, waiting for the chain
    assert "outputs   batched=1" in status and "batches   sealed=1" in status and "last error" in status


@pytest.mark.anvil
def test_verify_on_anvil_not_final_then_final_and_wrong_chain(
    anvil_node: AnvilNode, anvil_account: str, tmp_path: Path
) -> None:
    cid = cids(1, "cli-anvil")[0]
    with Ledger(rpc_settings(anvil_node), tmp_path / "data") as ledger:
        ledger.record(cid)
        ledger.anchor_now()
        (tmp_path / "p.json").write_text(ledger.proof(cid).model_dump_json())
    pending = qsm(tmp_path, "verify", str(tmp_path / "p.json"), "--rpc", anvil_node.url)
    assert pending.exit_code == 10 and pending.output.startswith("NOT FINAL")
    anvil_node.mine(3)
    final = qsm(tmp_path, "verify", str(tmp_path / "p.json"), "--rpc", anvil_node.url)
    assert final.exit_code == 0 and f"chain {ANVIL_CHAIN_ID}" in final.output
    no_rpc = qsm(tmp_path, "verify", str(tmp_path / "p.json"))
    assert no_rpc.exit_code == 6 and "--rpc" in no_rpc.output

    with Ledger(embedded_settings(), tmp_path / "emb") as ledger:
        ledger.record(cid)
        ledger.anchor_now()
        (tmp_path / "e.json").write_text(ledger.proof(cid).model_dump_json())
    wrong = qsm(tmp_path, "verify", str(tmp_path / "e.json"), "--rpc", anvil_node.url)
    assert wrong.exit_code == 13 and "is chain 31337" in wrong.output


def test_keystore_create_writes_an_encrypted_file_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("QSM_LEDGER_KEYSTORE_PASSWORD", "pw")
    monkeypatch.delenv(ENV_PRIVATE_KEY, raising=False)
    created = qsm(tmp_path, "keystore", "create")
    assert created.exit_code == 0, created.output
    info = json.loads(created.output.splitlines()[0])
    path = Path(info["keystore"])
    assert path == tmp_path / "ledger" / "keystore.json" and oct(path.stat().st_mode & 0o777) == "0o600"
    assert json.loads(path.read_text())["crypto"]["kdf"] == "scrypt"
    again = qsm(tmp_path, "keystore", "create")
    assert again.exit_code == 6 and "already exists" in again.output
    missing = qsm(tmp_path, "keystore", "create", "--from-env", "--path", str(tmp_path / "other.json"))
    assert missing.exit_code == 6 and "QSM_LEDGER_PRIVATE_KEY is not set" in missing.output
