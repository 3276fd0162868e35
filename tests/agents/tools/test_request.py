"""Asking a model for a tool call: constrained, validated, retried once at temperature 0, then refused."""

from __future__ import annotations

import json
import time
from typing import Any

import httpx
import pytest

from qsm.agents import FakeChatModel, OpenAIChatModel, Sampling, allow_real_models
from qsm.agents.backend import ChatMessage, Completion, ModelRequest
from qsm.agents.settings import ModelSettings
from qsm.agents.tools import (
    ToolCall,
    ToolCallError,
    ask_for_tool_call,
    builtin_toolbox,
    request_tool_call,
    tool_call_messages,
)

SAMPLING = Sampling(temperature=0.7, max_tokens=120)
GOOD = '{"tool": "calculator", "arguments": {"expression": "17 + 25"}}'


@pytest.fixture
def messages() -> list[ChatMessage]:
    return tool_call_messages(builtin_toolbox(), "What is 17 + 25?")


def test_prompt_lists_the_tools(messages: list[ChatMessage]) -> None:
    assert messages[0]["role"] == "system" and "- calculator(expression: string)" in messages[0]["content"]
    assert "- convert_units(" in messages[0]["content"] and messages[1]["content"] == "What is 17 + 25?"
    custom = tool_call_messages(builtin_toolbox(), "x", system="You are WeQ.")
    assert custom[0]["content"].startswith("You are WeQ.\n\n")


def test_asks_under_the_call_schema_and_returns_a_valid_call(messages: list[ChatMessage]) -> None:
    toolbox = builtin_toolbox()
    model = FakeChatModel()  # auto: the smallest instance of the requested schema
    call = request_tool_call(model, messages, toolbox, sampling=SAMPLING, cache_key="WeQ", caller="WeQ")
    assert isinstance(call, ToolCall) and call.tool == "calculator" and call.caller == "WeQ"
    assert model.calls[0].json_schema == toolbox.call_schema() and model.calls[0].cache_key == "WeQ"
    assert toolbox.run(call).ok is False  # the fake's "x" is a schema-valid call the calculator refuses


def test_repairable_reply_needs_no_retry(messages: list[ChatMessage]) -> None:
    model = FakeChatModel(['Sure: {"name": "Calculator", "args": {"expression": "17 + 25"},}'], auto=False)
    attempt = ask_for_tool_call(model, messages, builtin_toolbox(), sampling=SAMPLING)
    assert attempt.call.arguments == {"expression": "17 + 25"} and attempt.attempts == 1


@pytest.mark.parametrize(
    ("bad", "error"),
    [
        ("The answer is 42.", "no JSON object"),
        ('{"tool": "weather", "arguments": {}}', "there is no tool named 'weather'"),
        ('{"tool": "calculator", "arguments": {}}', "expression: Field required"),
    ],
)
def test_retries_once_at_temperature_zero_with_the_error(
    messages: list[ChatMessage], bad: str, error: str
) -> None:
    model = FakeChatModel([bad, GOOD], auto=False)
    attempt = ask_for_tool_call(model, messages, builtin_toolbox(), sampling=SAMPLING)
    assert attempt.call == ToolCall(tool="calculator", arguments={"expression": "17 + 25"})
    assert attempt.attempts == 2
    retry = model.calls[1]
    assert retry.sampling.temperature == 0.0 and model.calls[0].sampling.temperature == 0.7
    assert retry.messages[: len(messages)] == messages
    assert retry.messages[-2] == {"role": "assistant", "content": bad}
    assert error in retry.messages[-1]["content"] and '"anyOf"' in retry.messages[-1]["content"]


def test_gives_up_with_tool_call_error_after_the_retry(messages: list[ChatMessage]) -> None:
    model = FakeChatModel(["nope", "still nope", GOOD], auto=False)
    with pytest.raises(ToolCallError) as info:
        request_tool_call(model, messages, builtin_toolbox(), sampling=SAMPLING, cache_key="WeQ")
    assert "WeQ did not produce a valid tool call after 2 attempt(s)" in info.value.message
    assert "still nope" in info.value.message and info.value.hint
    assert len(info.value.completions) == 2 and len(model.calls) == 2


def test_no_retry_when_retries_is_zero_or_the_deadline_passed(messages: list[ChatMessage]) -> None:
    model = FakeChatModel(["nope", GOOD], auto=False)
    with pytest.raises(ToolCallError, match="after 1 attempt"):
        request_tool_call(model, messages, builtin_toolbox(), sampling=SAMPLING, retries=0)
    late = FakeChatModel(["not a call at all", GOOD], auto=False)
    with pytest.raises(ToolCallError, match="after 1 attempt"):
        request_tool_call(late, messages, builtin_toolbox(), sampling=SAMPLING, deadline=time.monotonic() - 1)


def test_streams_tokens(messages: list[ChatMessage]) -> None:
    pieces: list[str] = []
    request_tool_call(
        FakeChatModel([GOOD]), messages, builtin_toolbox(), sampling=SAMPLING, on_token=pieces.append
    )
    assert "".join(pieces) == GOOD


class NativeModel:
    """A model with native tool calls: replies with ``calls`` (or ``text``), records what it was given."""

    name = "native"
    context_window = 4096
    supports_tools = True

    def __init__(self, *replies: tuple[list[dict[str, str]], str]) -> None:
        self.replies = list(replies)
        self.requests: list[ModelRequest] = []

    def count_tokens(self, messages: list[ChatMessage]) -> int:
        return 10

    def complete(self, request: ModelRequest) -> Completion:
        self.requests.append(request)
        calls, text = self.replies.pop(0)
        extra = {"tool_calls": calls} if calls else {}
        return Completion(text, text, "", 10, 5, 0.01, self.name, extra=extra)

    def close(self) -> None:
        pass


def test_native_tool_calls_where_the_backend_has_them(messages: list[ChatMessage]) -> None:
    toolbox = builtin_toolbox()
    model = NativeModel(
        ([{"name": "convert_units", "arguments": '{"value": 5'}], ""),  # cut off: repaired
        ([], GOOD),  # no native call: the text is read instead
        ([{"name": "nonsense", "arguments": "{}"}], ""),
        ([{"name": "calculator", "arguments": '{"expression": "2 + 2"}'}], ""),
    )
    with pytest.raises(ToolCallError, match="to_unit: Field required"):
        request_tool_call(model, messages, toolbox, sampling=SAMPLING, retries=0)
    assert model.requests[0].tools == toolbox.openai_tools() and model.requests[0].json_schema is None
    assert request_tool_call(model, messages, toolbox, sampling=SAMPLING).arguments == {
        "expression": "17 + 25"
    }
    call = request_tool_call(model, messages, toolbox, sampling=SAMPLING)
    assert call.arguments == {"expression": "2 + 2"}
    assert model.requests[3].sampling.temperature == 0.0
    retry = model.requests[3].messages
    assert json.loads(retry[-2]["content"]) == {"tool": "nonsense", "arguments": "{}"}
    assert "there is no tool named 'nonsense'" in retry[-1]["content"]
    assert model.replies == []


def _sse(*chunks: dict[str, Any]) -> bytes:
    lines = [f"data: {json.dumps(c)}\n\n" for c in chunks] + ["data: [DONE]\n\n"]
    return "".join(lines).encode()


def test_openai_backend_sends_tools_and_reads_streamed_tool_calls(messages: list[ChatMessage]) -> None:
    toolbox = builtin_toolbox()
    bodies: list[dict[str, Any]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        bodies.append(json.loads(request.content))
        delta = {"index": 0, "id": "c1", "type": "function"}
        body = _sse(
            {
                "choices": [
                    {
                        "delta": {
                            "tool_calls": [{**delta, "function": {"name": "calculator", "arguments": ""}}]
                        }
                    }
                ]
            },
            {
                "choices": [
                    {"delta": {"tool_calls": [{"index": 0, "function": {"arguments": '{"expression"'}}]}}
                ]
            },
            {"choices": [{"delta": {"tool_calls": [{"index": 0, "function": {"arguments": ': "17+25"}'}}]}}]},
            {"choices": [{"delta": {}, "finish_reason": "tool_calls"}], "usage": {"prompt_tokens": 50}},
        )
        return httpx.Response(200, content=body, headers={"content-type": "text/event-stream"})

    with allow_real_models():
        model = OpenAIChatModel(ModelSettings(backend="openai", url="http://127.0.0.1:9/v1", name="m"))
        model._client = httpx.Client(base_url=model.base_url, transport=httpx.MockTransport(handler))
        attempt = ask_for_tool_call(model, messages, toolbox, sampling=SAMPLING)
        plain = model.complete(ModelRequest(messages, SAMPLING, json_schema=toolbox.call_schema()))
    assert attempt.call == ToolCall(tool="calculator", arguments={"expression": "17+25"})
    completion = attempt.completions[0]
    assert completion.finish_reason == "stop" and completion.prompt_tokens == 50
    assert completion.extra["tool_calls"] == [
        {"id": "c1", "name": "calculator", "arguments": '{"expression": "17+25"}'}
    ]
    assert bodies[0]["tools"] == toolbox.openai_tools() and bodies[0]["tool_choice"] == "required"
    assert "response_format" not in bodies[0]
    assert "tools" not in bodies[1] and bodies[1]["response_format"]["type"] == "json_schema"
    assert plain.text == ""
