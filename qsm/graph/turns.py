"""Earlier turns of a conversation as the agents see them.

A conversation is a thread of turns, each turn a run. A new turn carries :class:`EarlierTurns` in its run state
(``conversation``; :mod:`qsm.graph.turn_history` builds it from the thread's checkpoints): WeQ's summary of
the oldest turns and the latest ones word for word, within ``[runtime] history_tokens``.

:func:`with_history` puts them into an agent's prompt as chat messages before the request (the summary joins
the system prompt), clipped by the strength of the channel that brings that agent the request; a prompt
without earlier turns is returned as it is, byte for byte. :func:`resolved_text` is what a follow-up is
about, for the router.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from qsm.agents.backend import ChatMessage
from qsm.agents.roles import clip

__all__ = [
    "NO_ANSWER",
    "EarlierTurns",
    "Turn",
    "clipped",
    "earlier",
    "resolved_text",
    "turn_size",
    "with_history",
]

NO_ANSWER = "(no answer)"
_ROUTE_CHARS = 300  # the last answer, as the router reads it with a follow-up


class Turn(BaseModel):
    """One earlier turn: what the user asked and the answer the team gave."""

    question: str
    answer: str | None = Field(None, description="the answer; None where the turn has no verified one")
    status: str = Field("ok", description="the run's status: ok, rejected, interrupted, ...")


class EarlierTurns(BaseModel):
    """What a turn carries of the turns before it: WeQ's summary of the oldest, the latest word for word."""

    summary: str = ""
    turns: list[Turn] = Field(default_factory=list, description="oldest first")
    budget_chars: int = Field(
        0, description="the history token budget in characters of this text (0: its size)"
    )

    @property
    def empty(self) -> bool:
        return not (self.summary or self.turns)

    @property
    def size(self) -> int:
        """Characters of text: the summary's and every turn's."""
        return len(self.summary) + sum(turn_size(t) for t in self.turns)

    def messages(self, strength: float = 1.0) -> tuple[str, list[ChatMessage]]:
        """The summary and the turns as user/assistant messages, clipped to ``strength`` of the budget (as
        :func:`~qsm.agents.roles.clip` does with a channel's messages): the newest turn stays, the oldest
        turns go first, then the summary."""
        limit = int((self.budget_chars or self.size) * max(0.0, min(1.0, strength)))
        kept: list[Turn] = []
        if self.turns:  # the newest turn always comes, clipped if need be
            newest = self.turns[-1]
            kept = [newest if turn_size(newest) <= limit else clipped(newest, limit)]
            limit -= turn_size(kept[0])
        summary = self.summary if len(self.summary) <= limit else ""
        limit -= len(summary)
        for turn in reversed(self.turns[:-1]):
            if turn_size(turn) > limit:
                break
            kept.insert(0, turn)
            limit -= turn_size(turn)
        out: list[ChatMessage] = []
        for turn in kept:
            out.append({"role": "user", "content": f"Request: {turn.question}"})
            out.append({"role": "assistant", "content": turn.answer or NO_ANSWER})
        return summary, out


def turn_size(turn: Turn) -> int:
    return len(turn.question) + len(turn.answer or NO_ANSWER)


def clipped(turn: Turn, chars: int) -> Turn:
    half = max(80, chars // 2)
    answer = clip(turn.answer, 1.0, half) if turn.answer else None
    return turn.model_copy(update={"question": clip(turn.question, 1.0, half), "answer": answer})


def earlier(state: dict[str, Any]) -> EarlierTurns | None:
    """The earlier turns a run (or a candidate branch) carries, or None on a thread's first turn."""
    data = state.get("conversation")
    if not data:
        return None
    turns = EarlierTurns.model_validate(data)
    return None if turns.empty else turns


def with_history(
    messages: list[ChatMessage], turns: EarlierTurns | None, strength: float
) -> list[ChatMessage]:
    """``messages`` (a system prompt, then the request) with the earlier turns between the two."""
    if turns is None or turns.empty:
        return messages
    summary, history = turns.messages(strength)
    system, rest = messages[0], messages[1:]
    if summary:
        system = {
            "role": "system",
            "content": f"{system['content']}\n\nEarlier in this conversation: {summary}",
        }
    return [system, *history, *rest]


def resolved_text(turns: EarlierTurns | None, question: str) -> str:
    """What a follow-up is about: the last turn's question and answer, then the follow-up itself (the text
    the student router routes on, and that QSM's plan steps must be about)."""
    if turns is None or not turns.turns:
        return question
    last = turns.turns[-1]
    answer = clip(last.answer, 1.0, _ROUTE_CHARS) if last.answer else ""
    return "\n".join(part for part in (last.question, answer, question) if part)
