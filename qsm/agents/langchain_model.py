"""A qsm agent as a langchain-core chat model: :class:`AgentChatModel`, a ``BaseChatModel`` over the agent's
model as the runtime serves it (llama.cpp with the agent's shipped LoRA adapter, an OpenAI-compatible
server, or the fake) with the agent's sampling, token limit and role system prompt.

Get one from a runtime (``Runtime(settings).chat_model("WeQ")``) and use it wherever LangChain or LangGraph
take a chat model: ``invoke``, ``stream`` (token by token from the backend), ``ainvoke``/``astream`` (on the
default executor), ``bind_tools`` and ``with_structured_output``.

Tool calls: ``bind_tools`` takes what langchain-core takes (``BaseTool``, ``@tool``, functions, pydantic
models, OpenAI tool dicts; :func:`~langchain_core.utils.function_calling.convert_to_openai_tool`). On
llama.cpp and the fake, the reply is decoded under qsm's step grammar (a call of one tool or the answer;
:func:`~qsm.agents.tools.loop.step_schema`), so a small model can only write a well-typed call; an
OpenAI-compatible server gets native tool calls. Calls come back as ``AIMessage.tool_calls`` with ids; the
caller runs them and hands back ``ToolMessage`` results, which the next call shows the model.
"""

from __future__ import annotations

import json
import queue
import threading
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel, LanguageModelInput
from langchain_core.messages import (
    AIMessage,
    AIMessageChunk,
    BaseMessage,
    HumanMessage,
    SystemMessage,
    ToolMessage,
)
from langchain_core.messages import (
    ChatMessage as RoleMessage,
)
from langchain_core.messages.ai import UsageMetadata
from langchain_core.messages.tool import InvalidToolCall, ToolCallChunk
from langchain_core.messages.tool import ToolCall as LangChainToolCall
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from langchain_core.runnables import Runnable
from langchain_core.utils.function_calling import convert_to_openai_tool
from pydantic import BaseModel, ConfigDict, Field

from qsm.agents.backend import ChatMessage, ChatModel, Completion, FinishReason, ModelRequest
from qsm.agents.messages import ToolResult
from qsm.agents.roles import AGENT_NAMES, ROLE_PROMPTS, Role
from qsm.agents.settings import AgentSettings, Sampling
from qsm.agents.thinking import ThinkStream
from qsm.agents.tools.adapters import schema_args_model
from qsm.agents.tools.base import ToolOutput
from qsm.agents.tools.errors import ToolCallError, ToolDefinitionError, ToolError
from qsm.agents.tools.loop import result_text, step_answer, step_schema, tools_prompt, with_system
from qsm.agents.tools.request import ask_for_tool_call
from qsm.agents.tools.toolbox import Toolbox
from qsm.errors import ConfigError

__all__ = ["AgentChatModel", "role_system_prompt"]

_ROLE_PROMPT_KEY: dict[str, str] = {
    "coordinator": "QSM.plan",
    "communicator": "WeQ.draft",
    "economist": "SOM.answer",
    "reflector": "Ref.verify",
}


def role_system_prompt(role: Role, name: str) -> str:
    """The system prompt an agent of ``role`` works under: its role's first prompt (QSM plans and Ref
    verifies in JSON, so those two ask for JSON), or the custom agents' prompt naming it."""
    key = _ROLE_PROMPT_KEY.get(role)
    return ROLE_PROMPTS[key] if key else ROLE_PROMPTS["custom"].format(name=name)


class AgentChatModel(BaseChatModel):
    """A qsm agent's model as a langchain-core chat model (see the module). Build it with
    ``Runtime.chat_model(agent)``, or :meth:`for_agent` around a :class:`~qsm.agents.backend.ChatModel`.

    A system message among the caller's messages replaces the agent's ``system_prompt``. ``stop``
    sequences (the field, or ``stop=`` on a call) end generation where one appears; the answer ends
    before it. Text inside ``<think>`` goes to ``additional_kwargs["reasoning_content"]``, not the content.
    """

    model_config = ConfigDict(arbitrary_types_allowed=True)

    backend: ChatModel = Field(exclude=True)
    """The qsm model that answers (shared with the runtime's agents; closing the runtime closes it)."""
    agent: str = "agent"
    """The agent's name: it keys llama.cpp's prompt cache and appears in ``response_metadata``."""
    sampling: Sampling = Field(default_factory=Sampling)
    """Temperature, top-p/top-k, repeat penalty, seed and ``max_tokens`` of every call."""
    system_prompt: str | None = None
    """Sent as the system message when the caller's messages bring none."""
    thinking_budget: int | None = None
    """The most tokens a reasoning model may think before its answer is forced (llama.cpp)."""
    stop: list[str] | None = None
    """Stop sequences for every call (a call's own ``stop=`` replaces them)."""
    tool_retries: int = Field(1, ge=0, le=5)
    """When a tool call is required (``tool_choice``), how often an invalid call is asked for again."""

    @classmethod
    def for_agent(
        cls, backend: ChatModel, settings: AgentSettings, *, name: str, role: Role | None = None
    ) -> AgentChatModel:
        """Agent ``name`` answering through ``backend`` with its ``settings``: their sampling and thinking
        budget, and their system prompt, else its role's (:func:`role_system_prompt`; the role by the
        agent's name when not given)."""
        role = role or AGENT_NAMES.get(name, "custom")
        return cls(
            backend=backend,
            agent=name,
            sampling=settings.sampling,
            system_prompt=settings.system_prompt or role_system_prompt(role, name),
            thinking_budget=settings.thinking_budget,
        )

    @property
    def _llm_type(self) -> str:
        return "qsm-agent"

    @property
    def _identifying_params(self) -> dict[str, Any]:
        return {"agent": self.agent, "model": self.backend.name, **self.sampling.model_dump()}

    # -- tools -------------------------------------------------------------------------------------
    def bind_tools(
        self,
        tools: Sequence[dict[str, Any] | type | Callable[..., Any] | Any],
        *,
        tool_choice: str | bool | dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> Runnable[LanguageModelInput, AIMessage]:
        """This model offering ``tools``. ``tool_choice``: ``"auto"`` (default: a call or the answer),
        ``"any"``/``"required"``/True (one call of any tool), a tool's name (a call of that tool), or
        ``"none"``."""
        formatted = [convert_to_openai_tool(tool) for tool in tools]
        _declared_toolbox(formatted)  # a tool qsm cannot offer is refused here, not at the first call
        if tool_choice is not None:
            _choice(tool_choice, _declared_toolbox(formatted))
        return super().bind(tools=formatted, tool_choice=tool_choice, **kwargs)

    # -- generation --------------------------------------------------------------------------------
    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        if kwargs.get("tools"):
            message = self._tool_reply(messages, stop, kwargs["tools"], kwargs.get("tool_choice"))
        else:
            message = self._text_reply(self._backend_messages(messages), stop).message()
        return ChatResult(generations=[ChatGeneration(message=message)])

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        if kwargs.get("tools"):  # a call is whole only at its end: one chunk
            message = self._tool_reply(messages, stop, kwargs["tools"], kwargs.get("tool_choice"))
            yield ChatGenerationChunk(message=_as_chunk(message))
            return
        yield from _streamed(lambda emit: self._text_reply(self._backend_messages(messages), stop, emit))

    def _request(self, messages: list[ChatMessage], **fields: Any) -> ModelRequest:
        return ModelRequest(messages, self.sampling, cache_key=self.agent, **fields)

    def _text_reply(
        self,
        messages: list[ChatMessage],
        stop: list[str] | None,
        emit: Callable[[bool, str], None] | None = None,
        **fields: Any,
    ) -> _Reply:
        """One free-text call, its pieces passed to ``emit`` as they come (``(is_thinking, text)``),
        ended early at a stop sequence."""
        text = _TextStream(stop if stop is not None else self.stop or [], emit)
        request = self._request(messages, on_token=text.feed, thinking_budget=self.thinking_budget, **fields)
        try:
            completion = self.backend.complete(request)
        except _Stopped:
            return text.reply(
                prompt_tokens=self.backend.count_tokens(messages), model=self.backend.name, agent=self.agent
            )
        return text.reply(completion=completion, agent=self.agent)

    def _tool_reply(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None,
        tools: list[dict[str, Any]],
        tool_choice: str | bool | dict[str, Any] | None,
    ) -> AIMessage:
        toolbox = _declared_toolbox([convert_to_openai_tool(tool) for tool in tools])
        mode, offered = _choice(tool_choice, toolbox)
        native = self.backend.supports_tools
        chat = self._backend_messages(messages)
        if mode == "none":  # a server reads earlier calls against the tools, so it still gets them
            fields: dict[str, Any] = (
                {"tools": toolbox.openai_tools(), "tool_choice": "none"} if native else {}
            )
            return self._text_reply(chat, stop, **fields).message()
        if not native:
            chat = with_system(chat, tools_prompt(offered, native=False))
        if mode == "required":
            try:
                attempt = ask_for_tool_call(
                    self.backend,
                    chat,
                    offered,
                    sampling=self.sampling,
                    retries=self.tool_retries,
                    cache_key=self.agent,
                    caller=self.agent,
                )
            except ToolCallError as exc:
                return _Reply.of(exc.completions, self.agent).message(
                    invalid=[_invalid(exc, exc.completions)]
                )
            sent = _native_ids(attempt.completions[-1])
            call = _call(offered, attempt.call.tool, attempt.call.arguments, sent[0] if sent else None)
            return _Reply.of(attempt.completions, self.agent).message(calls=[call])
        completion = self.backend.complete(
            self._request(
                chat,
                json_schema=None if native else step_schema(offered),
                tools=offered.openai_tools() if native else None,
                tool_choice="auto",
            )
        )
        reply = _Reply.of([completion], self.agent)
        if native:
            return self._native_calls(offered, completion, reply)
        answer = step_answer(completion.text)
        if answer is not None:
            return reply.with_text(answer).message()
        try:
            valid = offered.validate(completion.text, caller=self.agent)
        except ToolCallError as exc:
            return reply.message(invalid=[_invalid(exc, [completion])])
        return reply.message(calls=[_call(offered, valid.tool, valid.arguments, None)])

    def _native_calls(self, toolbox: Toolbox, completion: Completion, reply: _Reply) -> AIMessage:
        calls: list[LangChainToolCall] = []
        invalid: list[InvalidToolCall] = []
        for sent in completion.extra.get("tool_calls") or []:
            call_id = str(sent.get("id") or _new_id())
            try:
                valid = toolbox.validate(
                    {"tool": sent.get("name", ""), "arguments": sent.get("arguments", "")}
                )
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
            calls.append(_call(toolbox, valid.tool, valid.arguments, call_id))
        return reply.message(calls=calls, invalid=invalid)

    # -- messages ----------------------------------------------------------------------------------
    def _backend_messages(self, messages: Sequence[BaseMessage]) -> list[ChatMessage]:
        """LangChain messages as the backend's: tool calls and results natively for a server with tool
        calls, else as the step grammar writes them (a JSON call, then its result as a user message)."""
        native = self.backend.supports_tools
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
                    f"{self.agent} cannot read a {type(message).__name__}",
                    hint="send system, human, AI and tool messages",
                )
        if self.system_prompt and not any(m["role"] == "system" for m in out):
            out.insert(0, {"role": "system", "content": self.system_prompt})
        return out


class _Stopped(Exception):
    """Raised from the token callback to end generation (a stop sequence appeared, or nobody listens)."""


@dataclass
class _Reply:
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
    def of(cls, completions: Sequence[Completion], agent: str) -> _Reply:
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

    def with_text(self, text: str) -> _Reply:
        self.text = text
        return self

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


@dataclass
class _TextStream:
    """Streamed pieces → the answer's text: cut at the first stop sequence (generation is then stopped),
    ``<think>`` split off, and stripped as :func:`~qsm.agents.thinking.split_thinking` strips the answer
    (leading blanks dropped, trailing ones held until more text follows), so the pieces it passes to
    ``emit`` add up to the answer exactly."""

    stops: list[str]
    emit: Callable[[bool, str], None] | None = None
    raw: str = ""
    passed: int = 0  # how much of ``raw`` went on to the think splitter
    text: list[str] = field(default_factory=list)
    thinking: list[str] = field(default_factory=list)
    pieces: int = 0
    _think: ThinkStream = field(default_factory=ThinkStream)
    _blank: str = ""  # trailing whitespace held back

    def feed(self, piece: str) -> None:
        self.pieces += 1
        self.raw += piece
        found = [at for at in (self.raw.find(stop, self.passed) for stop in self.stops) if at >= 0]
        if found:
            at = min(found)
            self._pass(self.raw[self.passed : at])
            self._pass_end()
            raise _Stopped
        held = max((_partial_suffix(self.raw, s) for s in self.stops), default=0)
        self._pass(self.raw[self.passed : len(self.raw) - held])

    def _pass(self, raw: str) -> None:
        self.passed += len(raw)
        for thinking, text in self._think.feed(raw):
            self._out(thinking, text)

    def _pass_end(self) -> None:
        for thinking, text in self._think.flush():
            self._out(thinking, text)

    def _out(self, thinking: bool, text: str) -> None:
        if thinking:
            if text and self.emit is not None:
                self.emit(True, text)
            self.thinking.append(text)
            return
        if not self.text:
            text = text.lstrip()
        stripped = text.rstrip()
        if not stripped:
            self._blank += text if self.text else ""
            return
        piece = self._blank + stripped
        self._blank = text[len(stripped) :]
        self.text.append(piece)
        if self.emit is not None:
            self.emit(False, piece)

    def reply(
        self,
        *,
        completion: Completion | None = None,
        prompt_tokens: int = 0,
        model: str = "",
        agent: str,
    ) -> _Reply:
        """The reply once generation ended: stopped at a stop sequence (no ``completion``), or finished."""
        if completion is not None:
            if not self.pieces:  # a backend that did not stream: its whole text now
                self.feed_all(completion.raw_text)
            else:
                self._pass(self.raw[self.passed :])
                self._pass_end()
        return _Reply(
            text="".join(self.text),
            thinking="".join(self.thinking).strip(),
            prompt_tokens=completion.prompt_tokens if completion else prompt_tokens,
            completion_tokens=completion.completion_tokens if completion else self.pieces,
            model=completion.model if completion else model,
            agent=agent,
            finish_reason=completion.finish_reason if completion else "stop",
            seconds=completion.seconds if completion else 0.0,
        )

    def feed_all(self, raw: str) -> None:
        try:
            self.feed(raw)
        except _Stopped:
            return
        self._pass(self.raw[self.passed :])
        self._pass_end()


def _partial_suffix(text: str, stop: str) -> int:
    """The length of the longest end of ``text`` that begins ``stop`` (held back: it may become a stop)."""
    for size in range(min(len(stop) - 1, len(text)), 0, -1):
        if text.endswith(stop[:size]):
            return size
    return 0


def _streamed(generate: Callable[[Callable[[bool, str], None]], _Reply]) -> Iterator[ChatGenerationChunk]:
    """Runs ``generate`` on a thread and yields its pieces as chunks as they come, then a last chunk with
    the usage; a consumer that stops early stops generation at the next token."""
    pieces: queue.SimpleQueue[tuple[str, Any]] = queue.SimpleQueue()
    gone = threading.Event()

    def emit(thinking: bool, text: str) -> None:
        if gone.is_set():
            raise _Stopped
        pieces.put(("piece", (thinking, text)))

    def work() -> None:
        try:
            pieces.put(("done", generate(emit)))
        except BaseException as exc:  # handed to the consumer's thread
            pieces.put(("error", exc))

    worker = threading.Thread(target=work, name="qsm-chat-stream", daemon=True)
    worker.start()
    try:
        while True:
            kind, value = pieces.get()
            if kind == "error":
                raise value
            if kind == "done":
                reply: _Reply = value
                yield ChatGenerationChunk(
                    message=AIMessageChunk(
                        content="",
                        usage_metadata=reply.usage(),
                        response_metadata=reply.metadata(),
                        chunk_position="last",
                    )
                )
                return
            thinking, text = value
            chunk = (
                AIMessageChunk(content="", additional_kwargs={"reasoning_content": text})
                if thinking
                else AIMessageChunk(content=text)
            )
            yield ChatGenerationChunk(message=chunk)
    finally:
        gone.set()


def _as_chunk(message: AIMessage) -> AIMessageChunk:
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


class _DeclaredTool:
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


def _declared_toolbox(tools: Sequence[dict[str, Any]]) -> Toolbox:
    if not tools:
        raise ToolDefinitionError("no tools were given", hint="bind at least one tool")
    return Toolbox(_DeclaredTool(spec) for spec in tools)


def _choice(choice: str | bool | dict[str, Any] | None, toolbox: Toolbox) -> tuple[str, Toolbox]:
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


def _call(toolbox: Toolbox, tool: str, arguments: dict[str, Any], call_id: str | None) -> LangChainToolCall:
    """A valid call as langchain's, without the optional arguments the model left empty."""
    required = set(toolbox.args_schema(tool).get("required", []))
    args = {k: v for k, v in arguments.items() if v is not None or k in required}
    return LangChainToolCall(name=tool, args=args, id=call_id or _new_id(), type="tool_call")


def _invalid(exc: ToolCallError, completions: Sequence[Completion]) -> InvalidToolCall:
    raw = completions[-1].text if completions else ""
    return InvalidToolCall(type="invalid_tool_call", name=None, args=raw, id=_new_id(), error=exc.message)


def _native_ids(completion: Completion) -> list[str]:
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
