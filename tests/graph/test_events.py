"""Run events are typed: one model per ``type`` with its own fields, chosen by the ``type`` discriminator."""

from __future__ import annotations

from typing import get_args

import pytest
from pydantic import TypeAdapter, ValidationError

from qsm.graph import Workflow, stream
from qsm.graph.events import (
    DoneEvent,
    EventType,
    MessageEvent,
    RunEvent,
    StepEvent,
    TokenEvent,
    as_event,
)
from tests.helpers import fake_runtime, team_fakes

EVENTS: TypeAdapter[RunEvent] = TypeAdapter(RunEvent)


def test_every_event_type_has_exactly_one_model() -> None:
    union = get_args(get_args(RunEvent)[0])
    tags = [get_args(model.model_fields["type"].annotation)[0] for model in union]
    assert sorted(tags) == sorted(get_args(EventType)) and len(set(tags)) == len(tags)


def test_a_run_streams_typed_events_that_round_trip_through_json(tmp_path) -> None:
    with fake_runtime(tmp_path, team_fakes(WeQ=["<think>add</think>It is 4"])) as rt:
        events = list(stream(Workflow.default(), "What is 2+2?", runtime=rt))
    assert isinstance(events[-1], DoneEvent) and events[-1].result.text == "It is 4"
    assert {e.type for e in events} >= {"step", "token", "message", "final", "node_done", "done"}
    steps = [e for e in events if isinstance(e, StepEvent)]
    assert ("QSM.plan", "QSM") in {(s.node, s.agent) for s in steps}
    tokens = [e for e in events if isinstance(e, TokenEvent) and e.agent == "WeQ"]
    assert "".join(t.text for t in tokens if not t.thinking) == "It is 4" and tokens[0].format == "text"
    first = events[0]
    assert isinstance(first, MessageEvent) and first.envelope.type == "UserRequest"
    for event in events:  # what an API would send and a client read back
        assert EVENTS.validate_json(event.model_dump_json()) == event


def test_a_stream_chunk_becomes_its_event_once() -> None:
    step = StepEvent(node="QSM.plan", agent="QSM")
    assert as_event(step) is step, "an emitted event is passed through, not copied"
    budget = as_event({"type": "budget", "agent": "WeQ", "message": "tokens ran out"})
    assert budget.type == "budget" and budget.message == "tokens ran out"
    with pytest.raises(ValidationError, match="does not match any of the expected tags"):
        as_event({"type": "gossip", "agent": "WeQ"})
    with pytest.raises(ValidationError, match="extra"):
        as_event({"type": "budget", "message": "m", "attempts": 2})  # a field of another event type


@pytest.mark.parametrize("router", ["llm", "student"])
def test_each_step_is_announced_once(tmp_path, router: str) -> None:
    """QSM's plan is one step whether its model plans (the call announces it) or the student routes."""
    runtime = {"router": router, "tools": True, "ref_judge": "checks"} if router == "student" else {}
    with fake_runtime(tmp_path, team_fakes(WeQ=["Paris."]), runtime=runtime, embedder="minilm") as rt:
        events = list(stream(Workflow.default(), "What is the capital of France?", runtime=rt))
    steps = [(e.node, e.candidate) for e in events if isinstance(e, StepEvent)]
    assert steps.count(("QSM.plan", None)) == 1, steps
    assert len(steps) == len(set(steps)), steps
