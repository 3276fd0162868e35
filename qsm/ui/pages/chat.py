"""Chat with the team: a conversation per thread, each chat at its own URL (``?thread=``), runs that go on
in the app's run manager while pages come and go (any tab follows them), Stop at the next token and
resume, thread history, uploads to memory."""

from __future__ import annotations

import time
import uuid
from typing import Any

import streamlit as st

from qsm.errors import InvalidUserIdError, QsmError
from qsm.graph import ChannelBook, RunEvent, RunResult, Workflow, load_result
from qsm.graph.checkpoint import ThreadInfo
from qsm.graph.run_manager import LiveRun
from qsm.graph.runner import stream
from qsm.graph.runtime import Runtime
from qsm.graph.thread_notes import delete_thread
from qsm.graph.turn_history import thread_turns, turn_starts
from qsm.graph.turns import Turn
from qsm.store.refine import RefineProgress
from qsm.ui import remote_chat, services
from qsm.ui.answer_card import copy_button, esc_stops
from qsm.ui.approval import approval_box
from qsm.ui.graph_view import dark_theme, topology_dot
from qsm.ui.login import own_threads, signed_in
from qsm.ui.run_view import RunView, render_cost, render_final, render_trace
from qsm.ui.thread_list import day_group, matches, status_words, thread_label
from qsm.ui.workflow_picker import chosen_workflow, open_thread, workflow_picker
from qsm.userid import check_user_id

FINISHED = ("ok", "rejected", "budget_exhausted", "failed")


def sidebar(rt: Runtime) -> None:
    with st.sidebar:
        if st.button("New chat", icon=":material/add:", width="stretch"):
            st.session_state.pop("thread", None)
            st.session_state["conversation"] = []
        workflow_picker(st, rt)
        if signed_in() is None:  # signed in, the session's user is its API key's
            st.session_state["user"] = st.text_input("You are", value=st.session_state.get("user", "local"))
            try:
                check_user_id(st.session_state["user"])
            except InvalidUserIdError as err:
                st.error(f"{err.message}\n\n{err.hint}")
        thread_list(rt)
        upload_to_memory(rt)


def thread_list(rt: Runtime) -> None:
    """The chats, newest first under their day: title (given, or the question), status in words, and a
    menu to rename or delete each; the search box keeps those whose title or question has every word."""
    st.subheader("Chats")
    query = st.text_input(
        "Search chats",
        key="chat_search",
        placeholder="Search chats",
        icon=":material/search:",
        label_visibility="collapsed",
    )
    titles = services.notes(rt).titles()
    live = services.live_threads()
    drawn = st.session_state["threads_drawn"] = {}
    mine = own_threads(rt.runs.threads(500))
    shown = [i for i in mine if matches(query, titles.get(i.thread_id, ""), i.request)][:50]
    if query and not shown:
        st.caption(f"No chat matches “{query}”.")
    day = None
    for info in shown:
        if (group := day_group(info.updated_at, time.time())) != day:
            day = group
            st.caption(group)
        drawn[info.thread_id] = _label(info, titles, live)
        name, menu = st.columns([5, 1], gap=None, vertical_alignment="center")
        name.button(
            drawn[info.thread_id],
            key=f"thread-{info.thread_id}",
            width="stretch",
            help=f"{info.request[:300]}\n\n{info.thread_id} · {info.status} · workflow {info.workflow}"
            + (f"\n\n{info.error}" if info.error else ""),
            on_click=open_thread,
            args=(info.thread_id, info.workflow, rt.data_dir),
        )
        with menu.popover(
            "", icon=":material/more_vert:", key=f"menu-{info.thread_id}", type="tertiary", on_change="rerun"
        ):
            st.text_input(
                "Title", value=titles.get(info.thread_id) or info.request[:200], key=f"title-{info.thread_id}"
            )
            st.button("Rename", key=f"rename-{info.thread_id}", on_click=_rename, args=(rt, info.thread_id))
            st.button(
                "Delete this chat",
                key=f"delete-{info.thread_id}",
                icon=":material/delete:",
                on_click=_delete,
                args=(rt, info.thread_id),
                help="Deletes its turns, every branch of them, its title and its ratings.",
            )


def _label(info: ThreadInfo, titles: dict[str, str], live: set[str]) -> str:
    return thread_label(titles.get(info.thread_id) or info.request, info.status, live=info.thread_id in live)


def _rename(rt: Runtime, thread_id: str) -> None:
    services.notes(rt).rename(thread_id, st.session_state.get(f"title-{thread_id}", ""))
    st.session_state[f"menu-{thread_id}"] = False


def _delete(rt: Runtime, thread_id: str) -> None:
    if services.run_manager().live(thread_id) is not None:
        st.session_state["chat_error"] = "This chat's run is still going: stop it before deleting the chat."
        return
    delete_thread(rt, thread_id, services.notes(rt))
    for key in (f"title-{thread_id}", f"menu-{thread_id}"):
        st.session_state.pop(key, None)
    if st.session_state.get("thread") == thread_id:
        st.session_state.pop("thread", None)


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
        target = f"/knowledge/{topic}"
        if rough := memory.rough_entries(target):  # searchable already; now the model's own vectors
            bar = st.progress(0.0, text=f"Refining {rough} chunk(s) with the embedding model…")

            def step(done: RefineProgress) -> None:
                bar.progress(min(1.0, done.refined / max(done.total, 1)))

            memory.refine(target, progress=step)
            bar.empty()


def _visible(rt: Runtime, thread_id: str) -> bool:
    """Whether the session may see the thread: a signed-in user only their own."""
    me = signed_in()
    info = rt.runs.thread(thread_id) if me is not None else None
    return info is None or info.user == me


def this_runs(rt: Runtime, thread_id: str) -> LiveRun | None:
    """The thread's last run in this app's run manager (going or finished), if it ran on ``rt``'s data."""
    run = services.run_manager().get(thread_id)
    return run if run is not None and run.data_dir == str(rt.data_dir) else None


def show_conversation(rt: Runtime, thread_id: str) -> None:
    """Every turn of the thread's current branch: the earlier ones as question and answer, the last one in
    full; while its run goes (started from this page, another page or another tab) the page follows it from
    its first event. A run that branches off (regenerate, an edited question) shows the turns it keeps."""
    info = rt.runs.thread(thread_id)
    run = this_runs(rt, thread_id)
    if info is None and (run is None or run.finished):  # never was, or deleted since its run
        st.warning(f"No thread {thread_id}.")
        return
    turns = thread_turns(thread_id, rt) if info is not None else []
    if run is None:
        for i, turn in enumerate(turns[:-1]):
            show_turn(rt, thread_id, i, turn)
        question = turns[-1].question if turns else info.request if info else ""
        show_last_turn(rt, thread_id, question, len(turns) - 1)
        return
    kept = services.branch_kept(run)
    # the run's turn is the thread's last once the run has recorded it (a new turn waiting in the queue
    # has not yet); an unfinished last turn on a thread with a run going is that run's
    last = turns[-1] if turns else None
    if kept is not None:
        turns = turns[:kept]
    elif last is not None and last.question == run.question and (run.finished or last.answer is None):
        turns = turns[:-1]
    for i, turn in enumerate(turns):
        show_turn(rt, thread_id, i, turn)
    user_message(rt, thread_id, len(turns), run.question, editable=run.finished)
    with st.chat_message("assistant"):
        info = rt.runs.thread(thread_id)
        workflow = Workflow.from_yaml(info.workflow_yaml) if info is not None else Workflow.default()
        follow(rt, run, workflow)


def user_message(rt: Runtime, thread_id: str, index: int, question: str, *, editable: bool = True) -> None:
    """Turn ``index``'s question, with an Edit menu: the edited question re-runs from there, as a new branch
    of the thread (the later turns leave the chat; they stay in the thread's history)."""
    with st.chat_message("user"):
        st.markdown(question)
        if not editable:
            return
        with st.popover(
            "Edit",
            icon=":material/edit:",
            key=f"edit-{thread_id}-{index}",
            type="tertiary",
            on_change="rerun",
        ):
            st.text_area("Your message", value=question, key=f"edit-text-{thread_id}-{index}")
            st.button(
                "Send and re-run from here",
                key=f"edit-send-{thread_id}-{index}",
                icon=":material/send:",
                on_click=_edited,
                args=(rt, thread_id, index),
            )


def show_turn(rt: Runtime, thread_id: str, index: int, turn: Turn) -> None:
    user_message(rt, thread_id, index, turn.question)
    with st.chat_message("assistant"):
        if turn.answer is not None:
            st.markdown(turn.answer)
        else:
            st.caption(f"No answer: {status_words(turn.status, live=False)[0]}.")


def show_last_turn(rt: Runtime, thread_id: str, question: str, index: int) -> None:
    """The thread's last turn in full, as the run store has it (no run of this app drives it)."""
    loaded = load_result(thread_id, rt)
    if loaded is None:
        return
    result, _ = loaded
    user_message(rt, thread_id, max(0, index), question, editable=index >= 0)
    with st.chat_message("assistant"):
        if result.status == "running":
            result = result.model_copy(update={"status": "interrupted"})  # stopped, or its app process died
        card = render_final(st, result)
        if card is not None:
            answer_actions(rt, card, result, question)
        render_cost(st, result)
        render_trace(st, result)
        if result.status not in FINISHED and not approval_box(rt, result):
            resume_button(rt, thread_id)


def answer_actions(rt: Runtime, card: Any, result: RunResult, question: str) -> None:
    """Under the last answer, in its card: Copy, thumbs up or down (kept with the thread as training data:
    ``qsm feedback export``), and Regenerate (the turn again, as a new branch)."""
    final, thread_id = result.final, result.thread_id
    if final is None or result.final_id is None:
        return
    row = card.container(horizontal=True, vertical_alignment="center", gap="small")
    copy_button(row, final.text)
    rating = services.notes(rt).rating(thread_id, result.final_id)
    key = f"thumbs-{thread_id}-{result.final_id}"
    row.feedback(
        "thumbs",
        key=key,
        default=None if rating is None else int(rating > 0),
        on_change=_rated,
        args=(rt, result, question, key),
    )
    row.button(
        "Regenerate",
        key=f"regenerate-{thread_id}",
        icon=":material/refresh:",
        type="tertiary",
        help="Ask this turn again: the new answer is a new branch (the old one stays in the history).",
        on_click=_regenerate,
        args=(rt, thread_id),
    )


def _rated(rt: Runtime, result: RunResult, question: str, key: str) -> None:
    value = st.session_state.get(key)
    info = rt.runs.thread(result.thread_id)
    services.notes(rt).rate(
        result.thread_id,
        result.final_id or "",
        None if value is None else (1 if value == 1 else -1),
        question=question,
        answer=result.final.text if result.final is not None else "",
        workflow=info.workflow if info is not None else "",
        user=st.session_state.get("user", "local"),
    )


def _regenerate(rt: Runtime, thread_id: str) -> None:
    turns = thread_turns(thread_id, rt)
    if turns:
        start_branch(rt, thread_id, len(turns) - 1, turns[-1].question)


def _edited(rt: Runtime, thread_id: str, index: int) -> None:
    st.session_state[f"edit-{thread_id}-{index}"] = False  # the Edit menu closes
    text = st.session_state.pop(f"edit-text-{thread_id}-{index}", "")
    if not text.strip():
        st.session_state["chat_error"] = "The edited message is empty: type a question, then send it."
        return
    start_branch(rt, thread_id, index, text)


def start_branch(rt: Runtime, thread_id: str, index: int, prompt: str) -> None:
    """Ask ``prompt`` in place of turn ``index`` of the thread: a run from that turn's start checkpoint, a
    new branch that keeps the turns before it. Any page then follows it."""
    manager = services.run_manager()
    info = rt.runs.thread(thread_id)
    starts = turn_starts(thread_id, rt) if info is not None else []
    if info is None or not 0 <= index < len(starts) or not starts[index]:
        st.session_state["chat_error"] = "That turn has no checkpoint to start from: ask it as a new message."
        return
    if manager.live(thread_id) is not None:
        st.session_state["chat_error"] = "This chat's run is still going: wait for its answer, or stop it."
        return
    workflow = Workflow.from_yaml(info.workflow_yaml)
    user = st.session_state.get("user", "local")
    start = starts[index]

    def events(cancel: Any) -> Any:
        return stream(
            workflow, prompt, runtime=rt, thread_id=thread_id, user=user, cancel=cancel, from_checkpoint=start
        )

    try:
        run = manager.start(thread_id, events, kind="ask", question=prompt, data_dir=str(rt.data_dir))
    except QsmError as err:
        st.session_state["chat_error"] = err.message
        return
    services.mark_branch(run, index)
    st.session_state["thread"] = thread_id


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
    live.graphviz_chart(
        topology_dot(workflow, book.channels(), compact=True, dark=dark_theme()), width="stretch"
    )
    if run.error is not None:
        left.error(f"**{run.error.message}**" + (f"\n\n{run.error.hint}" if run.error.hint else ""))
    if view.result is not None:
        card = render_final(left, view.result)
        if card is not None:
            answer_actions(rt, card, view.result, run.question)
        render_cost(left, view.result)
        if view.result.status not in FINISHED:
            with left:
                if not approval_box(rt, view.result):  # a run that asks you: its answer box, not Resume
                    resume_button(rt, run.thread_id)


def _sidebar_is_stale(rt: Runtime, run: LiveRun) -> bool:
    """Whether the sidebar shows the run's thread otherwise than it stands now (it was drawn while the run
    went, or before it started); true at most once per run, so that a page redraws once."""
    info = rt.runs.thread(run.thread_id)
    if info is None or st.session_state.get("redrawn_for") == (run.thread_id, run.started):
        return False
    now = _label(info, services.notes(rt).titles(), services.live_threads())
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
            topology_dot(
                workflow, book.channels(), active_agent=event.agent, compact=True, dark=dark_theme()
            ),
            width="stretch",
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
                dark=dark_theme(),
            ),
            width="stretch",
        )


def body() -> None:
    if (client := services.server()) is not None:  # [ui] server: the runs go on that server
        remote_chat.body(client)
        return
    rt = services.runtime()
    sidebar(rt)
    workflow = chosen_workflow(rt.data_dir)
    if workflow.name == "team":
        st.title("Ask the team")
        st.caption("QSM plans and routes · SOM budgets · WeQ drafts · Ref verifies · QSM collapses")
    else:
        st.title(f"Chat with {workflow.name}")
        st.caption(workflow.description or f"{workflow.kind}: {', '.join(a.name for a in workflow.agents)}")
    esc_stops()
    thread = services.current_thread()
    if thread and not _visible(rt, thread):
        st.warning(f"No thread {thread}.")
        st.session_state.pop("thread", None)  # a message typed now starts a chat of this user's own
        thread = None
    if error := st.session_state.pop("chat_error", None):
        st.error(error)
    prompt = st.chat_input("Ask the team…")
    if prompt is not None and not prompt.strip():
        st.warning("Your message is empty: type a question in the box below, then press Enter.", icon="✏️")
    elif prompt:  # the next turn of the open chat, or a new chat
        thread = start_turn(rt, thread, prompt, workflow) or thread
    if thread:
        show_conversation(rt, thread)


services.guarded(body, local=False)
