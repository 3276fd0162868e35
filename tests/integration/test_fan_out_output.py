"""Loading several model copies at once (fan-out) leaves stdout and stderr where they were (issue 17 item 6).

llama-cpp-python silences a load by pointing fd 1 and 2 at /dev/null and back; two loads at once used to
leave stdout at /dev/null, so `qsm ask ... --fan-out 3` finished with exit code 0 and printed nothing.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from qsm.agents import LlamaBase, LlamaCppModel, ModelRequest, Sampling, bundled_model_path
from qsm.agents.roles import chat

pytestmark = pytest.mark.real_model
ASK = ["List two facts about the moon.", "--fan-out", "3", "--budget-tokens", "2400"]


def _where(fd: int) -> tuple[int, int]:
    info = os.fstat(fd)
    return info.st_dev, info.st_ino


def _load_three_at_once() -> int:
    """Three threads each claim their own instance of a fresh base at the same moment, so the three
    loads overlap; returns how many instances were loaded."""
    base = LlamaBase(bundled_model_path(), n_ctx=256, n_threads=1, max_instances=3)
    model = LlamaCppModel(base)
    start = threading.Barrier(3)
    errors: list[BaseException] = []

    def load(i: int) -> None:
        try:
            start.wait()
            model.complete(ModelRequest(chat("Be brief.", "Hi"), Sampling(max_tokens=1), cache_key=f"c{i}"))
        except BaseException as exc:  # reported by the test, not lost in the thread
            errors.append(exc)

    threads = [threading.Thread(target=load, args=(i,)) for i in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    base.close()
    assert not errors, errors
    return base.loads


def test_concurrent_loads_leave_stdout_and_stderr_alone(capfd: pytest.CaptureFixture[str]) -> None:
    before = (_where(1), _where(2), sys.stdout, sys.stderr)
    for _ in range(4):  # before the fix the race was lost in most rounds
        assert _load_three_at_once() == 3
        assert (_where(1), _where(2), sys.stdout, sys.stderr) == before
    os.write(1, b"still on stdout\n")
    os.write(2, b"still on stderr\n")
    out, err = capfd.readouterr()
    assert out == "still on stdout\n" and err == "still on stderr\n"  # and the loads themselves were quiet


@pytest.mark.slow
def test_qsm_ask_with_fan_out_prints_its_answer(tmp_path: Path) -> None:
    """The issue's reproduction: the answer reaches a captured stdout."""
    out = subprocess.run(
        [sys.executable, "-m", "qsm.cli", "--data-dir", str(tmp_path / "d"), "ask", *ASK],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert out.returncode in (0, 4), out.stdout + out.stderr
    assert "[WeQ · draft #2]" in out.stdout, out.stdout
    header = "━━ Final answer" if "━━ Final answer" in out.stdout else "━━ No verified answer"
    assert header in out.stdout, out.stdout
    after = out.stdout.split(header, 1)[
        1
    ].splitlines()  # the header's rest, [a "Best attempt" line,] the text
    text = after[2] if header == "━━ No verified answer" else after[1]
    assert text.strip() and after[-1].startswith("thread: "), out.stdout
