"""The budget meter in front of a backend: one ModelRequest down, the prompt counted and checked once."""

from __future__ import annotations

import time

import pytest

from qsm.agents import FakeChatModel, ModelRequest, Sampling
from qsm.agents.backend import ChatMessage, Completion
from qsm.agents.tools import builtin_toolbox, request_tool_call, tool_call_messages
from qsm.errors import BudgetExhausted, PromptTooLongError
from qsm.graph.budget import Limits, MeteredModel

ASK: list[ChatMessage] = [
    {"role": "system", "content": "You are WeQ."},
    {"role": "user", "content": "Hi there"},
]


class Counting(FakeChatModel):
    """The fake, counting how often the prompt is tokenised and keeping every request it is given."""

    def __init__(self, *replies: str, supports_tools: bool = False, context_window: int = 2048) -> None:
        super().__init__(list(replies), context_window=context_window)
        self.supports_tools = supports_tools
        self.counted = 0
        self.requests: list[ModelRequest] = []

    def count_tokens(self, messages: list[ChatMessage]) -> int:
        self.counted += 1
        return super().count_tokens(messages)

    def complete(self, request: ModelRequest) -> Completion:
        self.requests.append(request)
        return super().complete(request)


def meter(model: Counting, tokens: int = 1000, seconds: float = 60.0) -> MeteredModel:
    return MeteredModel(model, agent="WeQ", limits=Limits(tokens, seconds, 10), spent={})


def test_the_prompt_is_counted_once_and_the_backend_gets_a_capped_request() -> None:
    model = Counting("one two three")
    metered = meter(model, tokens=60)
    started = time.monotonic()
    done = metered.complete(ModelRequest(ASK, Sampling(max_tokens=500)))
    assert model.counted == 1
    sent = model.requests[0]
    prompt = model.count_tokens(ASK)
    assert sent.prompt_tokens == done.prompt_tokens == prompt
    assert sent.sampling.max_tokens == 60 - prompt and sent.cache_key == "WeQ"
    assert sent.deadline is not None and started + 59 < sent.deadline <= time.monotonic() + 60
    assert done.text == "one two three" and metered.cost.calls == 1


def test_the_callers_deadline_wins_when_it_is_earlier() -> None:
    model = Counting("x")
    soon = time.monotonic() + 5
    meter(model).complete(ModelRequest(ASK, Sampling(), deadline=soon, cache_key="WeQ-2"))
    assert model.requests[0].deadline == soon and model.requests[0].cache_key == "WeQ-2"


def test_a_prompt_too_long_for_the_window_is_refused_before_the_backend_is_called() -> None:
    model = Counting(context_window=20)
    with pytest.raises(PromptTooLongError) as info:
        meter(model).complete(ModelRequest([{"role": "user", "content": "word " * 40}], Sampling()))
    assert "WeQ: the prompt is 44 tokens" in info.value.message and "n_ctx" in info.value.hint
    assert model.counted == 1 and model.requests == []


def test_a_prompt_too_long_for_the_budget_is_budget_exhausted() -> None:
    model = Counting()
    with pytest.raises(BudgetExhausted, match="WeQ: 20 tokens left in its budget, the prompt alone needs 13"):
        meter(model, tokens=20).complete(ModelRequest(ASK, Sampling()))
    assert model.counted == 1 and model.requests == []


def test_a_backend_called_directly_counts_and_checks_itself() -> None:
    model = Counting(context_window=20)
    assert model.complete(ModelRequest(ASK, Sampling(max_tokens=2))).prompt_tokens == 13
    with pytest.raises(PromptTooLongError, match="fake: the prompt is 13 tokens"):
        model.complete(ModelRequest(ASK, Sampling()))
    assert model.counted == 2


def test_native_tool_calls_reach_a_backend_that_has_them_through_the_meter() -> None:
    toolbox = builtin_toolbox()
    native = Counting('{"tool": "calculator", "arguments": {"expression": "1 + 1"}}', supports_tools=True)
    plain = Counting()
    messages = tool_call_messages(toolbox, "1 + 1?")
    assert request_tool_call(meter(native), messages, toolbox, sampling=Sampling()).tool == "calculator"
    request_tool_call(meter(plain), messages, toolbox, sampling=Sampling())
    assert native.requests[0].tools == toolbox.openai_tools() and native.requests[0].json_schema is None
    assert plain.requests[0].tools is None and plain.requests[0].json_schema == toolbox.call_schema()
