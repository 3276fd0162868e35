"""Several processes share one memory on disk: an operation waits for another process's operation
(never for the process's whole life), then gets a clear error if that takes too long; within one
process, opening the same memory twice shares one store."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

from qsm.errors import MemoryStoreError
from qsm.filelock import ProcessLock
from qsm.store import MemorySettings, open_memory
from qsm.store.opening import LOCK_FILE

HOLD_OPEN = """
import sys, time
from pathlib import Path
from qsm.store import MemorySettings, open_memory
mem = open_memory(MemorySettings(embedder="hashing"), Path(sys.argv[1]))
mem.write("held open", "/knowledge/held", as_agent="user")
print("open", flush=True)
time.sleep(30)
"""

STUCK = """
import sys, time
from pathlib import Path
from qsm.filelock import ProcessLock
lock = ProcessLock(Path(sys.argv[1]) / "memory" / "memory.lock")
assert lock.acquire(5)
print("holding", flush=True)
time.sleep(30)
"""


def test_a_process_holding_the_memory_open_does_not_block_another(tmp_path: Path) -> None:
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_OPEN, str(tmp_path)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "open"
        started = time.monotonic()
        with open_memory(MemorySettings(embedder="hashing", lock_timeout_s=0.5), tmp_path) as mem:
            mem.write("written beside it", "/knowledge/other", as_agent="user")
            assert [e.text for e in mem.ls("/knowledge/held").entries] == ["held open"]
        assert time.monotonic() - started < 5
        assert holder.poll() is None  # still running, memory still open
    finally:
        holder.kill()
        holder.wait()


def test_an_operation_that_waits_too_long_gets_a_clear_error(tmp_path: Path) -> None:
    with open_memory(MemorySettings(embedder="hashing", lock_timeout_s=0.5), tmp_path) as mem:
        stuck = subprocess.Popen(
            [sys.executable, "-c", STUCK, str(tmp_path)], stdout=subprocess.PIPE, text=True
        )
        try:
            assert stuck.stdout is not None and stuck.stdout.readline().strip() == "holding"
            started = time.monotonic()
            with pytest.raises(MemoryStoreError) as info:
                mem.write("blocked", "/knowledge/x", as_agent="user")
            assert time.monotonic() - started >= 0.5
            assert f"pid {stuck.pid}" in info.value.message and "lock_timeout_s" in (info.value.hint or "")
        finally:
            stuck.kill()
            stuck.wait()
        mem.write("after the kill", "/knowledge/x", as_agent="user")  # the kernel freed the lock
        assert len(mem.ls("/knowledge/x").entries) == 1
    assert ProcessLock(tmp_path / "memory" / LOCK_FILE).acquire(0)  # nothing keeps it once closed


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
