"""Two processes on one memory directory (real Chroma on disk), as `qsm ui` and `qsm ask` are: each
sees the other's writes at once, in listings and in vector search, and nothing is lost or damaged."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

from qsm.store import MemorySettings, open_memory

WRITER = """
import json, sys
from pathlib import Path
from qsm.store import MemorySettings, open_memory

name, count = sys.argv[2], int(sys.argv[3])
mem = open_memory(MemorySettings(embedder="hashing"), Path(sys.argv[1]))
misses = []
for i in range(count):
    text = f"{name} fact number {i} about topic {name}{i}"
    mem.write(text, f"/knowledge/{name}", as_agent="user")
    top = mem.search(text, under="/knowledge", k=1)  # the same text scores 1.0
    if not top or top[0].entry.text != text:
        misses.append(i)
    mem.ls("/knowledge")  # reads interleave with the other process's writes
seen = {p: len(mem.ls(p).entries) for p in ("/knowledge/alpha", "/knowledge/beta")}
mem.close()
print(json.dumps({"misses": misses, "seen": seen}))
"""


def test_a_write_in_one_process_is_found_by_search_in_another_that_has_the_memory_open(
    tmp_path: Path,
) -> None:
    settings = MemorySettings(embedder="hashing", lock_timeout_s=30)
    with open_memory(settings, tmp_path) as mem:  # the long-running app
        mem.write("the app wrote this first", "/knowledge/app", as_agent="user")
        assert mem.search("app wrote first", k=1)[0].entry.text == "the app wrote this first"  # index loaded
        child = _run(tmp_path, "alpha", 1)
        assert child["misses"] == []
        hits = mem.search("alpha fact number 0 about topic alpha0", k=1)  # a stale index would miss it
        assert hits and hits[0].entry.text == "alpha fact number 0 about topic alpha0"
        mem.write("the app wrote this after", "/knowledge/app", as_agent="user")
        assert mem.stats()["entries"] == 3
    with open_memory(settings, tmp_path) as fresh:
        assert fresh.stats()["entries"] == 3  # the app's second write did not drop the child's
        assert {e.text for e in fresh.ls("/knowledge/app").entries} == {
            "the app wrote this first",
            "the app wrote this after",
        }


def test_two_processes_writing_and_reading_at_once_lose_nothing(tmp_path: Path) -> None:
    settings = MemorySettings(embedder="hashing", lock_timeout_s=60)
    count = 25
    with open_memory(settings, tmp_path) as mem:  # a third owner keeps it open throughout
        mem.write("opened by the parent", "/knowledge/parent", as_agent="user")
        mem.search("parent", k=1)
        procs = [_start(tmp_path, name, count) for name in ("alpha", "beta")]
        parent_texts = []
        for i in range(10):
            text = f"parent note {i} written while the others run"
            mem.write(text, "/knowledge/parent", as_agent="user")
            parent_texts.append(text)
        results = [_finish(p) for p in procs]
        for result in results:
            assert result["misses"] == []  # each saw its own write at once in a search
        # whichever finished last saw all of the other's writes
        assert any(r["seen"] == {"/knowledge/alpha": count, "/knowledge/beta": count} for r in results)
        tree = mem.tree("/knowledge")
        totals = {c.name: c.total for c in tree.children}
        assert totals == {"alpha": count, "beta": count, "parent": 11}
        assert mem.stats()["entries"] == 2 * count + 11
        for name in ("alpha", "beta"):
            last = f"{name} fact number {count - 1} about topic {name}{count - 1}"
            assert mem.search(last, k=1)[0].entry.text == last
    with open_memory(settings, tmp_path) as fresh:
        assert fresh.stats()["entries"] == 2 * count + 11
        assert len(fresh.ls("/knowledge/parent").entries) == 11
    for name in ("chroma.sqlite3", "qsm-memory.sqlite3"):
        conn = sqlite3.connect(tmp_path / "memory" / name)
        try:
            assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        finally:
            conn.close()


def _start(data_dir: Path, name: str, count: int) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", WRITER, str(data_dir), name, str(count)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _finish(proc: subprocess.Popen[str]) -> dict[str, object]:
    out, err = proc.communicate(timeout=240)
    assert proc.returncode == 0, err
    result: dict[str, object] = json.loads(out.strip().splitlines()[-1])
    return result


def _run(data_dir: Path, name: str, count: int) -> dict[str, object]:
    return _finish(_start(data_dir, name, count))


def test_qsm_memory_ingest_runs_while_another_process_writes(tmp_path: Path) -> None:
    import os
    import random

    rng = random.Random(7)
    words = ["amber", "basil", "cedar", "delta", "ember", "fjord", "grove", "heron", "inlet", "juniper"]
    paragraphs = [" ".join(rng.choice(words) for _ in range(60)) + f" paragraph {i}." for i in range(400)]
    doc = tmp_path / "field-notes.md"
    doc.write_text("\n\n".join(paragraphs), encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("QSM_")}
    env.update(QSM_DATA_DIR=str(tmp_path), QSM_MEMORY__EMBEDDER="hashing")
    settings = MemorySettings(embedder="hashing")
    with open_memory(settings, tmp_path) as mem:  # the app, writing while the CLI ingests
        mem.write("the app was here first", "/knowledge/app", as_agent="user")
        ingest = subprocess.Popen(
            [sys.executable, "-c", "from qsm.cli import main; main()", "memory", "ingest", str(doc)],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
        )  # fmt: skip
        written = 1
        while ingest.poll() is None:
            mem.write(f"app note {written} while ingesting", "/knowledge/app", as_agent="user")
            written += 1
        out, err = ingest.communicate()
        assert ingest.returncode == 0, err
        chunks = int(out.split(": ", 1)[1].split(" chunks added", 1)[0])
        assert chunks > 64 and written > 1
        assert mem.stats()["entries"] == chunks + written
        assert len(mem.ls("/knowledge/field-notes").entries) == chunks
        hit = mem.search(paragraphs[-1], under="/knowledge/field-notes", k=1)[0]
        assert "paragraph 399." in hit.entry.text
