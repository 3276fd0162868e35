"""The four roles: what each agent is told, and the small JSON replies it is asked for.

Reply schemas are deliberately small (enums, short strings, few items) so that a 135M model under a
grammar still produces something valid; bigger models fill them better. Code turns replies into the
channel messages in :mod:`qsm.agents.messages`.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from qsm.agents.backend import ChatMessage

__all__ = [
    "AGENT_NAMES",
    "CONFIDENCE_SCORE",
    "ROLE_PROMPTS",
    "BudgetReply",
    "DiagnosisReply",
    "PlanReply",
    "Role",
    "VerdictReply",
    "chat",
    "clip",
    "verdict_score",
]

Role = Literal["coordinator", "communicator", "economist", "reflector", "custom"]
AGENT_NAMES: dict[str, Role] = {
    "QSM": "coordinator",
    "WeQ": "communicator",
    "SOM": "economist",
    "Ref": "reflector",
}

Short = Annotated[str, StringConstraints(max_length=120)]


class _Reply(BaseModel):
    model_config = ConfigDict(extra="forbid")


class PlanReply(_Reply):
    goal: str = Field(max_length=200)
    steps: list[Short] = Field(min_length=1, max_length=3)
    route_to: Literal["WeQ", "SOM"]
    needs_memory: bool


class Weights(_Reply):
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


def chat(system: str, user: str) -> list[ChatMessage]:
    return [{"role": "system", "content": system}, {"role": "user", "content": user}]


def clip(text: str, strength: float, max_chars: int) -> str:
    """Context carried by a channel scales with its strength (at least 80 characters)."""
    limit = max(80, int(max_chars * max(0.0, min(1.0, strength))))
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"
