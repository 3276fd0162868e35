"""The run store keeps a thread's status as one of the run statuses, with a qsm error's message apart."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from qsm.errors import QsmError
from qsm.graph.checkpoint import RunStore


def _store(tmp_path: Path) -> RunStore:
    store = RunStore(tmp_path / "runs.sqlite")
    store.start_thread("t1", "team", "name: team", "Why?", "local")
    return store


def test_an_error_keeps_its_message_apart_and_a_new_run_clears_it(tmp_path: Path) -> None:
    store = _store(tmp_path)
    store.set_status("t1", "error", error="SOM: the budget ran out at http://bob:secret@host/v1")
    info = store.thread("t1")
    assert info is not None and info.status == "error"
    assert info.error == "SOM: the budget ran out at http://***@host/v1"  # URL credentials never stored
    store.start_thread("t1", "team", "name: team", "And then?", "local")
    info = store.thread("t1")
    assert info is not None and info.status == "running" and info.error is None
    store.close()


def test_a_row_from_an_earlier_version_reads_as_an_error_with_its_message(tmp_path: Path) -> None:
    _store(tmp_path).close()
    with sqlite3.connect(tmp_path / "runs.sqlite") as db:
        db.execute("UPDATE qsm_threads SET status='failed: the model file is missing', error=NULL")
    store = RunStore(tmp_path / "runs.sqlite")
    info = store.thread("t1")
    assert info is not None and (info.status, info.error) == ("error", "the model file is missing")
    store.close()


def test_a_status_changed_outside_qsm_is_a_clear_error(tmp_path: Path) -> None:
    _store(tmp_path).close()
    with sqlite3.connect(tmp_path / "runs.sqlite") as db:
        db.execute("UPDATE qsm_threads SET status='exploded'")
    store = RunStore(tmp_path / "runs.sqlite")
    with pytest.raises(QsmError, match="unknown status 'exploded'") as err:
        store.thread("t1")
    assert "new thread" in (err.value.hint or "")
    store.close()
