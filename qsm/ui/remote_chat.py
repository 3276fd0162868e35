"""The Chat page when the app uses a server (``[ui] server``): the same chat, its runs on the ``qsm serve``
through :class:`~qsm.ui.server_client.ServerClient`. The sidebar lists the threads the server keeps for
the key's user; a question is a background run on the server whose events the page streams into the same
steps and answer card as in-process runs; Stop cancels it, Resume and an answer to a waiting run resume it
there. Renaming, deleting, ratings, branches and uploads need the server's data dir: they are not offered."""

from __future__ import annotations

import time

import streamlit as st

from qsm.graph.events import RunResult
from qsm.graph.turns import Turn
from qsm.ui import services
from qsm.ui.answer_card import copy_button, esc_stops
from qsm.ui.approval import approval_box
from qsm.ui.run_view import RunView, render_cost, render_final, render_trace
from qsm.ui.server_client import RemoteRun, RemoteThread, ServerClient, ServerError
from qsm.ui.thread_list import day_group, matches, thread_label
from qsm.ui.workflow_picker import CHAT_WORKFLOW, DEFAULT

__all__ = ["body"]

FINISHED = ("ok", "rejected", "budget_exhausted", "failed")
_ASKED = "remote_asked"  # run id -> the question this session asked in it
_FOLLOWED = "remote_followed"  # thread id -> the run of it this session last drew from its events


def body(client: ServerClient) -> None:
    """The chat page on ``client``'s server (a server that is down or refuses the key raises
    :class:`ServerError` here, before anything else is drawn)."""
    workflows = client.workflows()
    sidebar(client, workflows)
    workflow = str(st.session_state.get(CHAT_WORKFLOW, DEFAULT))
    st.title("Ask the team" if workflow == DEFAULT else f"Chat with {workflow}")
    st.caption(f"Answered by the qsm server at {client.url}")
    esc_stops()
    thread = services.current_thread()
    if error := st.session_state.pop("chat_error", None):
        st.error(error)
    prompt = st.chat_input("Ask the team…")
    if prompt is not None and not prompt.strip():
        st.warning("Your message is empty: type a question in the box below, then press Enter.", icon="✏️")
    elif prompt:
        thread = ask(client, thread, prompt, workflow) or thread
    if thread:
        show_conversation(client, thread)


def sidebar(client: ServerClient, workflows: list[str]) -> None:
    with st.sidebar:
        st.caption(f"Server: `{client.url}`")
        if st.button("New chat", icon=":material/add:", width="stretch"):
            st.session_state.pop("thread", None)
        if st.session_state.get(CHAT_WORKFLOW) not in workflows:
            st.session_state[CHAT_WORKFLOW] = DEFAULT if DEFAULT in workflows else workflows[0]
        st.selectbox(
            "Workflow",
            workflows,
            key=CHAT_WORKFLOW,
            on_change=lambda: st.session_state.pop("thread", None),
            help="Which of the server's workflows answers a new chat.",
        )
        thread_list(client)


def thread_list(client: ServerClient) -> None:
    """The user's chats on the server, newest first under their day; the search box keeps those whose
    question has every word."""
    st.subheader("Chats")
    query = st.text_input(
        "Search chats",
        key="chat_search",
        placeholder="Search chats",
        icon=":material/search:",
        label_visibility="collapsed",
    )
    shown = [t for t in client.threads(200) if matches(query, t.request)][:50]
    if query and not shown:
        st.caption(f"No chat matches “{query}”.")
    day = None
    for info in shown:
        if (group := day_group(info.updated_at, time.time())) != day:
            day = group
            st.caption(group)
        st.button(
            _label(info),
            key=f"thread-{info.thread_id}",
            width="stretch",
            help=f"{info.request[:300]}\n\n{info.thread_id} · {info.status} · workflow {info.workflow}"
            + (f"\n\n{info.error}" if info.error else ""),
            on_click=_open,
            args=(info.thread_id, info.workflow),
        )


def _label(info: RemoteThread) -> str:
    busy = info.status == "busy"
    return thread_label(info.request, "running" if busy else info.status, live=busy)


def _open(thread_id: str, workflow: str) -> None:
    st.session_state["thread"] = thread_id
    st.session_state[CHAT_WORKFLOW] = workflow


def ask(client: ServerClient, thread_id: str | None, prompt: str, workflow: str) -> str | None:
    """Ask ``prompt`` as the next turn of the open chat (a new chat without one) on the server; the chat's
    thread id, or None when it could not start (the reason is shown)."""
    try:
        if thread_id is not None:
            if client.live(thread_id) is not None:
                st.warning(
                    "This chat's run is still going: wait for its answer, or stop it first.", icon="⏳"
                )
                return None
            state = client.state(thread_id)
            if state is not None and state.workflow:  # a conversation keeps the workflow it started with
                workflow = state.workflow
        run = client.ask(prompt, workflow=workflow, thread_id=thread_id)
    except ServerError as err:
        st.error(f"**{err.message}**" + (f"\n\n{err.hint}" if err.hint else ""))
        return None
    st.session_state.setdefault(_ASKED, {})[run.run_id] = prompt
    st.session_state.setdefault(_FOLLOWED, {})[run.thread_id] = run.run_id  # drawn even if it ends at once
    st.session_state["thread"] = run.thread_id
    st.query_params["thread"] = run.thread_id
    return run.thread_id


def show_conversation(client: ServerClient, thread_id: str) -> None:
    """Every turn of the thread as the server has it. The thread's last run, while it goes on the server
    or once this session followed it, is drawn from its events (its steps, then its answer): the page
    follows it from its first event, live until it ends."""
    try:
        runs = client.runs(thread_id)  # before the state: a run that ended in between shows its end
    except ServerError as err:
        if err.status != 404:
            raise
        runs = []
    state = client.state(thread_id)
    if state is None:  # not this user's, or never was
        st.warning(f"No thread {thread_id}.")
        st.session_state.pop("thread", None)
        return
    turns = state.turns
    run = runs[-1] if runs else None
    if run is None or (run.finished and st.session_state.get(_FOLLOWED, {}).get(thread_id) != run.run_id):
        for turn in turns[:-1]:
            show_turn(turn)
        if turns:
            _question(turns[-1].question)
        with st.chat_message("assistant"):
            show_result(state.result, thread_id)
        return
    question = st.session_state.get(_ASKED, {}).get(run.run_id)
    if turns and (run.kind == "resume" or turns[-1].question == question or turns[-1].answer is None):
        question = question or turns[-1].question  # the run's turn, once the run has recorded it
        turns = turns[:-1]
    for turn in turns:
        show_turn(turn)
    if question:
        _question(question)
    with st.chat_message("assistant"):
        follow(client, run)


def _question(text: str) -> None:
    with st.chat_message("user"):
        st.markdown(text)


def show_turn(turn: Turn) -> None:
    _question(turn.question)
    with st.chat_message("assistant"):
        if turn.answer is not None:
            st.markdown(turn.answer)
        else:
            st.caption(f"No answer ({turn.status}).")


def show_result(result: RunResult | None, thread_id: str, *, trace: bool = True) -> None:
    if result is None:
        st.caption("No answer yet.")
        return
    if result.status == "running":  # no run goes on the server: it was stopped
        result = result.model_copy(update={"status": "interrupted"})
    card = render_final(st, result)
    if card is not None and result.final is not None:
        copy_button(card.container(horizontal=True, vertical_alignment="center"), result.final.text)
    render_cost(st, result)
    if trace:  # a run drawn from its events shows its messages in its steps
        render_trace(st, result)
    if result.status not in FINISHED and not approval_box(None, result, on_answer=_answer):
        st.button(
            "Resume this run",
            key=f"resume-{thread_id}",
            icon=":material/play_arrow:",
            on_click=_resume,
            args=(thread_id,),
        )


def follow(client: ServerClient, run: RemoteRun) -> None:
    """Draw the run's events from its first into its steps, live until it ends, then its answer. Leaving
    the page stops only the drawing, never the run; a run that went while the page drew it is drawn once
    more at its end (the sidebar then shows how it ended)."""
    st.session_state.setdefault(_FOLLOWED, {})[run.thread_id] = run.run_id
    stop = st.empty()
    if not run.finished:
        stop.button(
            "Stop",
            icon=":material/stop:",
            key="stop",
            help="Stops the run at its next token; resume it later from its thread.",
            on_click=_stop,
            args=(run.thread_id,),
        )
    waiting = st.empty()
    if run.status == "pending":
        waiting.caption("Waiting for a free worker on the server: other runs are going.")
    view = RunView(st.container())
    try:
        for event in client.events(run.thread_id, run.run_id):
            waiting.empty()
            view.handle(event)
    except ServerError as err:
        if err.status != 410:  # 410: the server no longer keeps the run's events; the thread has its answer
            raise
    stop.empty()
    if not run.finished and st.session_state.get("redrawn_for") != run.run_id:
        st.session_state["redrawn_for"] = run.run_id
        st.rerun()
    ended = client.run(run.thread_id, run.run_id)
    if ended.status == "error":
        st.error(f"**The run stopped with an error:** {ended.error}\n\nResume it, or ask again.")
    if view.result is None:
        state = client.state(run.thread_id)
        show_result(state.result if state is not None else None, run.thread_id)
    else:
        show_result(view.result, run.thread_id, trace=False)


def _stop(thread_id: str) -> None:
    client = services.server()
    if client is None:
        return
    try:
        client.stop(thread_id)
    except ServerError as err:
        st.session_state["chat_error"] = err.message


def _resume(thread_id: str) -> None:
    _act(thread_id, None)


def _answer(thread_id: str, answer: str) -> None:
    _act(thread_id, answer)


def _act(thread_id: str, answer: str | None) -> None:
    client = services.server()
    if client is None:
        return
    try:
        run = client.resume(thread_id, answer=answer)
        st.session_state.setdefault(_FOLLOWED, {})[thread_id] = run.run_id  # drawn even if it ends at once
    except ServerError as err:
        st.session_state["chat_error"] = err.message + (f" ({err.hint})" if err.hint else "")
