"""Opening memories: missing, foreign or corrupt directories give a clear error, never a traceback."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from qsm.errors import MemoryStoreError
from qsm.store import DirectoryMemory, HashingEmbedder, MemorySettings, open_memory

HASHING = MemorySettings(embedder="hashing")


def _filled(chroma_memory: Callable[..., DirectoryMemory], tmp_path: Path) -> Path:
    memory = chroma_memory()
    memory.write("something worth keeping", path="/knowledge/keep", as_agent="user")
    memory.close()
    return tmp_path / "memory"


def test_data_persists_across_opens(chroma_memory: Callable[..., DirectoryMemory], tmp_path: Path) -> None:
    _filled(chroma_memory, tmp_path)
    again = chroma_memory()
    assert [e.text for e in again.ls("/knowledge/keep").entries] == ["something worth keeping"]
    assert again.search("worth keeping", k=1)[0].entry.path == "/knowledge/keep"


def test_missing_directory_without_create(tmp_path: Path) -> None:
    with pytest.raises(MemoryStoreError, match="there is no memory at") as info:
        open_memory(HASHING, tmp_path, create=False)
    assert "qsm memory ingest" in info.value.hint
    assert not (tmp_path / "memory").exists()


def test_settings_path_wins_over_data_dir(tmp_path: Path) -> None:
    memory = open_memory(MemorySettings(embedder="hashing", path=tmp_path / "elsewhere"), tmp_path / "data")
    memory.close()
    assert (tmp_path / "elsewhere" / "chroma.sqlite3").is_file() and not (tmp_path / "data").exists()


def test_a_directory_that_is_not_a_memory(tmp_path: Path) -> None:
    foreign = tmp_path / "memory"
    foreign.mkdir()
    (foreign / "thesis.docx").write_text("not a memory")
    with pytest.raises(MemoryStoreError, match="is not a memory directory") as info:
        open_memory(HASHING, tmp_path, create=True)
    assert "thesis.docx" in info.value.message and "move" in info.value.hint
    assert sorted(p.name for p in foreign.iterdir()) == ["thesis.docx"]  # untouched


def test_a_file_where_the_directory_should_be(tmp_path: Path) -> None:
    (tmp_path / "memory").write_text("oops")
    with pytest.raises(MemoryStoreError, match="is a file"):
        open_memory(HASHING, tmp_path)


@pytest.mark.parametrize("victim", ["chroma.sqlite3", "qsm-memory.sqlite3"])
@pytest.mark.parametrize("damage", ["garbage", "truncated-middle"])
def test_corrupt_sqlite_files(
    chroma_memory: Callable[..., DirectoryMemory], tmp_path: Path, victim: str, damage: str
) -> None:
    directory = _filled(chroma_memory, tmp_path)
    target = directory / victim
    if damage == "garbage":
        target.write_bytes(b"this is definitely not sqlite" * 100)
    else:
        data = bytearray(target.read_bytes())
        data[4096:12288] = b"\xff" * 8192  # overwrite pages after the header
        target.write_bytes(bytes(data))
    with pytest.raises(MemoryStoreError) as info:
        open_memory(HASHING, tmp_path, create=False)
    assert str(target) in info.value.message
    assert "qsm memory import" in info.value.hint and "aside" in info.value.hint


def test_chroma_store_deleted_under_the_index(
    chroma_memory: Callable[..., DirectoryMemory], tmp_path: Path
) -> None:
    directory = _filled(chroma_memory, tmp_path)
    (directory / "chroma.sqlite3").unlink()
    with pytest.raises(MemoryStoreError, match="missing, but the memory index says it held 1 entries"):
        open_memory(HASHING, tmp_path, create=True)


def test_embedder_mismatch_is_refused(chroma_memory: Callable[..., DirectoryMemory], tmp_path: Path) -> None:
    _filled(chroma_memory, tmp_path)
    with pytest.raises(MemoryStoreError, match="built with the embedder 'hashing-256'") as info:
        open_memory(HASHING, tmp_path, embedder=HashingEmbedder(dim=64))
    assert "export" in info.value.hint


def test_index_is_rebuilt_when_it_disagrees(
    chroma_memory: Callable[..., DirectoryMemory], tmp_path: Path
) -> None:
    directory = _filled(chroma_memory, tmp_path)
    for name in ("qsm-memory.sqlite3", "qsm-memory.sqlite3-wal", "qsm-memory.sqlite3-shm"):
        (directory / name).unlink(missing_ok=True)
    memory = chroma_memory()
    assert memory.tree("/").total == 1 and memory.ls("/knowledge").dirs[0].total == 1


def test_cli_reports_a_corrupt_memory_without_traceback(
    chroma_memory: Callable[..., DirectoryMemory], tmp_path: Path
) -> None:
    directory = _filled(chroma_memory, tmp_path)
    (directory / "chroma.sqlite3").write_bytes(b"\x00garbage" * 512)
    env_cmd = [
        sys.executable,
        "-c",
        "from qsm.cli import main; main()",
        "--data-dir",
        str(tmp_path),
        "memory",
        "ls",
    ]
    done = subprocess.run(
        env_cmd,
        capture_output=True,
        text=True,
        timeout=120,
        env={**_env(), "QSM_MEMORY__EMBEDDER": "hashing"},
    )
    assert done.returncode == 5
    assert done.stderr.startswith("error: Chroma store") and "not an SQLite database" in done.stderr
    assert "Traceback" not in done.stderr + done.stdout and "panicked" not in done.stderr


def _env() -> dict[str, str]:
    import os

    return {k: v for k, v in os.environ.items() if not k.startswith("QSM_")}


def test_index_from_a_newer_qsm_is_refused(
    chroma_memory: Callable[..., DirectoryMemory], tmp_path: Path
) -> None:
    import sqlite3

    directory = _filled(chroma_memory, tmp_path)
    with sqlite3.connect(directory / "qsm-memory.sqlite3") as conn:
        conn.execute("UPDATE meta SET value = '99' WHERE key = 'format'")
    with pytest.raises(MemoryStoreError, match="has format 99") as info:
        open_memory(HASHING, tmp_path)
    assert "upgrade qsm" in info.value.hint
