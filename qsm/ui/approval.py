"""The chat's answer box for a run that asks the user (status ``waiting``, :mod:`qsm.graph.human`): its
question, Approve / Reject when it asks yes or no, and a text answer; answering resumes the run in the
app's run manager, which the page then follows."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING

import streamlit as st

from qsm.errors import QsmError
from qsm.ui import services

if TYPE_CHECKING:
    from qsm.graph import RunResult, Runtime

__all__ = ["answer_run", "approval_box"]


def approval_box(
    rt: Runtime | None, result: RunResult, *, on_answer: Callable[[str, str], None] | None = None
) -> bool:
    """Draw the question and answer controls of a waiting run; False (nothing drawn) for any other run.
    An answer resumes the run in the app's run manager on ``rt``, or goes to ``on_answer(thread_id,
    answer)`` when given (the app in server mode sends it to the server)."""
    if result.status != "waiting":
        return False
    thread_id = result.thread_id
    if on_answer is None:
        if rt is None:
            raise TypeError("approval_box needs a runtime or on_answer")
        on_answer = partial(answer_run, rt)
    send = on_answer
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
                on_click=send,
                args=(thread_id, "yes"),
            )
            row.button(
                "Reject",
                key=f"reject-{thread_id}",
                icon=":material/close:",
                on_click=send,
                args=(thread_id, "no"),
            )
        key = f"answer-text-{thread_id}"
        st.text_input("Your answer", key=key)
        st.button(
            "Send answer",
            key=f"answer-send-{thread_id}",
            icon=":material/send:",
            on_click=_send_typed,
            args=(send, thread_id, key),
        )
    return True


def answer_run(rt: Runtime, thread_id: str, answer: str) -> None:
    """Resume the waiting run with ``answer`` in the run manager (an error shows above the chat)."""
    try:
        services.run_manager().resume(rt, thread_id, answer=answer)
    except QsmError as err:
        st.session_state["chat_error"] = err.message


def _send_typed(send: Callable[[str, str], None], thread_id: str, key: str) -> None:
    answer = str(st.session_state.get(key) or "").strip()
    if answer:
        send(thread_id, answer)
