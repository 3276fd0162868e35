"""Workflows: the library, a YAML editor checked as you edit (every problem at its line), the topology drawn
beside it, save (a spec with problems only as a draft) and "Chat with this workflow"."""

from __future__ import annotations

import streamlit as st

from qsm.errors import QsmError
from qsm.graph.library import LibraryEntry, SpecCheck, WorkflowLibrary, check_spec
from qsm.ui import services
from qsm.ui.graph_view import topology_dot
from qsm.ui.workflow_picker import CHAT_WORKFLOW

NEW = "(new workflow)"

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


def _open(lib: WorkflowLibrary) -> None:
    """The Open box changed: load that workflow's YAML into the editor."""
    name = st.session_state["wf-open"]
    st.session_state["wf-yaml"] = STARTER if name == NEW else lib.text(name)
    st.session_state.pop("wf-saved", None)


def _save(lib: WorkflowLibrary, draft: bool) -> None:
    text, name = st.session_state.get("wf-yaml", ""), st.session_state.get("wf-name", "").strip()
    try:
        if draft:
            parsed = check_spec(text).parsed
            path = lib.save_draft(text, name or (parsed.name if parsed is not None else "draft"))
        else:
            path = lib.save(text, name=name or None, replace=bool(st.session_state.get("wf-replace")))
            st.session_state["wf-yaml"] = path.read_text(encoding="utf-8")
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
    st.session_state.setdefault("wf-yaml", STARTER)
    if st.session_state.get("wf-open") not in (NEW, *names):
        st.session_state["wf-open"] = NEW
    opened = st.selectbox("Open", [NEW, *names], key="wf-open", on_change=_open, args=(lib,))
    left, right = st.columns([3, 2])
    text = left.text_area(
        "Spec (YAML)",
        key="wf-yaml",
        height=360,
        help="Checked as you edit (click outside the box or press Ctrl+Enter to apply).",
    )
    check = check_spec(text, "spec")
    with right:
        st.markdown("**Topology**")
        shown = check.workflow or check.parsed
        if shown is not None:
            st.graphviz_chart(topology_dot(shown, shown.channels, compact=True), width="stretch")
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
