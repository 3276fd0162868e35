"""Verifiable rewards for reinforcement learning on a role's replies, and the decision rates they stand for.

A Ref verdict earns its reward only when the whole reply is one JSON object that validates against the
reply schema (as a run without grammar needs it) and its decision is the example's gold decision; a reply
that cannot be parsed, or decides wrongly, earns nothing. No partial credit for the format alone: the
cold-start SFT adapter already writes valid verdicts, and a format bonus would reward accepting everything.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from pydantic import ValidationError

from qsm.agents.roles import VerdictReply

__all__ = ["DecisionRates", "decision_rates", "verdict_decision", "verdict_reward", "verdict_rewards"]

DecisionRates = dict[str, float | int]


def verdict_decision(reply: str) -> str | None:
    """The decision of a strictly valid :class:`VerdictReply` (the whole reply is the JSON), else None."""
    try:
        return VerdictReply.model_validate(json.loads(reply.strip())).decision
    except (json.JSONDecodeError, ValidationError):
        return None


def verdict_reward(reply: str, gold_decision: str) -> float:
    """1.0 when ``reply`` is a valid verdict whose decision is ``gold_decision``; 0.0 otherwise."""
    return 1.0 if verdict_decision(reply) == gold_decision else 0.0


def _text(completion: Any) -> str:
    """A completion as TRL passes it: plain text, or a conversation whose last message is the reply."""
    if isinstance(completion, str):
        return completion
    return str(completion[-1]["content"]) if completion else ""


def verdict_rewards(
    completions: Sequence[Any], gold_decision: Sequence[str], **_columns: Any
) -> list[float | None]:
    """:func:`verdict_reward` for a batch, with the signature of a TRL reward function (the dataset's
    ``gold_decision`` column comes as a keyword; the other columns are ignored; None, "not applicable" to
    TRL, is never returned)."""
    return [verdict_reward(_text(c), g) for c, g in zip(completions, gold_decision, strict=True)]


def decision_rates(replies: Sequence[str], gold: Sequence[str]) -> DecisionRates:
    """Decision accuracy, false-accept rate (accepted among the answers that should not be) and false-reject
    rate (not accepted among those that should be) of strict verdict replies; unparsable replies are
    neither accepts nor right."""
    pairs = list(zip((verdict_decision(r) for r in replies), gold, strict=True))
    bad = [d for d, g in pairs if g != "accept"]
    good = [d for d, g in pairs if g == "accept"]
    return {
        "n": len(pairs),
        "decision_accuracy": _rate(sum(d == g for d, g in pairs), len(pairs)),
        "false_accept": _rate(sum(d == "accept" for d in bad), len(bad)),
        "false_reject": _rate(sum(d != "accept" for d in good), len(good)),
        "unparsed": _rate(sum(d is None for d, _ in pairs), len(pairs)),
    }


def _rate(count: int, n: int) -> float:
    return round(count / n, 4) if n else 0.0
