"""Titles and ratings people add to threads (qsm.graph.thread_notes), and deleting a thread for good."""

from __future__ import annotations

from pathlib import Path

import pytest

from qsm.errors import QsmError
from qsm.graph import run
from qsm.graph.thread_notes import ThreadNotes, delete_thread
from tests.graph.test_conversation import CAPITAL, _fakes
from tests.helpers import fake_runtime


def test_titles_and_ratings_are_kept_and_checked(tmp_path: Path) -> None:
    notes = ThreadNotes(tmp_path / "notes.sqlite")
    assert notes.rename("T", "  a\n title  ") == "a title" and notes.titles() == {"T": "a title"}
    assert notes.rename("T", "   ") == "" and notes.titles() == {}, "an empty title drops it"
    notes.rate("T", "final:1", 1, question="q", answer="a")
    notes.rate("T", "final:1", -1, question="q", answer="a")
    notes.rate("U", "final:2", 1)
    assert [(f.thread_id, f.rating) for f in notes.feedback()] == [("T", -1), ("U", 1)]
    with pytest.raises(QsmError, match="a rating is 1 or -1") as err:
        notes.rate("T", "final:1", 5)
    assert err.value.hint
    notes.rate("T", "final:1", None)
    assert notes.rating("T", "final:1") is None and [f.thread_id for f in notes.feedback()] == ["U"]
    notes.close()
    again = ThreadNotes(tmp_path / "notes.sqlite")  # kept on disk
    assert [f.final_id for f in again.feedback("U")] == ["final:2"]
    again.close()


def test_deleting_a_thread_drops_its_checkpoints_row_title_and_ratings(tmp_path: Path) -> None:
    with fake_runtime(tmp_path, _fakes(2)) as rt:
        first = run(None, CAPITAL, runtime=rt, thread_id="T")
        run(None, CAPITAL, runtime=rt, thread_id="U")
        notes = ThreadNotes.of(rt)
        notes.rename("T", "France")
        notes.rate("T", first.final_id or "", 1)
        delete_thread(rt, "T", notes)
        assert rt.runs.thread("T") is None and rt.runs.last_checkpoint("T") is None
        assert rt.runs.thread("U") is not None and rt.runs.last_checkpoint("U") is not None
        assert notes.titles() == {} and notes.feedback() == []
        with pytest.raises(QsmError, match="no thread 'T'"):
            delete_thread(rt, "T", notes)
        notes.close()
