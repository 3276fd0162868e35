"""A qsm workflow as a LangGraph graph that you add to your own ``StateGraph`` as a node (a subgraph).

:func:`as_langgraph` (``from qsm.graph import as_langgraph``) compiles it: the graph reads ``question``
from your state and writes ``answer``, and ``qsm_thread`` and ``qsm_status`` (the qsm thread that holds the
run, and how it ended) where your state has those keys.
The run itself goes on in qsm's runtime as any run does (checkpoints, trace, costs, ``qsm trace THREAD``),
and its events reach your stream as custom events (``stream_mode="custom"``, ``subgraphs=True``). A qsm
run that asks the user (:mod:`qsm.graph.human`) becomes an ``interrupt`` of your graph: resume it with
``Command(resume=answer)``, which needs a checkpointer on your graph::

    builder = StateGraph(MyState)          # MyState has question: str and answer: str
    builder.add_node("qsm", as_langgraph(Workflow.load("draft-check-loop"), runtime=rt))
    builder.add_edge(START, "qsm")
    graph = builder.compile(checkpointer=InMemorySaver())
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, TypedDict

from langgraph.graph import END, START, StateGraph

if TYPE_CHECKING:
    from qsm.graph.events import RunEvent
    from qsm.graph.runtime import Runtime
    from qsm.graph.spec import Workflow

__all__ = ["QsmGraphState", "as_langgraph"]


class QsmGraphState(TypedDict, total=False):
    question: str
    answer: str
    qsm_thread: str
    qsm_status: str
    qsm_question: str
    qsm_choices: list[str]
    qsm_reply: str | None


def as_langgraph(workflow: Workflow, runtime: Runtime | None = None, *, name: str | None = None) -> Any:
    """The compiled LangGraph graph that runs ``workflow`` on ``question`` (see the module docs). Without a
    ``runtime`` each run opens one from the config (``Runtime.open()``) and closes it."""
    from langgraph.config import get_stream_writer
    from langgraph.types import interrupt

    from qsm.graph.runner import stream, stream_resume
    from qsm.graph.runtime import Runtime

    workflow = workflow.check()

    def run_workflow(state: QsmGraphState) -> QsmGraphState:
        rt = runtime or Runtime.open()
        try:
            writer = get_stream_writer()
            reply, thread = state.get("qsm_reply"), state.get("qsm_thread")
            if reply is not None and thread:
                events = stream_resume(thread, runtime=rt, answer=reply)
            else:
                events = stream(workflow, state.get("question", ""), runtime=rt)
            result = None
            for event in _apart(events):
                writer(event)
                if event.type == "done":
                    result = event.result
            assert result is not None, "a run always ends with a done event"
        finally:
            if runtime is None:
                rt.close()
        return {
            "answer": result.text,
            "qsm_thread": result.thread_id,
            "qsm_status": result.status,
            "qsm_question": result.question or "",
            "qsm_choices": result.choices,
            "qsm_reply": None,
        }

    def ask(state: QsmGraphState) -> QsmGraphState:
        asked = {"question": state.get("qsm_question", ""), "choices": state.get("qsm_choices", [])}
        return {"qsm_reply": str(interrupt(asked))}

    def after_run(state: QsmGraphState) -> str:
        return "ask" if state.get("qsm_status") == "waiting" else END

    graph = StateGraph(QsmGraphState)
    graph.add_node("run", run_workflow)
    graph.add_node("ask", ask)
    graph.add_edge(START, "run")
    graph.add_conditional_edges("run", after_run, ["ask", END])
    graph.add_edge("ask", "run")
    return graph.compile(name=name or workflow.name)


def _apart(events: Iterator[RunEvent]) -> Iterator[RunEvent]:
    """``events`` driven in a thread of their own: the qsm run's graph must not see the enclosing graph's
    LangGraph context (its config, checkpoint namespace and stream), which a thread does not inherit."""
    handoff: queue.Queue[tuple[str, Any]] = queue.Queue()

    def pump() -> None:
        try:
            for event in events:
                handoff.put(("event", event))
        except BaseException as exc:  # raised again in the enclosing node
            handoff.put(("error", exc))
        else:
            handoff.put(("end", None))

    threading.Thread(target=pump, name="qsm-embedded-run", daemon=True).start()
    while True:
        kind, value = handoff.get()
        if kind == "error":
            raise value
        if kind == "end":
            return
        yield value
