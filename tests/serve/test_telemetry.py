"""`qsm serve --otel`: every run leaves a ``qsm.run`` span with its ids, status and costs, and a
``qsm.node`` child per agent step."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import StatusCode

from qsm.agents import FakeChatModel
from qsm.errors import ModelCallError
from qsm.serve.telemetry import make_tracer
from tests.serve.conftest import serving


def test_a_run_leaves_its_spans(tmp_path: Path) -> None:
    exported = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exported))
    with serving(tmp_path, tracer=provider.get_tracer("test")) as served:
        reply = httpx.post(
            f"{served.url}/v1/chat/completions",
            json={"model": "team", "messages": [{"role": "user", "content": "What is 2+2?"}]},
            timeout=60,
        ).json()
    spans = exported.get_finished_spans()
    (run,) = [s for s in spans if s.name == "qsm.run"]
    attributes = dict(run.attributes or {})
    assert attributes["qsm.thread_id"] == reply["thread_id"] and attributes["qsm.run_id"] == reply["run_id"]
    assert attributes["qsm.final_id"] == reply["final_id"] and attributes["qsm.status"] == "ok"
    assert attributes["qsm.user"] == "local" and attributes["qsm.workflow"] == "team"
    assert attributes["qsm.calls"] == reply["qsm_cost"]["calls"] and attributes["qsm.tokens"] > 0
    assert attributes["qsm.agent.WeQ.calls"] >= 1
    nodes = [s for s in spans if s.name.startswith("qsm.node ")]
    assert {dict(s.attributes or {}).get("qsm.agent") for s in nodes} >= {"QSM", "WeQ", "Ref"}
    assert all(s.parent is not None and s.parent.span_id == run.context.span_id for s in nodes)
    assert all(run.start_time <= s.start_time and s.end_time <= run.end_time for s in nodes)  # type: ignore[operator]
    assert run.status.status_code != StatusCode.ERROR
    calls = [s for s in spans if s.name == "qsm.model_call"]
    assert len(calls) == attributes["qsm.calls"]
    assert all(s.parent is not None and s.parent.span_id == run.context.span_id for s in calls)
    weq = [dict(s.attributes or {}) for s in calls if dict(s.attributes or {})["qsm.agent"] == "WeQ"]
    assert weq and weq[0]["gen_ai.usage.output_tokens"] > 0 and weq[0]["qsm.finish_reason"] == "stop"
    assert sum(a["gen_ai.usage.output_tokens"] for a in weq) == attributes["qsm.agent.WeQ.completion_tokens"]


def test_a_failed_run_span_is_marked(tmp_path: Path) -> None:
    exported = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exported))
    weq = FakeChatModel([ModelCallError("the model server is down", hint="start it")])
    with serving(tmp_path, {"WeQ": weq}, tracer=provider.get_tracer("test")) as served:
        answer = httpx.post(
            f"{served.url}/v1/chat/completions",
            json={"model": "team", "messages": [{"role": "user", "content": "What is 2+2?"}]},
            timeout=60,
        )
    assert answer.status_code == 500 and answer.json()["error"]["code"] == "run_failed"
    assert "/resume" in answer.json()["error"]["message"]
    (run,) = [s for s in exported.get_finished_spans() if s.name == "qsm.run"]
    assert run.status.status_code == StatusCode.ERROR and "model server is down" in (
        run.status.description or ""
    )


def test_the_console_exporter_prints_each_span(capsys: pytest.CaptureFixture[str]) -> None:
    tracer = make_tracer("console")
    with tracer.start_as_current_span("qsm.probe", attributes={"qsm.thread_id": "t1"}):
        pass
    printed = capsys.readouterr().out
    assert '"name": "qsm.probe"' in printed and '"qsm.thread_id": "t1"' in printed
    assert '"service.name": "qsm"' in printed
