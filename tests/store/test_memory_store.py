"""Directory-memory behaviour, run on the in-memory fake and on Chroma alike."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime

import pytest

from qsm.errors import MemoryStoreError
from qsm.store import DirectoryMemory, EntryDraft, FakeMemoryStore, HashingEmbedder, MemoryStore, entry_id
from qsm.store.paths import is_under


def test_both_backends_satisfy_the_protocol(memory: DirectoryMemory) -> None:
    assert isinstance(memory, MemoryStore)


def test_write_sets_facets_provenance_and_content_id(memory: DirectoryMemory) -> None:
    entry = memory.write(
        "asyncio.gather runs awaitables concurrently",
        path="/knowledge//python/",
        as_agent="WeQ",
        confidence=0.8,
        source="https://docs.python.org/3/library/asyncio-task.html",
        parents=["draft:" + "a" * 64],
        extra={"lang": "en", "turn": 3},
    )
    assert entry.path == "/knowledge/python"
    assert entry.id == entry_id(entry.text, "/knowledge/python") == entry.content_id
    assert (entry.topic, entry.writer, entry.confidence) == ("python", "WeQ", 0.8)
    assert entry.provenance.operation == "write" and entry.provenance.parents == ("draft:" + "a" * 64,)
    stored = memory.get(entry.id)
    assert stored == entry


def test_same_content_at_same_path_is_stored_once(memory: DirectoryMemory) -> None:
    first = memory.write("tea, not coffee", path="/users/alice/chats", as_agent="WeQ")
    again = memory.write("tea, not coffee", path="/users/alice/chats", as_agent="WeQ", confidence=0.1)
    elsewhere = memory.write("tea, not coffee", path="/users/bob/chats", as_agent="WeQ")
    keyed = memory.write("tea, not coffee", path="/users/alice/chats", as_agent="WeQ", key="turn-2")
    assert again == first
    assert len({first.id, elsewhere.id, keyed.id}) == 3
    assert memory.stats()["entries"] == 3


def test_write_many_and_batch_duplicates(memory: DirectoryMemory) -> None:
    drafts = [EntryDraft(text=f"fact {i % 3}", path="/knowledge/facts") for i in range(6)]
    entries = memory.write_many(drafts, as_agent="user")
    assert len(entries) == 6 and len({e.id for e in entries}) == 3
    assert memory.ls("/knowledge/facts").dirs == [] and len(memory.ls("/knowledge/facts").entries) == 3


@pytest.mark.parametrize(
    ("text", "path", "problem"),
    [
        ("", "/knowledge/x", "empty"),
        ("x", "knowledge/x", "not absolute"),
        ("x", "/", "cannot live at '/'"),
        ("x", "/knowledge/../etc", "invalid segment"),
        ("x", "/views/mine", "saved views"),
        ("x" * 40_000, "/knowledge/x", "ingest"),
    ],
)
def test_bad_writes_are_refused_clearly(memory: DirectoryMemory, text: str, path: str, problem: str) -> None:
    with pytest.raises(MemoryStoreError, match=problem) as info:
        memory.write(text, path=path, as_agent="user")
    assert problem in str(info.value)
    assert memory.stats()["entries"] == 0


@pytest.mark.parametrize(
    ("fields", "problem"),
    [
        ({"confidence": 1.5}, "confidence"),
        ({"extra": {"tags": ["a", "b"]}}, "extra"),
        ({"extra": {"bad name": 1}}, "not allowed"),
    ],
)
def test_bad_facets_are_refused_clearly(
    memory: DirectoryMemory, fields: dict[str, object], problem: str
) -> None:
    with pytest.raises(MemoryStoreError, match=problem):
        memory.write("text", path="/knowledge/x", as_agent="user", **fields)  # type: ignore[arg-type]
    with pytest.raises(MemoryStoreError, match="by id"):
        memory.search("text", where={"id": "mem:x"})
    assert memory.stats()["entries"] == 0


def test_search_ranks_by_meaning_and_stays_in_subtree(memory: DirectoryMemory) -> None:
    memory.write("python lists reverse with reversed or slicing", path="/knowledge/python", as_agent="WeQ")
    memory.write(
        "asyncio gather runs coroutines concurrently", path="/knowledge/python/async", as_agent="WeQ"
    )
    memory.write("python lists reverse quickly", path="/users/alice/chats", as_agent="WeQ")
    hits = memory.search("how to reverse python lists", under="/knowledge", k=5, as_agent="WeQ")
    assert hits[0].entry.path == "/knowledge/python"
    assert all(h.entry.path.startswith("/knowledge") for h in hits)
    assert hits == sorted(hits, key=lambda h: -h.score)
    only_async = memory.search("reverse lists", under="/knowledge/python/async", k=5)
    assert [h.entry.path for h in only_async] == ["/knowledge/python/async"]
    assert memory.search("reverse lists", under="/knowledge/pyth", k=5) == []  # a prefix is not a subtree


def test_search_filters_on_facets(memory: DirectoryMemory) -> None:
    memory.write("tea facts one", path="/knowledge/tea", as_agent="WeQ", confidence=0.9, extra={"lang": "en"})
    middle = datetime(2025, 1, 1, 0, 0, 1, 500000, tzinfo=UTC)  # between the two writes (ticking clock)
    memory.write(
        "tea facts two", path="/knowledge/tea", as_agent="user", confidence=0.3, extra={"lang": "de"}
    )
    by_writer = memory.search("tea facts", k=5, where={"writer": "WeQ"})
    assert [h.entry.text for h in by_writer] == ["tea facts one"]
    confident = memory.search("tea facts", k=5, where={"confidence": {"$gte": 0.5}, "lang": "en"})
    assert [h.entry.text for h in confident] == ["tea facts one"]
    recent = memory.search("tea facts", k=5, where={"created_at": {"$gt": middle}})
    assert [h.entry.text for h in recent] == ["tea facts two"]
    either = memory.search("tea facts", k=5, where={"$or": [{"lang": "de"}, {"writer": "WeQ"}]})
    assert len(either) == 2
    with pytest.raises(MemoryStoreError, match="unknown filter operator"):
        memory.search("tea", where={"writer": {"$like": "W%"}})


def test_ls_and_tree_show_directories_with_counts(memory: DirectoryMemory) -> None:
    memory.write("a", path="/knowledge/python", as_agent="user")
    memory.write("b", path="/knowledge/python/async", as_agent="user")
    memory.write("c", path="/knowledge/rust", as_agent="user")
    memory.write("d", path="/agents/Ref/lessons", as_agent="Ref")
    root = memory.ls("/")
    assert [(d.name, d.total) for d in root.dirs] == [("agents", 1), ("knowledge", 3)]
    python = memory.ls("/knowledge/python")
    assert [e.text for e in python.entries] == ["a"]
    assert [(d.name, d.entries, d.total) for d in python.dirs] == [("async", 1, 1)]
    tree = memory.tree("/")
    knowledge = next(c for c in tree.children if c.name == "knowledge")
    assert (tree.total, knowledge.total) == (4, 3)
    assert [c.name for c in knowledge.children] == ["python", "rust"]
    shallow = memory.tree("/", depth=1)
    assert all(c.children == [] for c in shallow.children)
    assert memory.ls("/nothing/here").entries == []


def test_move_changes_id_keeps_text_and_old_id_resolves(memory: DirectoryMemory) -> None:
    entry = memory.write("gather runs tasks", path="/knowledge/python", as_agent="WeQ")
    moved = memory.move(entry.id, "/knowledge/async", as_agent="WeQ")
    assert moved.id == entry_id("gather runs tasks", "/knowledge/async") != entry.id
    assert (moved.text, moved.topic, moved.writer) == (entry.text, "async", "WeQ")
    assert moved.provenance.operation == "move" and moved.provenance.parents == (entry.id,)
    assert memory.get(entry.id) == moved
    assert memory.ls("/knowledge/python").entries == []
    assert memory.search("gather runs tasks", k=1)[0].entry.id == moved.id
    record = memory.curation_log()[-1]
    assert (record.operation, record.inputs, record.outputs) == ("move", (entry.id,), (moved.id,))


def test_moving_onto_identical_content_merges(memory: DirectoryMemory) -> None:
    a = memory.write("same words", path="/knowledge/a", as_agent="user")
    b = memory.write("same words", path="/knowledge/b", as_agent="user")
    merged = memory.move(a.id, "/knowledge/b")
    assert merged.id == b.id and memory.stats()["entries"] == 1
    assert memory.get(a.id) == memory.get(b.id)


def test_delete_keeps_the_entry_in_the_log(memory: DirectoryMemory) -> None:
    entry = memory.write("to be forgotten", path="/knowledge/tmp", as_agent="user")
    memory.delete(entry.id)
    assert memory.get(entry.id) is None and memory.stats()["entries"] == 0
    record = memory.curation_log(operation="delete")[-1]
    assert record.detail["entry"]["text"] == "to be forgotten"
    with pytest.raises(MemoryStoreError, match="no memory entry"):
        memory.delete(entry.id)


def test_views_let_an_entry_appear_in_several_directories(memory: DirectoryMemory) -> None:
    py = memory.write(
        "python list slicing", path="/knowledge/python", as_agent="user", extra={"kind": "answer"}
    )
    memory.write("rust borrow checker", path="/knowledge/rust", as_agent="user", extra={"kind": "answer"})
    memory.write("python packaging notes", path="/users/alice/chats", as_agent="WeQ")
    memory.create_view("/views/answers", where={"kind": "answer"})
    memory.create_view("/views/python", query="python", k=2)
    memory.create_view("/views/py-knowledge", query="python", under="/knowledge", k=5)
    assert {e.text for e in memory.ls("/views/answers").entries} == {
        "python list slicing",
        "rust borrow checker",
    }
    assert len(memory.ls("/views/python").entries) == 2
    assert memory.ls("/views/py-knowledge").entries[0].id == py.id
    assert all(e.path.startswith("/knowledge") for e in memory.ls("/views/py-knowledge").entries)
    assert [d.name for d in memory.ls("/views").dirs] == ["answers", "py-knowledge", "python"]
    assert memory.ls("/").dirs[-1].path == "/views"
    assert [c.name for c in memory.tree("/views").children] == ["answers", "py-knowledge", "python"]
    with pytest.raises(MemoryStoreError, match="needs a query"):
        memory.create_view("/views/empty")
    with pytest.raises(MemoryStoreError, match="directly under /views"):
        memory.create_view("/knowledge/view", query="x")
    memory.drop_view("/views/python")
    with pytest.raises(MemoryStoreError, match="no view"):
        memory.ls("/views/python")


def test_expand_id_accepts_short_ids(memory: DirectoryMemory) -> None:
    entry = memory.write("short ids", path="/knowledge/ids", as_agent="user")
    assert memory.expand_id(entry.short_id) == entry.id
    assert memory.expand_id(entry.id) == entry.id
    with pytest.raises(MemoryStoreError, match="no entry has"):
        memory.expand_id("000000000000")


def test_export_import_round_trip(memory: DirectoryMemory) -> None:
    first = memory.write("kept fact", path="/knowledge/a", as_agent="user", extra={"n": 1}, key="k")
    memory.write("second fact", path="/agents/Ref/lessons", as_agent="Ref", confidence=0.4)
    memory.move(first.id, "/knowledge/b")
    memory.create_view("/views/facts", query="fact")
    dump = io.StringIO()
    assert memory.export(dump) == 2
    target = FakeMemoryStore()
    report = target.import_(io.StringIO(dump.getvalue()))
    assert (report.entries_added, report.entries_skipped, report.views, report.log_records) == (2, 0, 1, 1)
    assert _entries(target) == _entries(memory)
    assert target.get(first.id) is not None  # the redirect came along
    again = target.import_(io.StringIO(dump.getvalue()))
    assert (again.entries_added, again.entries_skipped, again.log_records) == (0, 2, 0)
    redump = io.StringIO()
    target.export(redump)
    entries_of = [line for line in redump.getvalue().splitlines() if json.loads(line)["type"] == "entry"]
    assert entries_of == [
        line for line in dump.getvalue().splitlines() if json.loads(line)["type"] == "entry"
    ]


def test_import_checks_everything_before_writing(memory: DirectoryMemory) -> None:
    memory.write("genuine", path="/knowledge/a", as_agent="user")
    dump = io.StringIO()
    memory.export(dump)
    lines = dump.getvalue().splitlines()
    tampered = json.loads(lines[1])
    tampered["text"] = "edited"
    target = FakeMemoryStore()
    for bad, problem in [
        ([lines[0], json.dumps(tampered)], "does not match"),
        ([lines[0], "{not json"], "not JSON"),
        ([lines[1]], "header"),
        ([lines[0], lines[1], json.dumps({"type": "mystery"})], "unknown line type"),
    ]:
        with pytest.raises(MemoryStoreError, match=problem):
            target.import_(io.StringIO("\n".join(bad)))
    assert target.stats()["entries"] == 0


def _entries(store: DirectoryMemory) -> list[dict[str, object]]:
    dump = io.StringIO()
    store.export(dump)
    return [json.loads(line) for line in dump.getvalue().splitlines() if json.loads(line)["type"] == "entry"]


@pytest.mark.parametrize("under", ["/a", "/a/d2", "/b/d5", "/"])
def test_subtree_search_equals_exact_search(memory: DirectoryMemory, under: str) -> None:
    """Broad subtrees are searched unfiltered and filtered afterwards, narrow ones with a backend
    filter; both must give the exact top k."""
    words = ["tea", "coffee", "bread", "cheese", "apple", "river", "stone", "cloud"]
    for i in range(40):
        top = "a" if i % 2 == 0 else "b"
        text = f"{words[i % 8]} {words[(i * 3) % 8]} {words[(i * 5 + 1) % 8]} note {i}"
        memory.write(text, path=f"/{top}/d{i % 8}", as_agent="user")
    query = "tea bread river"
    vector = HashingEmbedder().embed([query])[0]
    everything = memory.search(query, k=40)
    assert len(everything) == 40
    inside = [
        h for h in everything if h.entry.path == under or h.entry.path.startswith(under.rstrip("/") + "/")
    ]
    expected = sorted(
        inside, key=lambda h: -round(float(HashingEmbedder().embed([h.entry.text])[0] @ vector), 5)
    )
    hits = memory.search(query, under=under, k=5)
    assert len(hits) == 5
    assert [round(h.score, 4) for h in hits] == [round(h.score, 4) for h in expected[:5]]
    assert all(is_under(h.entry.path, under) for h in hits)
