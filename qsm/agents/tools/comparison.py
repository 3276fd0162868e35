"""Yes/no questions that compare a computable quantity with a number, decided exactly without a model.

``parse_comparison("Is 37 × 20 greater than 727?")`` is ``Comparison("37 * 20", ">", "727")`` and its
:meth:`Comparison.decide` answers ``(True, "Yes. 37 × 20 = 740, which is greater than 727.")``. Both
sides are read by the arithmetic front end's grammar (:class:`~qsm.agents.tools.arithmetic.WordParser`),
so they may be arithmetic in words or quantities with units (``Is 2 km longer than 1500 m?`` compares
``2 * 1000`` with ``1500`` metres). Forms, after polite framing is dropped::

    ("is" | "are" | "is it true that" | "whether" ...) LEFT ["is"] COMPARATOR RIGHT
    ("does" | "do" | "will") LEFT ("exceed" | "equal" | "come to" [COMPARATOR] | "divide") RIGHT
    "is" LEFT ("divisible by" | "a multiple of" | "a factor of" | "even") [RIGHT]
    "is" LEFT ("prime" | "a prime number")

COMPARATOR is ``greater than``, ``more than``, ``longer than``, ``at least``, ``under``, ``≤``, ``equal
to`` and the like. Anything else (``Is Paris bigger than London?``) is None.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from qsm.agents.tools.arithmetic import WordParser
from qsm.agents.tools.errors import ToolError
from qsm.agents.tools.expressions import Expr, NotArithmetic
from qsm.agents.tools.lexer import Cursor, Phrase, strip_phrases, tokenize
from qsm.agents.tools.numbers import format_number

__all__ = ["MAX_PRIME_CHECK", "Comparison", "ComparisonOp", "parse_comparison"]

ComparisonOp = Literal[">", ">=", "<", "<=", "==", "divisible", "prime"]
"""``divisible``: ``left`` divides exactly by ``right``; ``prime``: ``left`` is a prime number (no ``right``)."""

MAX_PRIME_CHECK = 10**12  # trial division up to its square root: a million divisions at most
Number = int | float


def _phrases(*texts: str) -> tuple[Phrase, ...]:
    return tuple(tuple(text.split()) for text in texts)


_LEADING = _phrases(
    "please", "tell me", "can you tell me", "could you tell me", "quick question :", "question :",
    "true or false :", "yes or no :", "check", "can you check", "please check", "i wonder", "do you know",
    "hey", "ok", "okay", "so",
)  # fmt: skip
_TRAILING = _phrases(
    "?", ".", "!", "yes or no", ", yes or no", "( yes / no )", "( yes or no )", "yes / no", "true or false",
    "or not", "please",
)  # fmt: skip
_IS = _phrases(
    "is", "are", "was", "is it true that", "is it the case that", "whether", "if", "would", "will",
)  # fmt: skip
_DOES = _phrases("does", "do", "did", "will", "would")
_COMPARATOR_TEXTS: tuple[tuple[ComparisonOp, tuple[str, ...]], ...] = (
    (">=", ("at least", "greater than or equal to", "more than or equal to", "no less than", "not less than",
            "no fewer than", "equal to or greater than", "equal to or more than", ">=", "≥", "> =")),
    ("<=", ("at most", "less than or equal to", "no more than", "not more than", "equal to or less than",
            "no greater than", "not greater than", "<=", "≤", "< =")),
    (">", ("greater than", "more than", "bigger than", "larger than", "higher than", "over", "above",
           "longer than", "heavier than", "taller than", "farther than", "further than", "hotter than",
           "warmer than", "faster than", "older than", "later than", "wider than", "deeper than", ">")),
    ("<", ("less than", "fewer than", "smaller than", "lower than", "under", "below", "shorter than",
           "lighter than", "colder than", "cooler than", "slower than", "younger than", "earlier than",
           "narrower than", "shallower than", "<")),
    ("==", ("equal to", "equals", "the same as", "exactly", "=", "==")),
)  # fmt: skip
_COMPARATORS: dict[Phrase, ComparisonOp] = {
    tuple(text.split()): op for op, texts in _COMPARATOR_TEXTS for text in texts
}
_DIVISIBLE_BY = _phrases("divisible by", "evenly divisible by", "exactly divisible by", "a multiple of")
_FACTOR_OF = _phrases("a factor of", "a divisor of")
_EVEN = _phrases("even", "an even number")
_PRIME = _phrases("prime", "a prime", "a prime number", "prime number")
_DOES_VERBS: dict[Phrase, ComparisonOp] = {
    ("exceed",): ">", ("exceeds",): ">", ("go", "over"): ">", ("top",): ">", ("equal",): "==",
    ("equals",): "==", ("come", "to"): "==", ("add", "up", "to"): "==", ("make",): "==",
    ("amount", "to"): "==", ("total",): "==",
}  # fmt: skip
_DIVIDES = _phrases("divide", "divide evenly into", "go evenly into", "go into", "divides")
_STOPS = (*_COMPARATORS, *_DIVISIBLE_BY, *_FACTOR_OF, *_DOES_VERBS, *_DIVIDES)
_RELATION = {">": "greater than", "<": "less than", "==": "equal to"}
_ASKED = {">": "greater than", ">=": "at least", "<": "less than", "<=": "at most", "==": "equal to"}


@dataclass(frozen=True)
class Comparison:
    """A yes/no comparison: ``left op right`` with calculator expressions on both sides."""

    left: str
    op: ComparisonOp
    right: str | None  # None only for "prime"
    unit: str | None = None  # the unit both sides are written in (None: plain numbers)

    def decide(self, evaluate: Callable[[str], Number]) -> tuple[bool, str]:
        """Whether the comparison holds, with a one-sentence explanation ("Yes. 37 × 20 = 740, which is
        greater than 727."). ``evaluate`` computes an expression (the calculator's
        :func:`~qsm.agents.tools.calculator.evaluate`); its :class:`ToolError` propagates."""
        left = evaluate(self.left)
        shown = self._shown(self.left, left)
        if self.op == "prime":
            return _decide_prime(left, shown)
        if self.right is None:
            raise ToolError(f"the comparison {self.op!r} needs a right-hand side")
        right = evaluate(self.right)
        if self.op == "divisible":
            return _decide_divisible(left, right, shown)
        relation = ">" if left > right else "<" if left < right else "=="
        if math.isclose(left, right, rel_tol=1e-12, abs_tol=1e-12):
            relation = "=="
        holds = (
            relation == self.op
            or (relation != "==" and self.op == relation + "=")
            or (relation == "==" and self.op in (">=", "<="))
        )
        answer = "Yes" if holds else "No"
        joined = ", which is" if " = " in shown else " is"
        return holds, f"{answer}. {shown}{joined} {_RELATION[relation]} {self._shown(self.right, right)}."

    def _shown(self, expression: str, value: Number) -> str:
        """``37 × 20 = 740`` (a bare number just as itself), with the unit."""
        unit = f" {self.unit}" if self.unit else ""
        written = _pretty(expression)
        number = format_number(value)
        return f"{number}{unit}" if written == number else f"{written} = {number}{unit}"


def _pretty(expression: str) -> str:
    return expression.replace("**", "^").replace("*", "×")


def _whole(value: Number) -> int | None:
    if isinstance(value, int):
        return value
    return int(value) if float(value).is_integer() else None


def _decide_divisible(left: Number, right: Number, shown: str) -> tuple[bool, str]:
    dividend, divisor = _whole(left), _whole(right)
    if dividend is None:
        return (
            False,
            f"No. {shown}, which is not a whole number, so it is not divisible by {format_number(right)}.",
        )
    if divisor is None or divisor == 0:
        return False, f"No. Divisibility is by a whole number other than 0, not by {format_number(right)}."
    lead = f"{shown}, and " if shown != str(dividend) else ""
    quotient, remainder = divmod(dividend, divisor)
    if remainder == 0:
        return True, f"Yes. {lead}{dividend} ÷ {divisor} = {quotient} exactly."
    return False, f"No. {lead}{dividend} ÷ {divisor} = {quotient} remainder {remainder}."


def _decide_prime(value: Number, shown: str) -> tuple[bool, str]:
    n = _whole(value)
    if n is None:
        return False, f"No. {shown}, which is not a whole number, so it is not prime."
    lead = f"{shown}, and " if shown != str(n) else ""
    if n < 2:
        return False, f"No. {lead}{n} is not a prime number: primes are whole numbers from 2 up."
    if n > MAX_PRIME_CHECK:
        raise ToolError(f"{n} is too large to check for primality here (at most {MAX_PRIME_CHECK:,})")
    limit = math.isqrt(n)
    factor = next((d for d in range(2, limit + 1) if n % d == 0), None)
    if factor is not None:
        return False, f"No. {lead}{n} = {factor} × {n // factor}."
    checked = f": no whole number from 2 to {limit} divides it" if limit >= 2 else ""
    return True, f"Yes. {lead}{n} is a prime number{checked}."


def parse_comparison(text: str) -> Comparison | None:
    """The comparison ``text`` asks about when it is plainly a yes/no question comparing a computable
    quantity with a number, else None."""
    if not isinstance(text, str) or len(text) > 300:
        return None
    tokens = strip_phrases(tokenize(text), _LEADING, _TRAILING)
    cursor = Cursor(tokens)
    try:
        found = _question(cursor)
    except (NotArithmetic, RecursionError):  # RecursionError: parentheses nested past Python's stack
        return None
    return found if found is not None and cursor.done else None


def _question(c: Cursor) -> Comparison | None:
    parser = WordParser(c, stops=_STOPS)
    if c.take(*_IS):
        left = parser.sum()
        c.take(("is",), ("are",))
        if comparator := c.take(*_COMPARATORS):
            return _compare(left, _COMPARATORS[comparator], parser.sum())
        if c.take(*_DIVISIBLE_BY):
            return _divisible(left, parser.sum())
        if c.take(*_FACTOR_OF):
            return _divisible(parser.sum(), left)
        if c.take(*_EVEN):
            return _divisible(left, Expr("2", 5))
        if c.take(*_PRIME):
            return None if left.unit is not None else Comparison(left.text, "prime", None)
        return None
    if c.take(*_DOES):
        left = parser.sum()
        if c.take(*_DIVIDES):
            return _divisible(parser.sum(), left)
        verb = c.take(*_DOES_VERBS)
        if verb is None:
            return None
        op = _DOES_VERBS[verb]
        if comparator := c.take(*_COMPARATORS):  # "come to more than"
            op = _COMPARATORS[comparator]
        return _compare(left, op, parser.sum())
    return None


def _compare(left: Expr, op: ComparisonOp, right: Expr) -> Comparison:
    if left.unit is None and right.unit is None:
        return Comparison(left.text, op, right.text)
    if left.unit is None or right.unit is None:
        raise NotArithmetic  # "2 km more than 1500": 1500 what?
    return Comparison(left.in_unit(right.unit).text, op, right.text, right.unit.symbol)


def _divisible(dividend: Expr, divisor: Expr) -> Comparison:
    if dividend.unit is not None or divisor.unit is not None:
        raise NotArithmetic
    return Comparison(dividend.text, "divisible", divisor.text)
