"""A model nobody closed does not end the process with a traceback (llama-cpp-python's own finaliser runs
after module teardown and fails there; qsm frees the contexts it loaded at exit, while it still can)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.real_model

LEAKY_TEST = """
from qsm.agents import LlamaBase, bundled_model_path

KEPT = []  # alive until the interpreter tears the modules down


def test_load_and_keep():
    base = LlamaBase(bundled_model_path(), n_ctx=256, n_threads=1)
    with base.acquire("x"):
        pass
    KEPT.append(base)
"""


def test_a_model_left_open_ends_the_process_quietly(tmp_path: Path) -> None:
    (tmp_path / "test_leaky.py").write_text(LEAKY_TEST)
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "test_leaky.py"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Exception ignored" not in done.stderr and "Traceback" not in done.stderr, done.stderr
