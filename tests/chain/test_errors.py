"""Bad RPC URL, wrong chain id, unfunded or missing key: a clear LedgerError with a hint, nothing lost,
and the queued outputs anchor once the problem is fixed."""

from __future__ import annotations

import http.server
import json
import re
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from eth_account import Account

from qsm.chain import Ledger, LedgerSettings, create_keystore
from qsm.chain.anvil import AnvilNode
from qsm.chain.anvil import _free_port as free_port
from qsm.chain.keys import ENV_KEYSTORE_PASSWORD, ENV_PRIVATE_KEY
from qsm.errors import LedgerError
from tests.chain.conftest import cids, rpc_settings


def queue_and_fail(settings: LedgerSettings, data_dir: Path, match: str, n: int = 3) -> LedgerError:
    """Record n outputs, check that tick reports and anchor_now raises ``match``; nothing is lost."""
    with Ledger(settings, data_dir) as ledger:
        for cid in cids(n, "queued"):
            assert ledger.record(cid).state == "pending"
        report = ledger.tick()
        assert report.error is not None and match in report.error
        with pytest.raises(LedgerError, match=re.escape(match)) as err:
            ledger.anchor_now(timeout_s=5)
        assert err.value.hint
        status = ledger.status()
        assert sum(status.outputs.values()) == n
        assert match in (status.last_error or "")
        assert all(b.state == "sealed" for b in ledger.batches())
    return err.value


def anchor_all(settings: LedgerSettings, data_dir: Path, n: int = 3) -> None:
    with Ledger(settings, data_dir) as ledger:
        ledger.anchor_now()
        assert ledger.status().outputs == {"batched": n}
        assert {b.state for b in ledger.batches()} <= {"mined", "final"}
        assert all(ledger.proof(cid).anchor is not None for cid in cids(n, "queued"))


@pytest.fixture
def html_server() -> Iterator[str]:
    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.end_headers()
            self.wfile.write(b"<html>not a node</html>")

        def log_message(self, *args: object) -> None:
            return None

    server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/some/path?apikey=SECRET123"
    server.shutdown()


def test_unreachable_rpc(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ENV_PRIVATE_KEY, Account.create().key.hex())
    url = f"http://127.0.0.1:{free_port()}/v3/SECRET123"
    err = queue_and_fail(
        LedgerSettings(backend="rpc", rpc_url=url, batch_max_age_s=0), tmp_path, "cannot reach"
    )
    assert "SECRET123" not in str(err)  # the path (often an API key) is never shown


@pytest.mark.parametrize("url", ["not a url", "ftp://example.org/x", "127.0.0.1:8545"])
def test_rpc_url_that_is_not_http(tmp_path: Path, url: str) -> None:
    queue_and_fail(
        LedgerSettings(backend="rpc", rpc_url=url, batch_max_age_s=0), tmp_path, "not an http(s) URL"
    )


def test_rpc_url_missing(tmp_path: Path) -> None:
    queue_and_fail(LedgerSettings(backend="rpc", batch_max_age_s=0), tmp_path, "rpc_url is not set")


def test_endpoint_that_is_not_a_json_rpc_node(tmp_path: Path, html_server: str) -> None:
    err = queue_and_fail(
        LedgerSettings(backend="rpc", rpc_url=html_server, batch_max_age_s=0),
        tmp_path,
        "did not answer as a JSON-RPC node",
    )
    assert "SECRET123" not in str(err)


@pytest.mark.anvil
def test_bad_url_then_fixed(anvil_node: AnvilNode, anvil_account: str, tmp_path: Path) -> None:
    bad = rpc_settings(anvil_node, rpc_url=f"http://127.0.0.1:{free_port()}", batch_max_age_s=0)
    queue_and_fail(bad, tmp_path, "cannot reach")
    anchor_all(rpc_settings(anvil_node), tmp_path)


@pytest.mark.anvil
def test_wrong_chain_id_then_fixed(anvil_node: AnvilNode, anvil_account: str, tmp_path: Path) -> None:
    err = queue_and_fail(
        rpc_settings(anvil_node, chain_id=11155111, batch_max_age_s=0),
        tmp_path,
        "is chain 31337, but the ledger is configured for chain 11155111",
    )
    assert "ledger.chain_id" in err.hint
    anchor_all(rpc_settings(anvil_node, chain_id=31337), tmp_path)


@pytest.mark.anvil
def test_unfunded_key_then_funded(
    anvil_node: AnvilNode, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    poor = Account.create()
    monkeypatch.setenv(ENV_PRIVATE_KEY, poor.key.hex())
    err = queue_and_fail(
        rpc_settings(anvil_node, batch_max_age_s=0), tmp_path, f"{poor.address} has 0.000000 ETH"
    )
    assert "fund" in err.hint
    with Ledger(rpc_settings(anvil_node), tmp_path) as ledger:
        assert all(
            ledger.outbox.txs(b.batch_id, live_only=False) == [] for b in ledger.batches()
        )  # nothing signed
    anvil_node.rpc("anvil_setBalance", [poor.address, hex(10**18)])
    anchor_all(rpc_settings(anvil_node), tmp_path)


@pytest.mark.anvil
def test_no_key_then_keystore(anvil_node: AnvilNode, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(ENV_PRIVATE_KEY, raising=False)
    queue_and_fail(rpc_settings(anvil_node, batch_max_age_s=0), tmp_path, "no signing key")
    keystore = tmp_path / "keys" / "ledger.json"
    address = create_keystore(keystore, "pw-1", scrypt_n=2**10)
    anvil_node.rpc("anvil_setBalance", [address, hex(10**18)])
    monkeypatch.setenv(ENV_KEYSTORE_PASSWORD, "pw-1")
    anchor_all(rpc_settings(anvil_node, keystore_path=keystore), tmp_path)


def test_keystore_problems_are_explained(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from qsm.chain.keys import signer_from_env_or_keystore

    monkeypatch.delenv(ENV_PRIVATE_KEY, raising=False)
    missing = tmp_path / "nope.json"
    with pytest.raises(LedgerError, match="does not exist"):
        signer_from_env_or_keystore(missing)
    keystore = tmp_path / "ks.json"
    create_keystore(keystore, "right", scrypt_n=2**10)
    assert oct(keystore.stat().st_mode & 0o777) == "0o600"
    monkeypatch.delenv(ENV_KEYSTORE_PASSWORD, raising=False)
    with pytest.raises(LedgerError, match="needs its password"):
        signer_from_env_or_keystore(keystore)
    monkeypatch.setenv(ENV_KEYSTORE_PASSWORD, "wrong")
    with pytest.raises(LedgerError, match="wrong password"):
        signer_from_env_or_keystore(keystore)
    monkeypatch.setenv(ENV_KEYSTORE_PASSWORD, "right")
    stored = json.loads(keystore.read_text())["address"].lower().removeprefix("0x")
    assert signer_from_env_or_keystore(keystore).address.lower() == "0x" + stored
    with pytest.raises(LedgerError, match="already exists"):
        create_keystore(keystore, "again", scrypt_n=2**10)
    monkeypatch.setenv(ENV_PRIVATE_KEY, "0x1234")
    with pytest.raises(LedgerError, match="is not a private key"):
        signer_from_env_or_keystore(None)


def test_embedded_chain_id_mismatch_is_refused(tmp_path: Path) -> None:
    queue_and_fail(LedgerSettings(chain_id=1, batch_max_age_s=0), tmp_path, "configured for chain 1")
