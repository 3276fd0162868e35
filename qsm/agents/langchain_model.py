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

import time
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel, LanguageModelInput
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from langchain_core.runnables import Runnable
from langchain_core.utils.function_calling import convert_to_openai_tool
from pydantic import ConfigDict, Field

from qsm.agents.backend import ChatMessage, ChatModel, ModelRequest
from qsm.agents.langchain_messages import (
    Reply,
    as_chunk,
    backend_messages,
    declared_toolbox,
    invalid_call,
    native_calls,
    native_ids,
    tool_call,
    tool_mode,
)
from qsm.agents.langchain_stream import Emit, Stopped, TextStream, stream_chunks
from qsm.agents.roles import AGENT_NAMES, ROLE_PROMPTS, Role
from qsm.agents.settings import AgentSettings, Sampling
from qsm.agents.tools.errors import ToolCallError
from qsm.agents.tools.loop import step_answer, step_schema, tools_prompt, with_system
from qsm.agents.tools.request import ask_for_tool_call

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
        ``"none"`` (free text). A reply with tools is one chunk when streamed, and stop sequences apply to
        free text only (a call is JSON under the grammar)."""
        formatted = [convert_to_openai_tool(tool) for tool in tools]
        declared_toolbox(formatted)  # a tool qsm cannot offer is refused here, not at the first call
        if tool_choice is not None:
            tool_mode(tool_choice, declared_toolbox(formatted))
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
            yield ChatGenerationChunk(message=as_chunk(message))
            return
        yield from stream_chunks(lambda emit: self._text_reply(self._backend_messages(messages), stop, emit))

    def _request(self, messages: list[ChatMessage], **fields: Any) -> ModelRequest:
        return ModelRequest(messages, self.sampling, cache_key=self.agent, **fields)

    def _text_reply(
        self,
        messages: list[ChatMessage],
        stop: list[str] | None,
        emit: Emit | None = None,
        **fields: Any,
    ) -> Reply:
        """One free-text call, its pieces passed to ``emit`` as they come (``(is_thinking, text)``),
        ended early at a stop sequence."""
        text = TextStream(stop if stop is not None else self.stop or [], emit)
        request = self._request(messages, on_token=text.feed, thinking_budget=self.thinking_budget, **fields)
        started = time.perf_counter()
        try:
            completion = self.backend.complete(request)
        except Stopped:
            return text.reply(
                prompt_tokens=self.backend.count_tokens(messages),
                model=self.backend.name,
                seconds=time.perf_counter() - started,
                agent=self.agent,
            )
        return text.reply(completion=completion, agent=self.agent)

    def _tool_reply(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None,
        tools: list[dict[str, Any]],
        tool_choice: str | bool | dict[str, Any] | None,
    ) -> AIMessage:
        toolbox = declared_toolbox([convert_to_openai_tool(tool) for tool in tools])
        mode, offered = tool_mode(tool_choice, toolbox)
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
                return Reply.of(exc.completions, self.agent).message(
                    invalid=[invalid_call(exc, exc.completions)]
                )
            sent = native_ids(attempt.completions[-1])
            call = tool_call(offered, attempt.call.tool, attempt.call.arguments, sent[0] if sent else None)
            return Reply.of(attempt.completions, self.agent).message(calls=[call])
        completion = self.backend.complete(
            self._request(
                chat,
                json_schema=None if native else step_schema(offered),
                tools=offered.openai_tools() if native else None,
                tool_choice="auto",
            )
        )
        reply = Reply.of([completion], self.agent)
        if native:
            return native_calls(offered, completion, reply)
        answer = step_answer(completion.text)
        if answer is not None:
            return reply.with_text(answer).message()
        try:
            valid = offered.validate(completion.text, caller=self.agent)
        except ToolCallError as exc:
            return reply.message(invalid=[invalid_call(exc, [completion])])
        return reply.message(calls=[tool_call(offered, valid.tool, valid.arguments, None)])

    def _backend_messages(self, messages: Sequence[BaseMessage]) -> list[ChatMessage]:
        return backend_messages(
            messages, native=self.backend.supports_tools, system_prompt=self.system_prompt, agent=self.agent
        )
