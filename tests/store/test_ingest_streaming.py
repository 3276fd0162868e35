"""Ingest streams a document in batches: the same chunks as chunking it whole, progress per batch,
bounded memory, and a partial marker after a kill that ingesting the document again completes."""

from __future__ import annotations

import itertools
import random
import subprocess
import sys
import tracemalloc
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from qsm.cli import cli
from qsm.errors import MemoryStoreError
from qsm.store import DirectoryMemory, FakeMemoryStore, MemorySettings, chunk_text, open_memory
from qsm.store.engine import EngineOptions
from qsm.store.ingest import INGEST_BATCH, IngestProgress

_WORDS = [
    *("river", "stone", "lantern", "copper", "meadow", "signal", "harbor", "violet", "engine", "quiet"),
    *("ledger", "orbit", "canyon", "ember", "falcon", "glacier", "hollow", "island", "jasmine", "kettle"),
    *("lumber", "marble", "nectar", "oyster", "pepper", "quartz", "saddle"),
]


def document(path: Path, size: int, seed: int = 0) -> Path:
    """Unique prose (so no two chunks share a content id) with headings, about ``size`` bytes."""
    rng = random.Random(seed)
    parts, total, n = [], 0, 0
    while total < size:
        n += 1
        if n % 25 == 1:
            para = f"# Part {n}"
        else:
            para = " ".join(
                " ".join(rng.choice(_WORDS) for _ in range(rng.randint(5, 15))).capitalize() + f" {n}.{i}."
                for i in range(rng.randint(2, 6))
            )
        parts.append(para)
        total += len(para) + 2
    path.write_text("\n\n".join(parts) + "\n", encoding="utf-8")
    return path


_TEXT = st.lists(
    st.one_of(
        st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=400),
        st.sampled_from(["# Heading", "## Sub heading ##", "  \t ", "\r\n", "line\r\nnext", "a\rb"]),
    ),
    max_size=12,
)


@settings(max_examples=60, deadline=None)
@given(_TEXT, st.sampled_from(["\n\n", "\n", "\r\n\r\n", "\n \n"]))
def test_streamed_chunks_are_the_chunks_of_the_whole_text(parts: list[str], sep: str) -> None:
    import tempfile

    text = sep.join(parts)
    expected = [c.text for c in chunk_text(text.replace("\r\n", "\n").replace("\r", "\n"), 200, 40)]
    with tempfile.TemporaryDirectory() as tmp:
        doc = Path(tmp) / "doc.md"
        doc.write_bytes(text.encode("utf-8"))
        memory = FakeMemoryStore(options=EngineOptions(chunk_chars=200, chunk_overlap=40))
        if not expected:
            with pytest.raises(MemoryStoreError, match="no text"):
                memory.ingest(doc)
            assert memory.partial_ingests() == []
            return
        report = memory.ingest(doc)
        stored = {e.id: e for e in memory.ls(report.under).entries}
        assert [stored[i].text for i in report.entry_ids] == expected


def test_progress_is_reported_per_batch_up_to_the_whole_file(tmp_path: Path) -> None:
    doc = document(tmp_path / "big.md", 150_000)
    steps: list[IngestProgress] = []
    report = FakeMemoryStore().ingest(doc, progress=steps.append)
    assert len(steps) == -(-report.chunks // INGEST_BATCH) >= 3
    assert [s.chunks for s in steps] == [
        min(report.chunks, INGEST_BATCH * (i + 1)) for i in range(len(steps))
    ]
    assert all(a.done < b.done for a, b in itertools.pairwise(steps))
    assert steps[-1].done == steps[-1].total == doc.stat().st_size and steps[-1].unit == "bytes"
    assert steps[-1].added == report.added == report.chunks


def _peak_ingesting(memory: DirectoryMemory, doc: Path) -> int:
    """The most Python memory allocated at once while ``doc`` is ingested."""
    tracemalloc.start()
    try:
        report = memory.ingest(doc)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert report.added == report.chunks > 1000
    return peak


@pytest.mark.parametrize("breaks", ["\n\n", "\n", " "], ids=["paragraphs", "lines only", "one line"])
def test_ingest_holds_a_bounded_amount_of_the_document_in_memory(tmp_path: Path, breaks: str) -> None:
    docs = []
    for name, size, seed in (("smaller.md", 1_000_000, 2), ("larger.md", 2_000_000, 1)):
        doc = document(tmp_path / name, size, seed=seed)
        doc.write_text(doc.read_text(encoding="utf-8").replace("\n\n", breaks), encoding="utf-8")
        docs.append(doc)
    with open_memory(MemorySettings(embedder="hashing"), tmp_path / "data") as memory:
        memory.ingest(document(tmp_path / "warm-up.md", 50_000, seed=4))  # one-time allocations
        smaller, larger = (_peak_ingesting(memory, doc) for doc in docs)
    # what grows with the document is the report's list of chunk ids (0.1-0.27 of the text here), not
    # the text: one batch of chunks at a time (Chroma's own allocations are the same for both)
    more_text = docs[1].stat().st_size - docs[0].stat().st_size
    assert larger - smaller < 0.4 * more_text, (smaller, larger)
    assert larger < 0.8 * docs[1].stat().st_size, "far less than the text alone"


def test_a_document_that_repeats_itself_stores_each_chunk_once(
    memory: DirectoryMemory, tmp_path: Path
) -> None:
    unique = document(tmp_path / "part.md", 30_000, seed=6).read_text(encoding="utf-8")
    doc = tmp_path / "twice.md"
    doc.write_text(unique + "\n\n" + unique, encoding="utf-8")  # the repeats share batches with originals
    report = memory.ingest(doc)
    expected = chunk_text(doc.read_text(encoding="utf-8"))
    assert report.chunks == len(expected) and report.added == len({c.text for c in expected})
    assert memory.stats()["entries"] == report.added and memory.partial_ingests() == []


KILL_AFTER_FIRST_BATCH = """
import os, signal, sys
from pathlib import Path
from qsm.store import MemorySettings, open_memory

def die(step):
    print(f"stored {step.chunks}", flush=True)
    os.kill(os.getpid(), signal.SIGKILL)

memory = open_memory(MemorySettings(embedder="hashing"), Path(sys.argv[1]))
memory.ingest(sys.argv[2], under="/knowledge/big", progress=die)
"""


def test_a_killed_ingest_leaves_a_marker_and_ingesting_again_completes_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = tmp_path / "data"
    doc = document(tmp_path / "big.md", 120_000, seed=2)
    killed = subprocess.run(
        [sys.executable, "-c", KILL_AFTER_FIRST_BATCH, str(data), str(doc)],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert killed.returncode == -9 and killed.stdout.strip() == f"stored {INGEST_BATCH}", killed.stderr
    settings = MemorySettings(embedder="hashing")
    with open_memory(settings, data) as memory:
        (partial,) = memory.partial_ingests()
        assert (partial.path, partial.source, partial.chunks) == ("/knowledge/big", "big.md", INGEST_BATCH)
        assert memory.stats()["entries"] == INGEST_BATCH and memory.stats()["partial_ingests"] == 1

    monkeypatch.setenv("QSM_MEMORY__EMBEDDER", "hashing")
    monkeypatch.setenv("QSM_DATA_DIR", str(data))
    runner = CliRunner()
    listing = runner.invoke(cli, ["memory", "ls", "/knowledge/big"], catch_exceptions=False)
    assert "note: big.md was only partly ingested into /knowledge/big (64 chunks stored)" in listing.output
    again = runner.invoke(
        cli, ["memory", "ingest", str(doc), "--under", "/knowledge/big"], catch_exceptions=False
    )
    assert again.exit_code == 0, again.output
    assert "already present -> /knowledge/big (completed an interrupted ingest)" in again.stdout
    assert f"{INGEST_BATCH} already present" in again.stdout

    with open_memory(settings, data) as memory:
        entries = memory.ls("/knowledge/big").entries
        expected = chunk_text(doc.read_text(encoding="utf-8"))
        assert memory.partial_ingests() == []
        assert len(entries) == len({e.id for e in entries}) == len(expected) == memory.stats()["entries"]
        assert sorted(e.extra["chunk"] for e in entries) == list(range(len(expected)))
        assert len({e.created_at for e in entries}) == 1  # one moment for the document, as before the kill
    assert "partly ingested" not in runner.invoke(cli, ["memory", "ls", "/knowledge/big"]).output


def test_cli_shows_progress_for_a_document_of_several_batches(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("QSM_MEMORY__EMBEDDER", "hashing")
    monkeypatch.setenv("QSM_DATA_DIR", str(tmp_path / "data"))
    doc = document(tmp_path / "guide.md", 200_000, seed=3)
    result = CliRunner().invoke(cli, ["memory", "ingest", str(doc)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    lines = result.stderr.splitlines()
    assert len(lines) >= 3 and all(line.startswith("guide.md: ") and " of 200 KB, " in line for line in lines)
    percents = [int(line.split(": ", 1)[1].split("%", 1)[0]) for line in lines]
    assert percents == sorted(set(percents)) and percents[0] > 0 and percents[-1] < 100
    assert "chunks added, 0 already present -> /knowledge/guide" in result.stdout
