"""Runs on PostgreSQL (``[runs] backend = "postgres"``): the thread index and checkpoints in a real server
started by the test session; the same run-store, resume and safety checks as on SQLite, plus two workers
sharing one database and a run killed in one process resumed in another."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from qsm.agents import FakeChatModel
from qsm.errors import QsmError, UnsafeCheckpointError
from qsm.graph import Runtime, Workflow, load_result, resume, run
from qsm.graph.checkpoint import RunStore
from qsm.graph.workflow_files import EXAMPLES_DIR
from qsm.settings import load_settings
from tests.graph.test_checkpoint_safety import payloads
from tests.graph.test_resume import _calls, _wait_for
from tests.helpers import fake_runtime
from tests.postgres_fixture import PostgresServer, postgres_server, postgres_url, start_postgres  # noqa: F401


@pytest.fixture(params=["sqlite", "postgres"])
def runs(request: pytest.FixtureRequest, tmp_path: Path) -> dict[str, str]:
    """The ``[runs]`` settings of each backend (postgres: a fresh database on the session's server)."""
    if request.param == "sqlite":
        return {"backend": "sqlite"}
    return {"backend": "postgres", "url": request.getfixturevalue("postgres_url")}


@pytest.fixture
def store(runs: dict[str, str], tmp_path: Path) -> Iterator[RunStore]:
    opened = (
        RunStore.postgres(runs["url"]) if runs["backend"] == "postgres" else RunStore(tmp_path / "r.sqlite")
    )
    yield opened
    opened.close()


def test_thread_index_round_trip(store: RunStore) -> None:
    store.start_thread(
        "t1", "team", "name: team\n", "What is 2+2?", "alice", options={"runtime": {"fan_out": 2}}
    )
    store.start_thread("t2", "team", "name: team\n", "And 3+3?", "bob")
    store.set_status("t1", "error", error="the model server went away")
    info = store.thread("t1")
    assert info is not None and info.user == "alice" and info.options == {"runtime": {"fan_out": 2}}
    assert (info.status, info.error) == ("error", "the model server went away")
    store.set_status("t1", "ok", final_id="final:abc")
    store.set_options("t1", {"budget": {"calls": 3}})
    info = store.thread("t1")
    assert info is not None and (info.status, info.error, info.final_id) == ("ok", None, "final:abc")
    assert info.options == {"budget": {"calls": 3}}
    store.start_thread("t1", "team", "name: team\n", "Next turn", "alice")  # a new turn clears the ending
    info = store.thread("t1")
    assert info is not None and (info.request, info.status, info.final_id) == ("Next turn", "running", None)
    assert [t.thread_id for t in store.threads()] == ["t1", "t2"]
    assert store.thread("missing") is None and store.last_checkpoint("t1") is None


def test_a_run_then_a_second_turn_then_load(runs: dict[str, str], tmp_path: Path) -> None:
    rt = fake_runtime(tmp_path, {"*": FakeChatModel()}, runs=runs)
    flow = Workflow.from_yaml(EXAMPLES_DIR / "review.yaml")
    first = run(flow, "What is 2+2?", runtime=rt, thread_id="t1")
    second = run(flow, "And 3+3?", runtime=rt, thread_id="t1")
    assert first.status == second.status == "ok" and first.final_id != second.final_id
    assert rt.runs.last_checkpoint("t1") is not None
    rt.close()
    again = fake_runtime(tmp_path, {"*": FakeChatModel()}, runs=runs)  # a new process sees the same thread
    info = again.runs.thread("t1")
    assert info is not None and info.status == "ok" and info.final_id == second.final_id
    loaded = load_result("t1", again)
    assert loaded is not None and loaded[0].final_id == second.final_id
    again.close()


def test_two_workers_share_one_database(postgres_url: str) -> None:  # noqa: F811
    one, two = RunStore.postgres(postgres_url), RunStore.postgres(postgres_url)
    try:
        one.start_thread("shared", "team", "name: team\n", "hi", "alice")
        two.set_status("shared", "interrupted")
        info = one.thread("shared")
        assert info is not None and info.status == "interrupted"
    finally:
        one.close()
        two.close()


def test_workers_starting_together_on_a_new_database(postgres_url: str) -> None:  # noqa: F811
    """They race to create the tables; the advisory lock lets one do it and the others find them."""
    stores: list[RunStore] = []
    errors: list[BaseException] = []

    def open_one() -> None:
        try:
            stores.append(RunStore.postgres(postgres_url, pool_size=2))
        except BaseException as exc:
            errors.append(exc)

    starters = [threading.Thread(target=open_one) for _ in range(6)]
    for starter in starters:
        starter.start()
    for starter in starters:
        starter.join()
    try:
        assert not errors, errors
        for n, store in enumerate(stores):
            store.start_thread(f"t{n}", "team", "name: team\n", "hi", f"user{n}")
        assert len(stores[0].threads()) == 6
    finally:
        for store in stores:
            store.close()


def test_a_patched_checkpoint_in_postgres_is_refused_and_runs_nothing(
    postgres_url: str,  # noqa: F811
    tmp_path: Path,
) -> None:
    import psycopg

    runs = {"backend": "postgres", "url": postgres_url}
    rt = fake_runtime(tmp_path, {"*": FakeChatModel()}, runs=runs)
    assert run(
        Workflow.from_yaml(EXAMPLES_DIR / "review.yaml"), "What is 2+2?", runtime=rt, thread_id="t1"
    ).final_id
    rt.close()
    marker = tmp_path / "pwned"
    kind, blob, mentioned = payloads(marker)["os.system"]
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        changed = conn.execute(
            "UPDATE checkpoint_blobs SET type=%s, blob=%s WHERE thread_id='t1'", (kind, blob)
        ).rowcount
    assert changed > 0
    rt = fake_runtime(tmp_path, {"*": FakeChatModel()}, runs=runs)
    with pytest.raises(UnsafeCheckpointError, match=mentioned):
        load_result("t1", rt)
    rt.close()
    assert not marker.exists()


def test_an_unreachable_server_is_a_clear_error() -> None:
    with pytest.raises(QsmError, match="cannot use the PostgreSQL run database") as info:
        RunStore.postgres("postgresql://qsm:secret@127.0.0.1:9/none")
    assert "secret" not in info.value.message and "pg_isready" in (info.value.hint or "")


def test_postgres_without_a_url_is_a_settings_error(tmp_path: Path) -> None:
    cfg = tmp_path / "qsm.toml"
    cfg.write_text('[runs]\nbackend = "postgres"\n')
    with pytest.raises(QsmError, match=r"runs\.url"):
        load_settings(cfg)
    cfg.write_text('[runs]\nbackend = "postgres"\nurl = "mysql://qsm:pw@db/qsm"\n')
    with pytest.raises(QsmError, match="must start with postgresql://") as info:
        load_settings(cfg)
    assert "pw" not in info.value.message


@pytest.mark.slow
def test_sigkill_mid_run_then_resume_from_postgres(postgres_url: str, tmp_path: Path) -> None:  # noqa: F811
    cfg = tmp_path / "qsm.toml"
    cfg.write_text(
        f'data_dir = "{tmp_path / "data"}"\n[defaults.model]\nbackend = "fake"\nfake_delay_s = 1.5\n'
        f'fake_log = "{tmp_path / "calls.jsonl"}"\n'
        '[runtime]\nrouter = "llm"\ntools = false\nref_judge = "checks+model"\n[memory]\nembedder = "hashing"\n'
        f'[runs]\nbackend = "postgres"\nurl = "{postgres_url}"\n'
    )
    cmd = [sys.executable, "-m", "qsm.cli", "--config", str(cfg), "ask", "What is 2+2?", "--thread", "t-kill"]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env={**os.environ})
    try:
        _wait_for(lambda: len(_calls(tmp_path)) >= 2)  # QSM planned, SOM budgeted; WeQ is drafting now
        time.sleep(0.5)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert [c["agent"] for c in _calls(tmp_path)] == ["QSM", "SOM"]
    assert not (tmp_path / "data" / "runs.sqlite").exists()  # everything went to PostgreSQL
    with Runtime(load_settings(cfg)) as rt:
        info = rt.runs.thread("t-kill")
        assert info is not None and info.status == "running"  # killed: never marked finished
        result = resume("t-kill", runtime=rt)
        assert result.status == "ok" and result.final_id
    assert [c["agent"] for c in _calls(tmp_path)] == ["QSM", "SOM", "WeQ", "Ref"]


def test_a_server_gone_mid_use_is_a_clear_error(postgres_server: PostgresServer) -> None:  # noqa: F811
    own = start_postgres()  # a server of its own, to stop
    try:
        store = RunStore.postgres(own.create_database("gone"))
        store.start_thread("t1", "team", "name: team\n", "hi", "alice")
    finally:
        own.stop()
    try:
        with pytest.raises(QsmError, match="PostgreSQL run database failed") as info:
            store.thread("t1")
        assert "pg_isready" in (info.value.hint or "")
    finally:
        store.close()
