"""Workflows: the library, a YAML editor checked as you type (every problem at its line, in the editor and
listed under it), the topology drawn beside it, save (a spec with problems only as a draft) and "Chat with
this workflow".

The spec's text lives in ``st.session_state["wf-yaml"]``; the editor (:mod:`qsm.ui.code_editor`) hands each
change to :func:`_edited` and shows the text again when ``"wf-revision"`` says the page replaced it."""

from __future__ import annotations

import streamlit as st

from qsm.errors import QsmError
from qsm.graph.library import LibraryEntry, SpecCheck, WorkflowLibrary, check_spec
from qsm.ui import services
from qsm.ui.code_editor import LineMark, code_editor, component_available
from qsm.ui.graph_view import dark_theme, topology_dot
from qsm.ui.workflow_picker import CHAT_WORKFLOW

NEW = "(new workflow)"
# session keys (no docstrings here: Streamlit's magic would draw a bare string on the page)
TEXT = "wf-yaml"  # the spec's text
REVISION = "wf-revision"  # counts the times the page replaced the text (the editor then shows the new one)
PLAIN = "wf-plain"  # the "Plain text box" toggle (the fallback when the live editor does not load)

STARTER = """\
# A two-agent pipeline: a writer drafts, an editor rewrites.
name: my-pipeline
kind: pipeline
description: writer -> editor
agents:
  writer:
    role: communicator
    system_prompt: You write short, correct answers.
  editor:
    role: custom
    produces: Note
    system_prompt: You rewrite the draft so that it is clear and complete.
channels:
  - "user -> writer: UserRequest"
  - "writer -> editor: Draft"
  - "editor -> user: Note"
"""


def library() -> WorkflowLibrary:
    return WorkflowLibrary(services.current_settings().data_dir)


def _set_text(text: str) -> None:
    """The page replaces the spec (opened another one, saved a rewritten one): the editor shows it."""
    st.session_state[TEXT] = text
    st.session_state[REVISION] = st.session_state.get(REVISION, 0) + 1


def _edited(text: str) -> None:
    """The user changed the spec in the editor (a moment after the last keystroke)."""
    st.session_state[TEXT] = text


def _open(lib: WorkflowLibrary) -> None:
    """The Open box changed: load that workflow's YAML into the editor."""
    name = st.session_state["wf-open"]
    _set_text(STARTER if name == NEW else lib.text(name))
    st.session_state.pop("wf-saved", None)


def _save(lib: WorkflowLibrary, draft: bool) -> None:
    text, name = st.session_state.get(TEXT, ""), st.session_state.get("wf-name", "").strip()
    try:
        if draft:
            parsed = check_spec(text).parsed
            path = lib.save_draft(text, name or (parsed.name if parsed is not None else "draft"))
        else:
            path = lib.save(text, name=name or None, replace=bool(st.session_state.get("wf-replace")))
            _set_text(path.read_text(encoding="utf-8"))
    except QsmError as err:
        st.session_state["wf-saved"] = (
            "error",
            f"**{err.message}**" + (f"\n\n{err.hint}" if err.hint else ""),
        )
        return
    kind = "draft" if draft else "workflow"
    st.session_state["wf-saved"] = ("ok", f"Saved {kind} **{path.stem}** ({path}).")
    if not draft:
        st.session_state["wf-open"] = path.stem


def _chat_with(name: str) -> None:
    st.session_state[CHAT_WORKFLOW] = name


def show_library(entries: list[LibraryEntry]) -> None:
    rows = [
        {
            "name": e.name,
            "kind": e.kind,
            "agents": ", ".join(e.agents),
            "channels": e.channels,
            "source": e.source,
            "status": "runnable" if e.runnable else f"{len(e.issues)} problem(s)" if e.issues else "draft",
        }
        for e in entries
    ]
    st.dataframe(rows, hide_index=True, width="stretch")


def show_problems(where: st.delta_generator.DeltaGenerator, check: SpecCheck, text: str) -> None:
    if check.ok and check.workflow is not None:
        wf = check.workflow
        where.success(
            f"No problems: {wf.kind} **{wf.name}**, {len(wf.agents)} agents, {len(wf.channels)} channels."
        )
        return
    lines = text.splitlines()
    where.markdown(f"**{len(check.issues)} problem(s)**")
    for issue in check.issues:
        head = f"Line {issue.line}, column {issue.column}: " if issue.line is not None else ""
        body = f"{head}{issue.message}" + (f"\n\n{issue.hint}" if issue.hint else "")
        where.error(body, icon=":material/error:")
        if issue.line is not None and 0 < issue.line <= len(lines):
            where.code(f"{issue.line:>3} | {lines[issue.line - 1]}", language=None)


def body() -> None:
    lib = library()
    st.title("Workflows")
    st.caption(
        "Your workflows live in the data dir's workflows/ folder; the built-in team and the examples are "
        "read-only (open one and save it under a new name to change it)."
    )
    entries = lib.entries()
    show_library(entries)
    names = [e.name for e in entries]
    st.session_state.setdefault(TEXT, STARTER)
    if st.session_state.get("wf-open") not in (NEW, *names):
        st.session_state["wf-open"] = NEW
    opened = st.selectbox("Open", [NEW, *names], key="wf-open", on_change=_open, args=(lib,))
    left, right = st.columns([3, 2])
    text = st.session_state[TEXT]
    check = check_spec(text, "spec")
    live = component_available()
    with left:
        code_editor(
            "Spec (YAML)",
            key="wf-editor",
            text=text,
            revision=st.session_state.get(REVISION, 0),
            on_edit=_edited,
            marks=[LineMark(i.line, i.message, i.column) for i in check.issues],
            height=360,
            help="Checked as you type, with the same checks as `qsm workflows check`. "
            "Tab indents two spaces; Esc, then Tab, leaves the box.",
            plain=bool(st.session_state.get(PLAIN)) or not live,
        )
        if live:
            st.toggle(
                "Plain text box",
                key=PLAIN,
                help="If the editor above does not load or does not suit you: a plain box, checked when "
                "you click outside it or press Ctrl+Enter.",
            )
    with right:
        st.markdown("**Topology**")
        shown = check.workflow or check.parsed
        if shown is not None:
            st.graphviz_chart(
                topology_dot(shown, shown.channels, compact=True, dark=dark_theme()), width="stretch"
            )
        else:
            st.caption("The topology appears once the spec's fields are well formed.")
    show_problems(left, check, text)
    st.subheader("Save")
    name_col, replace_col = st.columns([3, 2])
    name_col.text_input(
        "Save as",
        key="wf-name",
        placeholder=check.parsed.name if check.parsed is not None else "a name",
        help="Empty: the spec's `name:`. Another name sets the spec's `name:` to it.",
    )
    replace_col.checkbox("Replace my workflow of that name", key="wf-replace")
    buttons = st.columns(3)
    if check.refused:
        st.error("This spec cannot be saved, not even as a draft: " + check.issues[0].message)
    elif check.ok:
        buttons[0].button("Save workflow", icon=":material/save:", on_click=_save, args=(lib, False))
    else:
        buttons[0].button(
            "Save as draft",
            icon=":material/edit_note:",
            on_click=_save,
            args=(lib, True),
            help="A draft is kept with its problems and never runs.",
        )
    if saved := st.session_state.get("wf-saved"):
        if saved[0] == "ok":
            st.success(saved[1])
        else:
            st.error(saved[1])
    current = next((e for e in entries if e.name == opened), None)
    if current is not None and current.runnable:
        if buttons[1].button(
            f"Chat with {current.name}", icon=":material/forum:", on_click=_chat_with, args=(current.name,)
        ):
            st.switch_page("pages/chat.py")
    elif current is not None:
        buttons[1].caption(f"{current.name} is a draft with problems: fix and save it to chat with it.")


services.guarded(body)
