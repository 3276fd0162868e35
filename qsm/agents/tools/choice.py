"""Which of two computable quantities is larger (or smaller), decided exactly without a model.

``parse_choice("Which is larger, 2^10 or 1000?")`` is ``Choice("2 ** 10", "1000", "larger")`` and
:meth:`Choice.decide` answers ``"2^10 = 1024 is larger than 1000."``. Both sides are read by the arithmetic
front end's grammar, so they may be arithmetic in words or quantities with units (``Which is longer, 2 km
or 1500 m?``). Forms, after polite framing is dropped::

    ("which" | "what") ["one" | "number" | "quantity"] "is" WORD ["," | ":"] LEFT "or" RIGHT

WORD is a comparative (``larger``, ``bigger``, ``more``, ``smaller``, ``longer``, ``heavier`` ...). Anything
else (``Which is bigger, Paris or London?``) is None.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

from qsm.agents.tools.arithmetic import WordParser
from qsm.agents.tools.expressions import Expr, NotArithmetic
from qsm.agents.tools.lexer import Cursor, strip_phrases, tokenize
from qsm.agents.tools.numbers import format_number

__all__ = ["Choice", "parse_choice"]

Number = int | float

_MORE = ("larger", "bigger", "greater", "more", "higher", "longer", "heavier", "taller", "farther", "further",
         "hotter", "warmer", "faster", "older", "wider", "deeper")  # fmt: skip
_LESS = ("smaller", "less", "fewer", "lower", "shorter", "lighter", "colder", "cooler", "slower", "younger",
         "narrower", "shallower")  # fmt: skip
_LEADING = tuple(
    tuple(t.split()) for t in ("please", "tell me", "can you tell me", "quick question :", "hey", "ok", "so")
)
_TRAILING = tuple(tuple(t.split()) for t in ("?", ".", "!", "please"))
_WHICH = tuple(
    tuple(t.split())
    for t in (
        "which is", "which one is", "which number is", "which quantity is", "which of these is",
        "which of the two is", "what is", "which is the",
    )
)  # fmt: skip


@dataclass(frozen=True)
class Choice:
    """``left`` against ``right`` (calculator expressions), asking which is ``word`` (a comparative)."""

    left: str
    right: str
    word: str
    unit: str | None = None  # the unit both sides are written in (None: plain numbers)

    @property
    def wants_more(self) -> bool:
        return self.word in _MORE

    def decide(self, evaluate: Callable[[str], Number]) -> str:
        """The answer: ``"2^10 = 1024 is larger than 1000."``, or that both are equal. ``evaluate``
        computes an expression; its :class:`~qsm.agents.tools.errors.ToolError` propagates."""
        left, right = evaluate(self.left), evaluate(self.right)
        shown_left, shown_right = self._shown(self.left, left), self._shown(self.right, right)
        if math.isclose(left, right, rel_tol=1e-12, abs_tol=1e-12):
            return f"Neither: {shown_left} and {shown_right} are equal."
        left_wins = (left > right) == self.wants_more
        winner, loser = (shown_left, shown_right) if left_wins else (shown_right, shown_left)
        return f"{winner} is {self.word} than {loser}."

    def _shown(self, expression: str, value: Number) -> str:
        unit = f" {self.unit}" if self.unit else ""
        written = expression.replace(" ** ", "^").replace("**", "^").replace("*", "×")
        number = format_number(value)
        return f"{number}{unit}" if written == number else f"{written} = {number}{unit}"


def parse_choice(text: str) -> Choice | None:
    """The choice ``text`` asks about when it plainly asks which of two computable quantities is more or
    less, else None."""
    if not isinstance(text, str) or len(text) > 300:
        return None
    tokens = strip_phrases(tokenize(text), _LEADING, _TRAILING)
    c = Cursor(tokens)
    if c.take(*_WHICH) is None:
        return None
    word = c.take(*((w,) for w in (*_MORE, *_LESS)))
    if word is None:
        return None
    c.take((",",), (":",))
    parser = WordParser(c, stops=(("or",),))
    try:
        left = parser.sum()
        if c.take(("or",)) is None:
            return None
        right = parser.sum()
    except (NotArithmetic, RecursionError):
        return None
    if not c.done:
        return None
    return _choice(left, right, word[0])


def _choice(left: Expr, right: Expr, word: str) -> Choice | None:
    if left.unit is None and right.unit is None:
        return Choice(left.text, right.text, word)
    if left.unit is None or right.unit is None:
        return None  # "2 km or 1500": 1500 what?
    try:
        return Choice(left.in_unit(right.unit).text, right.text, word, right.unit.symbol)
    except NotArithmetic:  # two dimensions: kilograms or metres
        return None
