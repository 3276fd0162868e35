"""A qsm agent as a langchain-core chat model, on the fake model (and an OpenAI-compatible server mocked on
the transport): messages in, system prompt, usage, streaming, stop sequences, tool calls under the step
grammar and natively, a full tool loop inside a LangGraph graph, async."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from langchain_core.messages import AIMessage, AIMessageChunk, HumanMessage, SystemMessage, ToolMessage
from langchain_core.tools import tool
from langgraph.graph import END, START, MessagesState, StateGraph
from langgraph.prebuilt import ToolNode, create_react_agent, tools_condition
from pydantic import BaseModel, Field

from qsm.agents import AgentChatModel, FakeChatModel, OpenAIChatModel, allow_real_models
from qsm.agents.backend import ChatMessage, Completion, ModelRequest
from qsm.agents.fake import FakeCall
from qsm.agents.langchain_model import role_system_prompt
from qsm.agents.roles import ROLE_PROMPTS
from qsm.agents.settings import AgentSettings, ModelSettings
from qsm.agents.tools.errors import ToolDefinitionError
from qsm.errors import ConfigError
from qsm.graph import Agent, Runtime
from tests.helpers import fake_runtime


@tool
def population(city: str, year: int = 2020) -> int:
    """The number of people who live in a city."""
    return {"paris": 2102650, "lyon": 522250}[city.strip().lower()]


class Weather(BaseModel):
    """The weather forecast for a city."""

    city: str = Field(description="the city")
    days: int = Field(1, ge=1, le=7)


def add(a: float, b: float) -> float:
    """Add two numbers."""
    return a + b


ALERTS = {
    "type": "function",
    "function": {
        "name": "alerts",
        "description": "Weather alerts for a region.",
        "parameters": {
            "type": "object",
            "properties": {"region": {"type": "string"}},
            "required": ["region"],
        },
    },
}


def call(name: str, **arguments: Any) -> str:
    return json.dumps({"tool": name, "arguments": arguments})


class _Counting:
    """A backend that counts the tokens its model generates."""

    supports_tools = False

    def __init__(self, model: FakeChatModel) -> None:
        self.model = model
        self.name = model.name
        self.context_window = model.context_window
        self.generated = 0

    def count_tokens(self, messages: list[ChatMessage]) -> int:
        return self.model.count_tokens(messages)

    def complete(self, request: ModelRequest) -> Completion:
        listener = request.on_token
        assert listener is not None

        def counted(piece: str) -> None:
            self.generated += 1
            listener(piece)

        return self.model.complete(dataclasses.replace(request, on_token=counted))

    def close(self) -> None:
        pass


@pytest.fixture
def fake() -> FakeChatModel:
    return FakeChatModel(auto=False, name="fake-weq")


@pytest.fixture
def runtime(tmp_path: Path, fake: FakeChatModel) -> Iterator[Runtime]:
    with fake_runtime(tmp_path, {"WeQ": fake, "Ref": fake}, persist=False) as rt:
        yield rt


def test_an_agent_answers_with_its_role_prompt_usage_and_model_name(
    runtime: Runtime, fake: FakeChatModel
) -> None:
    fake.enqueue("Paris is the capital of France.")
    chat = runtime.chat_model("weq")
    reply = chat.invoke("What is the capital of France?")
    assert isinstance(reply, AIMessage) and reply.content == "Paris is the capital of France."
    sent = fake.calls[0].messages
    assert sent == [
        {"role": "system", "content": ROLE_PROMPTS["WeQ.draft"]},
        {"role": "user", "content": "What is the capital of France?"},
    ]
    assert (
        fake.calls[0].cache_key == "WeQ" and fake.calls[0].sampling == runtime.settings.agent("WeQ").sampling
    )
    assert reply.usage_metadata == {
        "input_tokens": fake.count_tokens(sent),
        "output_tokens": 6,
        "total_tokens": fake.count_tokens(sent) + 6,
    }
    assert reply.response_metadata["model_name"] == "fake-weq"
    assert reply.response_metadata["agent"] == "WeQ" and reply.response_metadata["finish_reason"] == "stop"


def test_the_callers_system_message_replaces_the_agents(runtime: Runtime, fake: FakeChatModel) -> None:
    fake.enqueue("ok", "fine")
    chat = runtime.chat_model("Ref")
    chat.invoke(
        [SystemMessage("You are terse."), HumanMessage("Hi"), AIMessage("Hello"), HumanMessage("Bye")]
    )
    assert [m["role"] for m in fake.calls[0].messages] == ["system", "user", "assistant", "user"]
    assert fake.calls[0].messages[0]["content"] == "You are terse."
    chat.invoke("Is 2 + 2 = 4 right?")
    assert fake.calls[1].messages[0] == {"role": "system", "content": ROLE_PROMPTS["Ref.verify"]}


def test_configured_prompt_and_sampling_are_the_agents(tmp_path: Path, fake: FakeChatModel) -> None:
    agents = {
        "WeQ": {"system_prompt": "Answer in French.", "sampling": {"temperature": 0.0, "max_tokens": 3}}
    }
    with fake_runtime(tmp_path, {"WeQ": fake}, persist=False, agents=agents) as rt:
        fake.enqueue("un deux trois quatre cinq")
        reply = rt.chat_model("WeQ").invoke("Count")
    assert fake.calls[0].messages[0]["content"] == "Answer in French."
    assert reply.content == "un deux trois"  # max_tokens 3
    assert reply.response_metadata["finish_reason"] == "length"


def test_a_workflow_agent_brings_its_own_prompt_and_settings(tmp_path: Path) -> None:
    writer = FakeChatModel(["one two three four"], auto=False)
    spec = Agent(name="writer", system_prompt="Write short.", settings={"sampling": {"max_tokens": 2}})
    with fake_runtime(tmp_path, {"writer": writer}, persist=False) as rt:
        chat = rt.chat_model(spec)
        reply = chat.invoke("Go")
    assert writer.calls[0].messages[0] == {"role": "system", "content": "Write short."}
    assert reply.content == "one two" and chat.agent == "writer"
    assert role_system_prompt("custom", "writer") == ROLE_PROMPTS["custom"].format(name="writer")


def test_a_bad_agent_name_is_refused_with_a_hint(runtime: Runtime) -> None:
    with pytest.raises(ConfigError, match="is not an agent name"):
        runtime.chat_model("two words")


def test_streamed_chunks_add_up_to_the_answer(runtime: Runtime, fake: FakeChatModel) -> None:
    answer = "  Paris  is the <think>capital?</think> capital of France.  "
    fake.enqueue(answer, answer)
    chat = runtime.chat_model("WeQ")
    chunks = list(chat.stream("Capital of France?"))
    whole = chat.invoke("Capital of France?")
    texts = [c.content for c in chunks if c.content]
    assert len(texts) >= 5 and all(isinstance(c, AIMessageChunk) for c in chunks)
    assert "".join(str(t) for t in texts) == whole.content == "Paris  is the  capital of France."
    merged = chunks[0]
    for chunk in chunks[1:]:
        merged += chunk
    assert merged.content == whole.content
    assert merged.additional_kwargs["reasoning_content"] == "capital?"
    assert whole.additional_kwargs["reasoning_content"] == "capital?"
    assert merged.usage_metadata == whole.usage_metadata and merged.usage_metadata is not None


def test_a_stop_sequence_ends_the_answer_and_the_generation(runtime: Runtime, fake: FakeChatModel) -> None:
    reply = "one two three STOP four five six"
    fake.enqueue(reply, reply, reply)
    chat = runtime.chat_model("WeQ")
    whole = chat.invoke("count", stop=["STOP"])
    streamed = "".join(str(c.content) for c in chat.stream("count", stop=["ST", "STOP"]))
    assert whole.content == streamed == "one two three"
    assert whole.usage_metadata is not None and whole.usage_metadata["output_tokens"] == 4  # not all 7
    assert (
        chat.model_copy(update={"stop": [" two"]}).invoke("count").content == "one"
    )  # the model's own stops


def test_a_consumer_that_stops_reading_stops_the_generation(fake: FakeChatModel) -> None:
    fake.enqueue(" ".join(f"w{i}" for i in range(200)))
    fake.delay_s = 2.0  # 10 ms a token
    backend = _Counting(fake)
    for chunk in AgentChatModel(backend=backend).stream("talk"):
        if chunk.content == " w3":
            break
    time.sleep(0.3)  # 30 more tokens, had generation gone on
    assert 4 <= backend.generated <= 6  # w0..w3, and at most the token already on its way


def test_a_stop_split_across_tokens_is_not_streamed(runtime: Runtime, fake: FakeChatModel) -> None:
    fake.enqueue("alpha be", "beta END gamma")  # two calls: the stop is "a E" across pieces in the second
    chat = runtime.chat_model("WeQ")
    assert chat.invoke("x", stop=["a E"]).content == "alpha be"
    pieces = [str(c.content) for c in chat.stream("x", stop=["a E"])]
    assert "".join(pieces) == "bet" and not any("E" in p for p in pieces)


def test_a_grammar_tool_call_round_trip(runtime: Runtime, fake: FakeChatModel) -> None:
    chat = runtime.chat_model("WeQ").bind_tools([population, Weather, add, ALERTS])
    fake.enqueue(call("population", city="Paris"), json.dumps({"answer": "About 2.1 million people."}))
    question = HumanMessage("How many people live in Paris?")
    first = chat.invoke([question])
    assert first.content == "" and first.response_metadata["finish_reason"] == "tool_calls"
    (made,) = first.tool_calls
    assert made["name"] == "population" and made["args"] == {"city": "Paris"}
    assert made["id"] and made["id"].startswith("call_")
    schema = fake.calls[0].json_schema
    assert schema is not None
    branches = schema["anyOf"]
    assert [b["properties"].get("tool", {}).get("const") for b in branches] == [
        "population",
        "Weather",
        "add",
        "alerts",
        None,
    ]
    assert branches[3]["properties"]["arguments"] == ALERTS["function"]["parameters"]
    assert "- population(city: string, year: integer)" in fake.calls[0].messages[0]["content"]
    assert fake.calls[0].messages[0]["content"].startswith(ROLE_PROMPTS["WeQ.draft"])
    result = population.invoke(made)
    assert isinstance(result, ToolMessage) and result.content == "2102650"
    final = chat.invoke([question, first, result])
    assert final.content == "About 2.1 million people." and not final.tool_calls
    sent = fake.calls[1].messages
    assert sent[-2] == {"role": "assistant", "content": call("population", city="Paris")}
    assert sent[-1] == {"role": "user", "content": "Result of population: 2102650"}
    assert final.usage_metadata is not None and final.usage_metadata["input_tokens"] == fake.count_tokens(
        sent
    )


def test_a_failed_tool_result_is_told_as_a_failure(runtime: Runtime, fake: FakeChatModel) -> None:
    chat = runtime.chat_model("WeQ").bind_tools([population])
    fake.enqueue(json.dumps({"answer": "I do not know."}))
    failed = ToolMessage("KeyError: 'rome'", tool_call_id="c9", status="error")
    used = AIMessage("", tool_calls=[{"name": "population", "args": {"city": "Rome"}, "id": "c9"}])
    chat.invoke([HumanMessage("People in Rome?"), used, failed])
    assert fake.calls[0].messages[-1]["content"].startswith("population failed: KeyError: 'rome'")


def test_tool_choice_forces_a_call_of_the_named_tool_retrying_a_bad_one(
    runtime: Runtime, fake: FakeChatModel
) -> None:
    chat = runtime.chat_model("WeQ").bind_tools([population, add], tool_choice="add")
    fake.enqueue('{"tool": "add", "arguments": {"a": "many"}}', call("add", a=2, b=3))
    reply = chat.invoke("What is 2 + 3?")
    assert [c["name"] for c in reply.tool_calls] == ["add"] and reply.tool_calls[0]["args"] == {
        "a": 2,
        "b": 3,
    }
    assert fake.calls[0].json_schema is not None and fake.calls[0].json_schema["properties"]["tool"] == {
        "type": "string",
        "const": "add",
    }
    assert fake.calls[1].sampling.temperature == 0.0  # the retry
    assert reply.usage_metadata is not None
    assert reply.usage_metadata["input_tokens"] == sum(fake.count_tokens(c.messages) for c in fake.calls)


def test_a_call_that_cannot_be_repaired_is_an_invalid_tool_call(
    runtime: Runtime, fake: FakeChatModel
) -> None:
    chat = runtime.chat_model("WeQ").bind_tools([population])
    fake.enqueue('{"tool": "population", "arguments": {"year": 3}}')
    reply = chat.invoke("People?")
    assert not reply.tool_calls and len(reply.invalid_tool_calls) == 1
    assert "city" in str(reply.invalid_tool_calls[0]["error"])


def test_bad_tools_are_refused_when_bound(runtime: Runtime) -> None:
    chat = runtime.chat_model("WeQ")
    with pytest.raises(ToolDefinitionError, match="names no bound tool"):
        chat.bind_tools([population], tool_choice="weather")
    spaced = {"type": "function", "function": {"name": "two words", "parameters": {"type": "object"}}}
    with pytest.raises(ToolDefinitionError, match="not allowed"):
        chat.bind_tools([spaced])


def test_structured_output_goes_through_a_forced_call(runtime: Runtime, fake: FakeChatModel) -> None:
    fake.enqueue(call("Weather", city="Lyon", days=3))
    forecast = runtime.chat_model("WeQ").with_structured_output(Weather).invoke("Weather in Lyon for 3 days?")
    assert forecast == Weather(city="Lyon", days=3)


def test_a_streamed_tool_call_is_one_chunk_with_the_call(runtime: Runtime, fake: FakeChatModel) -> None:
    fake.enqueue(call("population", city="Lyon"))
    chunks = list(runtime.chat_model("WeQ").bind_tools([population]).stream("People in Lyon?"))
    merged = chunks[0]
    for chunk in chunks[1:]:
        merged += chunk
    assert [(c["name"], c["args"]) for c in merged.tool_calls] == [("population", {"city": "Lyon"})]


def test_a_hand_written_react_loop_in_a_state_graph(runtime: Runtime, fake: FakeChatModel) -> None:
    model = runtime.chat_model("WeQ").bind_tools([population, add])

    def agent(state: MessagesState) -> dict[str, Any]:
        return {"messages": [model.invoke(state["messages"])]}

    builder = StateGraph(MessagesState)
    builder.add_node("agent", agent)
    builder.add_node("tools", ToolNode([population, add]))
    builder.add_edge(START, "agent")
    builder.add_conditional_edges("agent", tools_condition, {"tools": "tools", END: END})
    builder.add_edge("tools", "agent")
    graph = builder.compile()

    def answer(seen: FakeCall) -> str:
        results = [m["content"] for m in seen.messages if m["content"].startswith("Result of")]
        return json.dumps(
            {"answer": f"Together: {results[0].split(': ')[1]} and {results[1].split(': ')[1]}."}
        )

    fake.enqueue(call("population", city="Paris"), call("population", city="Lyon"), answer)
    out = graph.invoke({"messages": [HumanMessage("How many people live in Paris and in Lyon?")]})
    kinds = [type(m).__name__ for m in out["messages"]]
    assert kinds == ["HumanMessage", "AIMessage", "ToolMessage", "AIMessage", "ToolMessage", "AIMessage"]
    assert out["messages"][-1].content == "Together: 2102650 and 522250."


@pytest.mark.filterwarnings("ignore:create_react_agent has been moved")  # its successor is in `langchain`
def test_langgraphs_prebuilt_react_agent_runs_on_it(runtime: Runtime, fake: FakeChatModel) -> None:
    fake.enqueue(call("population", city="Paris"), json.dumps({"answer": "About 2.1 million."}))
    agent = create_react_agent(runtime.chat_model("WeQ"), [population])
    out = agent.invoke({"messages": [HumanMessage("How many people live in Paris?")]})
    assert [m.type for m in out["messages"]] == ["human", "ai", "tool", "ai"]
    assert out["messages"][2].content == "2102650" and out["messages"][-1].content == "About 2.1 million."


def test_async_invoke_and_stream(runtime: Runtime, fake: FakeChatModel) -> None:
    fake.enqueue("one two three", "one two three")
    chat = runtime.chat_model("WeQ")

    async def both() -> tuple[AIMessage, list[str]]:
        whole = await chat.ainvoke("count")
        pieces = [str(c.content) async for c in chat.astream("count")]
        return whole, pieces

    whole, pieces = asyncio.run(both())
    assert whole.content == "".join(pieces) == "one two three" and len([p for p in pieces if p]) == 3


def test_native_tool_calls_on_an_openai_compatible_server() -> None:
    bodies: list[dict[str, Any]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        bodies.append(json.loads(request.content))
        if len(bodies) == 1:
            pieces = [
                {"index": 0, "id": "srv1", "function": {"name": "population", "arguments": '{"city": '}},
                {"index": 0, "function": {"arguments": '"Paris"}'}},
            ]
            chunks = [{"choices": [{"delta": {"tool_calls": [p]}}]} for p in pieces]
            chunks.append(
                {"choices": [{"delta": {}, "finish_reason": "tool_calls"}], "usage": {"prompt_tokens": 40}}
            )
        else:
            chunks = [
                {"choices": [{"delta": {"content": "About 2.1 million."}, "finish_reason": "stop"}]},
                {"choices": [], "usage": {"prompt_tokens": 60, "completion_tokens": 5}},
            ]
        body = "".join(f"data: {json.dumps(c)}\n\n" for c in chunks) + "data: [DONE]\n\n"
        return httpx.Response(200, content=body.encode(), headers={"content-type": "text/event-stream"})

    with allow_real_models():
        server = OpenAIChatModel(ModelSettings(backend="openai", url="http://127.0.0.1:9/v1", name="served"))
        server._client = httpx.Client(base_url=server.base_url, transport=httpx.MockTransport(handler))
        chat = AgentChatModel.for_agent(server, AgentSettings(), name="WeQ").bind_tools([population])
        question = HumanMessage("How many people live in Paris?")
        first = chat.invoke([question])
        final = chat.invoke([question, first, population.invoke(first.tool_calls[0])])
    assert first.tool_calls == [
        {"name": "population", "args": {"city": "Paris"}, "id": "srv1", "type": "tool_call"}
    ]
    assert bodies[0]["tools"][0]["function"]["name"] == "population" and bodies[0]["tool_choice"] == "auto"
    assert "response_format" not in bodies[0]
    assistant, result = bodies[1]["messages"][-2:]
    assert assistant["tool_calls"][0]["id"] == "srv1"
    assert json.loads(assistant["tool_calls"][0]["function"]["arguments"]) == {"city": "Paris"}
    assert result == {"role": "tool", "tool_call_id": "srv1", "content": "2102650"}
    assert final.content == "About 2.1 million." and final.usage_metadata == {
        "input_tokens": 60,
        "output_tokens": 5,
        "total_tokens": 65,
    }
    assert final.response_metadata["model_name"] == "served"
