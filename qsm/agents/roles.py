"""The four roles: what each agent is told, and the small JSON replies it is asked for.

The schemas name agents (who drafts, whose weight is which). They are built per team with
:func:`plan_reply_type` and :func:`budget_reply_type` so that a workflow that renames its agents asks for
its own names; the default team gets :class:`PlanReply` and :class:`BudgetReply` themselves, the schemas
the shipped adapters were trained on. Read replies by role (``route_to`` against the names,
:meth:`WeightSplit.split`), never by a default name.

Reply schemas are deliberately small (enums, short strings, few items) so that a 135M model under a
grammar still produces something valid; bigger models fill them better. Code turns replies into the
channel messages in :mod:`qsm.agents.messages`.
"""

from __future__ import annotations

import functools
import re
from typing import Annotated, Any, Literal, NamedTuple

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, create_model

from qsm.agents.backend import ChatMessage

__all__ = [
    "AGENT_NAMES",
    "CONFIDENCE_SCORE",
    "DEFAULT_NAMES",
    "ROLE_PROMPTS",
    "BudgetReply",
    "DiagnosisReply",
    "PlanReply",
    "Role",
    "TeamNames",
    "VerdictReply",
    "WeightSplit",
    "Weights",
    "budget_reply_type",
    "chat",
    "clip",
    "plan_reply_type",
    "role_prompt",
    "verdict_score",
]

Role = Literal["coordinator", "communicator", "economist", "reflector", "custom"]
AGENT_NAMES: dict[str, Role] = {
    "QSM": "coordinator",
    "WeQ": "communicator",
    "SOM": "economist",
    "Ref": "reflector",
}


class TeamNames(NamedTuple):
    """The team's agent names by role: what reply schemas and role prompts call them."""

    coordinator: str = "QSM"
    communicator: str = "WeQ"
    economist: str = "SOM"
    reflector: str = "Ref"


DEFAULT_NAMES = TeamNames()

Short = Annotated[str, StringConstraints(max_length=120)]


class _Reply(BaseModel):
    model_config = ConfigDict(extra="forbid")


class PlanReply(_Reply):
    goal: str = Field(max_length=200)
    steps: list[Short] = Field(min_length=1, max_length=3)
    route_to: Literal["WeQ", "SOM"]
    needs_memory: bool


class WeightSplit(_Reply):
    """What every weights reply has, whatever its fields are called: three weights in this order."""

    def split(self) -> tuple[int, int, int]:
        """The coordinator's, the drafter's and the reviewer's weight."""
        coordinator, drafter, reviewer = self.model_dump().values()
        return int(coordinator), int(drafter), int(reviewer)


# The default team's weights; the drafter's (WeQ's or SOM's) is called WeQ, as in training. No docstring:
# it would enter the JSON schema as a description and change the schema the adapters were trained on.
class Weights(WeightSplit):
    QSM: int = Field(ge=1, le=10)
    WeQ: int = Field(ge=1, le=10)
    Ref: int = Field(ge=1, le=10)


class BudgetReply(_Reply):
    complexity: Literal["low", "medium", "high"]
    weights: Weights
    rationale: str = Field(max_length=160)


class VerdictReply(_Reply):
    decision: Literal["accept", "revise", "reject"]
    confidence: Literal["low", "medium", "high"]
    reasons: list[Short] = Field(min_length=1, max_length=3)


class ProblemReply(_Reply):
    problem: Short
    solution: Short


class DiagnosisReply(_Reply):
    problems: list[ProblemReply] = Field(min_length=1, max_length=3)
    instruction: str = Field(max_length=240)


_ANY: Any = Literal  # Literal[...] over names known only at run time


@functools.cache
def plan_reply_type(names: TeamNames = DEFAULT_NAMES) -> type[PlanReply]:
    """QSM's plan reply for a team called ``names``: ``route_to`` is one of its communicator's and its
    economist's names. The default team gets :class:`PlanReply` itself."""
    if (names.communicator, names.economist) == (DEFAULT_NAMES.communicator, DEFAULT_NAMES.economist):
        return PlanReply
    route_to = _ANY[names.communicator, names.economist]
    return create_model("PlanReply", __base__=PlanReply, route_to=(route_to, ...))


@functools.cache
def budget_reply_type(names: TeamNames = DEFAULT_NAMES) -> type[BudgetReply]:
    """SOM's budget reply for a team called ``names``: the weights are named after its coordinator, its
    communicator (the drafter's weight, whoever drafts) and its reflector. The default team gets
    :class:`BudgetReply` itself; read the weights with :meth:`WeightSplit.split`."""
    named = (names.coordinator, names.communicator, names.reflector)
    if named == (DEFAULT_NAMES.coordinator, DEFAULT_NAMES.communicator, DEFAULT_NAMES.reflector):
        return BudgetReply
    fields: dict[str, Any] = {f"w{i}": (int, Field(ge=1, le=10, alias=name)) for i, name in enumerate(named)}
    weights = create_model("Weights", __base__=WeightSplit, **fields)
    return create_model("BudgetReply", __base__=BudgetReply, weights=(weights, ...))


CONFIDENCE_SCORE = {"low": 0.35, "medium": 0.65, "high": 0.9}


def verdict_score(decision: str, confidence: str) -> float:
    """Ref's decision and confidence as one score in 0..1 (accept > revise > reject)."""
    c = CONFIDENCE_SCORE[confidence]
    return round({"accept": 0.6 + 0.4 * c, "revise": 0.2 + 0.3 * c, "reject": 0.2 * (1 - c)}[decision], 3)


ROLE_PROMPTS: dict[str, str] = {
    "QSM.plan": (
        "You are QSM, the coordinator of a team of AI agents. WeQ answers and explains questions for the "
        "user. SOM answers questions about budgets, costs, prices and resources. Read the user's request "
        "and make a short plan: the goal, up to three steps, who should draft the answer (route_to), and "
        "whether stored knowledge is needed (needs_memory). Reply with JSON only."
    ),
    "QSM.merge": (
        "You are QSM, the coordinator. Several candidate answers to the same request follow. Write one "
        "answer that keeps what they agree on and what is correct. Reply with the answer only."
    ),
    "SOM.budget": (
        "You are SOM, the economist of an AI team. Judge how complex the task in the plan is (low, medium "
        "or high) and how to split the work between QSM (coordinating), WeQ (answering) and Ref (checking) "
        "as weights from 1 to 10. Give a one-sentence rationale. Reply with JSON only."
    ),
    "SOM.answer": (
        "You are SOM, the economist of an AI team. Answer the user's question about resources, costs, "
        "budgets or allocation directly and briefly, with numbers where they help."
    ),
    "WeQ.draft": (
        "You are WeQ, the communicator of an AI team. Answer the user's request directly, correctly and "
        "briefly. If notes from memory are given, use them and cite them like [1]. If you are asked to "
        "revise, fix the listed problems."
    ),
    "WeQ.summarise": (
        "You are WeQ, the communicator of an AI team. Summarise the conversation below in at most three "
        "sentences for your team: keep the names, numbers and facts the user asked about and was told, so "
        "that a follow-up question can be understood. Reply with the summary only."
    ),
    "Ref.verify": (
        "You are Ref, the reviewer of an AI team. Check whether the answer correctly and fully answers the "
        "request. decision: accept if it is correct, revise if it can be fixed, reject if it is wrong or "
        "off-topic. Give short reasons. Reply with JSON only."
    ),
    "Ref.diagnose": (
        "You are Ref, the reviewer of an AI team. The answer below needs revision. Name each problem and "
        "how to fix it, then one instruction for the author. Reply with JSON only."
    ),
    "custom": "You are {name}, a member of an AI team. Do your part of the work described below.",
}


def role_prompt(key: str, names: TeamNames = DEFAULT_NAMES) -> str:
    """The role prompt ``key`` of :data:`ROLE_PROMPTS`, speaking of the team's agents by their names."""
    text = ROLE_PROMPTS[key]
    if names == DEFAULT_NAMES:
        return text
    renamed = dict(zip(DEFAULT_NAMES, names, strict=True))
    return _DEFAULT_NAME.sub(lambda m: renamed[m.group(0)], text)


_DEFAULT_NAME = re.compile(r"\b(?:" + "|".join(DEFAULT_NAMES) + r")\b")


def chat(system: str, user: str) -> list[ChatMessage]:
    return [{"role": "system", "content": system}, {"role": "user", "content": user}]


def clip(text: str, strength: float, max_chars: int) -> str:
    """Context carried by a channel scales with its strength (at least 80 characters)."""
    limit = max(80, int(max_chars * max(0.0, min(1.0, strength))))
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"
