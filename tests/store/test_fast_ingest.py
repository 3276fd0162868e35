"""Fast ingest (issue 17 item 12): chunks are stored with the static stand-in of MiniLM (searchable at once),
marked rough, and refined with MiniLM's own vectors by `qsm memory refine`, on real Chroma and the real
MiniLM; the shipped static table itself."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner, Result

from qsm.cli import cli
from qsm.errors import MemoryStoreError
from qsm.store import DirectoryMemory, MemorySettings, MiniLMEmbedder, open_memory
from qsm.store.static_embedder import STATIC_TABLE, StaticEmbedder, save_static_table

TOPICS = {
    "Tea": "Green tea is steeped at about eighty degrees for two minutes; boiling water makes it bitter.",
    "Bread": "Sourdough bread rises with a starter of wild yeast and needs a long, slow proof overnight.",
    "Rockets": "A rocket engine burns fuel with an oxidiser and throws the exhaust backwards to climb.",
    "Taxes": "Income tax returns are due in April; keep the receipts of deductible expenses for years.",
}


@pytest.fixture(scope="module")
def minilm() -> MiniLMEmbedder:
    return MiniLMEmbedder(threads=1, batch_size=8)


@pytest.fixture
def document(tmp_path: Path) -> Path:
    doc = tmp_path / "household.md"
    doc.write_text("".join(f"# {title}\n\n{(text + ' ') * 6}\n\n" for title, text in TOPICS.items()))
    return doc


@pytest.fixture
def open_minilm(tmp_path: Path) -> Callable[..., DirectoryMemory]:
    def open_(**fields: object) -> DirectoryMemory:
        return open_memory(MemorySettings.model_validate({"embedder": "minilm", **fields}), tmp_path / "data")

    return open_


def _vectors(memory: DirectoryMemory, ids: list[str]) -> np.ndarray:
    return np.stack([memory._engine.vector_of(i) for i in ids])


def test_the_static_table_approximates_minilm_and_is_fast_to_use(minilm: MiniLMEmbedder) -> None:
    static = StaticEmbedder()
    assert static.space == minilm.name and static.name == f"{minilm.name}-static" and static.dim == 384
    assert STATIC_TABLE.stat().st_size <= 12 * 1024 * 1024, "package data stays within 12 MB"
    texts = [(text + " ") * 4 for text in TOPICS.values()]
    fast, exact = static.embed(texts), minilm.embed(texts)
    assert fast.shape == (4, 384) and fast.dtype == np.float32
    assert np.allclose(np.linalg.norm(fast, axis=1), 1.0, atol=1e-5)
    assert (fast * exact).sum(axis=1).min() > 0.5, "each text lands near its MiniLM vector (0.59-0.71 now)"
    assert np.array_equal(np.argmax(exact @ fast.T, axis=1), np.arange(4)), "MiniLM queries find each text"
    assert static.embed([]).shape == (0, 384)
    assert np.allclose(static.embed(texts[:2]), np.vstack([static.embed([t]) for t in texts[:2]]), atol=1e-6)


def test_a_missing_or_foreign_table_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(MemoryStoreError, match="is missing") as missing:
        StaticEmbedder(tmp_path / "nothing.npz").embed(["hi"])
    assert "ingest_vectors" in (missing.value.hint or "")
    small = tmp_path / "small.npz"
    save_static_table(small, np.ones((10, 384), dtype=np.float32), "minilm-l6-v2-int8")
    with pytest.raises(MemoryStoreError, match="10 token vectors") as foreign:
        StaticEmbedder(small).embed(["hi"])
    assert "qsm train embedder" in (foreign.value.hint or "")
    junk = tmp_path / "junk.npz"
    junk.write_bytes(b"not a table")
    with pytest.raises(MemoryStoreError, match="is not a static embedding table"):
        StaticEmbedder(junk).embed(["hi"])


def test_fast_ingest_is_searchable_at_once_and_refine_gives_minilm_vectors(
    open_minilm: Callable[..., DirectoryMemory], document: Path, minilm: MiniLMEmbedder
) -> None:
    memory = open_minilm()
    try:
        report = memory.ingest(document)
        assert report.added == 4 and memory.rough_entries() == 4 == memory.rough_entries(report.under)
        assert memory.rough_entries("/elsewhere") == 0 and memory.stats()["rough_vectors"] == 4
        texts = [e.text for e in memory.ls(report.under).entries]
        ids = [e.id for e in memory.ls(report.under).entries]
        exact = minilm.embed(texts)
        assert not np.allclose(_vectors(memory, ids), exact, atol=1e-3), "stored with the stand-in's vectors"
        hit = memory.search("how hot should the water be for green tea?", k=1)[0]
        assert "Green tea" in hit.entry.text, "searchable before any refine"

        seen: list[tuple[int, int]] = []
        done = memory.refine(progress=lambda p: seen.append((p.refined, p.total)))
        assert (done.refined, done.skipped) == (4, 0) and seen[-1] == (4, 4)
        assert memory.rough_entries() == 0
        assert np.allclose(_vectors(memory, ids), exact, atol=1e-4), "now MiniLM's own vectors"
        assert "Sourdough" in memory.search("what makes the dough rise?", k=1)[0].entry.text
        assert memory.refine().refined == 0, "nothing left to refine"
    finally:
        memory.close()


def test_rough_marks_follow_moves_and_leave_with_deletes(
    open_minilm: Callable[..., DirectoryMemory], document: Path
) -> None:
    memory = open_minilm()
    try:
        report = memory.ingest(document)
        first, second = report.entry_ids[:2]
        moved = memory.move(first, "/knowledge/kept")
        memory.delete(second)
        assert memory.rough_entries("/knowledge/kept") == 1 and memory.rough_entries() == 3
        assert memory.refine("/knowledge/kept").refined == 1
        assert memory.rough_entries("/knowledge/kept") == 0 and memory.rough_entries() == 2
        assert memory.get(moved.id) is not None
    finally:
        memory.close()


def test_model_vectors_at_ingest_when_settings_say_so(
    open_minilm: Callable[..., DirectoryMemory], document: Path, minilm: MiniLMEmbedder
) -> None:
    memory = open_minilm(ingest_vectors="model")
    try:
        report = memory.ingest(document)
        assert memory.rough_entries() == 0
        texts = [e.text for e in memory.ls(report.under).entries]
        ids = [e.id for e in memory.ls(report.under).entries]
        assert np.allclose(_vectors(memory, ids), minilm.embed(texts), atol=1e-4)
    finally:
        memory.close()


def test_a_hashing_memory_has_no_stand_in(tmp_path: Path, document: Path) -> None:
    memory = open_memory(MemorySettings(embedder="hashing"), tmp_path / "data")
    try:
        memory.ingest(document)
        assert memory.rough_entries() == 0 and memory.refine().refined == 0
    finally:
        memory.close()


def _cli(*args: str) -> Result:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result


def test_cli_ingest_refines_unless_told_not_to(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, document: Path
) -> None:
    monkeypatch.setenv("QSM_MEMORY__EMBEDDER", "minilm")
    monkeypatch.setenv("QSM_DATA_DIR", str(tmp_path / "cli"))
    out = _cli("memory", "ingest", str(document), "--no-refine").output
    assert "4 chunks added" in out and "refined" not in out
    assert json.loads(_cli("memory", "stats", "--json").output)["rough_vectors"] == 4
    assert (
        "/knowledge: 4 chunks refined with the embedding model"
        in _cli("memory", "refine", "/knowledge").output
    )
    assert "nothing to refine under /" in _cli("memory", "refine").output

    other = document.with_name("garden.md")
    other.write_text("# Garden\n\nTomatoes need sun, water at the roots and a stake to climb.\n")
    out = _cli("memory", "ingest", str(other)).output
    assert "1 chunks added" in out and "/knowledge/garden: 1 chunks refined" in out
    assert json.loads(_cli("memory", "stats", "--json").output)["rough_vectors"] == 0


def test_marks_of_entries_gone_are_dropped_and_paths_match_exactly(
    open_minilm: Callable[..., DirectoryMemory], document: Path
) -> None:
    memory = open_minilm()
    try:
        report = memory.ingest(document, under="/knowledge/a_b")
        sidecar = memory._engine.sidecar
        sidecar.add_rough({"gone-1": "/knowledge/a_b", "gone-2": "/knowledge/a_b"})  # a kill after a delete
        assert memory.rough_entries("/knowledge/A_B") == 0 and memory.rough_entries("/knowledge/a%") == 0
        assert memory.rough_entries("/knowledge/a_b") == 6 == memory.rough_entries("/knowledge")
        done = memory.refine("/knowledge/a_b")
        assert (done.refined, done.skipped) == (4, 2) and memory.rough_entries() == 0
        sidecar.add_rough({"gone-3": "/knowledge/a_b"})  # a batch of nothing but marks of entries gone
        assert memory.refine().skipped == 1 and memory.rough_entries() == 0
        assert len(memory.ls(report.under).entries) == 4
    finally:
        memory.close()


def test_a_chunk_stored_by_an_ingest_killed_midway_is_still_marked(
    open_minilm: Callable[..., DirectoryMemory], document: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    memory = open_minilm()
    try:
        engine = memory._engine
        real_store = engine.store

        def store_then_die(*args: object, **kwargs: object) -> object:
            real_store(*args, **kwargs)  # type: ignore[arg-type]
            raise KeyboardInterrupt  # the kill, right after the chunks are written

        monkeypatch.setattr(engine, "store", store_then_die)
        with pytest.raises(KeyboardInterrupt):
            memory.ingest(document)
        monkeypatch.setattr(engine, "store", real_store)
        assert memory.rough_entries() == 4, "the chunks written are marked rough"
        assert memory.ingest(document).added == 0 and memory.refine().refined == 4
    finally:
        memory.close()


def test_dedupe_compares_the_models_vectors(
    open_minilm: Callable[..., DirectoryMemory], document: Path
) -> None:
    memory = open_minilm()
    try:
        memory.ingest(document)
        memory.dedupe("/knowledge")
        assert memory.rough_entries() == 0, "the subtree is refined before near-duplicates are looked for"
    finally:
        memory.close()


def test_no_stand_in_on_a_chroma_server() -> None:
    from qsm.store.embedder import make_fast_embedder

    model = MiniLMEmbedder()
    assert make_fast_embedder(MemorySettings(), model) is not None
    assert make_fast_embedder(MemorySettings(chroma_url="http://127.0.0.1:8000"), model) is None
    assert make_fast_embedder(MemorySettings(ingest_vectors="model"), model) is None


def test_ctrl_c_while_refining_keeps_the_report_and_says_how_to_go_on(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, document: Path
) -> None:
    monkeypatch.setenv("QSM_MEMORY__EMBEDDER", "minilm")
    monkeypatch.setenv("QSM_DATA_DIR", str(tmp_path / "cli"))

    def interrupted(self: DirectoryMemory, *args: object, **kwargs: object) -> object:
        raise KeyboardInterrupt

    monkeypatch.setattr(DirectoryMemory, "refine", interrupted)
    result = CliRunner().invoke(cli, ["memory", "ingest", str(document), "--json"])
    assert result.exit_code != 0
    assert json.loads(result.output.split("\n]")[0] + "\n]")[0]["added"] == 4, result.output
    assert "refining stopped after 0 of 4 chunks under /knowledge/household" in result.output
    assert "qsm memory refine /knowledge/household" in result.output
