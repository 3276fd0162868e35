"""What every step needs: the agent's model behind a budget meter, streaming events, sealing sends.

An agent whose tool calls need the user's approval (a workflow's ``approvals: [{tool: ...}]``) asks inside
its step, which LangGraph runs again from its start on resume. Its model calls and tool runs are then
LangGraph tasks (:func:`durable`): their results are kept in the checkpoint, so the rounds before the
question come back from there instead of being sampled (or run) again, in this process or another.
"""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, Literal, TypeVar

from langgraph.func import task
from pydantic import BaseModel

from qsm.agents.backend import ChatMessage, ChatModel, Completion, ModelRequest
from qsm.agents.messages import ToolCall, ToolResult
from qsm.agents.structured import extract_json, generate_structured, repair_to_schema
from qsm.agents.thinking import ThinkStream
from qsm.agents.tools import Toolbox, request_tool_call
from qsm.agents.tools.loop import run_tool_loop
from qsm.graph.budget import Limits, MeteredModel
from qsm.graph.cancel import check, current_signal
from qsm.graph.envelope import Envelope, seal
from qsm.graph.events import MessageEvent, RepairEvent, RunEvent, TokenEvent, ToolEvent
from qsm.graph.human import approved, ask_user, declined, tool_call_question

if TYPE_CHECKING:
    from qsm.graph.flow import Approval
    from qsm.graph.runtime import Runtime
    from qsm.graph.spec import Agent

__all__ = ["TOOL_PREFIX", "AgentCall", "ToolStep", "durable", "emit", "envelope"]

TOOL_PREFIX = "tool:"
"""Where tool calls go and results come from in a trace: ``tool:<name>``."""

T = TypeVar("T", bound=BaseModel)


def emit(event: RunEvent) -> None:
    """Send an event to whoever streams the run (CLI, UI, API); a no-op outside a stream."""
    try:
        from langgraph.config import get_stream_writer

        writer = get_stream_writer()
    except (RuntimeError, LookupError):  # not inside a running graph
        return
    writer(event)


def envelope(data: dict[str, Any] | None) -> Envelope | None:
    return Envelope.model_validate(data) if data else None


@task
def durable(step: Callable[[], Any]) -> Any:
    """Run ``step`` as a LangGraph task (only inside a running graph step): its result, which the
    checkpoint serializer must allow (plain data, qsm messages), is stored, and when the step runs again
    on resume the same call (by its order in the step) returns it without running ``step``."""
    return step()


class DurableModel:
    """A model whose completions are :func:`durable` (see the module)."""

    def __init__(self, model: ChatModel) -> None:
        self.model = model
        self.name = model.name
        self.context_window = model.context_window
        self.supports_tools = model.supports_tools

    def count_tokens(self, messages: list[ChatMessage]) -> int:
        return self.model.count_tokens(messages)

    def complete(self, request: ModelRequest) -> Completion:
        done = durable(lambda: dataclasses.asdict(self.model.complete(request))).result()
        return Completion(**done)

    def close(self) -> None:
        self.model.close()


class ToolStep:
    """The tool calls and results of one agent step, each sealed as a channel message with a content id,
    streamed, and recorded on the ledger when it anchors messages: a call goes from the agent to
    ``tool:<name>`` (its parents: the step's inputs, or the result before it), its result comes back
    (its parent: the call). A failed call is a result with ``ok=False`` and the error."""

    def __init__(self, runtime: Runtime, agent: str, node: str) -> None:
        self.runtime = runtime
        self.agent = agent
        self.node = node
        self.inputs: list[str] = []
        self.envelopes: list[Envelope] = []

    def __call__(self, call: ToolCall, result: ToolResult) -> None:
        where = TOOL_PREFIX + call.tool
        parents = [self.envelopes[-1].id] if self.envelopes else self.inputs
        call_env = seal(call, source=self.agent, target=where, parents=parents, node=self.node)
        result_env = seal(result, source=where, target=self.agent, parents=[call_env.id], node=self.node)
        output = result.output if result.ok else result.error
        emit(
            ToolEvent(
                node=self.node,
                agent=self.agent,
                tool=call.tool,
                arguments=call.arguments,
                ok=result.ok,
                output=output,
            )
        )
        for env in (call_env, result_env):
            emit(MessageEvent(node=self.node, envelope=env))
            self.runtime.record_message(env)
        self.envelopes += [call_env, result_env]

    def parents(self, inputs: list[str]) -> list[str]:
        """What the step's output hangs from: its inputs and the last tool result."""
        return [*inputs, self.envelopes[-1].id] if self.envelopes else inputs

    def trace(self) -> list[dict[str, Any]]:
        return [env.model_dump() for env in self.envelopes]


class AgentCall:
    """One agent's model calls within one step: metered, streamed, with the agent's own settings. Every
    streamed token and every call checks the run's stop signal (``cancel``, by default the running graph's:
    :mod:`qsm.graph.cancel`) and raises :class:`~qsm.graph.cancel.RunCancelled` once it is set."""

    def __init__(
        self,
        runtime: Runtime,
        agent: Agent,
        *,
        node: str,
        limits: Limits,
        spent: dict[str, dict[str, Any]],
        share: int = 1,
        candidate: int | None = None,
        cancel: threading.Event | None = None,
        toolbox: Toolbox | None = None,
        approvals: Sequence[Approval] = (),
    ) -> None:
        self.agent = agent
        self._runtime = runtime
        self.toolbox = toolbox
        self.approvals = list(approvals)
        self.tool_step = ToolStep(runtime, agent.name, node)
        self.cancel = cancel if cancel is not None else current_signal()
        self.node = node
        self.candidate = candidate
        self.settings = runtime.agent_settings(agent)
        self.meter = MeteredModel(
            runtime.model(agent), agent=agent.name, limits=limits, spent=spent, share=share
        )
        if self.approvals:  # the step may ask: what it did before the question must not be redone
            self.meter.model = DurableModel(self.meter.model)

    def system_prompt(self, default: str) -> str:
        return self.agent.system_prompt or self.settings.system_prompt or default

    def _on_token(self, kind: Literal["text", "json"]) -> Callable[[str], None]:
        splitter = ThinkStream()

        def on_token(piece: str) -> None:
            check(self.cancel)  # raising here leaves the backend's token loop: the call stops at once
            for thinking, text in splitter.feed(piece):
                emit(
                    TokenEvent(
                        node=self.node,
                        agent=self.agent.name,
                        candidate=self.candidate,
                        text=text,
                        thinking=thinking,
                        format=kind,
                    )
                )

        return on_token

    def text(self, messages: list[ChatMessage]) -> Completion:
        """The agent's reply; an agent with tools first calls them as it sees fit (the tool loop,
        :func:`~qsm.agents.tools.loop.run_tool_loop`), each call and result sealed in ``tool_step``."""
        check(self.cancel)
        if self.toolbox is not None:
            limits = self._runtime.settings.tools
            return run_tool_loop(
                self.meter,
                messages,
                self.toolbox,
                sampling=self.settings.sampling,
                max_rounds=limits.max_rounds,
                max_errors=limits.max_errors,
                caller=self.agent.name,
                cache_key=self.agent.name,
                on_token=self._on_token("text"),
                on_step=self.tool_step,
                thinking_budget=self.settings.thinking_budget,
                run=self._run_tool if self.approvals else None,
            ).completion
        return self.meter.complete(
            ModelRequest(
                messages,
                self.settings.sampling,
                on_token=self._on_token("text"),
                thinking_budget=self.settings.thinking_budget,
            )
        )

    def _run_tool(self, call: ToolCall) -> ToolResult:
        """Run ``call`` durably, once the user allows it where an approval covers it; any answer but
        yes declines it (a failed result with the user's words)."""
        toolbox = self.toolbox
        assert toolbox is not None
        approval = next((a for a in self.approvals if a.covers(self.agent.name, call.tool)), None)
        if approval is not None:
            question = tool_call_question(self.agent.name, call, approval.question)
            answer = ask_user(question, choices=["yes", "no"], node=self.node)
            if not approved(answer):
                return declined(call, answer)
        result: ToolResult = durable(lambda: toolbox.run(call)).result()
        return result

    def structured(self, messages: list[ChatMessage], reply_type: type[T]) -> T:
        check(self.cancel)
        result = generate_structured(
            self.meter,
            messages,
            reply_type,
            sampling=self.settings.sampling,
            retries=self.settings.structured_retries,
            on_token=self._on_token("json"),
            cache_key=self.agent.name,
        )
        if result.repaired:
            emit(RepairEvent(node=self.node, agent=self.agent.name, attempts=result.attempts))
        return result.value

    def constrained(
        self, messages: list[ChatMessage], schema: dict[str, Any]
    ) -> tuple[dict[str, Any], Completion]:
        """One reply decoded under ``schema`` (a grammar on llama.cpp), parsed leniently; ``{}`` when
        even the repaired reply is not an object."""
        check(self.cancel)
        completion = self.meter.complete(
            ModelRequest(
                messages,
                self.settings.sampling,
                json_schema=schema,
                on_token=self._on_token("json"),
                cache_key=self.agent.name,
            )
        )
        value, _ = extract_json(completion.text)
        value = repair_to_schema(value, schema) if isinstance(value, dict) else {}
        return value if isinstance(value, dict) else {}, completion

    def tool_call(self, messages: list[ChatMessage], toolbox: Toolbox) -> ToolCall:
        """A call of one of ``toolbox``'s tools, written by the model under the call grammar (native tool
        calls on OpenAI-compatible servers); raises ToolCallError when no valid call comes back."""
        check(self.cancel)
        return request_tool_call(
            self.meter,
            messages,
            toolbox,
            sampling=self.settings.sampling,
            on_token=self._on_token("json"),
            cache_key=self.agent.name,
        )

    def spent_update(self) -> dict[str, dict[str, Any]]:
        return self.meter.spent_update()
