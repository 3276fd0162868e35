"""Reproducibility against the npm tools: the committed contract artifact recompiles byte for byte with
solcjs, the Merkle vectors regenerate with @openzeppelin/merkle-tree, and OpenZeppelin's own verifier
accepts our proof files. Skipped (with the reason) when node_modules is absent; CI runs `npm ci`."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
from pathlib import Path

import pytest

from qsm.chain import FakeLedger
from qsm.chain.contract import load_artifact
from tests.chain.conftest import REPO, cids

CONTRACTS = REPO / "qsm" / "chain" / "contracts"
NODE = shutil.which("node")


def needs(package: str) -> None:
    if NODE is None:
        pytest.skip("node is not installed (Node 20+ needed for the npm tools)")
    if not (REPO / "node_modules" / package / "package.json").is_file():
        pytest.skip(f"node_modules/{package} is absent: run `npm ci` in the repo root")


def node(*args: str, stdin: str | None = None, timeout: float = 120) -> str:
    done = subprocess.run(
        [NODE or "node", *args],
        cwd=REPO,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_artifact_matches_its_source_file() -> None:
    artifact = load_artifact()
    source = (CONTRACTS / "AnchorRegistry.sol").read_bytes()
    assert hashlib.sha256(source).hexdigest() == artifact.source_sha256, (
        "recompile: see scripts/ledger_compile_*"
    )
    assert artifact.compiler["version"].startswith("0.8.28+")
    assert artifact.settings == {"optimizer": {"enabled": True, "runs": 200}, "evmVersion": "cancun"}
    assert {item.get("name") for item in artifact.abi} >= {"anchor", "anchorOf", "Anchored"}


def test_contract_recompiles_to_the_committed_artifact() -> None:
    needs("solc")
    fresh = json.loads(node("scripts/ledger_compile_contract.mjs"))
    committed = json.loads((CONTRACTS / "AnchorRegistry.json").read_text())
    assert fresh["compiler"] == committed["compiler"]
    assert fresh["settings"] == committed["settings"]
    assert fresh["abi"] == committed["abi"]
    assert fresh["bytecode"] == committed["bytecode"]
    assert fresh["deployedBytecode"] == committed["deployedBytecode"]
    assert fresh == committed


def test_merkle_vectors_regenerate_with_openzeppelin() -> None:
    needs("@openzeppelin/merkle-tree")
    n = 120  # the full 1..1000 run takes about a minute; the committed file came from the same script
    fresh = json.loads(node("scripts/ledger_merkle_vectors.mjs", str(n)))
    committed = json.loads((Path(__file__).parent / "data" / "merkle_vectors.json").read_text())
    assert fresh["seed"] == committed["seed"] and fresh["generator"] == committed["generator"]
    assert fresh["roots"] == committed["roots"][:n]
    assert fresh["proofs"] == [p for p in committed["proofs"] if p["n"] <= n]
    assert fresh["multiproofs"] == [m for m in committed["multiproofs"] if m["n"] <= n]
    assert fresh["dumpN5"] == committed["dumpN5"]


OZ_VERIFY = """
const { StandardMerkleTree } = require('@openzeppelin/merkle-tree')
const cases = JSON.parse(require('fs').readFileSync(0, 'utf8'))
console.log(JSON.stringify(cases.map(c => StandardMerkleTree.verify(c.root, c.leafEncoding, c.value, c.proof))))
"""


def test_openzeppelin_verifies_our_proof_files_and_rejects_tampered_ones() -> None:
    needs("@openzeppelin/merkle-tree")
    ledger = FakeLedger()
    ids = cids(37, "oz")
    for cid in ids:
        ledger.record(cid)
    ledger.anchor_now()
    good = [ledger.proof(cid).standard for cid in ids[::6]]
    tampered = dict(good[0], value=[good[0]["value"][0], "0x" + "00" * 32])
    wrong_root = dict(good[1], root="0x" + "11" * 32)
    verdicts = json.loads(node("-e", OZ_VERIFY, stdin=json.dumps([*good, tampered, wrong_root])))
    assert verdicts == [True] * len(good) + [False, False]
