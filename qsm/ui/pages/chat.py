"""Chat with the team: streaming steps per agent, stop and resume, thread history, uploads to memory."""

from __future__ import annotations

from typing import Any

import streamlit as st

from qsm.errors import InvalidUserIdError
from qsm.graph import Workflow, load_result, stream, stream_resume
from qsm.graph.runtime import Runtime
from qsm.ui import services
from qsm.ui.graph_view import topology_dot
from qsm.ui.run_view import RunView, render_cost, render_final, render_trace
from qsm.userid import check_user_id

FINISHED = ("ok", "rejected", "budget_exhausted", "failed")


def sidebar(rt: Runtime) -> None:
    with st.sidebar:
        if st.button("New chat", icon=":material/add:", width="stretch"):
            st.session_state.pop("thread", None)
            st.session_state["conversation"] = []
        st.session_state["user"] = st.text_input("You are", value=st.session_state.get("user", "local"))
        try:
            check_user_id(st.session_state["user"])
        except InvalidUserIdError as err:
            st.error(f"{err.message}\n\n{err.hint}")
        st.subheader("Threads")
        for info in rt.runs.threads(25):
            mark = {"ok": "✅", "interrupted": "⏸️", "running": "⏸️", "budget_exhausted": "⏳"}.get(
                info.status, "•"
            )
            if st.button(
                f"{mark} {info.request[:38]}",
                key=f"thread-{info.thread_id}",
                width="stretch",
                help=f"{info.thread_id} · {info.status}",
            ):
                st.session_state["thread"] = info.thread_id
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
        render_final(st, result)
        render_cost(st, result)
        render_trace(st, result)
        if (
            info is not None
            and result.status not in FINISHED
            and st.button("Resume this run", key=f"resume-{thread_id}", icon=":material/play_arrow:")
        ):
            drive(rt, stream_resume(thread_id, runtime=rt), Workflow.from_yaml(info.workflow_yaml))


def drive(rt: Runtime, events: Any, workflow: Workflow) -> None:
    st.button(
        "Stop", icon=":material/stop:", key="stop", help="Stops the run; resume it later from its thread."
    )
    left, right = st.columns([3, 2])
    live = right.empty()
    book = rt.channel_book(workflow)
    view = RunView(left)
    for event in events:
        view.handle(event)
        if event.type == "step":
            live.graphviz_chart(topology_dot(workflow, book.channels(), active_agent=event.agent))
        elif event.type == "message":
            env = event.model_dump()["envelope"]
            live.graphviz_chart(
                topology_dot(
                    workflow,
                    book.channels(),
                    active_agent=env["source"],
                    active_channel=f"{env['source']}->{env['target']}:{env['type']}",
                )
            )
    live.graphviz_chart(topology_dot(workflow, book.channels()))
    if view.result is not None:
        st.session_state.setdefault("conversation", []).append(view.result.thread_id)
        render_final(left, view.result)
        render_cost(left, view.result)


def body() -> None:
    rt = services.runtime()
    sidebar(rt)
    st.title("Ask the team")
    st.caption("QSM plans and routes · SOM budgets · WeQ drafts · Ref verifies · QSM collapses")
    if thread := st.session_state.get("thread"):
        show_thread(rt, thread)
        return
    for past in st.session_state.get("conversation", []):
        show_thread(rt, past)
    prompt = st.chat_input("Ask the team…")
    if prompt:
        with st.chat_message("user"):
            st.markdown(prompt)
        with st.chat_message("assistant"):
            workflow = Workflow.default()
            drive(
                rt, stream(workflow, prompt, runtime=rt, user=st.session_state.get("user", "local")), workflow
            )


services.guarded(body)
