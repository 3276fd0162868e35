"""`qsm ui` binds beyond loopback only once API keys exist (the app then asks every session for one): without
keys a flag or config value that would expose it is refused with a clear error naming `qsm serve keys add
USER` (exit 2) and Streamlit is never started."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from qsm.apikeys import KeyStore
from qsm.cli import cli
from qsm.errors import ConfigError
from qsm.ui.launch import check_bind, require_loopback, streamlit_command


@pytest.fixture
def execs(monkeypatch: pytest.MonkeyPatch) -> list[list[str]]:
    """Records what `qsm ui` would exec instead of replacing the test process with Streamlit."""
    calls: list[list[str]] = []
    monkeypatch.setattr("qsm.cli.ui_cmd.os.execvpe", lambda file, args, env: calls.append(list(args)))
    return calls


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.168.1.10", "example.com", "127.0.0.1.nip.io"])
def test_host_flag_beyond_loopback_is_refused(host: str, execs: list[list[str]]) -> None:
    result = CliRunner().invoke(cli, ["ui", "--host", host])
    assert result.exit_code == 2, result.output
    assert "no authentication" in result.output and "loopback" in result.output and "hint:" in result.output
    assert "qsm serve keys add USER" in result.output
    assert "Traceback" not in result.output and not execs


def test_config_host_beyond_loopback_is_refused(tmp_path: Path, execs: list[list[str]]) -> None:
    cfg = tmp_path / "qsm.toml"
    cfg.write_text('[ui]\nhost = "0.0.0.0"\nport = 8600\n')
    result = CliRunner().invoke(cli, ["--config", str(cfg), "ui"])
    assert result.exit_code == 2 and "'0.0.0.0'" in result.output and "no authentication" in result.output
    assert not execs


@pytest.mark.parametrize("host", ["127.0.0.1", "127.0.0.2", "::1", "[::1]", "localhost", "LOCALHOST"])
def test_loopback_hosts_start_the_app(host: str, execs: list[list[str]]) -> None:
    result = CliRunner().invoke(cli, ["ui", "--host", host, "--port", "8611"])
    assert result.exit_code == 0, result.output
    [command] = execs
    assert command[command.index("--server.address") + 1] == host
    assert command[command.index("--server.port") + 1] == "8611"


def test_launcher_itself_refuses_a_public_address() -> None:
    assert require_loopback("127.0.0.1") == "127.0.0.1"
    with pytest.raises(ConfigError, match="no authentication"):
        streamlit_command("0.0.0.0", 8501)


def test_beyond_loopback_only_once_api_keys_exist(tmp_path: Path) -> None:
    data = tmp_path / "data"
    with pytest.raises(ConfigError, match="no API keys") as refused:
        check_bind("0.0.0.0", data)
    assert "qsm serve keys add USER" in (refused.value.hint or "")
    assert not (data / "serve").exists(), "asking does not make a key store"
    store = KeyStore(data)
    key_id = store.add("alice")[0].key_id
    assert check_bind("0.0.0.0", data) == "0.0.0.0" and check_bind("127.0.0.1", None) == "127.0.0.1"
    store.revoke(key_id)
    store.close()
    assert check_bind("::", data) == "::", (
        "keys were made: the app asks for one (a revoked key signs no one in)"
    )


def test_qsm_ui_with_keys_starts_beyond_loopback(tmp_path: Path, execs: list[list[str]]) -> None:
    store = KeyStore(tmp_path / "data")
    store.add("alice")
    store.close()
    result = CliRunner().invoke(cli, ["--data-dir", str(tmp_path / "data"), "ui", "--host", "0.0.0.0"])
    assert result.exit_code == 0, result.output
    [command] = execs  # recorded, not run: nothing binds 0.0.0.0 in tests
    assert command[command.index("--server.address") + 1] == "0.0.0.0"
