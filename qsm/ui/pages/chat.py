"""Chat with the team: streaming steps per agent, stop and resume, thread history, uploads to memory."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from typing import Any

import streamlit as st

from qsm.errors import InvalidUserIdError
from qsm.graph import ChannelBook, RunEvent, Workflow, load_result, stream, stream_resume
from qsm.graph.runtime import Runtime
from qsm.ui import services
from qsm.ui.graph_view import topology_dot
from qsm.ui.run_view import RunView, render_cost, render_final, render_trace
from qsm.ui.thread_list import thread_label
from qsm.ui.workflow_picker import chosen_workflow, open_thread, workflow_picker
from qsm.userid import check_user_id

FINISHED = ("ok", "rejected", "budget_exhausted", "failed")


def sidebar(rt: Runtime) -> None:
    with st.sidebar:
        if st.button("New chat", icon=":material/add:", width="stretch"):
            st.session_state.pop("thread", None)
            st.session_state["conversation"] = []
        workflow_picker(st, rt.data_dir)
        st.session_state["user"] = st.text_input("You are", value=st.session_state.get("user", "local"))
        try:
            check_user_id(st.session_state["user"])
        except InvalidUserIdError as err:
            st.error(f"{err.message}\n\n{err.hint}")
        st.subheader("Threads")
        live = services.live_threads()
        for info in rt.runs.threads(25):
            st.button(
                thread_label(info.request, info.status, live=info.thread_id in live),
                key=f"thread-{info.thread_id}",
                width="stretch",
                help=f"{info.request[:300]}\n\n{info.thread_id} · {info.status} · workflow {info.workflow}",
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


def show_thread(rt: Runtime, thread_id: str) -> None:
    loaded = load_result(thread_id, rt)
    if loaded is None:
        st.warning(f"No thread {thread_id}.")
        return
    result, _ = loaded
    info = rt.runs.thread(thread_id)
    with st.chat_message("user"):
        st.markdown(info.request if info else "")
    with st.chat_message("assistant"):
        if info is not None and st.session_state.get("resume") == thread_id:
            # Resume was clicked: the resumed run replaces the stopped one's warning and buttons
            del st.session_state["resume"]
            workflow = Workflow.from_yaml(info.workflow_yaml)
            drive(rt, stream_resume(thread_id, runtime=rt), workflow, thread_id)
            return
        live = thread_id in services.live_threads()
        if result.status == "running" and not live:
            result = result.model_copy(update={"status": "interrupted"})  # stopped, or its app process died
        render_final(st, result)
        render_cost(st, result)
        render_trace(st, result)
        if info is not None and result.status not in FINISHED:
            if live:
                st.info("This run is still going in another tab or session.")
            else:
                st.button(
                    "Resume this run",
                    key=f"resume-{thread_id}",
                    icon=":material/play_arrow:",
                    on_click=_ask_resume,
                    args=(thread_id,),
                )


def _ask_resume(thread_id: str) -> None:
    st.session_state["resume"] = thread_id


def drive(rt: Runtime, events: Iterator[RunEvent], workflow: Workflow, thread_id: str) -> None:
    """Show a run's events as they come; ``thread_id`` counts as live (not stopped) meanwhile."""
    stop = st.empty()
    stop.button(
        "Stop",
        icon=":material/stop:",
        key="stop",
        help="Stops the run; resume it later from its thread.",
        on_click=_stop_clicked,
        args=(rt, thread_id),
    )
    left, right = st.columns([3, 2])
    live = right.empty()
    book = rt.channel_book(workflow)
    view = RunView(left)
    live_threads = services.live_threads()
    live_threads.add(thread_id)
    try:
        for event in events:
            view.handle(event)
            show_live_graph(live, event, workflow, book)
    finally:
        live_threads.discard(thread_id)
        # Stop (or leaving the page) raises inside the loop: closing the run here marks its thread
        # interrupted at once, not whenever the abandoned generator is collected
        close = getattr(events, "close", None)
        if close is not None:
            close()
    stop.empty()
    live.graphviz_chart(topology_dot(workflow, book.channels(), compact=True), width="stretch")
    if view.result is not None:
        conversation = st.session_state.setdefault("conversation", [])
        if view.result.thread_id not in conversation:
            conversation.append(view.result.thread_id)
        render_final(left, view.result)
        render_cost(left, view.result)


def _stop_clicked(rt: Runtime, thread_id: str) -> None:
    """Stop's click starts a new script run at once, and this callback runs first in it, while the
    stopped run still winds down in its own script thread (Streamlit stops that one at its next element).
    The thread counts as stopped from here; a short wait lets the run record that before the page draws."""
    services.live_threads().discard(thread_id)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        info = rt.runs.thread(thread_id)
        if info is None or info.status != "running":
            break
        time.sleep(0.1)


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
    if thread := st.session_state.get("thread"):
        show_thread(rt, thread)
        return
    for past in st.session_state.get("conversation", []):
        show_thread(rt, past)
    prompt = st.chat_input("Ask the team…")
    if prompt is not None and not prompt.strip():
        st.warning("Your message is empty: type a question in the box below, then press Enter.", icon="✏️")
    elif prompt:
        with st.chat_message("user"):
            st.markdown(prompt)
        with st.chat_message("assistant"):
            thread_id = uuid.uuid4().hex[:12]
            user = st.session_state.get("user", "local")
            drive(
                rt, stream(workflow, prompt, runtime=rt, thread_id=thread_id, user=user), workflow, thread_id
            )


services.guarded(body)
