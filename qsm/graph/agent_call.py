"""What every step needs: the agent's model behind a budget meter, streaming events, sealing sends."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Literal, TypeVar

from pydantic import BaseModel

from qsm.agents.backend import ChatMessage, Completion, ModelRequest
from qsm.agents.messages import ToolCall
from qsm.agents.structured import extract_json, generate_structured, repair_to_schema
from qsm.agents.thinking import ThinkStream
from qsm.agents.tools import Toolbox, request_tool_call
from qsm.graph.budget import Limits, MeteredModel
from qsm.graph.cancel import check, current_signal
from qsm.graph.envelope import Envelope
from qsm.graph.events import RepairEvent, RunEvent, TokenEvent

if TYPE_CHECKING:
    from qsm.graph.runtime import Runtime
    from qsm.graph.spec import Agent

__all__ = ["AgentCall", "emit", "envelope"]

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
    ) -> None:
        self.agent = agent
        self.cancel = cancel if cancel is not None else current_signal()
        self.node = node
        self.candidate = candidate
        self.settings = runtime.agent_settings(agent)
        self.meter = MeteredModel(
            runtime.model(agent), agent=agent.name, limits=limits, spent=spent, share=share
        )

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
        check(self.cancel)
        return self.meter.complete(
            ModelRequest(
                messages,
                self.settings.sampling,
                on_token=self._on_token("text"),
                thinking_budget=self.settings.thinking_budget,
            )
        )

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
