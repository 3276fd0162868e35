"""SIGKILL `qsm ask` at random moments, resume each thread, and check nothing happened twice: every
channel message once, the chat remembered once, the final answer recorded in the ledger once."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

from qsm.graph import Runtime, load_result
from qsm.settings import load_settings

pytestmark = pytest.mark.slow


def _config(tmp: Path) -> Path:
    cfg = tmp / "qsm.toml"
    cfg.write_text(
        f'data_dir = "{tmp / "data"}"\n[runtime]\nfan_out = 2\nrepair_limit = 1\n'
        '[defaults.model]\nbackend = "fake"\nfake_delay_s = 0.3\n'
        '[memory]\nembedder = "hashing"\n[ledger]\nbatch_max_leaves = 1\n'
    )
    return cfg


def _qsm(cfg: Path, *args: str) -> list[str]:
    return [sys.executable, "-m", "qsm.cli", "--config", str(cfg), *args]


def test_random_kills_then_resume_leave_no_duplicates(tmp_path: Path) -> None:
    cfg = _config(tmp_path)
    rng = random.Random(1234)
    threads = []
    for trial in range(5):
        thread = f"t{trial}"
        proc = subprocess.Popen(
            _qsm(cfg, "ask", f"Question number {trial}?", "--thread", thread),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        time.sleep(rng.uniform(2.0, 8.0))
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=60)
        out = subprocess.run(_qsm(cfg, "resume", thread), capture_output=True, text=True, timeout=300)
        if "no thread" in out.stderr:  # killed while starting up: nothing was acknowledged, so ask again
            out = subprocess.run(
                _qsm(cfg, "ask", f"Question number {trial}?", "--thread", thread),
                capture_output=True,
                text=True,
                timeout=300,
            )
        assert out.returncode == 0, out.stdout + out.stderr
        threads.append(thread)

    settings = load_settings(cfg)
    with Runtime(settings) as rt:
        finals = []
        for thread in threads:
            result, _ = load_result(thread, rt)
            assert result.status == "ok" and result.final_id
            finals.append(result.final_id)
            sends = Counter((e.id, e.source, e.target) for e in result.trace)
            assert max(sends.values()) == 1, f"{thread}: a message was sent twice: {sends.most_common(1)}"
            kinds = Counter(e.type for e in result.trace)
            assert kinds["Plan"] == 1 and kinds["Budget"] == 1 and kinds["FinalAnswer"] == 2
        chats = rt.memory.ls("/users/local/chats").entries
        assert sorted(e.provenance.parents[0] for e in chats) == sorted(set(finals)), (
            "each answer remembered once"
        )
        status = rt.ledger.status()
        assert sum(status.outputs.values()) == len(set(finals)), (
            f"each answer recorded once: {status.outputs}"
        )
        for final_id in finals:
            assert rt.ledger.proof(final_id).content_id == final_id
