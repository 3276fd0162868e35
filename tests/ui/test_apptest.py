"""Streamlit AppTest of every page, on the fake model (fast) and on the bundled GGUF (real)."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from qsm.ui import APP_PATH


def texts(at: AppTest) -> str:
    parts = [e.value for e in at.markdown] + [e.value for e in at.caption] + [e.body for e in at.error]
    parts += [e.body for e in at.warning] + [e.body for e in at.success] + [e.body for e in at.info]
    parts += [str(e.value) for e in at.code]
    return "\n".join(str(p) for p in parts)


def ask(at: AppTest, question: str) -> str:
    at.chat_input[0].set_value(question).run()
    assert not at.exception, at.exception
    return texts(at)


def test_chat_round_trip_on_fake_model(app: AppTest) -> None:
    out = ask(app, "Why is the sea salty?")
    assert "(fake model) reply to:" in out and "Why is the sea salty?" in out
    assert "final:" in out and "QSM → SOM" in out and "WeQ → Ref" in out
    assert any("cost report" in e.label for e in app.expander)
    steps = [e.label for e in app.expander]
    assert any("**QSM** plans" in s for s in steps) and any("**Ref** verifies" in s for s in steps)
    app.run()  # the conversation survives a rerun
    assert "(fake model) reply to:" in texts(app)


def test_thread_history_and_graph_inspector(app: AppTest) -> None:
    ask(app, "Name a prime number.")
    app.run()  # the next interaction redraws the sidebar with the new thread
    thread_buttons = [b for b in app.sidebar.button if b.key and b.key.startswith("thread-")]
    assert thread_buttons
    thread_buttons[0].click().run()
    assert "Name a prime number." in texts(app)
    app.switch_page("pages/graph.py").run()
    assert not app.exception, app.exception
    assert app.slider and app.slider[0].max == app.slider[0].value > 5
    app.slider[0].set_value(2).run()
    assert "Step 2/" in texts(app) and "Plan" in texts(app)
    assert app.dataframe


def test_settings_apply_and_bad_value(app: AppTest) -> None:
    app.switch_page("pages/settings.py").run()
    assert not app.exception, app.exception
    temp = next(s for s in app.slider if s.key == "WeQ-t")
    temp.set_value(1.5).run()
    next(b for b in app.button if "Apply" in b.label).click().run()
    assert "Applied" in texts(app)
    assert app.session_state["qsm_overrides"]["agents"]["WeQ"]["sampling"]["temperature"] == 1.5
    next(s for s in app.selectbox if s.key == "Ref-backend").set_value("openai").run()
    next(b for b in app.button if "Apply" in b.label).click().run()
    assert not app.exception
    assert "needs url" in texts(app)  # a clear message; the earlier overrides are kept
    assert (
        "Ref" not in app.session_state["qsm_overrides"]["agents"]
        or app.session_state["qsm_overrides"]["agents"]["Ref"]["model"]["backend"] == "fake"
    )


def test_missing_model_shows_message_not_traceback(app: AppTest, monkeypatch: pytest.MonkeyPatch) -> None:
    app.session_state["qsm_overrides"] = {"defaults": {"model": {"backend": "llama", "path": "/nope/m.gguf"}}}
    out = ask(app, "hello")
    assert "does not exist" in out and "Traceback" not in out


def test_budget_exhaustion_is_a_message(app: AppTest) -> None:
    app.session_state["qsm_overrides"] = {"budget": {"calls": 1}}
    out = ask(app, "hello")
    assert "budget" in out.lower() and "budget_exhausted" in out


def test_memory_and_ledger_pages(app: AppTest, tmp_path: Path) -> None:
    ask(app, "What is 2+2?")
    app.switch_page("pages/memory.py").run()
    assert not app.exception, app.exception
    assert app.radio, "directory tree shown"
    app.switch_page("pages/ledger.py").run()
    assert not app.exception, app.exception
    assert app.dataframe and "Answers" in [s.value for s in app.subheader]
    assert "queued" in texts(app) or any(b.key == "verify-answer" for b in app.button)
    next(b for b in app.button if "Anchor" in b.label).click().run()
    assert "batch(es) pushed" in texts(app)
    next(b for b in app.button if b.key == "verify-answer").click().run()
    assert not app.exception, app.exception
    assert any(s in texts(app) for s in ("verified", "not_final", "not_anchored"))


@pytest.mark.real_model
@pytest.mark.slow
def test_chat_round_trip_on_bundled_gguf(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QSM_MEMORY__EMBEDDER", "hashing")
    at = AppTest.from_file(str(APP_PATH), default_timeout=600)
    at.run()
    out = ask(at, "What is 2+2?")
    assert "final:" in out and "QSM → SOM" in out and "Ref → QSM" in out


def test_every_candidate_rejected_shows_no_verified_answer(monkeypatch: pytest.MonkeyPatch) -> None:
    """Ref rejects both drafts (they cite the wrong note): the app says so and labels the best attempt."""
    monkeypatch.setenv("QSM_DEFAULTS__MODEL__BACKEND", "fake")
    monkeypatch.setenv("QSM_MEMORY__EMBEDDER", "hashing")
    monkeypatch.setenv(
        "QSM_AGENTS__WeQ__MODEL__FAKE_REPLIES", '["Ann Vorel is 30 [1]", "Ann Vorel is 30 [1]"]'
    )
    at = AppTest.from_file(str(APP_PATH), default_timeout=120)
    at.run()
    out = ask(
        at,
        "Notes:\n[1] Ann Vorel is 30 years old.\n[2] Bob Tarrin is 25 years old.\nQuestion: How old is Bob Tarrin?",
    )
    assert "No verified answer" in out and "Best attempt (not verified)" in out
    assert "Ann Vorel is 30 [1]" in out
