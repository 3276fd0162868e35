"""Ref's curation: dedupe near-duplicates, summarise a subtree, re-file; every step logged."""

from __future__ import annotations

import itertools

import pytest

from qsm.errors import MemoryStoreError
from qsm.ids import content_id
from qsm.store import DirectoryMemory


def _near_duplicates(memory: DirectoryMemory) -> list[str]:
    texts = [
        "Python lists can be reversed in place with the reverse method of the list",
        "Python lists can be reversed in place with the reverse method of a list",
        "Python lists can be reversed in place with the reverse method on the list",
    ]
    ids = [memory.write(t, path="/knowledge/python", as_agent="WeQ", confidence=0.5).id for t in texts]
    memory.write("Rust ownership moves values between bindings", path="/knowledge/rust", as_agent="WeQ")
    return ids


def test_dedupe_keeps_one_and_records_the_others(memory: DirectoryMemory) -> None:
    ids = _near_duplicates(memory)
    report = memory.dedupe("/knowledge", threshold=0.8, as_agent="Ref")
    assert report.scanned == 4 and report.removed == 2
    (group,) = report.groups
    assert group.kept == ids[0]  # equal confidence: the oldest stays
    assert set(group.removed) == set(ids[1:]) and group.min_similarity >= 0.8
    kept = memory.get(ids[0])
    assert kept is not None
    assert kept.provenance.operation == "dedupe" and kept.provenance.by == "Ref"
    assert set(kept.provenance.merged) == set(ids[1:])
    assert memory.stats()["entries"] == 2
    assert all(memory.get(i) == kept for i in ids[1:])  # removed ids resolve to the kept entry
    record = memory.curation_log(operation="dedupe")[-1]
    assert record == report.record
    assert set(record.inputs) == set(ids) and record.outputs == (ids[0],)
    assert {e["text"] for e in record.detail["removed_entries"]} == {
        "Python lists can be reversed in place with the reverse method of a list",
        "Python lists can be reversed in place with the reverse method on the list",
    }


def test_dedupe_prefers_the_most_confident(memory: DirectoryMemory) -> None:
    low = memory.write("the sky is blue on clear days", path="/knowledge/sky", as_agent="WeQ", confidence=0.2)
    high = memory.write("the sky is blue on clear day", path="/knowledge/sky", as_agent="WeQ", confidence=0.9)
    report = memory.dedupe("/knowledge/sky", threshold=0.5)
    assert report.groups[0].kept == high.id and report.groups[0].removed == (low.id,)


def test_dedupe_below_threshold_changes_nothing(memory: DirectoryMemory) -> None:
    _near_duplicates(memory)
    report = memory.dedupe("/knowledge", threshold=0.999)
    assert report.groups == [] and report.record is None
    assert memory.stats()["entries"] == 4 and memory.curation_log() == []


def test_dedupe_only_looks_inside_the_subtree(memory: DirectoryMemory) -> None:
    memory.write("identical text here", path="/knowledge/a", as_agent="user")
    memory.write("identical text here", path="/agents/Ref/notes", as_agent="Ref")
    assert memory.dedupe("/knowledge").groups == []
    assert len(memory.dedupe("/", as_agent="user").groups) == 1


def test_summarise_writes_a_summary_with_parents(memory: DirectoryMemory) -> None:
    ids = _near_duplicates(memory)
    seen: list[list[str]] = []

    def summarise(texts: list[str]) -> str:
        seen.append(texts)
        return f"{len(texts)} notes about reversing lists"

    summary = memory.summarise(
        "/knowledge/python", summarise, as_agent="Ref", target="/knowledge/python/summary"
    )
    assert seen and len(seen[0]) == 3
    assert summary.text == "3 notes about reversing lists" and summary.path == "/knowledge/python/summary"
    assert summary.provenance.operation == "summarise" and summary.provenance.by == "Ref"
    assert set(summary.provenance.parents) == set(ids)
    assert summary.extra["summarised"] == 3 and summary.confidence == 0.5
    record = memory.curation_log()[-1]
    assert (record.operation, record.outputs, set(record.inputs)) == ("summarise", (summary.id,), set(ids))


def test_summarise_problems_are_clear(memory: DirectoryMemory) -> None:
    with pytest.raises(MemoryStoreError, match="nothing to summarise"):
        memory.summarise("/knowledge/empty", lambda texts: "x")
    memory.write("a note", path="/knowledge/notes", as_agent="WeQ")
    with pytest.raises(MemoryStoreError, match="returned no text"):
        memory.summarise("/knowledge/notes", lambda texts: "  ")
    assert memory.stats()["entries"] == 1


def test_the_log_is_hash_chained(memory: DirectoryMemory) -> None:
    ids = _near_duplicates(memory)
    memory.refile(ids[3] if len(ids) > 3 else ids[0], "/knowledge/filed", as_agent="Ref")
    memory.dedupe("/knowledge", threshold=0.8)
    memory.summarise("/knowledge", lambda texts: "summary", as_agent="Ref")
    log = memory.curation_log()
    assert [r.operation for r in log] == ["refile", "dedupe", "summarise"]
    assert log[0].prev is None
    for previous, record in itertools.pairwise(log):
        assert record.prev == previous.id
    for record in log:
        body = record.model_dump(mode="json", exclude={"seq", "id"})
        body["at"] = record.at.isoformat()
        assert record.id == content_id("curation", body)
    assert [r.operation for r in memory.curation_log(limit=1)] == ["summarise"]
    assert [r.operation for r in memory.curation_log(path="/knowledge/filed")] == ["refile"]
