"""Two `qsm serve` workers on one PostgreSQL run database: a worker SIGKILLed mid-run leaves its thread
running there, and the other worker resumes it from the last checkpoint (the steps that finished do not
run again)."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from tests.postgres_fixture import postgres_server, postgres_url  # noqa: F401

pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _wait(predicate: Callable[[], bool], what: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, f"{what} within {timeout:g} s"
        time.sleep(0.1)


def _worker(cfg: Path, port: int, log: Path) -> subprocess.Popen[bytes]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "qsm.cli", "--config", str(cfg), "serve", "--port", str(port)],
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
    )

    def up() -> bool:
        assert proc.poll() is None, log.read_text()
        try:
            return httpx.get(f"http://127.0.0.1:{port}/v1/models").status_code == 200
        except httpx.TransportError:
            return False

    _wait(up, "qsm serve came up")
    return proc


def test_a_killed_worker_s_run_resumes_on_another(postgres_url: str, tmp_path: Path) -> None:  # noqa: F811
    calls = tmp_path / "calls.jsonl"
    cfg = tmp_path / "qsm.toml"
    cfg.write_text(
        f'data_dir = "{tmp_path / "data"}"\n[defaults.model]\nbackend = "fake"\nfake_delay_s = 1.5\n'
        f'fake_log = "{calls}"\n'
        '[runtime]\nrouter = "llm"\ntools = false\nref_judge = "checks+model"\n[memory]\nembedder = "hashing"\n'
        f'[runs]\nbackend = "postgres"\nurl = "{postgres_url}"\n'
    )

    def agents() -> list[str]:
        return (
            [json.loads(line)["agent"] for line in calls.read_text().splitlines()] if calls.exists() else []
        )

    port_a, port_b = _free_port(), _free_port()
    first = _worker(cfg, port_a, tmp_path / "a.log")
    try:
        a = f"http://127.0.0.1:{port_a}"
        assert httpx.post(f"{a}/threads", json={"thread_id": "t-fail"}).status_code == 200
        started = httpx.post(f"{a}/threads/t-fail/runs", json={"input": {"prompt": "What is 2+2?"}})
        assert started.status_code == 200, started.text
        _wait(lambda: len(agents()) >= 2, "QSM planned and SOM budgeted")  # WeQ is drafting now
        time.sleep(0.5)
        os.kill(first.pid, signal.SIGKILL)
        first.wait(timeout=30)
    finally:
        if first.poll() is None:
            first.kill()
    assert agents() == ["QSM", "SOM"]

    second = _worker(cfg, port_b, tmp_path / "b.log")
    try:
        b = f"http://127.0.0.1:{port_b}"
        assert httpx.get(f"{b}/threads/t-fail").json()["status"] == "running"  # as the killed worker left it
        resumed = httpx.post(f"{b}/threads/t-fail/resume")
        assert resumed.status_code == 200, resumed.text
        run_id = resumed.json()["run_id"]

        def ended() -> bool:
            return httpx.get(f"{b}/threads/t-fail/runs/{run_id}").json()["status"] not in (
                "pending",
                "running",
            )

        _wait(ended, "the resumed run ended", timeout=120)
        run = httpx.get(f"{b}/threads/t-fail/runs/{run_id}").json()
        assert run["status"] == "success" and run["result_status"] == "ok" and run["final_id"], run
        assert httpx.get(f"{b}/threads/t-fail").json()["status"] == "ok"
    finally:
        second.terminate()
        second.wait(timeout=30)
    assert agents() == ["QSM", "SOM", "WeQ", "Ref"], "plan and budget must not run again after the failover"
    assert not (tmp_path / "data" / "runs.sqlite").exists()
