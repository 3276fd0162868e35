"""Chat with the team: a conversation per thread, each chat at its own URL (``?thread=``), runs that go on
in the app's run manager while pages come and go (any tab follows them), Stop at the next token and
resume, thread history, uploads to memory."""

from __future__ import annotations

import uuid
from typing import Any

import streamlit as st

from qsm.errors import InvalidUserIdError, QsmError
from qsm.graph import ChannelBook, RunEvent, Workflow, load_result
from qsm.graph.run_manager import LiveRun
from qsm.graph.runtime import Runtime
from qsm.graph.turn_history import thread_turns
from qsm.graph.turns import Turn
from qsm.ui import services
from qsm.ui.graph_view import topology_dot
from qsm.ui.run_view import RunView, render_cost, render_final, render_trace
from qsm.ui.thread_list import status_words, thread_label
from qsm.ui.workflow_picker import chosen_workflow, open_thread, workflow_picker
from qsm.userid import check_user_id

FINISHED = ("ok", "rejected", "budget_exhausted", "failed")


def sidebar(rt: Runtime) -> None:
    with st.sidebar:
        if st.button("New chat", icon=":material/add:", width="stretch"):
            st.session_state.pop("thread", None)
            st.session_state["conversation"] = []
        workflow_picker(st, rt)
        st.session_state["user"] = st.text_input("You are", value=st.session_state.get("user", "local"))
        try:
            check_user_id(st.session_state["user"])
        except InvalidUserIdError as err:
            st.error(f"{err.message}\n\n{err.hint}")
        st.subheader("Threads")
        live = services.live_threads()
        drawn = st.session_state["threads_drawn"] = {}
        for info in rt.runs.threads(25):
            drawn[info.thread_id] = thread_label(info.request, info.status, live=info.thread_id in live)
            st.button(
                drawn[info.thread_id],
                key=f"thread-{info.thread_id}",
                width="stretch",
                help=f"{info.request[:300]}\n\n{info.thread_id} · {info.status} · workflow {info.workflow}"
                + (f"\n\n{info.error}" if info.error else ""),
                on_click=open_thread,
                args=(info.thread_id, info.workflow, rt.data_dir),
            )
        upload_to_memory(rt)


def upload_to_memory(rt: Runtime) -> None:
    """The upload box, shown only when the runtime has a memory."""
    memory = rt.memory
    if memory is None:
        return
    files = st.file_uploader("Add documents to memory", type=["txt", "md", "pdf"], accept_multiple_files=True)
    topic = st.text_input("Topic", value="uploads")
    if files and st.button("Ingest", icon=":material/upload:"):
        from qsm.ui.uploads import saved_upload

        for f in files:
            # the browser's file name is never a path: saved_upload picks a private place for the bytes
            with saved_upload(f.getvalue(), f.name, rt.data_dir / "uploads") as path:
                report = memory.ingest(path, under=f"/knowledge/{topic}", as_agent="user")
            st.success(
                f"{path.name}: {report.added} chunk(s) added to {report.under}, {report.skipped} already there"
            )


def current_thread() -> str | None:
    """The open chat: the URL's ``?thread=`` on a session's first run (a reload, a link, a second tab), then
    the session's choice (a thread clicked, New chat), written back into the URL: each chat has its link."""
    if not st.session_state.get("thread_from_url"):
        st.session_state["thread_from_url"] = True
        if url := st.query_params.get("thread"):
            st.session_state["thread"] = url
    thread = st.session_state.get("thread")
    if thread and st.query_params.get("thread") != thread:
        st.query_params["thread"] = thread
    elif not thread and "thread" in st.query_params:
        del st.query_params["thread"]
    return thread


def this_runs(rt: Runtime, thread_id: str) -> LiveRun | None:
    """The thread's last run in this app's run manager (going or finished), if it ran on ``rt``'s data."""
    run = services.run_manager().get(thread_id)
    return run if run is not None and run.data_dir == str(rt.data_dir) else None


def show_conversation(rt: Runtime, thread_id: str) -> None:
    """Every turn of the thread: the earlier ones as question and answer, the last one in full; while its
    run goes (started from this page, another page or another tab) the page follows it from its first event."""
    info = rt.runs.thread(thread_id)
    run = this_runs(rt, thread_id)
    if info is None and run is None:
        st.warning(f"No thread {thread_id}.")
        return
    turns = thread_turns(thread_id, rt) if info is not None else []
    if run is None:
        for turn in turns[:-1]:
            show_turn(turn)
        show_last_turn(rt, thread_id, turns[-1].question if turns else info.request if info else "")
        return
    # the run's turn is the thread's last once the run has recorded it (a new turn waiting in the queue
    # has not yet); an unfinished last turn on a thread with a run going is that run's
    last = turns[-1] if turns else None
    if last is not None and last.question == run.question and (run.finished or last.answer is None):
        turns = turns[:-1]
    for turn in turns:
        show_turn(turn)
    with st.chat_message("user"):
        st.markdown(run.question)
    with st.chat_message("assistant"):
        info = rt.runs.thread(thread_id)
        workflow = Workflow.from_yaml(info.workflow_yaml) if info is not None else Workflow.default()
        follow(rt, run, workflow)


def show_turn(turn: Turn) -> None:
    with st.chat_message("user"):
        st.markdown(turn.question)
    with st.chat_message("assistant"):
        if turn.answer is not None:
            st.markdown(turn.answer)
        else:
            st.caption(f"No answer: {status_words(turn.status, live=False)[0]}.")


def show_last_turn(rt: Runtime, thread_id: str, question: str) -> None:
    """The thread's last turn in full, as the run store has it (no run of this app drives it)."""
    loaded = load_result(thread_id, rt)
    if loaded is None:
        return
    result, _ = loaded
    with st.chat_message("user"):
        st.markdown(question)
    with st.chat_message("assistant"):
        if result.status == "running":
            result = result.model_copy(update={"status": "interrupted"})  # stopped, or its app process died
        render_final(st, result)
        render_cost(st, result)
        render_trace(st, result)
        if result.status not in FINISHED:
            resume_button(rt, thread_id)


def resume_button(rt: Runtime, thread_id: str) -> None:
    st.button(
        "Resume this run",
        key=f"resume-{thread_id}",
        icon=":material/play_arrow:",
        on_click=_resume_clicked,
        args=(rt, thread_id),
    )


def _resume_clicked(rt: Runtime, thread_id: str) -> None:
    """Resume in the run manager; the page that reruns now follows it (the stopped run's warning and
    buttons are not drawn again)."""
    try:
        services.run_manager().resume(rt, thread_id)
    except QsmError as err:
        st.session_state["chat_error"] = err.message


def follow(rt: Runtime, run: LiveRun, workflow: Workflow) -> None:
    """Draw a run's events from its first one, then follow it live until it ends: leaving or reloading the
    page stops only the drawing, never the run."""
    stop = st.empty()
    if not run.finished:
        stop.button(
            "Stop",
            icon=":material/stop:",
            key="stop",
            help="Stops the run at its next token; resume it later from its thread.",
            on_click=_stop_clicked,
            args=(run.thread_id,),
        )
    left, right = st.columns([3, 2])
    live = right.empty()
    book = rt.channel_book(workflow)
    view = RunView(left)
    waiting = left.empty()
    for event in run.follow(poll_s=0.5):
        if event is None:  # nothing new for a while: a write lets Streamlit end this script if it must
            if run.phase == "queued":
                waiting.caption("Waiting for a free worker: other runs are going.")
            else:
                waiting.empty()
            continue
        waiting.empty()
        view.handle(event)
        show_live_graph(live, event, workflow, book)
    if _sidebar_is_stale(rt, run):  # drawn while the run went: once more, with the run's status now
        st.rerun()
    stop.empty()
    live.graphviz_chart(topology_dot(workflow, book.channels(), compact=True), width="stretch")
    if run.error is not None:
        left.error(f"**{run.error.message}**" + (f"\n\n{run.error.hint}" if run.error.hint else ""))
    if view.result is not None:
        render_final(left, view.result)
        render_cost(left, view.result)
        if view.result.status not in FINISHED:
            with left:
                resume_button(rt, run.thread_id)


def _sidebar_is_stale(rt: Runtime, run: LiveRun) -> bool:
    """Whether the sidebar shows the run's thread otherwise than it stands now (it was drawn while the run
    went, or before it started); true at most once per run, so that a page redraws once."""
    info = rt.runs.thread(run.thread_id)
    if info is None or st.session_state.get("redrawn_for") == (run.thread_id, run.started):
        return False
    now = thread_label(info.request, info.status, live=run.thread_id in services.live_threads())
    if st.session_state.get("threads_drawn", {}).get(run.thread_id) == now:
        return False
    st.session_state["redrawn_for"] = (run.thread_id, run.started)
    return True


def _stop_clicked(thread_id: str) -> None:
    """Stop's click: the run stops at its next token (in the run manager's worker); the page that reruns
    now follows it to its end and offers Resume."""
    services.run_manager().stop(thread_id)


def start_turn(rt: Runtime, thread_id: str | None, prompt: str, workflow: Workflow) -> str | None:
    """Ask ``prompt`` as the next turn of the open chat (a new chat without one) in the run manager; the
    chat's thread id, or None when the chat has a run going."""
    manager = services.run_manager()
    if thread_id is not None and manager.live(thread_id) is not None:
        st.warning("This chat's run is still going: wait for its answer, or stop it first.", icon="⏳")
        return None
    info = rt.runs.thread(thread_id) if thread_id else None
    if info is not None:  # a conversation keeps the workflow it started with
        workflow = Workflow.from_yaml(info.workflow_yaml)
    thread_id = thread_id or uuid.uuid4().hex[:12]
    user = st.session_state.get("user", "local")
    manager.ask(rt, prompt, workflow=workflow, thread_id=thread_id, user=user)
    st.session_state["thread"] = thread_id
    st.query_params["thread"] = thread_id
    return thread_id


def show_live_graph(live: Any, event: RunEvent, workflow: Workflow, book: ChannelBook) -> None:
    if event.type == "step":
        live.graphviz_chart(
            topology_dot(workflow, book.channels(), active_agent=event.agent, compact=True), width="stretch"
        )
    elif event.type == "message":
        env = event.envelope
        live.graphviz_chart(
            topology_dot(
                workflow,
                book.channels(),
                active_agent=env.source,
                active_channel=f"{env.source}->{env.target}:{env.type}",
                compact=True,
            ),
            width="stretch",
        )


def body() -> None:
    rt = services.runtime()
    sidebar(rt)
    workflow = chosen_workflow(rt.data_dir)
    if workflow.name == "team":
        st.title("Ask the team")
        st.caption("QSM plans and routes · SOM budgets · WeQ drafts · Ref verifies · QSM collapses")
    else:
        st.title(f"Chat with {workflow.name}")
        st.caption(workflow.description or f"{workflow.kind}: {', '.join(a.name for a in workflow.agents)}")
    thread = current_thread()
    if error := st.session_state.pop("chat_error", None):
        st.error(error)
    prompt = st.chat_input("Ask the team…")
    if prompt is not None and not prompt.strip():
        st.warning("Your message is empty: type a question in the box below, then press Enter.", icon="✏️")
    elif prompt:  # the next turn of the open chat, or a new chat
        thread = start_turn(rt, thread, prompt, workflow) or thread
    if thread:
        show_conversation(rt, thread)


services.guarded(body)
