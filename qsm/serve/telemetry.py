"""OpenTelemetry spans for the server's runs (``qsm serve --otel console|otlp``): one ``qsm.run`` span per
run, a ``qsm.node`` child per agent step (opened at its ``step`` event, closed at its ``node_done``), a
``qsm.tool`` child per tool call. Attributes: thread and run ids, user, workflow, the run's status, final
content id, tokens, calls and seconds (each agent's too, from SOM's cost report). The spans are built from
the run's typed events, so they time what the events time. opentelemetry-sdk is optional: without it
``--otel`` says how to install it."""

from __future__ import annotations

import sys
from types import TracebackType
from typing import TYPE_CHECKING, Any, Literal

from qsm.errors import ConfigError
from qsm.graph.events import RunEvent

if TYPE_CHECKING:
    from opentelemetry.trace import Span, Tracer

__all__ = ["Exporter", "RunSpans", "make_tracer"]

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

    def __enter__(self) -> RunSpans:
        self._root = self._tracer.start_span("qsm.run", attributes=self._attributes)
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
        from opentelemetry.trace import Status, StatusCode

        for key in list(self._nodes):
            self._end_node(key)
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
