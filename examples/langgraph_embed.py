"""A qsm workflow as one node of your own LangGraph graph.

Your graph prepares the question, the qsm pipeline (the shipped example draft-check-loop: a writer, a Python
check, a bounded loop, an approval) answers it, and your graph post-processes the answer. When the qsm run
asks you something, your graph is interrupted: resume it with Command(resume=answer).

Run: .venv/bin/python examples/langgraph_embed.py "Explain what a Merkle tree is."
"""

from __future__ import annotations

import sys
from typing import TypedDict

from langgraph.checkpoint.memory import InMemorySaver
from langgraph.graph import END, START, StateGraph
from langgraph.types import Command

from qsm import Workflow
from qsm.graph import Runtime, as_langgraph


class MyState(TypedDict, total=False):
    topic: str
    question: str
    answer: str
    summary: str


def prepare(state: MyState) -> MyState:
    return {"question": f"{state['topic'].strip()} Answer for a beginner."}


def postprocess(state: MyState) -> MyState:
    return {"summary": f"[{len(state['answer'].split())} words] {state['answer']}"}


def build(runtime: Runtime | None = None):  # type: ignore[no-untyped-def]
    qsm_workflow = Workflow.load("draft-check-loop")  # a shipped example: qsm workflows show draft-check-loop
    builder = StateGraph(MyState)
    builder.add_node("prepare", prepare)
    builder.add_node("qsm", as_langgraph(qsm_workflow, runtime))
    builder.add_node("postprocess", postprocess)
    builder.add_edge(START, "prepare")
    builder.add_edge("prepare", "qsm")
    builder.add_edge("qsm", "postprocess")
    builder.add_edge("postprocess", END)
    return builder.compile(checkpointer=InMemorySaver())  # a checkpointer lets a qsm question interrupt it


def main(topic: str, answers: list[str]) -> str:
    graph = build()
    config = {"configurable": {"thread_id": "example"}}
    state = graph.invoke({"topic": topic}, config)
    while "__interrupt__" in state:  # the qsm run asks you: answer and go on
        question = state["__interrupt__"][0].value["question"]
        answer = answers.pop(0) if answers else input(f"{question}\n> ")
        state = graph.invoke(Command(resume=answer), config)
    return str(state["summary"])


if __name__ == "__main__":
    print(main(" ".join(sys.argv[1:]) or "Explain what a Merkle tree is.", []))
