"""Plain unit-conversion requests in words, turned into ``convert_units`` arguments without a model.

``parse_conversion("How many centimetres are in 3.5 metres?") == ConvertArgs(value=3.5,
from_unit="m", to_unit="cm")``. Polite framing at either end is dropped, then the rest must be one of::

    how-many := ("how many" | "how much") UNIT {"are" | "is" | "there" | "in" | "make" | ...} AMOUNT
    direct   := ["convert" | "change" | "turn" | "express"] AMOUNT
                ("to" | "into" | "in" | "as" | "in terms of" | "=" ["?"] | "is how many" | ...) UNIT
    AMOUNT   := ["-" | "minus" | "negative"] NUMBER UNIT | ("a" | "an") UNIT

where UNIT is the longest run of up to four tokens that names a unit (``km``, ``° F``, ``miles per
hour``, ``square feet``). Both units must be known and measure the same thing; anything else is None.
"""

from __future__ import annotations

from qsm.agents.tools.converter import ConvertArgs
from qsm.agents.tools.lexer import Cursor, Phrase, Token, strip_phrases, tokenize
from qsm.agents.tools.units import Unit, find_unit

__all__ = ["parse_conversion", "read_unit"]


def _phrases(*texts: str) -> tuple[Phrase, ...]:
    return tuple(tuple(text.split()) for text in texts)


_LEADING = _phrases(
    "what is", "what's", "whats", "what are", "how much is", "please", "can you", "could you", "would you",
    "will you", "tell me", "quick", "quickly", "hey", "hi", "ok", "okay", "so", "now", "i need to", "i want to",
    "help me", "calculate", "compute", "find", "work out", "give me",
)  # fmt: skip
_TRAILING = _phrases("?", ".", "!", "please", "for me", "exactly", "approximately", "roughly", "is", "are")
_HOW_MANY = _phrases("how many", "how much")
_HOW_MANY_JOINS = _phrases(
    "are", "is", "there", "in", "make", "makes", "make up", "equal", "equals", "to", "does", "do", "fit in",
    "go into", "per",
)  # fmt: skip
_VERBS = _phrases("convert", "change", "turn", "express", "translate", "transform")
_INTO = _phrases(
    "to", "into", "in", "as", "in terms of", "=", "= ?", "equals", "is how many", "equals how many",
    "is equal to how many", "to how many", "is what in", "in how many", "is how much", "are how many",
    "= how many", "into how many",
)  # fmt: skip
_ONE = _phrases("a", "an", "one")
_NEGATIVE = _phrases("-", "−", "minus", "negative")
_UNIT_SYMBOLS = {"°", "º", "/", "^", "²", "³", ".", "-"}
_MAX_UNIT_TOKENS = 4


def parse_conversion(text: str) -> ConvertArgs | None:
    """``convert_units`` arguments for ``text`` when it plainly asks for a unit conversion, else None."""
    if not isinstance(text, str) or len(text) > 300:
        return None
    tokens = strip_phrases(tokenize(text), _LEADING, _TRAILING)
    for form in (_how_many, _direct):
        cursor = Cursor(tokens)
        found = form(cursor)
        if found is not None and cursor.done:
            value, source, target = found
            if source.dimension != target.dimension:
                return None
            return ConvertArgs(value=value, from_unit=source.symbol, to_unit=target.symbol)
    return None


def _how_many(c: Cursor) -> tuple[float, Unit, Unit] | None:
    if c.take(*_HOW_MANY) is None:
        return None
    target = read_unit(c)
    if target is None:
        return None
    joined = 0
    while c.take(*_HOW_MANY_JOINS):
        joined += 1
    if not joined:
        return None
    amount = _amount(c)
    if amount is None:
        return None
    c.take(("are", "there"), ("is", "there"), ("contain",), ("have",), ("has",))
    return amount[0], amount[1], target


def _direct(c: Cursor) -> tuple[float, Unit, Unit] | None:
    c.take(*_VERBS)
    amount = _amount(c)
    if amount is None or c.take(*_INTO) is None:
        return None
    target = read_unit(c)
    return None if target is None else (amount[0], amount[1], target)


def _amount(c: Cursor) -> tuple[float, Unit] | None:
    if c.at(*_ONE) and (unit := read_unit(c, skip=1)) is not None:
        return 1.0, unit
    sign = -1.0 if c.take(*_NEGATIVE) else 1.0
    number = c.number()
    if number is None:
        return None
    unit = read_unit(c)
    return None if unit is None else (sign * float(number), unit)


def read_unit(c: Cursor, skip: int = 0) -> Unit | None:
    """The unit named by the longest run of tokens at the cursor (after ``skip`` tokens); moves past it."""
    start = c.pos + skip
    for length in range(min(_MAX_UNIT_TOKENS, len(c.tokens) - start), 0, -1):
        span = c.tokens[start : start + length]
        if not _may_name_unit(span):
            continue
        for text in (" ".join(t.text for t in span), "".join(t.text for t in span)):
            unit = find_unit(text)
            if unit is not None:
                c.pos = start + length
                return unit
    return None


def _may_name_unit(span: list[Token]) -> bool:
    """Words and unit symbols, and a 2 or 3 only right after a word (``km 2`` from ``km2``)."""
    if span[0].kind == "num":
        return False
    for before, token in zip([None, *span], span, strict=False):
        if token.kind == "sym" and token.text not in _UNIT_SYMBOLS:
            return False
        if token.kind == "num" and (token.text not in ("2", "3") or before is None or before.kind == "num"):
            return False
    return True
