"""The background run manager (issue 13 item 2): readers follow a run from any offset, a late reader replays
it from the start, at most ``max_running`` runs go at once, Stop takes effect at the next token and the run
resumes, and a thread holds one run at a time while its turns follow one another."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from qsm.agents import FakeChatModel
from qsm.errors import QsmError
from qsm.graph.events import DoneEvent, RunEvent, RunResult, StepEvent, TokenEvent
from qsm.graph.run_manager import LiveRun, RunManager
from tests.graph.test_conversation import CAPITAL, LIVE, PARIS, PEOPLE
from tests.graph.test_conversation import _fakes as conversation_fakes
from tests.helpers import ACCEPT, BUDGET, PLAN, fake_runtime

DRAFT = "two plus two makes four, so the sum 2 + 2 = 4"


def _slow_fakes(delay_s: float = 0.3) -> dict[str, FakeChatModel]:
    return {
        "QSM": FakeChatModel([PLAN] * 4, auto=False, delay_s=delay_s),
        "SOM": FakeChatModel([BUDGET] * 4, auto=False, delay_s=delay_s),
        "WeQ": FakeChatModel([DRAFT] * 4, auto=False, delay_s=1.1),  # 11 words, one each 0.1 s
        "Ref": FakeChatModel([ACCEPT] * 4, auto=False, delay_s=delay_s),
    }


def _events(run: LiveRun, start: int = 0) -> list[RunEvent]:
    return [e for e in run.follow(start, poll_s=0.1) if e is not None]


def _signature(events: list[RunEvent]) -> list[str]:
    return [e.model_dump_json() for e in events]


def test_two_readers_and_a_late_one_see_the_same_events(tmp_path: Path) -> None:
    manager = RunManager()
    with fake_runtime(tmp_path, _slow_fakes(0.05)) as rt:
        run = manager.ask(rt, "What is 2+2?", thread_id="T")
        seen: dict[str, list[RunEvent]] = {}
        readers = [
            threading.Thread(target=lambda name=name: seen.__setitem__(name, _events(run)))
            for name in ("a", "b")
        ]
        for reader in readers:
            reader.start()
        for reader in readers:
            reader.join(60)
        assert run.finished and run.error is None
        late = _events(run)  # after the end: the whole run from its first event
        middle = _events(run, 5)
    assert _signature(seen["a"]) == _signature(seen["b"]) == _signature(late)
    assert _signature(middle) == _signature(late[5:])
    assert late[0].type == "message" and late[-1].type == "done"
    assert run.result is not None and run.result.status == "ok"
    assert [e for e in late if e.type == "token"], "tokens are kept for readers that come later"
    manager.shutdown()


def test_at_most_max_running_runs_go_at_once() -> None:
    manager = RunManager(max_running=2)
    going, most = 0, 0
    lock = threading.Lock()
    release = threading.Event()

    def source(cancel: threading.Event) -> Iterator[RunEvent]:
        nonlocal going, most
        with lock:
            going += 1
            most = max(most, going)
        yield StepEvent(node="n", agent="A")
        release.wait(10)
        with lock:
            going -= 1
        yield DoneEvent(result=RunResult(thread_id="x", final=None, final_id=None, status="incomplete"))

    runs = [manager.start(f"t{i}", source) for i in range(5)]
    deadline = time.monotonic() + 10
    while sum(r.phase == "running" for r in runs) < 2 and time.monotonic() < deadline:
        time.sleep(0.02)
    time.sleep(0.2)
    phases = [r.phase for r in runs]
    assert phases.count("running") == 2 and phases.count("queued") == 3, phases
    assert manager.live_threads() == {f"t{i}" for i in range(5)}
    release.set()
    for run in runs:
        assert _events(run)[-1].type == "done"
    assert most == 2 and manager.live_threads() == set()
    manager.shutdown()


def test_stop_takes_effect_at_the_next_token_and_the_run_resumes(tmp_path: Path) -> None:
    manager = RunManager()
    with fake_runtime(tmp_path, _slow_fakes(0.05)) as rt:
        run = manager.ask(rt, "What is 2+2?", thread_id="T")
        drafted: list[TokenEvent] = []
        for event in run.follow(poll_s=0.1):
            if event is not None and event.type == "token" and event.node == "draft":
                drafted.append(event)
                if len(drafted) == 3:
                    stopped_at = time.monotonic()
                    assert manager.stop("T")
        events = _events(run)
        took = time.monotonic() - stopped_at
        after = [e for e in events if e.type == "token" and e.node == "draft"]
        assert len(after) <= 4, "the draft went on after Stop"
        assert took < 0.5, f"Stop took {took:.2f} s; a token takes 0.1 s, the draft 0.8 s more"
        assert run.result is not None and run.result.status == "interrupted"
        info = rt.runs.thread("T")
        assert info is not None and info.status == "interrupted"
        assert not manager.stop("T"), "nothing is going any more"

        resumed = manager.resume(rt, "T")
        done = _events(resumed)[-1]
        assert done.type == "done" and done.result.status == "ok"
        assert done.result.final is not None and done.result.final.text.endswith("2 + 2 = 4")
        assert manager.get("T") is resumed
    manager.shutdown()


def test_one_run_per_thread_and_turns_follow_one_another(tmp_path: Path) -> None:
    manager = RunManager()
    with fake_runtime(tmp_path, conversation_fakes(2)) as rt:
        first = manager.ask(rt, CAPITAL, thread_id="T")
        if not first.finished:
            with pytest.raises(QsmError, match="has a run going"):
                manager.ask(rt, PEOPLE, thread_id="T")
        _events(first)
        second = manager.ask(rt, PEOPLE, thread_id="T")  # the next turn of the conversation
        _events(second)
    assert first.result is not None and first.result.text == PARIS
    assert second.result is not None and second.result.text == LIVE, "turn 2 saw turn 1"
    manager.shutdown()


def test_a_failing_run_reports_its_error_to_readers(tmp_path: Path) -> None:
    manager = RunManager()
    with fake_runtime(tmp_path, _slow_fakes(0.0)) as rt:
        run = manager.ask(rt, "   ", thread_id="T")  # the runner refuses an empty prompt
        assert _events(run) == []
    assert run.finished and run.error is not None and "empty" in run.error.message
    manager.shutdown()


def test_a_run_that_crashes_does_not_take_its_worker_with_it() -> None:
    manager = RunManager(max_running=1)

    def crash(cancel: threading.Event) -> Iterator[RunEvent]:
        yield StepEvent(node="n", agent="A")
        raise RuntimeError("boom")

    def fine(cancel: threading.Event) -> Iterator[RunEvent]:
        yield DoneEvent(result=RunResult(thread_id="b", final=None, final_id=None, status="incomplete"))

    crashed, after = manager.start("a", crash), manager.start("b", fine)
    assert [e.type for e in _events(crashed)] == ["step"]
    assert crashed.error is not None and "RuntimeError: boom" in crashed.error.message
    assert [e.type for e in _events(after)] == ["done"] and after.error is None
    manager.shutdown()
