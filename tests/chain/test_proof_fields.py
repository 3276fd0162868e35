"""A proof proves the text: it carries the FinalAnswer its content id covers, `qsm ledger verify` re-derives the
id from it and checks a held answer (`--answer TEXT|FILE`), and every field the proof states is checked
against the content or the chain: each falsified field exits 12 with the field named."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from qsm.agents.messages import FinalAnswer
from qsm.chain import Ledger, VerifyStatus, verify_proof
from qsm.chain.models import EMBEDDED_CHAIN_ID, ID_COVERS, ProofFile
from qsm.cli import cli
from qsm.graph.envelope import Envelope, seal
from qsm.ids import content_id
from tests.chain.conftest import cids, embedded_settings

ANSWER = "The Moon is about 384,400 km from Earth.\nIt has no atmosphere to speak of."


def answer_envelope(text: str = ANSWER) -> Envelope:
    final = FinalAnswer(text=text, status="ok", collapse="ref_rank", candidates=2, score=0.91)
    return seal(final, source="QSM", target="user", parents=["draft:" + "ab" * 32])


def qsm(data: Path, *args: str) -> Result:
    return CliRunner().invoke(cli, ["--data-dir", str(data), "ledger", "verify", *args])


@pytest.fixture(scope="module")
def anchored(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any], dict[str, Any], str]:
    """A data dir with three answers anchored (batch 1) and one more (batch 2); the proof of the second
    answer of batch 1 (carrying its FinalAnswer), and the tx hash of batch 2."""
    data = tmp_path_factory.mktemp("proofs")
    envs = [answer_envelope(), *(answer_envelope(f"other answer {i}") for i in range(2))]
    with Ledger(embedded_settings(), data) as ledger:
        for env in envs:
            ledger.record(env.id, content=env.hashed_content())
        ledger.anchor_now()
        bare = cids(1, "no-content")[0]
        ledger.record(bare)
        second = ledger.anchor_now()[-1]
        proof = ledger.proof(envs[0].id).model_dump(mode="json")
        bare_proof = ledger.proof(bare).model_dump(mode="json")
    assert second.tx_hash is not None
    return data, proof, bare_proof, second.tx_hash


def write(tmp_path: Path, proof: dict[str, Any], name: str = "p.json") -> str:
    path = tmp_path / name
    path.write_text(json.dumps(proof))
    return str(path)


def test_the_proof_carries_the_answer_and_what_its_id_covers(anchored: Any, tmp_path: Path) -> None:
    data, proof, _, _ = anchored
    assert proof["format"] == "qsm-ledger-proof/2" and proof["covers"] == ID_COVERS
    assert proof["content"]["type"] == "FinalAnswer" and proof["content"]["payload"]["text"] == ANSWER
    assert content_id("final", proof["content"]) == proof["content_id"] == answer_envelope().id
    ok = qsm(data, write(tmp_path, proof))
    assert ok.exit_code == 0 and ok.output.startswith("VERIFIED"), ok.output


def test_verify_answer_checks_the_text_someone_holds(anchored: Any, tmp_path: Path) -> None:
    data, proof, _, _ = anchored
    path = write(tmp_path, proof)
    assert qsm(data, path, "--answer", ANSWER).exit_code == 0
    held = tmp_path / "answer.txt"
    held.write_text(ANSWER + "\n", encoding="utf-8")  # as an editor saves it
    assert qsm(data, path, "--answer", str(held)).exit_code == 0
    wrong = qsm(data, path, "--answer", ANSWER.replace("384,400", "380,000"))
    assert wrong.exit_code == 12 and "not this answer" in wrong.output and "differs" in wrong.output
    held.write_text("The Moon is made of cheese.", encoding="utf-8")
    assert qsm(data, path, "--answer", str(held)).exit_code == 12


def test_changing_the_carried_answer_is_caught(anchored: Any, tmp_path: Path) -> None:
    data, proof, _, _ = anchored
    forged = json.loads(json.dumps(proof))
    forged["content"]["payload"]["text"] = "The Moon is 1 km away."
    result = qsm(data, write(tmp_path, forged))
    assert result.exit_code == 12 and "content:" in result.output
    # and a consistent new id for the new text no longer matches the anchored leaf
    forged["content_id"] = content_id("final", forged["content"])
    result = qsm(data, write(tmp_path, forged))
    assert result.exit_code == 12 and "leaf.digest" in result.output


def _set(proof: dict[str, Any], dotted: str, value: Any) -> dict[str, Any]:
    out = json.loads(json.dumps(proof))
    target = out
    *path, last = dotted.split(".")
    for key in path:
        target = target[key]
    target[last] = value
    return out


def falsified(proof: dict[str, Any], other_tx: str) -> list[tuple[str, dict[str, Any]]]:
    anchor = proof["anchor"]
    return [
        ("kind", _set(proof, "kind", "message")),
        ("covers", _set(proof, "covers", "the id covers the text only")),
        ("batch_id", _set(proof, "batch_id", proof["batch_id"] + 1)),
        ("leaf_count", _set(proof, "leaf_count", proof["leaf_count"] + 1)),
        ("anchor.submitter", _set(proof, "anchor.submitter", "0x" + "12" * 20)),
        ("anchor.tx_hash", _set(proof, "anchor.tx_hash", other_tx)),
        ("anchor.tx_hash", _set(proof, "anchor.tx_hash", "0x" + "ee" * 32)),
        ("anchor.block_number", _set(proof, "anchor.block_number", anchor["block_number"] - 1)),
        ("anchor.final", _set(proof, "anchor.final", False)),
        ("anchor.finalized_block", _set(proof, "anchor.finalized_block", anchor["block_number"] + 1000)),
        ("anchor.finalized_block", _set(proof, "anchor.finalized_block", anchor["block_number"] - 1)),
        ("anchor.backend", _set(proof, "anchor.backend", "rpc")),
        ("anchor.chain_id", _set(proof, "anchor.chain_id", EMBEDDED_CHAIN_ID + 1)),
    ]


def test_every_falsified_field_is_named_and_exits_12(anchored: Any, tmp_path: Path) -> None:
    data, proof, _, other_tx = anchored
    assert proof["anchor"]["final"] and proof["leaf_count"] == 3
    for field, bad in falsified(proof, other_tx):
        result = verify_proof(ProofFile.model_validate(bad), None, data)
        assert (result.status, result.field) == (VerifyStatus.TAMPERED, field), (field, result.message)
    # through the CLI: exit 12 and the field in the message
    for field, bad in falsified(proof, other_tx)[2:6]:
        result = qsm(data, write(tmp_path, bad, "bad.json"))
        assert result.exit_code == 12 and result.output.startswith("TAMPERED") and field in result.output


def test_output_recorded_without_content_and_old_proofs(anchored: Any, tmp_path: Path) -> None:
    data, _, bare_proof, _ = anchored
    assert bare_proof["content"] is None
    path = write(tmp_path, bare_proof)
    ok = qsm(data, path)
    assert ok.exit_code == 0 and "proves the content id only" in ok.output
    no_text = qsm(data, path, "--answer", "anything")
    assert no_text.exit_code == 12 and "does not carry its output" in no_text.output
    old = {k: v for k, v in bare_proof.items() if k not in ("content", "covers")}
    old |= {"format": "qsm-ledger-proof/1", "issued_at": 1.7e9}
    legacy = qsm(data, write(tmp_path, old, "old.json"))
    assert legacy.exit_code == 12 and "older qsm" in legacy.output and "qsm ledger proof" in legacy.output
