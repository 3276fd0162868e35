"""diff_runs: the n-th message of each channel in two runs, compared by content id."""

from __future__ import annotations

from qsm.agents.messages import Note
from qsm.graph.envelope import Envelope, seal
from qsm.graph.run_diff import diff_runs


def note(text: str, source: str, target: str, parents: tuple[Envelope, ...] = ()) -> Envelope:
    return seal(Note(text=text, author=source), source=source, target=target, parents=[p.id for p in parents])


def test_same_changed_new_parents_and_extra_messages() -> None:
    a1, b1 = note("hi", "a", "b"), note("hi", "a", "b")
    a2, b2 = note("draft one", "b", "c", (a1,)), note("draft two", "b", "c", (b1,))
    a3, b3 = note("done", "c", "user", (a2,)), note("done", "c", "user", (b2,))
    extra_first, extra_second = note("again", "b", "c", (a1,)), note("late", "c", "a", (b3,))
    diffs = diff_runs([a1, a2, extra_first, a3], [b1, b2, b3, extra_second])
    rows = [(d.channel, d.index, d.status) for d in diffs]
    assert rows == [
        ("a->b:Note", 1, "same"),
        ("b->c:Note", 1, "changed"),
        ("b->c:Note", 2, "only in first"),
        ("c->user:Note", 1, "same content, new parents"),
        ("c->a:Note", 1, "only in second"),
    ]
    assert diffs[1].changed_fields == ["text"] and diffs[3].changed_fields == []
    assert diffs[2].second is None and diffs[4].first is None
