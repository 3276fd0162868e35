"""Resource questions (budgets, costs, capacity, time, memory, people, seats) answered exactly.

``parse_capacity("I have $459 and want a headset for $59, a monitor for $347 and a chair for $112. Can I
afford all three?")`` reads what is available (``459``), what is required (``59 + 347 + 112``) and what is
asked (whether it ``fits``); :meth:`CapacityQuestion.answer` then says ``"No. The total needed is $518
(59 + 347 + 112), more than the $459 available."``. The ``check_capacity`` tool (:class:`CapacityCheck`)
gives the same answer for a call with those fields.

How the text is read, in order:

1. The question: exactly one sentence ending in ``?`` (or a ``check whether``/``tell me if`` clause), a
   yes/no question (no *what*, *how*, *which* ...), without a negation. Words in it say what is asked:
   *enough, fit, afford, cover, within, room, doable, feasible, in time, can we buy* ask whether it ``fits``;
   *exceed, go over, run out, too much, short* whether it ``exceeds``. Both, neither, or a comparison (*more
   than*) → None. (*without refuelling*, *without a break* are no negation.)
2. The amounts (:func:`~qsm.agents.tools.quantities.find_quantities`): money, units, counted nouns,
   percentages.
3. Products: a count next to a price or size per item (``27 licences at €75 each``, ``3 teams of 14
   people``, ``12 tickets costing $85 apiece``, ``7 teams of 28``; ``a class of 32`` is 32 people), a count
   whose members *each* give an amount (``3 developers, each working 30 hours a week``), and rates times
   what they are per (``$0.40 per hour`` for ``30 days``, ``$12 per person`` for ``30 people``, ``6 litres
   per 100 km`` for ``450 km``; hours a week are per the weeks, not per the hours of work). What a rate no
   word marks as a cost delivers over a duration is what is available when nothing else is (``prints 40
   pages per minute``: can it print 1,000 pages in 20 minutes?). A stated conversion (``1 GB = 1000 MB``)
   must be the reader's.
4. Roles, from the words around each amount: available (``have``, ``budget of``, ``at most``, ``a 500 GB
   disk``, ``$300 cover``, ``seats 40``), used (``we used 8,200``, ``12 already booked``) or required
   (everything else: ``needs``, ``costs``, ``for $59``). Exactly one amount must be available; used
   amounts are taken from it; the required amounts of the same kind are added up (in the smallest unit
   among them when units differ: 3 hours become 180 minutes). A bare number takes the kind of the others
   only where a word says what it is (``seats 40``, ``we used 8,200``).

Anything that does not fit this reading (no amount available, two, a rate with nothing to multiply, a
bare number of unknown kind, a count that is not multiplied in, months against days, ``all three`` when
two items were listed) gives None: the question is left to the model rather than guessed.
"""

from __future__ import annotations

import math
import re
from typing import Literal, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

from qsm.agents.tools.base import ToolOutput
from qsm.agents.tools.calculator import evaluate
from qsm.agents.tools.errors import ToolError
from qsm.agents.tools.numbers import format_number
from qsm.agents.tools.quantities import CURRENCIES
from qsm.agents.tools.resource_text import read_resource_question

__all__ = ["CapacityAsks", "CapacityCheck", "CapacityQuestion", "parse_capacity"]

CapacityAsks = Literal["fits", "exceeds", "fills"]
"""``fits``: is what is required within what is available (yes when required <= available);
``exceeds``: is it more than what is available (yes when required > available)."""

_TOLERANCE = 1e-9
_ARITHMETIC = r"^[-(0-9][-+*/%(). 0-9]*$"


class CapacityQuestion(BaseModel):
    """A yes/no resource question: ``available`` and ``required`` in one ``unit``, and what ``asks``."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    available: float = Field(ge=0, description="what is available (budget, capacity, time, seats), e.g. 459")
    required: float = Field(ge=0, description="what is needed in total, e.g. 518")
    unit: str = Field(
        default="", max_length=20, description="the unit both numbers are in, e.g. $, GB, min, people"
    )
    asks: CapacityAsks = Field(
        description="'fits' if the question asks whether it fits / is enough / is affordable / is within the "
        "limit; 'exceeds' if it asks whether it exceeds / goes over / runs out / is too much"
    )
    # the patterns are in the JSON schema only (as for the calculator): they keep a constrained model's
    # expressions to arithmetic characters, while validation evaluates them and says what is wrong
    available_expression: str = Field(
        default="",
        max_length=200,
        description="arithmetic that gives available, e.g. 10000 - 8200",
        json_schema_extra={"pattern": _ARITHMETIC},
    )
    required_expression: str = Field(
        default="",
        max_length=200,
        description="arithmetic that gives required, e.g. 59 + 347 + 112",
        json_schema_extra={"pattern": _ARITHMETIC},
    )

    @model_validator(mode="after")
    def _expressions_match(self) -> Self:
        for side in ("available", "required"):
            expression: str = getattr(self, f"{side}_expression")
            if not expression:
                continue
            try:
                value = float(evaluate(expression))
            except ToolError as exc:
                raise ValueError(f"{side}_expression {expression!r}: {exc}") from None
            if not math.isclose(value, getattr(self, side), rel_tol=1e-6, abs_tol=1e-6):
                raise ValueError(
                    f"{side}_expression {expression} is {format_number(value)}, "
                    f"not {format_number(getattr(self, side))}"
                )
        return self

    def fits(self) -> bool:
        """Whether ``required <= available`` (within rounding)."""
        return self.required <= self.available + _TOLERANCE * max(1.0, abs(self.available))

    def answer(self) -> tuple[bool, str]:
        """The yes/no answer and an explanation that starts with ``Yes.`` or ``No.``."""
        fits = self.fits()
        equal = math.isclose(self.required, self.available, rel_tol=_TOLERANCE, abs_tol=_TOLERANCE)
        relation = "exactly" if equal else "less than" if fits else "more than"
        if self.asks == "fills":  # what is delivered (required side) must reach the container's size
            yes = equal or not fits
            delivered = _show(self.required, self.unit) + _shown_expression(
                self.required_expression, self.required
            )
            size = _show(self.available, self.unit)
            return yes, f"{'Yes' if yes else 'No'}. It delivers {delivered}, {relation} the {size} to fill."
        yes = fits if self.asks == "fits" else not fits
        total = "+" in self.required_expression
        need = _show(self.required, self.unit) + _shown_expression(self.required_expression, self.required)
        have = _show(self.available, self.unit)
        what = "left" if "-" in self.available_expression else "available"
        text = (
            f"{'Yes' if yes else 'No'}. The {'total needed' if total else 'amount needed'} is {need}, "
            f"{relation} the {have} {what}{_shown_expression(self.available_expression, self.available)}."
        )
        return yes, text


_FILLING = re.compile(r"\b(?:fill|fills|filled|be full|get full|top up)\b", re.I)


def parse_capacity(text: str) -> CapacityQuestion | None:
    """The resource question ``text`` asks (see the module docstring), or None when it is not plainly one:
    facts, arithmetic without a capacity, open questions, or anything whose two sides are unclear."""
    reading = read_resource_question(text)
    if reading is None:
        return None
    asks: CapacityAsks = reading.asks
    # "Can it fill the tank?": what is delivered must reach the container's size; when what is delivered
    # is already the side available ("can it fill 200 litres in 30 minutes?"), that is what "fits" asks
    if _FILLING.search(text) and not reading.delivered:
        if asks != "fits":
            return None
        asks = "fills"
    return CapacityQuestion(
        available=reading.available,
        required=reading.required,
        unit=reading.unit,
        asks=asks,
        available_expression=reading.available_expression,
        required_expression=reading.required_expression,
    )


def _shown_expression(expression: str, value: float) -> str:
    plain = expression.strip()
    try:
        if not plain or float(plain) == value:
            return ""
    except ValueError:
        pass
    return f" ({plain})"


def _show(value: float, unit: str) -> str:
    if unit in CURRENCIES.values():
        rounded = round(value, 2)
        number = f"{rounded:,.0f}" if rounded.is_integer() else f"{rounded:,.2f}"
        return f"{unit}{number}"
    rounded = float(format_number(value))
    number = f"{rounded:,.0f}" if rounded.is_integer() and abs(rounded) < 1e15 else format_number(value)
    return f"{number} {unit}".strip()


class CapacityCheck:
    """The ``check_capacity`` tool: whether what is required fits in what is available, exactly."""

    name: str = "check_capacity"
    description: str = (
        "Answer a yes/no resource question (budget, cost, capacity, time, memory, seats): give what is "
        "available and what is required in one unit, and whether the question asks if it fits or if it "
        "exceeds; e.g. available 459, required 518 (59 + 347 + 112), unit $, asks fits -> No."
    )
    args_model: type[BaseModel] = CapacityQuestion
    timeout_s: float = 2.0

    def run(self, args: CapacityQuestion) -> ToolOutput:
        yes, text = args.answer()
        return ToolOutput(text, 1.0 if yes else 0.0)
