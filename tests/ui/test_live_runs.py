"""Runs that outlive the page (issue 13 item 2), in Streamlit's AppTest on the slowed fake model: a page left
mid-run (its script stopped, as a reload or a closed tab does) leaves the run going in the app's run
manager; a new session opening the chat's URL follows it from its first event to its answer; a message on an
open chat is the next turn of its thread; a page switch and back follows the run again."""

from __future__ import annotations

import time

import pytest
from streamlit.testing.v1 import AppTest

from qsm.graph import Runtime
from qsm.graph.turn_history import thread_turns
from qsm.settings import load_settings
from qsm.ui import APP_PATH, services
from tests.ui.test_apptest import texts

FIRST, SECOND = "Why is the sea salty?", "And why are rivers not salty?"


@pytest.fixture
def slow_fake(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QSM_DEFAULTS__MODEL__BACKEND", "fake")
    monkeypatch.setenv("QSM_DEFAULTS__MODEL__FAKE_DELAY_S", "0.6")  # each model call streams over 0.6 s
    monkeypatch.setenv("QSM_MEMORY__EMBEDDER", "hashing")


def _leave_mid_run(at: AppTest, question: str) -> None:
    """Send ``question`` and leave before its run ends: AppTest stops the script at its time limit."""
    at.chat_input[0].set_value(question)
    with pytest.raises(RuntimeError, match="timed out"):
        at.run(timeout=1.5)
    # a browser sends a message once; AppTest keeps a message whose run timed out and would send it again
    # with the next run (a second turn of the same question once the first run has ended)
    at.chat_input[0].set_value(None)


def _live_thread() -> str:
    live = services.run_manager().live_threads()
    assert len(live) == 1, f"one run going in the app's run manager, not {live}"
    return next(iter(live))


def _steps(at: AppTest) -> list[str]:
    return [e.label for e in at.expander]


def test_a_run_outlives_its_page_and_a_new_tab_follows_it_to_the_end(slow_fake: None) -> None:
    first_tab = AppTest.from_file(str(APP_PATH), default_timeout=120)
    first_tab.run()
    _leave_mid_run(first_tab, FIRST)
    thread = _live_thread()

    second_tab = AppTest.from_file(str(APP_PATH), default_timeout=120)  # a reload, or the link elsewhere
    second_tab.query_params["thread"] = thread
    second_tab.run()
    assert not second_tab.exception, second_tab.exception
    out = texts(second_tab)
    assert FIRST in out and "(fake model) reply to:" in out and "final:" in out
    steps = _steps(second_tab)
    assert any("**QSM** plans" in s for s in steps), "the run's first steps are shown, replayed"
    assert any("**Ref** verifies" in s for s in steps)
    assert not [b for b in second_tab.button if b.key == "stop"], "no Stop once the run has ended"
    with Runtime(load_settings(), memory=None, ledger=None) as rt:
        info = rt.runs.thread(thread)
        assert info is not None and info.status == "ok"

    # a message on the open chat is the next turn of the same thread; a page switch and back follows it
    _leave_mid_run(second_tab, SECOND)
    assert _live_thread() == thread
    second_tab.switch_page("pages/graph.py").run()
    assert not second_tab.exception, second_tab.exception
    second_tab.switch_page("pages/chat.py").run()
    assert not second_tab.exception, second_tab.exception
    out = texts(second_tab)
    assert FIRST in out and SECOND in out, "both turns of the conversation are shown"
    assert out.index(FIRST) < out.index(SECOND)
    assert any("**QSM** plans" in s for s in _steps(second_tab))
    assert services.run_manager().live_threads() == set()
    with Runtime(load_settings(), memory=None, ledger=None) as rt:
        turns = thread_turns(thread, rt)
    assert [t.question for t in turns] == [FIRST, SECOND]
    assert all(t.status == "ok" and t.answer for t in turns), turns


def test_stop_in_the_app_stops_at_the_next_token_and_resume_finishes(slow_fake: None) -> None:
    at = AppTest.from_file(str(APP_PATH), default_timeout=120)
    at.run()
    _leave_mid_run(at, FIRST)
    thread = _live_thread()
    stopped = time.monotonic()
    assert services.run_manager().stop(thread)  # what Stop's button does
    at.run()  # the page follows the stopping run to its end
    assert time.monotonic() - stopped < 10
    out = texts(at)
    assert "No final answer yet (status: interrupted)" in out
    resume = [b for b in at.button if b.key == f"resume-{thread}"]
    assert resume and not [b for b in at.button if b.key == "stop"]
    resume[0].click().run()
    assert not at.exception, at.exception
    out = texts(at)
    assert "final:" in out and "No final answer yet" not in out
    assert not [b for b in at.button if b.key in ("stop", f"resume-{thread}")]
