"""Asking the user during a run (human in the loop), on LangGraph's ``interrupt``.

:func:`ask_user` pauses the run durably: the thread's checkpoint keeps everything done so far, the run ends
with status ``waiting`` and its question (``RunResult.question``), and ``resume(thread_id, answer=...)``
continues it, in this process or another, with the answer as the value ``ask_user`` returns. The step that
asked runs again from its start on resume, so what it did before asking should be repeatable (a Python
node's computation; an agent's approval is asked in a step of its own, after its model call; a tool
approval asks inside the agent's step, whose model calls and tool runs then come back from the checkpoint:
:mod:`qsm.graph.agent_call`)::

    from qsm.graph.human import ask_user

    def approve(draft: Draft) -> Draft:
        if ask_user(f"Publish this? {draft.text}", choices=["yes", "no"]).lower() != "yes":
            return draft.model_copy(update={"text": "Not published."})
        return draft
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, Field

from qsm.agents.messages import Message, ToolCall, ToolResult, Verdict

__all__ = [
    "Question",
    "apply_answer",
    "approval_question",
    "approved",
    "ask_user",
    "declined",
    "tool_call_question",
]

M = TypeVar("M", bound=Message)
_YES = frozenset({"y", "yes", "ok", "approve", "approved", "accept", "true", "1"})


class Question(BaseModel):
    """What a waiting run asks: the question, the node that asks, and the answers it suggests."""

    model_config = ConfigDict(frozen=True)

    question: str
    node: str = ""
    choices: list[str] = Field(default_factory=list)


def ask_user(question: str, *, choices: Sequence[str] = (), node: str = "") -> str:
    """Pause the run until the user answers ``question``; the answer (text). Only inside a running step."""
    from langgraph.types import interrupt

    answer = interrupt(Question(question=question, node=node, choices=list(choices)).model_dump())
    return str(answer)


def approved(answer: str) -> bool:
    """Whether ``answer`` says yes (yes, y, ok, approve, accept...)."""
    return answer.strip().lower() in _YES


def apply_answer(message: M, answer: str) -> M:
    """``message`` after the user's answer: a Verdict accepted (yes) or rejected (anything else, the
    answer kept as a reason); a message with ``text`` kept (yes) or replaced by the answer."""
    if isinstance(message, Verdict):
        decision = "accept" if approved(answer) else "reject"
        reason = f"the user answered {answer!r}"
        return message.model_copy(update={"decision": decision, "reasons": [*message.reasons, reason]})
    if approved(answer) or not hasattr(message, "text"):
        return message
    updated: dict[str, Any] = {"text": answer}
    return message.model_copy(update=updated)


def approval_question(agent: str, message: Message, custom: str | None) -> str:
    """The question an approval asks about ``agent``'s ``message``."""
    if custom:
        return custom
    if isinstance(message, Verdict):
        reasons = "; ".join(message.reasons) or "no reasons given"
        return (
            f"{agent} says {message.decision} (confidence {message.score:.2f}): {reasons}. "
            "Accept the answer? (yes/no)"
        )
    text = getattr(message, "text", "") or message.model_dump_json()
    return f"{agent} proposes:\n{text}\nApprove? (yes, or type a replacement)"


def tool_call_question(agent: str, call: ToolCall, custom: str | None) -> str:
    """The question a tool approval asks before ``agent``'s ``call`` runs: it names the agent, the tool
    and the arguments (after the approval's own question, if it has one)."""
    arguments = json.dumps(call.arguments, ensure_ascii=False)
    asked = f"{agent} wants to call {call.tool} with {arguments}."
    return f"{custom}\n{asked}" if custom else f"{asked} Allow it? (yes/no)"


def declined(call: ToolCall, answer: str) -> ToolResult:
    """The failed result an agent gets for a call the user did not allow (the user's words in it)."""
    return ToolResult(
        tool=call.tool, ok=False, error=f"the user declined this call (they answered {answer!r})"
    )
