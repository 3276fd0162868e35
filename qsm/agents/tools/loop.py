"""An agent's tool loop: model, tool call, result, model ... until the model answers.

Each round the model either calls one tool or answers. On llama.cpp (and the fake) the reply is
constrained by a grammar to ``{"tool": <name>, "arguments": {...}}`` or ``{"answer": "..."}``; a backend
with ``supports_tools`` gets the tools natively (``tool_choice="auto"``) and answers in plain text. Every
result, a failed one too (the tool raised, ran past its time limit, returned junk), goes back to the
model. The loop is bounded: after ``max_rounds`` calls, or ``max_errors`` failed or invalid calls, the
model is asked for its answer without tools. Nothing a tool does ends the loop with an exception; the
model's own errors (budget, deadline, cancellation) do.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from qsm.agents.backend import ChatMessage, ChatModel, Completion, ModelRequest, TokenCallback
from qsm.agents.messages import ToolCall, ToolResult
from qsm.agents.settings import Sampling
from qsm.agents.structured import extract_json
from qsm.agents.tools.errors import ToolCallError
from qsm.agents.tools.request import native_call
from qsm.agents.tools.toolbox import Toolbox

__all__ = [
    "StepCallback",
    "ToolLoopResult",
    "result_text",
    "run_tool_loop",
    "step_answer",
    "step_schema",
    "tools_prompt",
    "with_system",
]

ANSWER_KEY = "answer"
_GRAMMAR_PROMPT = (
    "You may call tools before you answer. Tools:\n{tools}\n"
    'Reply with one JSON object: {{"tool": "<tool name>", "arguments": {{...}}}} to call a tool (its result '
    'comes back to you), or {{"answer": "<your answer>"}} once you can answer.'
)
_NATIVE_PROMPT = "You may call the tools you are given before you answer; their results come back to you."
_ANSWER_NOW = "Answer now, without calling any more tools."

StepCallback = Callable[[ToolCall, ToolResult], None]


@dataclass
class ToolLoopResult:
    """The answer (``completion``, its text the answer itself), every model call it took, each tool call
    with its result in order, and why tools stopped early (``"max_rounds"``, ``"errors"``) if they did."""

    completion: Completion
    completions: list[Completion] = field(default_factory=list)
    steps: list[tuple[ToolCall, ToolResult]] = field(default_factory=list)
    stopped: str = ""


def step_schema(toolbox: Toolbox) -> dict[str, Any]:
    """The JSON schema of one round's reply: a call of one of the tools, or the answer."""
    calls = toolbox.call_schema()
    branches = calls.get("anyOf", [calls])
    answer = {
        "type": "object",
        "properties": {ANSWER_KEY: {"type": "string"}},
        "required": [ANSWER_KEY],
        "additionalProperties": False,
    }
    return {"anyOf": [*branches, answer]}


def run_tool_loop(
    model: ChatModel,
    messages: list[ChatMessage],
    toolbox: Toolbox,
    *,
    sampling: Sampling,
    max_rounds: int = 4,
    max_errors: int = 2,
    caller: str = "",
    cache_key: str | None = None,
    on_token: TokenCallback | None = None,
    on_step: StepCallback | None = None,
    thinking_budget: int | None = None,
    run: Callable[[ToolCall], ToolResult] | None = None,
) -> ToolLoopResult:
    """Run the loop (see the module); ``on_step`` hears of each call and its result as it happens.
    ``run`` runs a valid call (default: ``toolbox.run``); the graph's asks the user first where the
    workflow says so, and gives a declined call's failed result instead."""
    native = model.supports_tools
    schema = None if native else step_schema(toolbox)
    conversation = with_system(messages, tools_prompt(toolbox, native=native))
    out = ToolLoopResult(completion=_empty(model))
    errors = 0
    for _ in range(max_rounds):
        completion = model.complete(
            ModelRequest(
                conversation,
                sampling,
                json_schema=schema,
                tools=toolbox.openai_tools() if native else None,
                tool_choice="auto",
                on_token=on_token,
                cache_key=cache_key,
            )
        )
        out.completions.append(completion)
        raw: dict[str, Any] | str | None = native_call(completion) if native else completion.text
        if raw is None:  # a native reply without a tool call is the answer
            out.completion = completion
            return out
        answer = step_answer(raw)
        if answer is not None:
            out.completion = replace(completion, text=answer)
            return out
        reply = json.dumps(raw) if isinstance(raw, dict) else raw
        try:
            call = toolbox.validate(raw, caller=caller)
        except ToolCallError as exc:
            errors += 1
            conversation += [
                {"role": "assistant", "content": reply},
                {
                    "role": "user",
                    "content": f"That was not a valid tool call: {exc.message}. {exc.hint}".strip(),
                },
            ]
            if errors >= max_errors:
                out.stopped = "errors"
                break
            continue
        result = (run or toolbox.run)(call)
        out.steps.append((call, result))
        if on_step is not None:
            on_step(call, result)
        conversation += (
            _native_exchange(completion, call, result, len(out.steps))
            if native
            else [
                {
                    "role": "assistant",
                    "content": json.dumps({"tool": call.tool, "arguments": call.arguments}),
                },
                {"role": "user", "content": result_text(result)},
            ]
        )
        if not result.ok:
            errors += 1
            if errors >= max_errors:
                out.stopped = "errors"
                break
    else:
        out.stopped = "max_rounds"
    final = model.complete(
        ModelRequest(
            [*conversation, {"role": "user", "content": _ANSWER_NOW}],
            sampling,
            # a server reads earlier tool_calls against the tools; "none" lets it call no more
            tools=toolbox.openai_tools() if native and out.steps else None,
            tool_choice="none",
            on_token=on_token,
            cache_key=cache_key,
            thinking_budget=thinking_budget,
        )
    )
    out.completions.append(final)
    out.completion = final
    return out


def tools_prompt(toolbox: Toolbox, *, native: bool) -> str:
    """What the system message says about ``toolbox``'s tools: under the step grammar the tools and the
    two reply shapes; with native tool calls (``native``) only that tools may be called."""
    return _NATIVE_PROMPT if native else _GRAMMAR_PROMPT.format(tools=toolbox.describe())


def step_answer(raw: dict[str, Any] | str) -> str | None:
    """The answer in one round's reply (``{"answer": ...}``), or None when the reply is a tool call."""
    data = raw if isinstance(raw, dict) else extract_json(raw)[0]
    if isinstance(data, dict) and list(data) == [ANSWER_KEY]:
        value = data[ANSWER_KEY]
        return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return None


def result_text(result: ToolResult) -> str:
    """How a tool's result (or its failure) is told to the model."""
    if result.ok:
        return f"Result of {result.tool}: {result.output}"
    return f"{result.tool or 'The tool'} failed: {result.error}. Fix the call, use another tool, or answer."


def _native_exchange(completion: Completion, call: ToolCall, result: ToolResult, n: int) -> list[ChatMessage]:
    """The OpenAI way to hand a result back: the assistant message carrying its ``tool_calls``, then a
    ``"tool"`` message naming the call's id (the server's, or one made up when it sent none)."""
    sent = (completion.extra.get("tool_calls") or [{}])[0]
    call_id = str(sent.get("id") or f"call_{n}")
    sent_arguments = sent.get("arguments")  # echoed as the model wrote them
    arguments = (
        sent_arguments if isinstance(sent_arguments, str) and sent_arguments else json.dumps(call.arguments)
    )
    return [
        {
            "role": "assistant",
            "content": completion.text,
            "tool_calls": [
                {"id": call_id, "type": "function", "function": {"name": call.tool, "arguments": arguments}}
            ],
        },
        {"role": "tool", "tool_call_id": call_id, "content": result_text(result)},
    ]


def with_system(messages: list[ChatMessage], prompt: str) -> list[ChatMessage]:
    """``messages`` with ``prompt`` added to their system message (or as one, when they have none)."""
    if messages and messages[0]["role"] == "system":
        first: ChatMessage = {"role": "system", "content": f"{messages[0]['content'].rstrip()}\n\n{prompt}"}
        return [first, *messages[1:]]
    return [{"role": "system", "content": prompt}, *messages]


def _empty(model: ChatModel) -> Completion:
    return Completion("", "", "", 0, 0, 0.0, model.name)
