"""The signing key (and keystore password) never show up: not in logs, exception text, reprs, the SQLite
outbox, proof files or anything else written under the data dir."""

from __future__ import annotations

import copy
import logging
import pickle
from pathlib import Path

import pytest
from click.testing import CliRunner
from eth_account import Account

from qsm.chain import Ledger, create_keystore
from qsm.chain.anvil import AnvilNode
from qsm.chain.keys import ENV_KEYSTORE_PASSWORD, ENV_PRIVATE_KEY, Signer, signer_from_env_or_keystore
from qsm.cli import cli
from qsm.errors import LedgerError
from tests.chain.conftest import cids, rpc_settings

PASSWORD = "correct horse battery staple 42"


def forms(key: bytes) -> list[bytes]:
    """Every way the key could leak: raw bytes, hex with/without 0x, upper-case hex."""
    hexed = key.hex()
    return [key, hexed.encode(), ("0x" + hexed).encode(), hexed.upper().encode()]


def assert_absent(key: bytes, *texts: str | bytes) -> None:
    for text in texts:
        blob = text.encode() if isinstance(text, str) else text
        for form in forms(key):
            assert form not in blob


def files_under(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file()]


def test_signer_shows_only_its_address() -> None:
    account = Account.create()
    signer = Signer(bytes(account.key))
    assert repr(signer) == str(signer) == f"Signer(address={account.address})"
    assert_absent(bytes(account.key), repr(signer), str(signer), f"{signer!r} {signer}")
    with pytest.raises(TypeError):
        pickle.dumps(signer)
    with pytest.raises(TypeError):
        copy.deepcopy(signer)
    with pytest.raises(AttributeError):
        signer.address = "0x0"  # type: ignore[misc]


def test_bad_keys_are_not_quoted_in_errors(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    almost = "0x" + "ab" * 31 + "zz"  # looks like a key, is not one
    monkeypatch.setenv(ENV_PRIVATE_KEY, almost)
    with pytest.raises(LedgerError) as err:
        signer_from_env_or_keystore(None)
    assert "ab" * 31 not in str(err.value) and err.value.__cause__ is None and err.value.__context__ is None
    zero = "0x" + "00" * 32  # right shape, invalid for secp256k1
    monkeypatch.setenv(ENV_PRIVATE_KEY, zero)
    with pytest.raises(LedgerError) as err:
        signer_from_env_or_keystore(None)
    assert "00" * 32 not in str(err.value) and err.value.__cause__ is None


def test_keystore_cli_prints_and_stores_no_secret(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    account = Account.create()
    key = bytes(account.key)
    monkeypatch.setenv(ENV_PRIVATE_KEY, key.hex())
    monkeypatch.setenv(ENV_KEYSTORE_PASSWORD, PASSWORD)
    target = tmp_path / "ks.json"
    result = CliRunner().invoke(
        cli,
        [
            "--data-dir",
            str(tmp_path / "d"),
            "ledger",
            "keystore",
            "create",
            "--from-env",
            "--path",
            str(target),
        ],
    )
    assert result.exit_code == 0, result.output
    assert account.address in result.output
    assert_absent(key, result.output, target.read_bytes())
    assert PASSWORD not in result.output and PASSWORD.encode() not in target.read_bytes()
    monkeypatch.delenv(ENV_PRIVATE_KEY)
    assert signer_from_env_or_keystore(target).address == account.address


@pytest.mark.anvil
@pytest.mark.parametrize("source", ["env", "keystore"])
def test_key_never_leaks_through_a_whole_anchoring_run(
    anvil_node: AnvilNode,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    source: str,
) -> None:
    caplog.set_level(logging.DEBUG)  # web3, urllib3 and qsm at their chattiest
    account = Account.create()
    key = bytes(account.key)
    data = tmp_path / "data"
    overrides: dict[str, object] = {}
    if source == "env":
        monkeypatch.setenv(ENV_PRIVATE_KEY, key.hex())
    else:
        monkeypatch.delenv(ENV_PRIVATE_KEY, raising=False)
        keystore = data / "keys" / "k.json"
        create_keystore(keystore, PASSWORD, key, scrypt_n=2**10)
        overrides["keystore_path"] = keystore
        monkeypatch.setenv(ENV_KEYSTORE_PASSWORD, PASSWORD)
    texts: list[str] = []
    with Ledger(rpc_settings(anvil_node, **overrides), data) as ledger:
        for cid in cids(4, f"secret-{source}"):
            ledger.record(cid)
        with pytest.raises(LedgerError) as unfunded:  # an error path that names the account
            ledger.anchor_now()
        texts += [str(unfunded.value), repr(unfunded.value), unfunded.value.hint]
        anvil_node.rpc("anvil_setBalance", [account.address, hex(10**18)])
        batches = ledger.anchor_now()
        anvil_node.mine(3)
        ledger.tick()
        proof = ledger.proof(cids(4, f"secret-{source}")[0])
        (data / "proof.json").write_text(proof.model_dump_json())
        session = ledger._worker.session()
        texts += [
            repr(ledger),
            repr(ledger._worker),
            repr(session),
            repr(session.signer),
            repr(session.client),
        ]
        texts += [ledger.status().model_dump_json(), *(b.model_dump_json() for b in batches)]
    assert batches and any(account.address in t for t in texts)  # the address is shown, the key never
    texts.append("\n".join(f"{r.name} {r.getMessage()}" for r in caplog.records))
    assert_absent(key, *texts)
    for path in files_under(data):
        assert_absent(key, path.read_bytes())
        assert PASSWORD.encode() not in path.read_bytes()
