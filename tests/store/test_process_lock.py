"""Chroma on disk is single-process: a second process waits for the memory lock, then gets a clear
error; within one process, opening the same memory twice shares one store."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

from qsm.errors import MemoryStoreError
from qsm.store import MemorySettings, open_memory

HOLD = """
import sys, time
from pathlib import Path
from qsm.store import MemorySettings, open_memory
mem = open_memory(MemorySettings(embedder="hashing"), Path(sys.argv[1]))
print("open", flush=True)
time.sleep(30)
"""


def test_second_process_gets_a_clear_error(tmp_path: Path) -> None:
    holder = subprocess.Popen([sys.executable, "-c", HOLD, str(tmp_path)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "open"
        started = time.monotonic()
        with pytest.raises(MemoryStoreError) as info:
            open_memory(MemorySettings(embedder="hashing", lock_timeout_s=0.5), tmp_path)
        assert time.monotonic() - started >= 0.5
        assert f"pid {holder.pid}" in info.value.message and "chroma_url" in info.value.hint
    finally:
        holder.kill()
        holder.wait()
    mem = open_memory(MemorySettings(embedder="hashing", lock_timeout_s=5), tmp_path)  # freed by the kill
    mem.close()


def test_same_process_shares_and_last_owner_closes(tmp_path: Path) -> None:
    settings = MemorySettings(embedder="hashing")
    first = open_memory(settings, tmp_path)
    second = open_memory(settings, tmp_path)
    assert second is first
    first.write("shared", "/knowledge/x", as_agent="user")
    first.close()
    assert not second.closed and second.ls("/knowledge/x").entries
    second.close()
    assert second.closed
    third = open_memory(settings, tmp_path)
    assert third is not first and third.ls("/knowledge/x").entries
    third.close()
