"""A qsm agent as a LangChain chat model: WeQ streams an answer, then answers with a tool in your own LangGraph
loop (model -> tool call -> ToolMessage -> answer), its calls decoded under qsm's tool grammar on llama.cpp.

Run: .venv/bin/python examples/langchain_chat_model.py "How many people live in Paris?"
(QSM_DEFAULTS__MODEL__BACKEND=fake runs it on the fake model.)
"""

from __future__ import annotations

import sys
from typing import Any

from langchain_core.messages import HumanMessage
from langchain_core.tools import tool
from langgraph.graph import END, START, MessagesState, StateGraph
from langgraph.prebuilt import ToolNode, tools_condition

from qsm.graph import Runtime

MAX_TOOL_ROUNDS = 1  # rounds with tools before WeQ must answer; raise it for a model that chains calls


@tool
def population(city: str) -> str:
    """The number of people who live in a French city."""
    known = {"paris": 2102650, "lyon": 522250, "marseille": 873076}
    count = known.get(city.strip().lower())
    return f"{count} people" if count is not None else f"no figure for {city!r}"


def build(runtime: Runtime) -> Any:
    """Your graph: WeQ (a chat model with the tool bound) and a ToolNode, until WeQ answers. The first
    round must call the tool (the bundled 135M model seldom chooses one itself); later rounds may call it
    again or answer, and after MAX_TOOL_ROUNDS rounds WeQ answers without tools."""
    chat = runtime.chat_model("WeQ")
    first = chat.bind_tools([population], tool_choice="any")
    then = chat.bind_tools([population])
    last = chat.bind_tools([population], tool_choice="none")

    def agent(state: MessagesState) -> dict[str, Any]:
        rounds = sum(1 for m in state["messages"] if m.type == "tool")
        model = first if rounds == 0 else then if rounds < MAX_TOOL_ROUNDS else last
        return {"messages": [model.invoke(state["messages"])]}

    builder = StateGraph(MessagesState)
    builder.add_node("agent", agent)
    builder.add_node("tools", ToolNode([population]))
    builder.add_edge(START, "agent")
    builder.add_conditional_edges("agent", tools_condition, {"tools": "tools", END: END})
    builder.add_edge("tools", "agent")
    return builder.compile()


def main(question: str) -> None:
    with Runtime.open() as runtime:
        print("streamed: ", end="")
        for chunk in runtime.chat_model("WeQ").stream("In one sentence: what is Paris?"):
            print(chunk.content, end="", flush=True)
        print()
        state = build(runtime).invoke({"messages": [HumanMessage(question)]})
        for message in state["messages"][1:]:
            if message.type == "ai" and message.tool_calls:
                print("tool call:", ", ".join(f"{c['name']}({c['args']})" for c in message.tool_calls))
            elif message.type == "tool":
                print("tool result:", message.content)
        final = state["messages"][-1]
        print("answer:", final.content)
        print("usage:", final.usage_metadata)


if __name__ == "__main__":
    main(" ".join(sys.argv[1:]) or "How many people live in Paris?")
