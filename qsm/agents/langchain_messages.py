"""LangChain messages as a qsm backend's chat messages and back: what the chat model
(:mod:`qsm.agents.langchain_model`) sends and what it returns, tool calls and their results included.

On a backend without native tool calls, a call is written as the step grammar writes it (a JSON object
``{"tool", "arguments"}`` from the assistant) and its result comes back as a user message, as in the agents'
own tool loop (:mod:`qsm.agents.tools.loop`); on an OpenAI-compatible server both are native.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any, Literal

from langchain_core.messages import (
    AIMessage,
    AIMessageChunk,
    BaseMessage,
    HumanMessage,
    SystemMessage,
    ToolMessage,
)
from langchain_core.messages import ChatMessage as RoleMessage
from langchain_core.messages.ai import UsageMetadata
from langchain_core.messages.tool import InvalidToolCall, ToolCallChunk
from langchain_core.messages.tool import ToolCall as LangChainToolCall
from pydantic import BaseModel

from qsm.agents.backend import ChatMessage, Completion, FinishReason
from qsm.agents.messages import ToolResult
from qsm.agents.tools.adapters import schema_args_model
from qsm.agents.tools.base import ToolOutput
from qsm.agents.tools.errors import ToolCallError, ToolDefinitionError, ToolError
from qsm.agents.tools.loop import result_text
from qsm.agents.tools.toolbox import Toolbox
from qsm.errors import ConfigError

__all__ = [
    "DeclaredTool",
    "Reply",
    "ToolMode",
    "as_chunk",
    "backend_messages",
    "declared_toolbox",
    "invalid_call",
    "native_calls",
    "native_ids",
    "tool_call",
    "tool_mode",
]

ToolMode = Literal["auto", "required", "none"]
"""A call may call a tool or answer (``auto``), must call one (``required``), or must answer (``none``)."""


def backend_messages(
    messages: Sequence[BaseMessage], *, native: bool, system_prompt: str | None, agent: str
) -> list[ChatMessage]:
    """LangChain ``messages`` as the backend's: tool calls and results natively for a server with tool
    calls (``native``), else as the step grammar writes them (a JSON call, then its result as a user message),
    with ``system_prompt`` first when they bring no system message."""
    out: list[ChatMessage] = []
    names: dict[str, str] = {}  # tool call id -> tool name, for the results
    for message in messages:
        text = _text_of(message)
        if isinstance(message, SystemMessage):
            out.append({"role": "system", "content": text})
        elif isinstance(message, HumanMessage):
            out.append({"role": "user", "content": text})
        elif isinstance(message, AIMessage):
            names.update({str(c["id"]): c["name"] for c in message.tool_calls})
            out.extend(_assistant(text, message.tool_calls, native))
        elif isinstance(message, ToolMessage):
            out.append(_tool_result(message, text, names, native))
        elif isinstance(message, RoleMessage) and message.role in ("system", "user", "assistant"):
            out.append({"role": message.role, "content": text})  # type: ignore[typeddict-item]
        else:
            raise ConfigError(
                f"{agent} cannot read a {type(message).__name__}",
                hint="send system, human, AI and tool messages",
            )
    if system_prompt and not any(m["role"] == "system" for m in out):
        out.insert(0, {"role": "system", "content": system_prompt})
    return out


@dataclass
class Reply:
    """What one answer took: its text and thinking, the token counts and the backend's finish reason."""

    text: str
    thinking: str
    prompt_tokens: int
    completion_tokens: int
    model: str
    agent: str
    finish_reason: FinishReason = "stop"
    seconds: float = 0.0

    @classmethod
    def of(cls, completions: Sequence[Completion], agent: str) -> Reply:
        last = completions[-1]
        return cls(
            text=last.text,
            thinking=last.thinking,
            prompt_tokens=sum(c.prompt_tokens for c in completions),
            completion_tokens=sum(c.completion_tokens for c in completions),
            model=last.model,
            agent=agent,
            finish_reason=last.finish_reason,
            seconds=sum(c.seconds for c in completions),
        )

    def with_text(self, text: str) -> Reply:
        return replace(self, text=text)

    def usage(self) -> UsageMetadata:
        return UsageMetadata(
            input_tokens=self.prompt_tokens,
            output_tokens=self.completion_tokens,
            total_tokens=self.prompt_tokens + self.completion_tokens,
        )

    def metadata(self, *, called: bool = False) -> dict[str, Any]:
        return {
            "model_name": self.model,
            "model_provider": "qsm",
            "agent": self.agent,
            "finish_reason": "tool_calls" if called else self.finish_reason,
            "seconds": round(self.seconds, 3),
        }

    def message(
        self,
        *,
        calls: Sequence[LangChainToolCall] = (),
        invalid: Sequence[InvalidToolCall] = (),
    ) -> AIMessage:
        return AIMessage(
            content="" if calls else self.text,
            additional_kwargs={"reasoning_content": self.thinking} if self.thinking else {},
            tool_calls=list(calls),
            invalid_tool_calls=list(invalid),
            usage_metadata=self.usage(),
            response_metadata=self.metadata(called=bool(calls)),
        )


def native_calls(toolbox: Toolbox, completion: Completion, reply: Reply) -> AIMessage:
    """The native tool calls in ``completion`` as langchain's (an invalid one as an invalid call)."""
    calls: list[LangChainToolCall] = []
    invalid: list[InvalidToolCall] = []
    for sent in completion.extra.get("tool_calls") or []:
        call_id = str(sent.get("id") or _new_id())
        try:
            valid = toolbox.validate({"tool": sent.get("name", ""), "arguments": sent.get("arguments", "")})
        except ToolCallError as exc:
            invalid.append(
                InvalidToolCall(
                    type="invalid_tool_call",
                    name=str(sent.get("name", "")),
                    args=str(sent.get("arguments", "")),
                    id=call_id,
                    error=exc.message,
                )
            )
            continue
        calls.append(tool_call(toolbox, valid.tool, valid.arguments, call_id))
    return reply.message(calls=calls, invalid=invalid)


def as_chunk(message: AIMessage) -> AIMessageChunk:
    """``message`` as the one chunk of a stream."""
    return AIMessageChunk(
        content=message.content,
        additional_kwargs=message.additional_kwargs,
        tool_call_chunks=[
            ToolCallChunk(
                name=c["name"], args=json.dumps(c["args"]), id=c["id"], index=i, type="tool_call_chunk"
            )
            for i, c in enumerate(message.tool_calls)
        ],
        invalid_tool_calls=message.invalid_tool_calls,
        usage_metadata=message.usage_metadata,
        response_metadata=message.response_metadata,
        chunk_position="last",
    )


class DeclaredTool:
    """A tool the caller declared and runs itself: its schema constrains and validates the model's calls."""

    timeout_s = 0.0

    def __init__(self, spec: dict[str, Any]) -> None:
        function = spec.get("function") or {}
        self.name = str(function.get("name", ""))
        self.description = str(function.get("description") or self.name)
        self.args_model: type[BaseModel] = schema_args_model(
            self.name, function.get("parameters") or {"type": "object", "properties": {}}
        )

    def run(self, args: Any) -> ToolOutput:
        raise ToolError(f"{self.name} is run by whoever bound it: the chat model only writes the call")


def declared_toolbox(tools: Sequence[dict[str, Any]]) -> Toolbox:
    """The OpenAI-style ``tools`` as a toolbox whose schemas constrain and validate calls."""
    if not tools:
        raise ToolDefinitionError("no tools were given", hint="bind at least one tool")
    return Toolbox(DeclaredTool(spec) for spec in tools)


def tool_mode(choice: str | bool | dict[str, Any] | None, toolbox: Toolbox) -> tuple[ToolMode, Toolbox]:
    """``"auto"``, ``"required"`` or ``"none"``, and the tools the call may use."""
    if isinstance(choice, dict):
        choice = str((choice.get("function") or {}).get("name") or choice.get("name") or "")
    if choice in (None, "auto", False):
        return "auto", toolbox
    if choice in (True, "any", "required"):
        return "required", toolbox
    if choice == "none":
        return "none", toolbox
    if isinstance(choice, str) and choice in toolbox:
        return "required", Toolbox([toolbox[choice]])
    raise ToolDefinitionError(
        f"tool_choice {choice!r} names no bound tool",
        hint=f"use 'auto', 'any', 'none' or one of: {', '.join(toolbox.names)}",
    )


def tool_call(
    toolbox: Toolbox, tool: str, arguments: dict[str, Any], call_id: str | None
) -> LangChainToolCall:
    """A valid call as langchain's, without the optional arguments the model left empty."""
    required = set(toolbox.args_schema(tool).get("required", []))
    args = {k: v for k, v in arguments.items() if v is not None or k in required}
    return LangChainToolCall(name=tool, args=args, id=call_id or _new_id(), type="tool_call")


def invalid_call(exc: ToolCallError, completions: Sequence[Completion]) -> InvalidToolCall:
    """A reply that is no valid call, as langchain's invalid tool call (with the reason)."""
    raw = completions[-1].text if completions else ""
    return InvalidToolCall(type="invalid_tool_call", name=None, args=raw, id=_new_id(), error=exc.message)


def native_ids(completion: Completion) -> list[str]:
    """The ids a server gave the tool calls in ``completion``."""
    return [str(c["id"]) for c in completion.extra.get("tool_calls") or [] if c.get("id")]


def _new_id() -> str:
    return f"call_{uuid.uuid4().hex[:24]}"


def _text_of(message: BaseMessage) -> str:
    content = message.content
    if isinstance(content, str):
        return content
    parts = []
    for block in content:
        if isinstance(block, str):
            parts.append(block)
        elif isinstance(block, dict) and block.get("type") == "text":
            parts.append(str(block.get("text", "")))
        else:
            kind = block.get("type") if isinstance(block, dict) else type(block).__name__
            raise ConfigError(
                f"qsm agents read text only, not a {kind!r} content block",
                hint="send the message's text (describe an image in words)",
            )
    return "".join(parts)


def _assistant(text: str, calls: list[LangChainToolCall], native: bool) -> list[ChatMessage]:
    if not calls:
        return [{"role": "assistant", "content": text}]
    if native:
        return [
            {
                "role": "assistant",
                "content": text,
                "tool_calls": [
                    {
                        "id": str(c["id"]),
                        "type": "function",
                        "function": {"name": c["name"], "arguments": json.dumps(c["args"])},
                    }
                    for c in calls
                ],
            }
        ]
    written = [json.dumps({"tool": c["name"], "arguments": c["args"]}) for c in calls]
    return [{"role": "assistant", "content": "\n".join([text, *written] if text else written)}]


def _tool_result(message: ToolMessage, text: str, names: dict[str, str], native: bool) -> ChatMessage:
    if native:
        return {"role": "tool", "tool_call_id": message.tool_call_id, "content": text}
    tool = message.name or names.get(message.tool_call_id, "")
    ok = message.status != "error"
    result = ToolResult(tool=tool, ok=ok, output=text if ok else "", error="" if ok else text)
    return {"role": "user", "content": result_text(result)}
