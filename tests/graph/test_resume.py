"""Kill a run mid-way (SIGKILL) and resume the thread: it continues from the last checkpoint."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from qsm.graph import Runtime, resume
from qsm.settings import load_settings


def _config(tmp: Path, delay: float) -> Path:
    cfg = tmp / "qsm.toml"
    cfg.write_text(
        f'data_dir = "{tmp / "data"}"\n[defaults.model]\nbackend = "fake"\nfake_delay_s = {delay}\n'
        f'fake_log = "{tmp / "calls.jsonl"}"\n'
        # the team's LLM path, so that every step is a model call the test can watch and kill
        '[runtime]\nrouter = "llm"\ntools = false\nref_judge = "checks+model"\n[memory]\nembedder = "hashing"\n'
    )
    return cfg


def _calls(tmp: Path) -> list[dict]:
    log = tmp / "calls.jsonl"
    return [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []


def _wait_for(predicate, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError("condition not reached")
        time.sleep(0.05)


@pytest.mark.slow
def test_sigkill_mid_run_then_resume_continues_from_checkpoint(tmp_path: Path) -> None:
    cfg = _config(tmp_path, delay=1.5)
    cmd = [
        sys.executable,
        "-m",
        "qsm.cli",
        "--config",
        str(cfg),
        "ask",
        "What is 2+2?",
        "--thread",
        "t-kill",
    ]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env={**os.environ})
    try:
        _wait_for(lambda: len(_calls(tmp_path)) >= 2)  # QSM planned, SOM budgeted; WeQ is drafting now
        time.sleep(0.5)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == -signal.SIGKILL
    before = _calls(tmp_path)
    assert [c["agent"] for c in before] == ["QSM", "SOM"]

    settings = load_settings(cfg)
    with Runtime(settings) as rt:
        assert rt.runs.thread("t-kill").status == "running"  # killed: never marked finished
        result = resume("t-kill", runtime=rt)
        assert rt.runs.thread("t-kill").status == "ok"
    agents = [c["agent"] for c in _calls(tmp_path)]
    assert agents == ["QSM", "SOM", "WeQ", "Ref"], "plan and budget must not run again after resume"
    assert result.status == "ok" and result.final_id
    kinds = [e.type for e in result.trace]
    assert kinds.count("Plan") == 1 and kinds.count("Budget") == 1 and kinds.count("Draft") == 1

    out = subprocess.run(
        [sys.executable, "-m", "qsm.cli", "--config", str(cfg), "resume", "t-kill"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0 and "Final answer" in out.stdout  # finished threads just report their answer
    assert len(_calls(tmp_path)) == 4
