"""Render what arrives on an agent's channels into its prompt. Channel strength sets how much of each
message is carried (see :func:`qsm.agents.roles.clip`)."""

from __future__ import annotations

from qsm.agents.backend import ChatMessage
from qsm.agents.messages import Budget, Draft, Message, Plan, RepairPlan, UserRequest, Verdict
from qsm.agents.roles import chat, clip

__all__ = [
    "budget_prompt",
    "diagnose_prompt",
    "draft_prompt",
    "merge_prompt",
    "pipeline_prompt",
    "plan_prompt",
    "render",
    "verify_prompt",
]

_MAX = 1200


def plan_prompt(system: str, request: UserRequest) -> list[ChatMessage]:
    return chat(system, f"Request: {request.text}")


def budget_prompt(system: str, plan: Plan, strength: float, drafter: str, caps: str) -> list[ChatMessage]:
    steps = "; ".join(plan.steps)
    return chat(
        system,
        f"Plan goal: {clip(plan.goal, strength, _MAX)}\nSteps: {clip(steps, strength, _MAX)}\n"
        f"Drafting agent: {drafter}\nLimits: {caps}",
    )


def draft_prompt(
    system: str,
    request: UserRequest,
    plan: Plan | None,
    task_strength: float,
    *,
    notes: list[str] | None = None,
    repair: RepairPlan | None = None,
    previous: Draft | None = None,
    repair_strength: float = 1.0,
    note: tuple[int, str, str] | None = None,
    answer_format: str = "",
) -> list[ChatMessage]:
    """``note`` = (n, note text, question): the one note pasted into the request that fits its question,
    which the answer must cite as [n]; ``answer_format`` = the format instruction the request states."""
    parts = [f"Request: {request.text}"]
    if note is not None:
        parts = [f"Note [{note[0]}]: {note[1]}", f"Question: {note[2]}"]
    if plan is not None and task_strength >= 0.3 and plan.steps:
        parts.append("Plan: " + clip("; ".join(plan.steps), task_strength, 600))
    if notes:
        parts.append("Notes from memory:\n" + "\n".join(f"[{i}] {n}" for i, n in enumerate(notes, 1)))
    if repair is not None and previous is not None:
        problems = "; ".join(f"{d.problem} -> {d.solution}" for d in repair.diagnoses)
        parts.append(f"Your previous answer: {clip(previous.text, repair_strength, _MAX)}")
        parts.append(f"Problems found: {clip(problems, repair_strength, 600)}")
        parts.append(f"Revise it: {repair.instruction}")
    if note is not None:
        parts.append(f"Answer from note [{note[0]}] in one sentence and cite it as [{note[0]}].")
    if answer_format:
        parts.append(answer_format)
    return chat(system, "\n".join(parts))


def verify_prompt(
    system: str, request: UserRequest, draft: Draft, strength: float, lessons: list[str] | None = None
) -> list[ChatMessage]:
    past = ("Lessons from past reviews:\n" + "\n".join(f"- {x}" for x in lessons) + "\n") if lessons else ""
    return chat(
        system,
        f"{past}Request: {request.text}\nAnswer: {clip(draft.text, strength, _MAX)}\n"
        "Is the answer correct and complete?",
    )


def diagnose_prompt(system: str, request: UserRequest, draft: Draft, verdict: Verdict) -> list[ChatMessage]:
    return chat(
        system,
        f"Request: {request.text}\nAnswer: {clip(draft.text, 1.0, _MAX)}\n"
        f"Reviewer's reasons: {'; '.join(verdict.reasons)}",
    )


def merge_prompt(system: str, request: UserRequest, drafts: list[Draft]) -> list[ChatMessage]:
    body = "\n".join(f"Candidate {i}: {clip(d.text, 1.0, 800)}" for i, d in enumerate(drafts, 1))
    return chat(system, f"Request: {request.text}\n{body}\nMerged answer:")


def render(message: Message, strength: float) -> str:
    """A message as prompt text, for pipeline agents."""
    if isinstance(message, UserRequest):
        return f"Request: {message.text}"
    if isinstance(message, Plan):
        return clip(f"Plan: {message.goal}. Steps: {'; '.join(message.steps)}", strength, _MAX)
    if isinstance(message, Budget):
        return f"Budget: {message.tokens} tokens, {message.seconds:.0f} s, complexity {message.complexity}"
    if isinstance(message, Verdict):
        return f"Review: {message.decision} ({message.score:.2f}): {'; '.join(message.reasons)}"
    if isinstance(message, RepairPlan):
        return f"Repair: {message.instruction}"
    text = getattr(message, "text", None)
    if isinstance(text, str):
        author = getattr(message, "author", "")
        return clip(f"{type(message).__name__}{' by ' + author if author else ''}: {text}", strength, _MAX)
    return clip(message.model_dump_json(), strength, _MAX)


def pipeline_prompt(system: str, inbound: list[tuple[str, Message, float]]) -> list[ChatMessage]:
    """``inbound`` = (sender, message, channel strength); strongest channels first."""
    ordered = sorted(inbound, key=lambda item: -item[2])
    return chat(system, "\n".join(f"From {sender}: {render(msg, s)}" for sender, msg, s in ordered))
