"""`qsm serve` itself: keys made, listed and revoked from the CLI; no binding beyond loopback without keys;
the command serving the OpenAI SDK from a subprocess on the fake backend."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
from click.testing import CliRunner
from openai import OpenAI

from qsm.cli import cli
from qsm.serve import KeyStore


def fake_config(tmp: Path) -> Path:
    cfg = tmp / "fake.toml"
    cfg.write_text(f'data_dir = "{tmp / "d"}"\n[defaults.model]\nbackend = "fake"\n')
    return cfg


def qsm(cfg: Path, *args: str) -> tuple[int, str, str]:
    data = cfg.parent / "d"
    result = CliRunner().invoke(cli, ["--config", str(cfg), "--data-dir", str(data), "serve", *args])
    assert "Traceback" not in result.output
    return result.exit_code, result.stdout, result.stderr


def test_keys_add_list_revoke(tmp_path: Path) -> None:
    cfg = fake_config(tmp_path)
    code, out, err = qsm(cfg, "keys", "add", "alice")
    assert code == 0 and "not shown again" in err
    key = out.strip()
    store = KeyStore(tmp_path / "d")
    assert store.user_for(key) == "alice"
    key_id = store.all_keys()[0].key_id
    code, out, _ = qsm(cfg, "keys", "list")
    assert code == 0 and key_id in out and "alice" in out and "live" in out and key not in out
    code, out, _ = qsm(cfg, "keys", "revoke", key_id)
    assert code == 0 and f"revoked key {key_id}" in out
    assert store.user_for(key) is None
    assert qsm(cfg, "keys", "list")[1].count("revoked") == 1
    code, _, err = qsm(cfg, "keys", "revoke", key_id)
    assert code == 1 and "already revoked" in err
    code, _, err = qsm(cfg, "keys", "add", "../root")
    assert code == 2 and "invalid user id" in err and "hint:" in err
    store.close()


def test_no_binding_beyond_loopback_without_keys(tmp_path: Path) -> None:
    code, _, err = qsm(fake_config(tmp_path), "--host", "0.0.0.0")
    assert code == 2 and "refusing to serve on 0.0.0.0" in err and "qsm serve keys add USER" in err


def test_qsm_serve_answers_the_openai_sdk(tmp_path: Path) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "qsm.cli",
            "--config",
            str(fake_config(tmp_path)),
            "serve",
            "--port",
            f"{port}",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            assert server.poll() is None, server.communicate()[0]
            try:
                if httpx.get(f"http://127.0.0.1:{port}/v1/models").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "qsm serve did not come up"
            time.sleep(0.2)
        client = OpenAI(base_url=f"http://127.0.0.1:{port}/v1", api_key="local", max_retries=0)
        stream = client.chat.completions.create(
            model="team", messages=[{"role": "user", "content": "What is 2+2?"}], stream=True
        )
        text = "".join(c.choices[0].delta.content or "" for c in stream if c.choices)
        assert "4" in text
    finally:
        server.terminate()
        output = server.communicate(timeout=30)[0]
    # uvicorn shuts down cleanly, then re-raises the SIGTERM it caught
    assert server.returncode in (0, -15) and "Application shutdown complete" in output, output
    assert f"qsm serve on http://127.0.0.1:{port}" in output
