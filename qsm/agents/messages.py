"""The typed messages agents exchange over entanglement channels.

Each message type has a ``kind`` (its content-id prefix). Messages are immutable; the graph wraps each
one sent in an envelope that adds its content id and its parents' ids.
"""

from __future__ import annotations

from typing import Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "MESSAGE_TYPES",
    "AgentCost",
    "Budget",
    "Citation",
    "CostReport",
    "Diagnosis",
    "Draft",
    "FinalAnswer",
    "FinalStatus",
    "Message",
    "MessageType",
    "Note",
    "Plan",
    "RepairPlan",
    "Task",
    "ToolCall",
    "ToolResult",
    "UserRequest",
    "Verdict",
    "message_type",
]

FinalStatus = Literal["ok", "budget_exhausted", "rejected", "failed"]


class Message(BaseModel):
    """Base of every channel message."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)
    kind: ClassVar[str] = "message"


class UserRequest(Message):
    kind: ClassVar[str] = "request"
    text: str = Field(min_length=1)
    user: str = "local"


class Plan(Message):
    """QSM's decomposition of a request: what to achieve, in which steps, and who drafts."""

    kind: ClassVar[str] = "plan"
    goal: str
    steps: list[str] = Field(default_factory=list)
    route_to: str = Field("WeQ", description="the drafting agent: the team's communicator or its economist")
    needs_memory: bool = False
    router: Literal["student", "quantum", "llm", "default"] = Field(
        "llm",
        description="who decided the route: the student classifier, the quantum student, QSM's LLM, or the "
        "default",
    )
    confidence: float | None = Field(None, ge=0.0, le=1.0, description="the student's confidence")


class Task(Message):
    """One unit of work QSM hands to a drafting agent (one per candidate in superposition)."""

    kind: ClassVar[str] = "task"
    instruction: str
    assignee: str
    candidate: int = Field(ge=0)


class Budget(Message):
    """SOM's limits for the run and their split across agents (tokens per agent)."""

    kind: ClassVar[str] = "budget"
    tokens: int = Field(ge=0)
    seconds: float = Field(ge=0)
    calls: int = Field(ge=0)
    allocation: dict[str, int] = Field(default_factory=dict)
    complexity: Literal["low", "medium", "high"] = "medium"
    rationale: str = ""


class Citation(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)
    entry_id: str
    path: str
    quote: str = ""


class Draft(Message):
    kind: ClassVar[str] = "draft"
    text: str
    thinking: str = ""
    author: str
    candidate: int = Field(ge=0)
    round: int = Field(0, ge=0)
    citations: list[Citation] = Field(default_factory=list)
    tool_calls: list[ToolCall] = Field(default_factory=list, description="tools the author ran")
    tool_results: list[ToolResult] = Field(default_factory=list, description="what they gave, in order")


class Verdict(Message):
    """Ref's judgement of one draft."""

    kind: ClassVar[str] = "verdict"
    decision: Literal["accept", "revise", "reject"]
    score: float = Field(ge=0.0, le=1.0)
    reasons: list[str] = Field(default_factory=list)
    candidate: int = Field(ge=0)
    round: int = Field(0, ge=0)
    checks: list[str] = Field(default_factory=list, description="each check Ref ran: 'name: passed|failed'")
    judged_by: Literal["checks", "model"] = Field("model", description="what decided: checks or Ref's LLM")


class Diagnosis(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)
    problem: str
    solution: str


class RepairPlan(Message):
    """Ref's diagnosis of a draft that needs revision and what the author should change."""

    kind: ClassVar[str] = "repair"
    candidate: int = Field(ge=0)
    round: int = Field(ge=0)
    diagnoses: list[Diagnosis] = Field(default_factory=list)
    instruction: str


class AgentCost(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)
    calls: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    seconds: float = 0.0

    @property
    def tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens


class CostReport(Message):
    """SOM's account of a run: what each agent spent against the budget, and credits earned."""

    kind: ClassVar[str] = "cost"
    by_agent: dict[str, AgentCost]
    tokens: int
    calls: int
    seconds: float
    budget_tokens: int
    budget_calls: int
    budget_seconds: float
    exhausted: bool
    credits: dict[str, float] = Field(default_factory=dict)


class FinalAnswer(Message):
    kind: ClassVar[str] = "final"
    text: str
    thinking: str = ""
    status: FinalStatus = "ok"
    collapse: str = "ref_rank"
    chosen_candidate: int | None = None
    candidates: int = 0
    score: float | None = None
    citations: list[Citation] = Field(default_factory=list)
    note: str = ""


class Note(Message):
    """Free text from a custom agent."""

    kind: ClassVar[str] = "note"
    text: str
    author: str = ""


class ToolCall(Message):
    """A request to run one tool: its name and its (validated) arguments; ``caller`` is the agent."""

    kind: ClassVar[str] = "toolcall"
    tool: str = Field(min_length=1)
    arguments: dict[str, Any] = Field(default_factory=dict)
    caller: str = ""


class ToolResult(Message):
    """What one tool run gave: ``output`` (exact text) when ``ok``, else ``error`` (why it failed);
    ``value`` is the numeric result where there is one (a calculation, a conversion)."""

    kind: ClassVar[str] = "toolresult"
    tool: str
    ok: bool
    output: str = ""
    error: str = ""
    value: float | None = None


MESSAGE_TYPES: dict[str, type[Message]] = {
    cls.__name__: cls
    for cls in (
        UserRequest,
        Plan,
        Task,
        Budget,
        Draft,
        Verdict,
        RepairPlan,
        CostReport,
        FinalAnswer,
        Note,
        ToolCall,
        ToolResult,
    )
}


MessageType = Literal[
    "UserRequest",
    "Plan",
    "Task",
    "Budget",
    "Draft",
    "Verdict",
    "RepairPlan",
    "CostReport",
    "FinalAnswer",
    "Note",
    "ToolCall",
    "ToolResult",
]
"""The name of a channel message's type: a key of :data:`MESSAGE_TYPES` (what envelopes and specs name)."""


def message_type(name: str) -> type[Message]:
    """Look a message type up by class name (as written in workflow specs)."""
    from qsm.errors import SpecError

    try:
        return MESSAGE_TYPES[name]
    except KeyError:
        raise SpecError(
            f"unknown message type {name!r}", hint=f"use one of: {', '.join(sorted(MESSAGE_TYPES))}"
        ) from None


def dump(message: Message) -> dict[str, Any]:
    return message.model_dump(mode="json")


Draft.model_rebuild()
