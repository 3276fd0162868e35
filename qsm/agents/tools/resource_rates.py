"""Rates in a resource question multiplied by what they are per, for :mod:`resource_text`.

``$0.40 per hour`` for ``30 days`` is ``0.4 * 30 * 24`` dollars; ``3 * 30`` hours a week (three people, each
working 30 hours a week) for ``2 weeks`` is ``3 * 30 * 2`` hours; ``6 litres per 100 km`` for ``450 km`` is
``6 * 450 / 100`` litres. What a rate delivers over a duration (a pump, a printer, a team's hours: a rate
no word marks as a cost or use) is what is available when nothing else is: ``can it print 1,000 pages in
20 minutes`` compares the 1,000 pages needed with what 20 minutes give; such a rate times an amount that
is available is available too (``40 miles per gallon`` and ``12 gallons`` left). A stated conversion (``1 GB =
1000 MB``) is dropped when it is the one the reader uses, and makes the question unclear when it is not.
"""

from __future__ import annotations

import math
import re
from dataclasses import replace
from typing import Literal

from qsm.agents.tools.lexer import Token
from qsm.agents.tools.numbers import format_number
from qsm.agents.tools.quantities import Quantity

__all__ = ["Role", "calendar_ambiguous", "drop_stated_conversions", "multiply_rates", "paren", "scaled"]

Role = Literal["available", "used", "required"]


def multiply_rates(
    quantities: list[Quantity], roles: list[Role | None]
) -> tuple[list[Quantity], list[Role | None], bool] | None:
    """Each rate times the one amount it is per: ``$0.40 per hour`` for ``30 days`` → ``0.4 * 30 * 24``;
    None when a rate has no such amount or several. When no amount is available, what one rate delivers
    over a duration is (``prints 40 pages per minute`` ... ``in 20 minutes``): the last item returned says
    so."""
    quantities, roles = list(quantities), list(roles)
    delivered = [False] * len(quantities)
    changed = True
    while changed:
        changed = False
        # a rate of time first ("8 hours a day"), so that a rate per hour meets the hours it gives
        order = sorted(range(len(quantities)), key=lambda i: quantities[i].kind != "unit:time")
        for index in order:
            rate = quantities[index]
            if not rate.is_rate:
                continue
            candidates = [
                i
                for i, q in enumerate(quantities)
                if i != index and not q.is_rate and roles[i] not in ("available", "used") and _per(rate, q)
            ]
            if not candidates and roles[index] is None:  # "40 miles per gallon and I have 12 gallons"
                candidates = [
                    i
                    for i, q in enumerate(quantities)
                    if i != index and not q.is_rate and roles[i] == "available" and _per(rate, q)
                ]
            if len(candidates) != 1:
                continue
            other = quantities[candidates[0]]
            if calendar_ambiguous(other.unit, rate.per or ""):
                return None
            ratio = other.factor / rate.per_factor if rate.per_kind else 1.0
            combined = replace(
                rate,
                value=rate.value * other.value * ratio,
                expression=f"{paren(rate.expression)} * {scaled(other.expression, ratio)}",
                per=None,
                per_factor=1.0,
                per_kind="",
                start=min(rate.start, other.start),
                end=max(rate.end, other.end),
            )
            delivers = (
                roles[index] is None
                and rate.per_kind == "unit:time"
                and not rate.kind.startswith("money:")
                and roles[candidates[0]] in (None, "required")
            )
            role = roles[index] or roles[candidates[0]]
            keep = [i for i in range(len(quantities)) if i not in (index, candidates[0])]
            quantities = [combined, *(quantities[i] for i in keep)]
            roles = [role, *(roles[i] for i in keep)]
            delivered = [delivers, *(delivered[i] for i in keep)]
            changed = True
            break
    if any(q.is_rate for q in quantities):
        return None
    if "available" not in roles and delivered.count(True) == 1:
        roles[delivered.index(True)] = "available"
        return quantities, roles, True
    return quantities, roles, False


def _per(rate: Quantity, other: Quantity) -> bool:
    """Whether ``other`` is what ``rate`` is per: an amount of the unit's kind (a duration for a rate per
    time unit, not one in the rate's own unit: hours a week are not per hours), a count else."""
    if rate.per_kind:
        same_unit = rate.kind == rate.per_kind and other.unit == rate.unit
        return other.kind == rate.per_kind and not same_unit
    if rate.per == "each":
        return other.kind.startswith("noun:")
    return other.kind == f"noun:{rate.per}"


_STATED_AS = (("=",), ("equals",), ("is",), ("as",), ("means",), ("equal", "to"), ("is", "equal", "to"))
"""What joins the two sides of a stated conversion: "1 GB = 1000 MB", "Take 1 GB as 1000 MB"."""
_RULE_VERBS = frozenset(
    {"take", "use", "count", "treat", "assume", "consider", "taking", "using", "counting"}
)


def _sets_a_rule(tokens: list[Token], start: int) -> bool:
    """ "X as Y" states a conversion only after a verb that sets a rule ("Take 1 GB as 1000 MB"), not when
    an amount is put aside ("keep 1 hour as slack")."""
    return start > 0 and tokens[start - 1].text.lower() in _RULE_VERBS


def drop_stated_conversions(tokens: list[Token], quantities: list[Quantity]) -> list[Quantity] | None:
    """Without the conversions the text states (``1 GB = 1000 MB``) when they agree with the units read;
    None when one disagrees (``1 GB = 1024 MB``: the text counts in other units than the reader)."""
    out: list[Quantity] = []
    index = 0
    while index < len(quantities):
        current = quantities[index]
        following = quantities[index + 1] if index + 1 < len(quantities) else None
        between = tuple(t.text for t in tokens[current.end : following.start]) if following else ()
        if (
            following is not None
            and between in _STATED_AS
            and (between != ("as",) or _sets_a_rule(tokens, current.start))
            and 1 in (current.value, following.value)
        ):
            same = current.kind == following.kind and current.kind.startswith("unit:")
            if same and not current.is_rate and not following.is_rate:
                stated, read = following.value * following.factor, current.value * current.factor
                if not math.isclose(read, stated, rel_tol=1e-9):
                    return None
                index += 2
                continue
        out.append(current)
        index += 1
    return out


def calendar_ambiguous(unit: str, other: str) -> bool:
    """Months in days, hours or weeks (28 to 31 days) are a guess: only months and years mix with months."""
    long = ("month", "yr", "decade", "century")
    return (unit == "month" and other not in long) or (other == "month" and unit not in long)


def scaled(expression: str, ratio: float) -> str:
    """``expression`` times ``ratio``, written as ``* 24`` or ``/ 60`` when the ratio is whole."""
    if abs(ratio - 1) < 1e-12:
        return expression
    inner = paren(expression)
    if abs(ratio - round(ratio)) < 1e-9:
        return f"{inner} * {round(ratio)}"
    if abs(1 / ratio - round(1 / ratio)) < 1e-9:
        return f"{inner} / {round(1 / ratio)}"
    return f"{inner} * {format_number(ratio)}"


def paren(expression: str) -> str:
    """``expression`` in parentheses when it adds or subtracts (to be multiplied)."""
    return f"({expression})" if re.search(r"[-+]", expression.lstrip("-")) else expression
