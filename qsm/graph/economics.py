"""SOM's rules: turn a complexity estimate and role weights into a concrete budget, and settle a run.

The model judges (complexity, weights); these rules make the numbers safe: the budget never exceeds
the configured caps, every agent keeps a floor share, and what was already spent is accounted for.
"""

from __future__ import annotations

from typing import Any

from qsm.agents.messages import AgentCost, Budget, CostReport
from qsm.graph.budget import Limits, spent_totals

__all__ = ["COMPLEXITY_SCALE", "FLOOR_SHARE", "allocate", "settle"]

COMPLEXITY_SCALE = {"low": 0.6, "medium": 0.8, "high": 1.0}
FLOOR_SHARE = 0.12


def allocate(
    caps: Limits,
    spent: dict[str, dict[str, Any]],
    *,
    complexity: str,
    weights: dict[str, int],
    rationale: str,
) -> Budget:
    """``weights`` maps agent name -> 1..10. Agents not weighted keep what they spent plus a floor."""
    scale = COMPLEXITY_SCALE.get(complexity, 0.8)
    total = spent_totals(spent)
    tokens = max(int(caps.tokens * scale), min(caps.tokens, total.tokens + 64))
    remaining = max(0, tokens - total.tokens)
    weight_sum = sum(max(1, w) for w in weights.values()) or 1
    shares = {name: max(FLOOR_SHARE, max(1, w) / weight_sum) for name, w in weights.items()}
    norm = sum(shares.values()) or 1.0
    allocation = {
        name: spent_totals({name: spent.get(name, {})}).tokens + int(remaining * share / norm)
        for name, share in shares.items()
    }
    for name, cost in spent.items():  # agents that already spent but get no further share
        allocation.setdefault(name, spent_totals({name: cost}).tokens)
    return Budget(
        tokens=tokens,
        seconds=round(max(caps.seconds * scale, min(caps.seconds, total.seconds + 5.0)), 3),
        calls=caps.calls,
        allocation=allocation,
        complexity=complexity if complexity in COMPLEXITY_SCALE else "medium",
        rationale=rationale,
    )


def settle(
    spent: dict[str, dict[str, Any]],
    budget: Budget | None,
    caps: Limits,
    *,
    exhausted: bool,
    contributors: dict[str, float],
) -> CostReport:
    """The run's cost per agent against its budget. Credits reward contribution and frugality:
    ``credit = contribution * (1.5 - used/allocated)`` clamped to [0, 1.5]."""
    by_agent = {name: AgentCost.model_validate(cost) for name, cost in spent.items()}
    total = spent_totals(spent)
    limits = Limits.from_budget(budget) if budget else caps
    credits: dict[str, float] = {}
    for name, contribution in contributors.items():
        allocated = limits.allocation.get(name) or limits.tokens
        used = by_agent[name].tokens if name in by_agent else 0
        credits[name] = round(max(0.0, min(1.5, contribution * (1.5 - used / max(1, allocated)))), 3)
    return CostReport(
        by_agent=by_agent,
        tokens=total.tokens,
        calls=total.calls,
        seconds=round(total.seconds, 3),
        budget_tokens=limits.tokens,
        budget_calls=limits.calls,
        budget_seconds=limits.seconds,
        exhausted=exhausted,
        credits=credits,
    )
