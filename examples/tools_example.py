"""Tools from Python: a plain typed function and a langchain-core ``@tool`` given to a pipeline agent.

The agent calls them as it sees fit (grammar-constrained JSON on llama.cpp, native tool calls on an
OpenAI-compatible server), each result comes back to it, and it answers; every call and result is a
message in the run's trace. A tool that raises, runs past its time limit or returns junk comes back as
an error result: the run goes on.

Run: .venv/bin/python examples/tools_example.py "How many people live in Paris and Lyon together?"
"""

from __future__ import annotations

import sys

from langchain_core.tools import tool

from qsm import Agent, Channel, Workflow

POPULATION = {"paris": 2_102_650, "lyon": 520_774, "marseille": 877_215}


def population(city: str) -> int:
    """The number of people who live in a French city.

    Args:
        city: the city's name, such as "Paris".
    """
    try:
        return POPULATION[city.strip().lower()]
    except KeyError:
        raise ValueError(f"no population known for {city!r}") from None


@tool
def add(a: int, b: int) -> int:
    """Add two whole numbers."""
    return a + b


def workflow() -> Workflow:
    """One agent with two tools, between the user's request and the answer."""
    return Workflow(
        name="tools-example",
        kind="pipeline",
        prompt="How many people live in Paris and Lyon together?",
        agents=[
            Agent(
                name="statistician",
                produces="FinalAnswer",
                system_prompt="Answer questions about French cities with your tools; give the number.",
                tools=[population, add],
            )
        ],
        channels=[
            Channel(source="user", target="statistician", type="UserRequest"),
            Channel(source="statistician", target="user", type="FinalAnswer"),
        ],
    ).check()


if __name__ == "__main__":
    from qsm import run

    flow = workflow()
    result = run(flow, " ".join(sys.argv[1:]) or flow.prompt)
    for env in result.trace:
        if env.type in ("ToolCall", "ToolResult"):
            print(f"{env.source} -> {env.target}: {env.payload}")
    print(result.text)
