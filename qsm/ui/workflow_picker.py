"""The chat page's workflow picker: which workflow of the library a conversation runs.

The choice lives in the session (``chat_workflow``); a conversation keeps the workflow it started with
(changing the picker starts a new one), and opening a past thread picks the workflow its run recorded.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import streamlit as st

from qsm.graph import Workflow
from qsm.graph.library import WorkflowLibrary
from qsm.graph.runtime import Runtime

__all__ = ["CHAT_WORKFLOW", "chosen_workflow", "open_thread", "workflow_picker"]

CHAT_WORKFLOW = "chat_workflow"
DEFAULT = "team"


def _runnable(data_dir: Path) -> list[str]:
    return WorkflowLibrary(data_dir).names(runnable=True)


def _changed() -> None:
    """Another workflow: a new conversation (the earlier turns belong to the other workflow)."""
    st.session_state.pop("thread", None)
    st.session_state["conversation"] = []


def workflow_picker(where: Any, rt: Runtime) -> str:
    """Draw the picker in ``where``; the chosen workflow's name. An open chat (clicked, or a ``?thread=``
    link) shows the workflow its run recorded."""
    names = _runnable(rt.data_dir)
    thread = st.session_state.get("thread") or st.query_params.get("thread")
    if thread and st.session_state.get("picker_thread") != thread:
        st.session_state["picker_thread"] = thread
        info = rt.runs.thread(thread)
        if info is not None and info.workflow in names:
            st.session_state[CHAT_WORKFLOW] = info.workflow
    if st.session_state.get(CHAT_WORKFLOW) not in names:
        st.session_state[CHAT_WORKFLOW] = DEFAULT
    return str(
        where.selectbox(
            "Workflow",
            names,
            key=CHAT_WORKFLOW,
            on_change=_changed,
            help="Which workflow answers: the built-in team, an example, or yours (see the Workflows page).",
        )
    )


def chosen_workflow(data_dir: Path) -> Workflow:
    return WorkflowLibrary(data_dir).load(st.session_state.get(CHAT_WORKFLOW, DEFAULT))


def open_thread(thread_id: str, workflow_name: str, data_dir: Path) -> None:
    """A past thread was clicked (a button callback): show it, and pick the workflow its run recorded."""
    st.session_state["thread"] = thread_id
    if workflow_name in _runnable(data_dir):
        st.session_state[CHAT_WORKFLOW] = workflow_name
