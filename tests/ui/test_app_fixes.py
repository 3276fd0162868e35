"""The app's bugs from issue 13, each pinned by a test: Streamlit magic echoing values (the Costs tab's
help-text wall), memory tree labels as code blocks, proof files that are not proofs, tampered proofs,
stale ledger counters, blank prompts, unchecked model paths, Stop and Resume leftovers, threads shown as
running after a stop, streaming text hidden in collapsed boxes, and the sidebar's thread labels."""

from __future__ import annotations

import ast
import json
from pathlib import Path

import pytest
from streamlit.runtime.scriptrunner.magic import add_magic
from streamlit.testing.v1 import AppTest

from qsm.ui import APP_PATH
from qsm.ui.thread_list import short_title, status_words, thread_label
from tests.ui.test_apptest import ask, texts

UI = APP_PATH.parent
PAGE_SCRIPTS = [APP_PATH, *sorted((UI / "pages").glob("*.py"))]


# -- Streamlit magic ----------------------------------------------------------------------------------
def magic_echoes(source: str, path: str = "page.py") -> list[int]:
    """Lines whose value Streamlit's magic would write to the page (as it does when it runs a script)."""
    tree = add_magic(source, path)
    return sorted(
        node.lineno
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "transparent_write"
    )


def test_magic_detector_finds_a_bare_conditional() -> None:
    """The check below would see the Costs tab's bug (a conditional expression used as a statement)."""
    bug = 'import streamlit as st\n\ndef f(rows):\n    st.dataframe(rows) if rows else st.caption("No runs yet.")\n'
    assert magic_echoes(bug) == [4]
    assert magic_echoes(bug.replace(' if rows else st.caption("No runs yet.")', "")) == []


@pytest.mark.parametrize("script", PAGE_SCRIPTS, ids=lambda p: p.name)
def test_page_scripts_give_magic_nothing_to_echo(script: Path) -> None:
    """Every expression statement in a page is a call or a docstring: nothing is echoed as help text."""
    assert magic_echoes(script.read_text(encoding="utf-8"), str(script)) == [], script


def test_ui_modules_use_no_value_as_a_statement() -> None:
    """In every UI module (pages and the modules they import), an expression statement is a docstring,
    a yield, or a call of a named function or method: no ``a if c else b``, no ``(f if c else g)(x)``."""
    offenders = []
    for path in sorted(UI.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Expr):
                continue
            value = node.value
            ok = (
                (isinstance(value, ast.Constant) and isinstance(value.value, str))
                or isinstance(value, ast.Yield | ast.YieldFrom | ast.Await)
                or (isinstance(value, ast.Call) and isinstance(value.func, ast.Name | ast.Attribute))
            )
            if not ok:
                offenders.append(f"{path.relative_to(UI)}:{node.lineno}: {ast.unparse(value)[:80]}")
    assert not offenders, "\n".join(offenders)


def test_costs_tab_shows_no_streamlit_help_text(app: AppTest) -> None:
    for question in (None, "What is 2+2?"):  # without runs (caption) and with one (the table)
        if question:
            ask(app, question)
        app.switch_page("pages/settings.py").run()
        assert not app.exception, app.exception
        assert not app.get("help_info"), "a value echoed by Streamlit's magic"
        assert "DeltaGenerator" not in str(app._tree)
        app.switch_page("pages/chat.py").run()
    app.switch_page("pages/settings.py").run()
    assert app.dataframe and "No runs yet." not in texts(app)


# -- memory -------------------------------------------------------------------------------------------
def test_memory_tree_labels_are_text_not_code_blocks(app: AppTest) -> None:
    ask(app, "What is 2+2?")  # files the chat under /users/local/chats: three levels deep
    app.switch_page("pages/memory.py").run()
    assert not app.exception, app.exception
    labels = app.radio[0].options
    assert len(labels) >= 4, labels
    assert all(label == label.lstrip(" \t") for label in labels), labels  # 4 spaces = a code block
    deep = [label for label in labels if label.startswith("\u00a0")]
    assert deep and any("chats" in label for label in deep), labels  # still visibly indented


# -- ledger -------------------------------------------------------------------------------------------
def _upload_and_verify(app: AppTest, name: str, data: bytes) -> None:
    app.file_uploader[0].set_value((name, data, "application/json")).run()
    next(b for b in app.button if b.key == "verify-file").click().run()
    assert not app.exception, app.exception


@pytest.mark.parametrize(
    "data", [b'{"hello": "world"}', b"not json at all", b"[1, 2, 3]"], ids=["other-json", "not-json", "list"]
)
def test_ledger_a_file_that_is_not_a_proof_is_one_clear_error(app: AppTest, data: bytes) -> None:
    app.switch_page("pages/ledger.py").run()
    _upload_and_verify(app, "notes.json", data)
    errors = [e.body for e in app.error]
    assert len(errors) == 1 and "notes.json is not a qsm proof file" in errors[0], errors
    assert "validation error" not in texts(app).lower() and "pydantic" not in texts(app).lower()
    assert "Download proof" in errors[0]  # the hint says where a real proof comes from


def _anchored_proof(app: AppTest) -> dict:
    from qsm.graph.runtime import Runtime

    ask(app, "What is 2+2?")
    app.switch_page("pages/ledger.py").run()
    next(b for b in app.button if "Anchor" in b.label).click().run()
    rt = Runtime.open()
    try:
        final_id = next(t.final_id for t in rt.runs.threads(5) if t.final_id)
        assert rt.ledger is not None
        return json.loads(rt.ledger.proof(final_id).model_dump_json())
    finally:
        rt.close()


def test_ledger_a_tampered_proof_is_an_error_not_a_warning(app: AppTest) -> None:
    proof = _anchored_proof(app)
    _upload_and_verify(app, "good.proof.json", json.dumps(proof).encode())
    assert any("verified" in s.body or "not_final" in s.body for s in [*app.success, *app.warning])
    digest = proof["leaf"]["digest"]
    proof["leaf"]["digest"] = digest[:-1] + ("0" if digest[-1] != "0" else "1")
    _upload_and_verify(app, "tampered.proof.json", json.dumps(proof).encode())
    assert any("tampered" in e.body for e in app.error), [e.body for e in app.error]
    assert not any("tampered" in w.body for w in app.warning)


def test_ledger_counters_show_the_state_after_anchoring(app: AppTest) -> None:
    ask(app, "What is 2+2?")
    app.switch_page("pages/ledger.py").run()
    batches = lambda: next(m.value for m in app.metric if m.label == "batches")  # noqa: E731
    before = int(batches())
    next(b for b in app.button if "Anchor" in b.label).click().run()
    pushed = next(s.body for s in app.success if "batch(es) pushed" in s.body)
    assert int(pushed.split()[0]) >= 1
    assert int(batches()) == before + int(pushed.split()[0]), "the counters were drawn before anchoring"


# -- chat ---------------------------------------------------------------------------------------------
def test_a_blank_prompt_is_refused_in_the_app(app: AppTest) -> None:
    out = ask(app, "   \n\t ")
    assert not app.chat_message, "no empty bubble, no run"
    assert "Your message is empty" in out
    assert "qsm ask" not in out and "the prompt is empty" not in out  # the command line's hint


def test_stop_is_gone_once_the_run_has_ended(app: AppTest) -> None:
    ask(app, "Why is the sea salty?")
    assert "final:" in texts(app)
    assert not [b for b in app.button if b.key == "stop"]


def _interrupted_thread(request: str) -> str:
    """A thread stopped after its first steps (as Stop leaves it), run beside the app on its data dir."""
    from qsm.graph import Workflow, stream
    from qsm.graph.runtime import Runtime

    rt = Runtime.open()
    try:
        events = stream(Workflow.default(), request, runtime=rt, thread_id="stopped0001")
        for event in events:
            if event.type == "step" and event.node != "QSM.plan":
                break
        events.close()  # type: ignore[attr-defined]
        return "stopped0001"
    finally:
        rt.close()


def test_resume_replaces_the_stopped_run_and_leaves_no_buttons(app: AppTest) -> None:
    thread_id = _interrupted_thread("Why is the sea salty?")
    app.run()
    next(b for b in app.sidebar.button if b.key == f"thread-{thread_id}").click().run()
    assert "No final answer yet" in texts(app)
    next(b for b in app.button if b.key == f"resume-{thread_id}").click().run()
    assert not app.exception, app.exception
    out = texts(app)
    assert "final:" in out and "No final answer yet" not in out
    assert not [b for b in app.button if b.key in ("stop", f"resume-{thread_id}")]


def test_a_thread_left_running_by_a_stopped_run_reads_stopped(app: AppTest) -> None:
    """A thread the run store marks ``running`` that no run in this app drives (the run was stopped
    before it could record that, or its process died) is shown as stopped, and can be resumed."""
    from qsm.graph.checkpoint import RunStore
    from qsm.settings import load_settings

    thread_id = _interrupted_thread("Why is the sea salty?")
    store = RunStore(load_settings().data_dir / "runs.sqlite")
    store.set_status(thread_id, "running")
    store.close()
    app.run()
    button = next(b for b in app.sidebar.button if b.key == f"thread-{thread_id}")
    assert "stopped" in button.label and "running" not in button.label
    button.click().run()
    assert "status: interrupted" in texts(app) and "running" not in texts(app)
    assert [b for b in app.button if b.key == f"resume-{thread_id}"]


def test_sidebar_titles_cut_at_words_and_status_in_words(app: AppTest) -> None:
    from qsm.graph.checkpoint import RunStore
    from qsm.settings import load_settings

    ask(app, "Why is the sea salty, and why are the rivers that flow into it not salty at all?")
    next(b for b in app.sidebar.button if b.label == "New chat").click().run()  # else a second turn
    ask(app, "Name a prime number.")
    store = RunStore(load_settings().data_dir / "runs.sqlite")
    first, second = store.threads(2)
    store.set_status(first.thread_id, "rejected")
    store.set_status(second.thread_id, "error", error="SOM's budget ran out")
    store.close()
    app.run()
    labels = {b.key: b.label for b in app.sidebar.button if b.key and b.key.startswith("thread-")}
    assert (
        "rejected" in labels[f"thread-{first.thread_id}"]
        or "no verified answer" in labels[f"thread-{first.thread_id}"]
    )
    assert "error" in labels[f"thread-{second.thread_id}"]
    assert labels[f"thread-{first.thread_id}"] != labels[f"thread-{second.thread_id}"]
    long = labels[f"thread-{second.thread_id}"]
    assert "Why is the sea salty, and why are the…" in long.replace("\\", ""), long


def test_short_title_cuts_at_a_word_boundary() -> None:
    assert short_title("Why is the sea salty?") == "Why is the sea salty?"
    assert (
        short_title("Why is the sea salty, and why are the rivers not?", 30)
        == "Why is the sea salty, and why…"
    )
    assert short_title("a" * 60, 20) == "a" * 19 + "…"  # one long word: cut inside it
    assert short_title("  two\nlines  ") == "two lines"
    assert len(short_title("word " * 30, 40)) <= 40


def test_status_words_tell_rejected_failed_and_stopped_apart() -> None:
    words = {
        s: status_words(s, live=False)[0] for s in ("ok", "rejected", "failed", "interrupted", "running")
    }
    assert len(set(words.values())) == 4 and words["interrupted"] == words["running"] == "stopped"
    assert status_words("running", live=True)[0] == "running"
    assert status_words("error", live=False)[0] == "error"
    assert thread_label("2*3 = [6]", "ok", live=False) == "2\\*3 = \\[6\\] · :green[answered]"


# -- streaming ----------------------------------------------------------------------------------------
def _streaming_script() -> None:
    import streamlit as st
    from pydantic import TypeAdapter

    from qsm.graph import RunEvent
    from qsm.ui.run_view import RunView

    events = TypeAdapter(RunEvent)
    view = RunView(st.container())
    view.handle(events.validate_python({"type": "step", "node": "QSM.plan", "agent": "QSM"}))
    view.handle(
        events.validate_python({"type": "token", "node": "QSM.plan", "agent": "QSM", "text": "a plan"})
    )
    view.handle(events.validate_python({"type": "step", "node": "draft", "agent": "WeQ", "candidate": 0}))
    view.handle(
        events.validate_python(
            {"type": "token", "node": "draft", "agent": "WeQ", "candidate": 0, "text": "salt from rocks"}
        )
    )


def test_the_streaming_step_shows_its_text_and_finished_steps_fold_away() -> None:
    at = AppTest.from_function(_streaming_script)
    at.run()
    assert not at.exception, at.exception
    boxed = {id(c) for e in at.expander for c in e.code}
    outside = [c.value for c in at.code if id(c) not in boxed]  # in the view, not inside a step's box
    inside = {e.label: [c.value for c in e.code] for e in at.expander}
    assert outside == ["salt from rocks"], outside  # the streaming step, readable while it streams
    assert inside["**QSM** plans"] == ["a plan"]  # the finished step keeps its text in its folded box
    assert all(not e.proto.expanded for e in at.expander)


# -- settings -----------------------------------------------------------------------------------------
def test_settings_refuse_a_model_path_that_is_not_a_gguf_file(app: AppTest, tmp_path: Path) -> None:
    app.switch_page("pages/settings.py").run()
    next(s for s in app.selectbox if s.key == "WeQ-backend").set_value("llama").run()
    text_file, gguf = tmp_path / "notes.gguf", tmp_path / "tiny.gguf"
    text_file.write_text("hello, not a model")
    gguf.write_bytes(b"GGUF" + bytes(60))  # the magic bytes are all the app checks; llama.cpp checks the rest
    apply = lambda: next(b for b in app.button if "Apply" in b.label).click().run()  # noqa: E731
    for bad, why in ((tmp_path / "nope.gguf", "does not exist"), (text_file, "is not a GGUF file")):
        next(t for t in app.text_input if t.key == "WeQ-path").set_value(str(bad)).run()
        assert any(why in e.body for e in app.error), "said at once, under the field"
        apply()
        assert not app.exception, app.exception
        message = next(e.body for e in app.error if e.body.startswith("**WeQ: model file"))
        assert why in message and "WeQ tab" in message
        assert "Applied" not in texts(app)
        applied = app.session_state.get("qsm_overrides", {})
        assert "WeQ" not in applied.get("agents", {})
    next(t for t in app.text_input if t.key == "WeQ-path").set_value(str(gguf)).run()
    assert not app.error
    apply()
    assert "Applied" in texts(app)
    assert app.session_state["qsm_overrides"]["agents"]["WeQ"]["model"]["path"] == str(gguf)
