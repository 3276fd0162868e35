"""The Workflows page end to end in Streamlit's AppTest, on the fake model: write a two-agent pipeline in
the editor, see its type error at the right line, fix it, save it, chat with it, replay the run in the
inspector and compare two of its runs; bad specs (aliases, too large, escaping names) are refused."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from streamlit.proto.WidgetStates_pb2 import WidgetState
from streamlit.testing.v1 import AppTest

from tests.ui.test_apptest import texts

BROKEN = """\
name: duo
kind: pipeline
agents:
  writer: {role: communicator}
  editor: {role: custom, produces: Note}
channels:
  - "user -> writer: UserRequest"
  - "writer -> editor: Draft"
  - "editor -> user: Draft"
"""
"""Line 9: the editor produces Note, not Draft."""
FIXED = BROKEN.replace('"editor -> user: Draft"', '"editor -> user: Note"')


@pytest.fixture
def app(app: AppTest) -> AppTest:
    """The app on its Workflows page."""
    app.switch_page("pages/workflows.py").run()
    assert not app.exception, app.exception
    return app


def editor(at: AppTest):  # type: ignore[no-untyped-def]
    """The live editor (an st.components.v2 element: AppTest lists it as an unknown element)."""
    return next(e for e in at.get("bidi_component") if e.key == "wf-editor")


def editor_data(at: AppTest) -> dict:
    """What the page sent the editor on its last run: text, revision, marks."""
    return json.loads(editor(at).proto.json)


def type_spec(at: AppTest, text: str) -> AppTest:
    """Type ``text`` into the live editor: as the browser does a moment after the last keystroke, set the
    component's state to the text and rerun (AppTest cannot drive a custom component, so this sends the
    component's widget state along with the others'). The text reaches the page through its callback."""
    states = at._tree.get_widget_states()
    states.widgets.append(WidgetState(id=editor(at).proto.id, json_value=json.dumps({"text": text})))
    at._run(states)
    assert not at.exception, at.exception
    return at


def button(at: AppTest, label: str):  # type: ignore[no-untyped-def]
    return next(b for b in at.button if label in b.label)


def graphviz_specs(at: AppTest) -> str:
    return "\n".join(str(e.proto.spec) for e in at.get("graphviz_chart"))


def test_write_check_fix_save_chat_replay(app: AppTest) -> None:
    data = Path(os.environ["QSM_DATA_DIR"])
    assert "team" in texts(app) or app.dataframe  # the library lists the built-in team
    type_spec(app, BROKEN)
    assert not app.exception, app.exception
    errors = [e.body for e in app.error]
    assert any(
        e.startswith(
            "Line 9, column 5: channel editor -> user is declared as Draft, but editor produces Note"
        )
        for e in errors
    ), errors
    assert '  9 |   - "editor -> user: Draft"' in texts(app)  # the line itself, numbered
    assert "writer" in graphviz_specs(app)  # drawn although it has a problem
    assert not [b for b in app.button if "Save workflow" in b.label]  # only a draft can be saved
    sent = editor_data(app)  # the editor marks the problem at its line, for the text it was found in
    assert sent["text"] == BROKEN and [(m["line"], m["column"]) for m in sent["marks"]] == [(9, 5)]
    assert sent["marks"][0]["message"].startswith("channel editor -> user is declared as Draft")
    type_spec(app, FIXED)
    assert not app.error and "No problems" in texts(app)
    assert editor_data(app)["marks"] == [] and editor_data(app)["text"] == FIXED
    assert '"editor" -> "user"' in graphviz_specs(app) and "Note" in graphviz_specs(app)
    button(app, "Save workflow").click().run()
    assert not app.exception, app.exception
    assert "Saved workflow **duo**" in texts(app)
    assert (data / "workflows" / "duo.yaml").read_text() == FIXED
    button(app, "Chat with duo").click().run()
    assert not app.exception, app.exception
    app.switch_page("pages/chat.py").run()  # AppTest does not follow st.switch_page itself
    assert app.session_state["chat_workflow"] == "duo"
    assert "Chat with duo" in [t.value for t in app.title]
    assert next(s for s in app.sidebar.selectbox if s.label == "Workflow").value == "duo"
    for question in ("Why is the sky blue?", "Why is grass green?"):  # two chats with duo
        next(b for b in app.sidebar.button if "New chat" in b.label).click().run()
        app.chat_input[0].set_value(question).run()
        assert not app.exception, app.exception
        assert next(s for s in app.sidebar.selectbox if s.label == "Workflow").value == "duo"
    out = texts(app)
    assert "(fake model) reply to:" in out and "writer → editor" in out and "editor → user" in out
    steps = [e.label for e in app.expander]
    assert any("**writer**" in s for s in steps) and any("**editor**" in s for s in steps)
    picker = next(s for s in app.sidebar.selectbox if s.label == "Workflow")
    picker.set_value("team").run()  # another workflow: a new chat with the team
    assert "Ask the team" in [t.value for t in app.title] and not app.session_state["conversation"]
    duo_thread = next(b for b in app.sidebar.button if b.key and b.key.startswith("thread-"))
    duo_thread.click().run()  # a past chat brings back its workflow
    assert next(s for s in app.sidebar.selectbox if s.label == "Workflow").value == "duo"
    assert "Chat with duo" in [t.value for t in app.title]

    app.switch_page("pages/graph.py").run()
    assert not app.exception, app.exception
    runs = app.selectbox[0]
    assert "duo" in runs.format_func(runs.value)  # the newest run is duo's
    assert '"writer"' in graphviz_specs(app) and '"QSM"' not in graphviz_specs(app)
    slider = app.slider[0]
    shown = []
    for step in range(1, int(slider.max) + 1):
        slider.set_value(step).run()
        assert not app.exception, app.exception
        assert f"Step {step}/{int(slider.max)}" in texts(app)
        current = next(c.value for c in app.caption if " · **" in c.value)  # the replayed message
        shown.append(current.split("`")[1])
        if current.startswith("`writer → editor`"):
            assert '"writer" [fillcolor="#ffd54f"' in graphviz_specs(app)  # the replayed step's agent lit
    assert shown[:3] == ["user → writer", "writer → editor", "editor → user"], shown
    assert "Compare with another run of duo" in [s.value for s in app.subheader]
    diff = app.dataframe[-1].value
    status = dict(zip(diff["channel"], diff["status"], strict=True))
    # another question: the request and the writer's draft (the fake model echoes it) changed; the
    # editor's note, whatever it says, has new parents, so a new content id
    assert status["user->writer:UserRequest"] == "changed" and status["writer->editor:Draft"] == "changed"
    assert status["editor->user:Note"] in ("changed", "same content, new parents")


def test_draft_alias_size_and_names(app: AppTest) -> None:
    data = Path(os.environ["QSM_DATA_DIR"])
    type_spec(app, BROKEN)
    button(app, "Save as draft").click().run()
    assert "Saved draft **duo**" in texts(app)
    assert (data / "workflows" / "drafts" / "duo.yaml").read_text() == BROKEN
    app.switch_page("pages/chat.py").run()
    picker = next(s for s in app.sidebar.selectbox if s.label == "Workflow")
    assert "duo" not in picker.options  # a draft never runs
    app.switch_page("pages/workflows.py").run()

    type_spec(app, "name: a\nagents: &x []\nchannels: *x\n")
    assert "cannot be saved, not even as a draft" in texts(app) and "alias" in texts(app)
    assert not [b for b in app.button if "Save" in b.label]
    type_spec(app, FIXED + "# " + "x" * 270_000 + "\n")
    assert "larger than 256 KB" in texts(app)
    assert not [b for b in app.button if "Save" in b.label]

    type_spec(app, FIXED)
    next(t for t in app.text_input if t.key == "wf-name").set_value("../../escape").run()
    button(app, "Save workflow").click().run()
    assert "cannot be a workflow name" in texts(app)
    assert not (data / "escape.yaml").exists() and not (data.parent / "escape.yaml").exists()
    next(t for t in app.text_input if t.key == "wf-name").set_value("review").run()
    button(app, "Save workflow").click().run()
    assert "read-only" in texts(app)


def test_the_editor_shows_a_new_text_only_when_the_page_replaces_it(app: AppTest) -> None:
    """Typing keeps the editor's revision (the browser keeps what is being typed); opening a workflow or a
    save that rewrites the spec bumps it, so the editor shows the page's text."""
    first = editor_data(app)["revision"]
    type_spec(app, BROKEN)
    type_spec(app, FIXED)
    assert editor_data(app)["revision"] == first and editor_data(app)["text"] == FIXED
    next(s for s in app.selectbox if s.key == "wf-open").set_value("review").run()
    opened = editor_data(app)
    assert opened["revision"] > first and opened["text"].startswith("# ") and "name: review" in opened["text"]
    assert app.session_state["wf-yaml"] == opened["text"]
    type_spec(app, FIXED)
    next(t for t in app.text_input if t.key == "wf-name").set_value("trio").run()
    button(app, "Save workflow").click().run()
    saved = editor_data(app)  # saved under another name: the spec's `name:` rewritten, shown
    assert saved["revision"] > opened["revision"] and "name: trio" in saved["text"]


@pytest.mark.parametrize("why", ["plain box asked for", "no live editor"])
def test_the_plain_text_box_checks_the_same(app: AppTest, monkeypatch: pytest.MonkeyPatch, why: str) -> None:
    """Where the live editor cannot load (or the user asks for it), a plain text area edits the same
    spec with the same checks."""
    type_spec(app, FIXED)
    if why == "no live editor":
        import qsm.ui.code_editor

        monkeypatch.setattr(qsm.ui.code_editor, "_component", lambda: None)
        app.run()
        assert not [t for t in app.toggle if t.key == "wf-plain"]  # nothing to switch back to
    else:
        next(t for t in app.toggle if t.key == "wf-plain").set_value(True).run()
    assert not app.get("bidi_component")
    box = next(t for t in app.text_area if t.key == "wf-editor-plain")
    assert box.value == FIXED  # what was typed in the live editor
    box.set_value(BROKEN).run()
    assert any(e.body.startswith("Line 9, column 5: channel editor -> user") for e in app.error)
    assert app.session_state["wf-yaml"] == BROKEN
    button(app, "Save as draft").click().run()
    assert "Saved draft **duo**" in texts(app)


def test_the_live_editor_ships_with_the_package() -> None:
    """The editor's JavaScript and CSS are package data of qsm.ui (matched by pyproject's globs), so an
    installed wheel has the live editor and nothing is fetched from a network."""
    import fnmatch
    import tomllib

    import qsm
    import qsm.ui.code_editor as code_editor

    package = Path(qsm.__file__).resolve().parent
    globs = tomllib.loads((package.parent / "pyproject.toml").read_text())["tool"]["setuptools"][
        "package-data"
    ]["qsm.ui"]
    for name in ("code_editor.js", "code_editor.css"):
        path = package / "ui" / "static" / name
        assert "http" not in path.read_text() and "import" not in path.read_text(), name  # self-contained
        assert any(fnmatch.fnmatch(f"static/{name}", g) for g in globs), name
    assert code_editor.component_available()


def test_the_topology_reads_on_a_dark_background() -> None:
    from qsm.graph import Workflow
    from qsm.ui.graph_view import topology_dot

    wf = Workflow.from_yaml(FIXED)
    light, dark = topology_dot(wf, wf.channels), topology_dot(wf, wf.channels, dark=True)
    assert 'fontcolor="#455a64"' in light and "#b0bec5" not in light
    assert 'fontcolor="#b0bec5"' in dark and 'fontcolor="#455a64"' not in dark
