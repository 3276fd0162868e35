"""OpenTelemetry spans for the server's runs (``qsm serve --otel console|otlp``): one ``qsm.run`` span per
run, a ``qsm.node`` child per agent step (opened at its ``step`` event, closed at its ``node_done``), a
``qsm.tool`` child per tool call, and a ``qsm.model_call`` child per model call (:class:`TracedModels`:
agent, model, prompt and completion tokens, seconds, finish reason). The run's attributes: thread and run
ids, user, workflow, status, final content id, tokens, calls and seconds (each agent's too, from SOM's
cost report). Node and tool spans are built from the run's typed events, so they time what the events
time. opentelemetry-sdk is optional: without it ``--otel`` says how to install it."""

from __future__ import annotations

import sys
from types import TracebackType
from typing import TYPE_CHECKING, Any, Literal

from qsm.agents.backend import ChatMessage, ChatModel, Completion, ModelRequest
from qsm.agents.pool import ModelPool
from qsm.agents.settings import AgentSettings
from qsm.errors import ConfigError
from qsm.graph.events import RunEvent

if TYPE_CHECKING:
    from contextvars import Token

    from opentelemetry.context import Context
    from opentelemetry.trace import Span, Tracer

__all__ = ["Exporter", "RunSpans", "TracedModels", "make_tracer"]

Exporter = Literal["console", "otlp"]


def make_tracer(exporter: Exporter) -> Tracer:
    """A tracer whose spans go to the console (stdout, JSON) or to an OTLP collector (gRPC; the
    standard ``OTEL_EXPORTER_OTLP_ENDPOINT`` environment variable says where)."""
    try:
        from opentelemetry.sdk.resources import Resource
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import (
            BatchSpanProcessor,
            ConsoleSpanExporter,
            SimpleSpanProcessor,
        )
    except ImportError:
        raise ConfigError(
            "--otel needs opentelemetry-sdk",
            hint="pip install opentelemetry-sdk (and, for otlp, opentelemetry-exporter-otlp)",
        ) from None
    provider = TracerProvider(resource=Resource.create({"service.name": "qsm"}))
    if exporter == "otlp":
        try:
            from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter
        except ImportError:
            raise ConfigError(
                "--otel otlp needs the OTLP exporter", hint="pip install opentelemetry-exporter-otlp"
            ) from None
        provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    else:  # each span printed as it ends
        provider.add_span_processor(SimpleSpanProcessor(ConsoleSpanExporter(out=sys.stdout)))
    return provider.get_tracer("qsm.serve")


class RunSpans:
    """The spans of one run, fed its events (:meth:`add`); a ``with`` block opens and ends the run span."""

    def __init__(self, tracer: Tracer, attributes: dict[str, Any]) -> None:
        self._tracer = tracer
        self._attributes = {k: v for k, v in attributes.items() if v is not None}
        self._root: Span | None = None
        self._nodes: dict[tuple[str, int | None], Span] = {}
        self._tokens: dict[tuple[str, int | None], int] = {}
        self._token: Token[Context] | None = None

    def __enter__(self) -> RunSpans:
        from opentelemetry import context, trace

        self._root = self._tracer.start_span("qsm.run", attributes=self._attributes)
        # current in this worker thread, and in the graph's threads (they copy its context): model calls
        # (:class:`TracedModels`) become its children
        self._token = context.attach(trace.set_span_in_context(self._root))
        return self

    def add(self, event: RunEvent) -> None:
        from opentelemetry import trace

        root = self._root
        assert root is not None, "use RunSpans in a with block"
        inside = trace.set_span_in_context(root)
        if event.type == "step":
            key = (event.node, event.candidate)
            attributes = {"qsm.node": event.node, "qsm.agent": event.agent, "qsm.candidate": event.candidate}
            self._end_node(key)
            self._nodes[key] = self._tracer.start_span(
                f"qsm.node {event.node}",
                context=inside,
                attributes={k: v for k, v in attributes.items() if v is not None},
            )
        elif event.type == "token":
            for key in self._nodes:
                if key[0] == event.node:
                    self._tokens[key] = self._tokens.get(key, 0) + 1
        elif event.type == "tool":
            parent = next((s for (node, _), s in self._nodes.items() if node == event.node), root)
            span = self._tracer.start_span(
                f"qsm.tool {event.tool}",
                context=trace.set_span_in_context(parent),
                attributes={"qsm.tool": event.tool, "qsm.tool.ok": event.ok},
            )
            span.end()
        elif event.type == "node_done":
            for key in [k for k in self._nodes if k[0] == event.node]:
                self._end_node(key)
        elif event.type == "done":
            result = event.result
            root.set_attribute("qsm.status", result.status)
            if result.final_id:
                root.set_attribute("qsm.final_id", result.final_id)
            if result.cost is not None:
                cost = result.cost
                root.set_attributes(
                    {"qsm.tokens": cost.tokens, "qsm.calls": cost.calls, "qsm.seconds": cost.seconds}
                )
                for agent, spent in cost.by_agent.items():
                    root.set_attributes(
                        {
                            f"qsm.agent.{agent}.prompt_tokens": spent.prompt_tokens,
                            f"qsm.agent.{agent}.completion_tokens": spent.completion_tokens,
                            f"qsm.agent.{agent}.calls": spent.calls,
                            f"qsm.agent.{agent}.seconds": spent.seconds,
                        }
                    )

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        from opentelemetry import context
        from opentelemetry.trace import Status, StatusCode

        for key in list(self._nodes):
            self._end_node(key)
        if self._token is not None:
            context.detach(self._token)
        assert self._root is not None
        if exc is not None:
            self._root.record_exception(exc)
            self._root.set_status(Status(StatusCode.ERROR, str(exc)[:200]))
        self._root.end()

    def failed(self, message: str) -> None:
        """Mark the run span failed (a run stopped by a qsm error, or cancelled)."""
        from opentelemetry.trace import Status, StatusCode

        assert self._root is not None
        self._root.set_status(Status(StatusCode.ERROR, message[:200]))

    def _end_node(self, key: tuple[str, int | None]) -> None:
        span = self._nodes.pop(key, None)
        if span is not None:
            span.set_attribute("qsm.streamed_tokens", self._tokens.pop(key, 0))
            span.end()


class TracedModels(ModelPool):
    """The runtime's model pool with a ``qsm.model_call`` span around every model call."""

    def __init__(self, inner: ModelPool, tracer: Tracer) -> None:
        super().__init__()
        self._inner = inner
        self._tracer = tracer
        self._traced: dict[tuple[str, int], ChatModel] = {}

    def model_for(self, agent: str, settings: AgentSettings) -> ChatModel:
        model = self._inner.model_for(agent, settings)
        key = (agent, id(model))
        with self._lock:
            if key not in self._traced:
                self._traced[key] = _TracedModel(model, agent, self._tracer)
            return self._traced[key]

    @property
    def llama_bases(self) -> list[Any]:
        return self._inner.llama_bases

    def close(self) -> None:
        self._inner.close()


class _TracedModel:
    def __init__(self, model: ChatModel, agent: str, tracer: Tracer) -> None:
        self._model = model
        self._agent = agent
        self._tracer = tracer
        self.name = model.name
        self.context_window = model.context_window
        self.supports_tools = model.supports_tools

    def count_tokens(self, messages: list[ChatMessage]) -> int:
        return self._model.count_tokens(messages)

    def complete(self, request: ModelRequest) -> Completion:
        attributes = {"qsm.agent": self._agent, "gen_ai.request.model": self.name}
        with self._tracer.start_as_current_span("qsm.model_call", attributes=attributes) as span:
            done = self._model.complete(request)
            span.set_attributes(
                {
                    "gen_ai.usage.input_tokens": done.prompt_tokens,
                    "gen_ai.usage.output_tokens": done.completion_tokens,
                    "qsm.seconds": done.seconds,
                    "qsm.finish_reason": done.finish_reason,
                }
            )
            return done

    def close(self) -> None:
        self._model.close()
