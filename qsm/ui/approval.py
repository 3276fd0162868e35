"""The chat's answer box for a run that asks the user (status ``waiting``, :mod:`qsm.graph.human`): its
question, Approve / Reject when it asks yes or no, and a text answer; answering resumes the run in the
app's run manager, which the page then follows."""

from __future__ import annotations

from typing import TYPE_CHECKING

import streamlit as st

from qsm.errors import QsmError
from qsm.ui import services

if TYPE_CHECKING:
    from qsm.graph import RunResult, Runtime

__all__ = ["answer_run", "approval_box"]


def approval_box(rt: Runtime, result: RunResult) -> bool:
    """Draw the question and answer controls of a waiting run; False (nothing drawn) for any other run."""
    if result.status != "waiting":
        return False
    thread_id = result.thread_id
    with st.container(border=True):
        st.markdown("**The run asks you**")
        st.text(result.question or "")  # plain text: a question quotes model output
        if [c.lower() for c in result.choices] == ["yes", "no"]:
            row = st.container(horizontal=True, gap="small")
            row.button(
                "Approve",
                key=f"approve-{thread_id}",
                icon=":material/check:",
                type="primary",
                on_click=answer_run,
                args=(rt, thread_id, "yes"),
            )
            row.button(
                "Reject",
                key=f"reject-{thread_id}",
                icon=":material/close:",
                on_click=answer_run,
                args=(rt, thread_id, "no"),
            )
        key = f"answer-text-{thread_id}"
        st.text_input("Your answer", key=key)
        st.button(
            "Send answer",
            key=f"answer-send-{thread_id}",
            icon=":material/send:",
            on_click=_send_typed,
            args=(rt, thread_id, key),
        )
    return True


def answer_run(rt: Runtime, thread_id: str, answer: str) -> None:
    """Resume the waiting run with ``answer`` in the run manager (an error shows above the chat)."""
    try:
        services.run_manager().resume(rt, thread_id, answer=answer)
    except QsmError as err:
        st.session_state["chat_error"] = err.message


def _send_typed(rt: Runtime, thread_id: str, key: str) -> None:
    answer = str(st.session_state.get(key) or "").strip()
    if answer:
        answer_run(rt, thread_id, answer)
