"""Asking a model for one tool call: constrained where the backend can, validated, retried once.

On llama.cpp (and the fake) the call schema becomes a grammar, so the model can only write a call to a
known tool with well-typed arguments. A backend with ``supports_tools`` (the OpenAI-compatible one) is
asked for a native tool call instead. Either way the reply goes through :meth:`Toolbox.validate`, which
repairs what it can; a reply it cannot repair is fed back with the error and asked for again at
temperature 0, and after ``retries`` such retries :class:`ToolCallError` is raised.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from qsm.agents.backend import ChatMessage, ChatModel, Completion, ModelRequest, TokenCallback
from qsm.agents.messages import ToolCall
from qsm.agents.settings import Sampling
from qsm.agents.structured import retry_conversation
from qsm.agents.tools.errors import ToolCallError
from qsm.agents.tools.toolbox import Toolbox

__all__ = [
    "ToolCallAttempt",
    "ask_for_tool_call",
    "native_call",
    "request_tool_call",
    "tool_call_messages",
]

_SYSTEM = (
    "You answer by calling exactly one tool. Tools:\n{tools}\n"
    'Reply with one JSON object and nothing else: {{"tool": "<tool name>", "arguments": {{...}}}}.'
)


@dataclass
class ToolCallAttempt:
    """A valid call and every model call it took (for cost accounting)."""

    call: ToolCall
    completions: list[Completion] = field(default_factory=list)

    @property
    def attempts(self) -> int:
        return len(self.completions)


def tool_call_messages(toolbox: Toolbox, request: str, *, system: str | None = None) -> list[ChatMessage]:
    """A prompt asking for a tool call that answers ``request``: the tools listed in the system message
    (``system``, if given, is put before the list)."""
    prompt = _SYSTEM.format(tools=toolbox.describe())
    return [
        {"role": "system", "content": f"{system.strip()}\n\n{prompt}" if system else prompt},
        {"role": "user", "content": request},
    ]


def request_tool_call(
    model: ChatModel,
    messages: list[ChatMessage],
    toolbox: Toolbox,
    *,
    sampling: Sampling,
    retries: int = 1,
    on_token: TokenCallback | None = None,
    cache_key: str | None = None,
    deadline: float | None = None,
    caller: str = "",
) -> ToolCall:
    """A valid :class:`ToolCall` to one of ``toolbox``'s tools, asked of ``model`` (see the module)."""
    return ask_for_tool_call(
        model,
        messages,
        toolbox,
        sampling=sampling,
        retries=retries,
        on_token=on_token,
        cache_key=cache_key,
        deadline=deadline,
        caller=caller,
    ).call


def ask_for_tool_call(
    model: ChatModel,
    messages: list[ChatMessage],
    toolbox: Toolbox,
    *,
    sampling: Sampling,
    retries: int = 1,
    on_token: TokenCallback | None = None,
    cache_key: str | None = None,
    deadline: float | None = None,
    caller: str = "",
) -> ToolCallAttempt:
    """:func:`request_tool_call` that also returns the completions. A :class:`ToolCallError` it raises
    carries them in ``completions`` too."""
    schema = toolbox.call_schema()
    native = model.supports_tools
    conversation = list(messages)
    completions: list[Completion] = []
    error = ""
    reply = ""
    for attempt in range(retries + 1):
        current = sampling if attempt == 0 else sampling.model_copy(update={"temperature": 0.0})
        completion = model.complete(
            ModelRequest(
                conversation,
                current,
                json_schema=None if native else schema,
                tools=toolbox.openai_tools() if native else None,
                on_token=on_token,
                deadline=deadline,
                cache_key=cache_key,
            )
        )
        completions.append(completion)
        raw = native_call(completion) if native else None
        reply = json.dumps(raw) if raw is not None else completion.text
        try:
            call = toolbox.validate(raw if raw is not None else completion.text, caller=caller)
            return ToolCallAttempt(call, completions)
        except ToolCallError as exc:
            error = exc.message
        conversation = retry_conversation(messages, reply, error, schema)
        if completion.finish_reason == "deadline":
            break
    raise ToolCallError(
        f"{cache_key or model.name} did not produce a valid tool call after {len(completions)} attempt(s): "
        f"{error}; last reply: {reply[:200]!r}",
        hint="use a larger model for this agent, lower its temperature, or give fewer tools",
        completions=completions,
    )


def native_call(completion: Completion) -> dict[str, Any] | None:
    """The first native tool call in ``completion`` as ``{"tool", "arguments"}``, or None."""
    calls = completion.extra.get("tool_calls") or []
    if not calls:
        return None
    first = calls[0]
    return {"tool": str(first.get("name", "")), "arguments": first.get("arguments", "")}
