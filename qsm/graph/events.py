"""What a run reports: one typed event per thing that happens (:data:`RunEvent`, discriminated by ``type``)
and, in the last event, its :class:`RunResult`.

Steps send events with :func:`qsm.graph.agent_call.emit`; :func:`qsm.graph.runner.stream` yields them.
Consumers match on ``event.type`` and read that event's own fields, e.g.::

    for event in stream(workflow, "What is 2+2?"):
        if event.type == "token":
            print(event.text, end="")
        elif event.type == "done":
            print(event.result.text)
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, TypeAlias

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

from qsm.agents.messages import CostReport, FinalAnswer
from qsm.graph.envelope import Envelope

__all__ = [
    "BudgetEvent",
    "ChecksEvent",
    "DoneEvent",
    "EventType",
    "FinalEvent",
    "MemoryEvent",
    "MessageEvent",
    "NodeDoneEvent",
    "QuestionEvent",
    "RecallEvent",
    "RecallHit",
    "RepairEvent",
    "RouteEvent",
    "RunEvent",
    "RunResult",
    "RunStatus",
    "StepEvent",
    "TokenEvent",
    "ToolEvent",
    "as_event",
]

RunStatus = Literal[
    "ok", "rejected", "budget_exhausted", "failed", "incomplete", "running", "interrupted", "error", "waiting"
]
"""Where a run stands: the final answer's status (``ok``, ``rejected``, ``budget_exhausted``, ``failed``),
or, without a final answer, ``incomplete`` (the graph stopped before one), ``running`` (started and not
marked finished, e.g. killed), ``interrupted`` (stopped by an exception that was not a qsm error) or
``error`` (a qsm error stopped it; its message is in ``RunResult.errors``). Only these four can be
resumed, and ``waiting``: the run asks the user ``RunResult.question`` and goes on when resumed with the
answer (:mod:`qsm.graph.human`)."""


class RunResult(BaseModel):
    thread_id: str
    final: FinalAnswer | None
    final_id: str | None
    status: RunStatus
    trace: list[Envelope] = Field(default_factory=list)
    cost: CostReport | None = None
    receipt: dict[str, Any] | None = None
    errors: list[str] = Field(default_factory=list)
    question: str | None = Field(None, description="what a waiting run asks the user")
    choices: list[str] = Field(default_factory=list, description="the answers a waiting run suggests")

    @property
    def verified(self) -> bool:
        """True when Ref accepted the answer (status ``ok``)."""
        return self.final is not None and self.final.status == "ok"

    @property
    def answer(self) -> str | None:
        """The answer, or None when there is no verified one (see :attr:`best_attempt`)."""
        if self.final is None or self.final.status in ("rejected", "failed"):
            return None
        return self.final.text

    @property
    def best_attempt(self) -> str:
        """The chosen candidate's text, verified or not."""
        return self.final.text if self.final else ""

    @property
    def text(self) -> str:
        """What to show a person: the answer, or, when Ref rejected every candidate, the best attempt
        labelled as unverified."""
        if self.final is None:
            return ""
        if self.final.status == "rejected":
            return f"No verified answer. Best attempt (rejected by Ref): {self.final.text}"
        return self.final.text


class _Event(BaseModel):
    """Fields every event has: the graph node it comes from and the agent acting (None where none is)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    node: str | None = None
    agent: str | None = None


class StepEvent(_Event):
    """An agent starts a step (the ``finish`` step of a pipeline has no agent)."""

    type: Literal["step"] = "step"
    node: str
    candidate: int | None = None


class TokenEvent(_Event):
    """A piece of an agent's streamed reply: answer text, or thinking when ``thinking`` is true;
    ``format`` says whether the reply is free text or JSON."""

    type: Literal["token"] = "token"
    candidate: int | None = None
    text: str
    thinking: bool = False
    format: Literal["text", "json"] = "text"


class MessageEvent(_Event):
    """A channel message was sent."""

    type: Literal["message"] = "message"
    envelope: Envelope


class RepairEvent(_Event):
    """An agent's reply needed structured-output repair; ``attempts`` model calls were made."""

    type: Literal["repair"] = "repair"
    attempts: int


class BudgetEvent(_Event):
    """An agent's budget share ran out (``message`` says which limit)."""

    type: Literal["budget"] = "budget"
    message: str


class FinalEvent(_Event):
    """The final answer (its envelope; the run's ``done`` event follows)."""

    type: Literal["final"] = "final"
    envelope: Envelope


class MemoryEvent(_Event):
    """A memory operation was skipped (``message`` says which and why)."""

    type: Literal["memory"] = "memory"
    message: str


class RecallHit(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: str
    path: str
    score: float


class RecallEvent(_Event):
    """Notes recalled from memory for an agent, best first."""

    type: Literal["recall"] = "recall"
    hits: list[RecallHit]


class RouteEvent(_Event):
    """Who routed the request (``router``: student, quantum, llm or default; ``route_to``: the drafter;
    ``confidence``), or, with only ``message`` set, why the student router is not in use."""

    type: Literal["route"] = "route"
    router: Literal["student", "quantum", "llm", "default"] | None = None
    route_to: str | None = None
    confidence: float | None = None
    message: str | None = None


class ToolEvent(_Event):
    """An agent ran a tool; ``output`` is the result when ``ok``, else the error."""

    type: Literal["tool"] = "tool"
    candidate: int | None = None
    tool: str
    arguments: dict[str, Any]
    ok: bool
    output: str


class ChecksEvent(_Event):
    """Ref's checks of one draft, each ``"name: passed|failed"``."""

    type: Literal["checks"] = "checks"
    candidate: int | None = None
    checks: list[str]


class QuestionEvent(_Event):
    """The run asks the user ``question`` and waits (status ``waiting``) until it is resumed with the
    answer (``resume(thread_id, answer=...)``)."""

    type: Literal["question"] = "question"
    question: str
    choices: list[str] = Field(default_factory=list)


class NodeDoneEvent(_Event):
    """A graph node finished."""

    type: Literal["node_done"] = "node_done"
    node: str


class DoneEvent(_Event):
    """The run ended; always the last event. ``resumed`` is false when a resume found nothing left to run."""

    type: Literal["done"] = "done"
    result: RunResult
    resumed: bool = True


RunEvent: TypeAlias = Annotated[
    StepEvent
    | TokenEvent
    | MessageEvent
    | RepairEvent
    | BudgetEvent
    | FinalEvent
    | MemoryEvent
    | RecallEvent
    | RouteEvent
    | ToolEvent
    | ChecksEvent
    | QuestionEvent
    | NodeDoneEvent
    | DoneEvent,
    Field(discriminator="type"),
]
"""One event of a run; ``event.type`` says which, and the event's class documents its fields:

- ``step`` (:class:`StepEvent`): an agent starts a step (``node``, ``agent``, ``candidate``).
- ``token`` (:class:`TokenEvent`): a piece of an agent's streamed reply (``text``, ``thinking``, ``format``).
- ``message`` (:class:`MessageEvent`): a channel message was sent (``envelope``).
- ``repair`` (:class:`RepairEvent`): an agent's reply needed structured-output repair (``attempts``).
- ``budget`` (:class:`BudgetEvent`): an agent's budget share ran out (``message``).
- ``final`` (:class:`FinalEvent`): the final answer (``envelope``).
- ``memory`` (:class:`MemoryEvent`): a memory operation was skipped (``message``).
- ``recall`` (:class:`RecallEvent`): notes recalled from memory for an agent (``hits``).
- ``route`` (:class:`RouteEvent`): who routed the request (``router``: student, quantum, llm or default;
  ``route_to``; ``confidence``), or why the student router is not in use (``message``).
- ``tool`` (:class:`ToolEvent`): an agent ran a tool (``tool``, ``arguments``, ``ok``, ``output``: the result
  or the error).
- ``checks`` (:class:`ChecksEvent`): Ref's checks of one draft (``checks``: "name: passed|failed").
- ``question`` (:class:`QuestionEvent`): the run asks the user (``question``, ``choices``) and waits.
- ``node_done`` (:class:`NodeDoneEvent`): a graph node finished.
- ``done`` (:class:`DoneEvent`): the run ended (``result``, a :class:`RunResult`); always the last event.
"""

EventType = Literal[
    "step",
    "token",
    "message",
    "repair",
    "budget",
    "final",
    "memory",
    "recall",
    "route",
    "tool",
    "checks",
    "question",
    "node_done",
    "done",
]
"""The ``type`` of a :data:`RunEvent`."""

_EVENTS: TypeAdapter[RunEvent] = TypeAdapter(RunEvent)


def as_event(chunk: object) -> RunEvent:
    """A LangGraph custom-stream chunk as the event it carries: an event passes through unchanged; a
    mapping (written by something other than :func:`~qsm.graph.agent_call.emit`) is validated."""
    return _EVENTS.validate_python(chunk)
