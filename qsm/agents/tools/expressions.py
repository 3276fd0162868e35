"""Calculator expressions built from words: text with the least parentheses, how many operations the
request asked for, and (for quantities such as ``2.5 km``) the unit the text is in.

A quantity can be re-written in another unit of its dimension (:meth:`Expr.in_unit`): a sum of lengths
converts each term (``2.5 km + 300 m`` in metres is ``2.5 * 1000 + 300``), a temperature converts as a
whole and affinely (``(100 - 32) * 5 / 9``). Conversion factors come from :mod:`qsm.agents.tools.units`
and are written exactly where they are rational (``* 60``, ``/ 1.609344``, ``* 5 / 18``). Conversions
are not counted as operations: ``5 km`` in miles is a conversion, not arithmetic.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal, localcontext
from fractions import Fraction

from qsm.agents.tools.units import Unit

__all__ = [
    "ATOM",
    "POWER",
    "PRODUCT",
    "SUM",
    "UNARY",
    "Expr",
    "NotArithmetic",
    "binary",
    "negate",
    "number",
    "quantity",
]

# precedence of what a node's text is: an operand is parenthesised when it binds looser than needed
SUM, PRODUCT, UNARY, POWER, ATOM = 1, 2, 3, 4, 5
_MAX_DECIMAL_DIGITS = 12
_MAX_DENOMINATOR = 10**6


class NotArithmetic(Exception):
    """The words are not arithmetic (raised while parsing; the parsers answer None)."""


@dataclass(frozen=True)
class Expr:
    """A calculator expression; ``unit`` is what its value measures (None: a plain number)."""

    text: str
    level: int
    operations: int = 0
    unit: Unit | None = None
    # how to write this quantity in another unit (None: convert the whole text)
    recast: Callable[[Unit], Expr] | None = dataclasses.field(default=None, compare=False, repr=False)

    def in_unit(self, target: Unit) -> Expr:
        """This quantity written in ``target``; :class:`NotArithmetic` for a plain number or another
        dimension."""
        if self.unit is None or self.unit.dimension != target.dimension:
            raise NotArithmetic
        if self.unit == target:
            return self
        written = self.recast(target) if self.recast is not None else _scale(self, self.unit, target)
        return dataclasses.replace(written, recast=self.in_unit)  # converting again starts from here

    def plain(self) -> Expr:
        """The same text as a plain number."""
        return Expr(self.text, self.level, self.operations)


def number(text: str, unit: Unit | None = None) -> Expr:
    """A literal; with a unit, a quantity that converts by scaling the literal."""
    if unit is None:
        return Expr(text, ATOM)
    return Expr(text, ATOM, 0, unit, lambda target: _scale(Expr(text, ATOM), unit, target))


def quantity(expr: Expr, unit: Unit) -> Expr:
    """A plain ``expr`` read as measured in ``unit`` (converted as a whole)."""
    return Expr(expr.text, expr.level, expr.operations, unit)


def _wrap(expr: Expr, need: int) -> str:
    return f"({expr.text})" if expr.level < need else expr.text


def _plain_binary(left: Expr, op: str, right: Expr) -> Expr:
    if op == "**":
        text, level = f"{_wrap(left, ATOM)} ** {_wrap(right, UNARY)}", POWER
    elif op in ("+", "-"):
        text, level = f"{_wrap(left, SUM)} {op} {_wrap(right, SUM if op == '+' else PRODUCT)}", SUM
    else:
        text, level = f"{_wrap(left, PRODUCT)} {op} {_wrap(right, PRODUCT if op == '*' else UNARY)}", PRODUCT
    return Expr(text, level, left.operations + right.operations + 1)


def binary(left: Expr, op: str, right: Expr) -> Expr:
    """``left op right``; quantities add to quantities of their dimension (in ``left``'s unit) and scale
    by plain numbers, anything else with a unit is :class:`NotArithmetic`."""
    if left.unit is None and right.unit is None:
        return _plain_binary(left, op, right)
    if op in ("+", "-") and left.unit is not None and right.unit is not None:
        unit = left.unit
        if unit.dimension != right.unit.dimension or (unit.offset or right.unit.offset):
            raise NotArithmetic  # temperatures are points on a scale: adding two of them means nothing
        text = _plain_binary(left.plain(), op, right.in_unit(unit).plain())
        return _with_unit(text, unit, lambda t: binary(left.in_unit(t), op, right.in_unit(t)))
    if op == "*" and (left.unit is None) != (right.unit is None):
        scaled = left.unit or right.unit
        assert scaled is not None
        text = _plain_binary(left.plain(), op, right.plain())
        if scaled.offset:
            return quantity(text, scaled)
        if left.unit is None:
            return _with_unit(text, scaled, lambda t: binary(left, op, right.in_unit(t)))
        return _with_unit(text, scaled, lambda t: binary(left.in_unit(t), op, right))
    if op == "/" and left.unit is not None and right.unit is None:
        unit = left.unit
        text = _plain_binary(left.plain(), op, right)
        if unit.offset:
            return quantity(text, unit)
        return _with_unit(text, unit, lambda t: binary(left.in_unit(t), op, right))
    raise NotArithmetic


def _with_unit(expr: Expr, unit: Unit, recast: Callable[[Unit], Expr]) -> Expr:
    return Expr(expr.text, expr.level, expr.operations, unit, recast)


def negate(expr: Expr) -> Expr:
    """``-expr``; a negative literal ("-40") is a number, not an operation."""
    text = f"-{_wrap(expr, POWER)}"
    operations = expr.operations + (0 if expr.level == ATOM else 1)
    if expr.unit is None:
        return Expr(text, UNARY, operations)
    if expr.unit.offset:
        return Expr(text, UNARY, operations, expr.unit)
    return _with_unit(Expr(text, UNARY, operations), expr.unit, lambda t: negate(expr.in_unit(t)))


# -- conversion factors written exactly ------------------------------------------------------------
def _exact(value: float) -> Fraction:
    """The rational a factor stands for: ``5 / 9`` for 0.5555555555555556, 0.028349523125 as written."""
    written = Fraction(repr(value))
    simple = written.limit_denominator(_MAX_DENOMINATOR)
    return simple if abs(simple - written) <= abs(written) / 10**15 else written


def _decimal(value: Fraction) -> str | None:
    """``value`` as a short terminating decimal (``1.609344``), or None."""
    den = value.denominator
    for prime in (2, 5):
        while den % prime == 0:
            den //= prime
    if den != 1:
        return None
    with localcontext() as context:
        context.prec = 60
        text = format(Decimal(value.numerator) / Decimal(value.denominator), "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    digits = text.lstrip("-").replace(".", "").lstrip("0")
    return text if len(digits) <= _MAX_DECIMAL_DIGITS else None


def _times(expr: Expr, factor: Fraction) -> Expr:
    if factor == 1:
        return expr
    if factor.denominator == 1:
        return _plain_binary(expr, "*", number(str(factor.numerator)))
    if factor.numerator == 1:
        return _plain_binary(expr, "/", number(str(factor.denominator)))
    if (text := _decimal(factor)) is not None:
        return _plain_binary(expr, "*", number(text))
    if (text := _decimal(1 / factor)) is not None:
        return _plain_binary(expr, "/", number(text))
    if factor.denominator <= _MAX_DENOMINATOR and factor.numerator <= 10**12:
        scaled = _plain_binary(expr, "*", number(str(factor.numerator)))
        return _plain_binary(scaled, "/", number(str(factor.denominator)))
    return _plain_binary(expr, "*", number(repr(float(factor))))


def _plus(expr: Expr, constant: Fraction) -> Expr:
    if constant == 0:
        return expr
    text = _decimal(abs(constant)) or repr(float(abs(constant)))
    return _plain_binary(expr, "+" if constant > 0 else "-", number(text))


def _scale(expr: Expr, source: Unit, target: Unit) -> Expr:
    """``expr`` (in ``source``) written in ``target``: ``(e + a) * r - b`` in its simplest exact form."""
    ratio = _exact(source.factor) / _exact(target.factor)
    before, after = _exact(source.offset), _exact(target.offset)
    plain = expr.plain()
    if before == 0 and after == 0:
        written = _times(plain, ratio)
    elif _decimal(abs(constant := before * ratio - after)) is not None:
        written = _plus(_times(plain, ratio), constant)  # 100 °C in °F: 100 * 1.8 + 32
    elif _decimal(abs(shift := before - after / ratio)) is not None:
        written = _times(_plus(plain, shift), ratio)  # 212 °F in °C: (212 - 32) * 5 / 9
    else:
        written = _plus(_times(_plus(plain, before), ratio), -after)
    return Expr(written.text, written.level, expr.operations, target)
