"""Plain arithmetic requests in words, turned into calculator expressions without a model.

``parse_arithmetic("What is 100 minus 37, then times 2?") == "(100 - 37) * 2"``. The request is split
into tokens, polite framing at either end is dropped ("what is", "can you", "please", "=?"), and the
rest must parse *completely* under a small recursive-descent grammar of arithmetic in words and
symbols; anything else ("What is the capital of France?", "Who wrote 1984?") gives None. Grammar,
loosest binding first::

    statement := verb-form | chain
    verb-form := "add" list ["to" sum] | "sum" list | "subtract" sum "from" sum | "multiply" sum "by" sum
               | "divide" sum "by" sum | "square"/"cube" sum | "raise" sum "to the power of" sum
    chain     := (verb-form | sum) {[","] ["and"] "then" step}
    step      := operator unary | "add"/"subtract" unary | "multiply by"/"divide by" unary | "square it" ...
    sum       := product {("+" | "plus" | "-" | "minus" | ...) product}
    product   := unary {("*" | "times" | "multiplied by" | "/" | "divided by" | "over" | "//" | "mod") unary}
    unary     := ("-" | "minus" | "negative" | "+") unary | power
    power     := postfix [("**" | "^" | "to the power of" | "raised to" | "to the Nth power") unary]
    postfix   := prefix {"squared" | "cubed" | "percent"/"%" ["of" postfix]}
    prefix    := "(" sum ")" | number | ["the"] ("square root of" | "cube root of" | "square of" | ...) unary
               | ["the"] ("sum" | "product" | "average" | "mean") "of" list
               | ["the"] "difference between" sum "and" sum | "half of" unary | "double" unary | ...
    list      := sum {("," ["and"] | "and") sum}
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from qsm.agents.tools.lexer import Cursor, Phrase, strip_phrases, tokenize

__all__ = ["LEADING_PHRASES", "TRAILING_PHRASES", "parse_arithmetic"]


def _phrases(*texts: str) -> tuple[Phrase, ...]:
    return tuple(tuple(text.split()) for text in texts)


LEADING_PHRASES = _phrases(
    "what is", "what's", "whats", "what are", "how much is", "how much are", "calculate", "compute",
    "evaluate", "work out", "solve", "find", "tell me", "please", "can you", "could you", "would you",
    "will you", "quick", "quickly", "hey", "hi", "ok", "okay", "so", "now", "the value of", "the result of",
    "the answer to", "the answer of", "give me", "what do you get if you", "what do you get when you",
    "what do i get if i", "what does", "how much does", "how much do", "what do", "i need", "help me",
    "simplify", "what would be", "what will be", "determine", "figure out", "question :", "q :", "math :",
)  # fmt: skip
TRAILING_PHRASES = _phrases(
    "?", ".", "!", "=", "equal", "equals", "equal to", "make", "makes", "give", "please", "for me",
    "exactly", "in total", "altogether", "come to", "come out to", "is",
)  # fmt: skip

_ADD = _phrases("+", "plus", "added to", "more than")
_SUB = _phrases("-", "−", "minus", "less", "take away")
_MUL = _phrases("*", "x", "×", "times", "multiplied by", "multiplied with")
_DIV = _phrases("/", "÷", "divided by", "over")
_FLOORDIV = _phrases("//")
_MOD = _phrases("mod", "modulo", "%")
_POW = _phrases("**", "^", "to the power of", "raised to the power of", "raised to", "to the power")
_ORDINAL_POW = _phrases("to the", "raised to the")
_ORDINALS = _phrases("st", "nd", "rd", "th")
_NEG = _phrases("-", "−", "minus", "negative")
_POS = _phrases("+", "plus", "positive")
_THE = _phrases("the", "a", "an")
_LIST_SEPARATORS = _phrases(",", "and", ", and")
_THEN = _phrases("then", ", then", "and then", ", and then", ", then we", "then we")

_DATE = re.compile(r"\b\d{4}-\d{1,2}-\d{1,2}\b|\b\d{1,2}/\d{1,2}/\d{2,4}\b")
# precedence of what a node's text is: an operand is parenthesised when it binds looser than needed
_SUM, _PRODUCT, _UNARY, _POWER, _ATOM = 1, 2, 3, 4, 5


@dataclass(frozen=True)
class _Expr:
    text: str
    level: int
    operations: int = 0


def _wrap(expr: _Expr, need: int) -> str:
    return f"({expr.text})" if expr.level < need else expr.text


def _binary(left: _Expr, op: str, right: _Expr) -> _Expr:
    if op == "**":
        text, level = f"{_wrap(left, _ATOM)} ** {_wrap(right, _UNARY)}", _POWER
    elif op in ("+", "-"):
        text, level = f"{_wrap(left, _SUM)} {op} {_wrap(right, _SUM if op == '+' else _PRODUCT)}", _SUM
    else:
        text, level = (
            f"{_wrap(left, _PRODUCT)} {op} {_wrap(right, _PRODUCT if op == '*' else _UNARY)}",
            _PRODUCT,
        )
    return _Expr(text, level, left.operations + right.operations + 1)


def _number(text: str) -> _Expr:
    return _Expr(text, _ATOM)


def _negate(expr: _Expr) -> _Expr:
    return _Expr(f"-{_wrap(expr, _POWER)}", _UNARY, expr.operations + 1)


def _fold(op: str, items: list[_Expr]) -> _Expr:
    result = items[0]
    for item in items[1:]:
        result = _binary(result, op, item)
    return result


class _NoParse(Exception):
    """The tokens are not arithmetic (internal to the parser)."""


class _Parser:
    def __init__(self, cursor: Cursor) -> None:
        self.c = cursor

    # -- helpers -----------------------------------------------------------------------------------
    def expect(self, *phrases: Phrase) -> Phrase:
        phrase = self.c.take(*phrases)
        if phrase is None:
            raise _NoParse
        return phrase

    def attempt(self, rule: Callable[[], _Expr]) -> _Expr | None:
        start = self.c.pos
        try:
            return rule()
        except _NoParse:
            self.c.pos = start
            return None

    def the(self) -> None:
        self.c.take(("the",))

    # -- grammar -----------------------------------------------------------------------------------
    def statement(self) -> _Expr:
        result = self.attempt(self.verb_form) or self.sum()
        while self.c.take(*_THEN):
            result = self.step(result)
        return result

    def verb_form(self) -> _Expr:
        if self.c.take(("add",), ("sum",)):
            items = self.items()
            if len(items) == 1:
                self.expect(("to",), ("and",))
                return _binary(self.sum(), "+", items[0])  # add A to B = B + A
            return _fold("+", items)
        if self.c.take(("subtract",), ("take",)):
            amount = self.sum()
            if self.c.take(("away", "from"), ("from",)) is None:
                raise _NoParse
            return _binary(self.sum(), "-", amount)
        if self.c.take(("multiply",)):
            left = self.sum()
            self.expect(("by",), ("and",), ("with",), ("times",))
            return _binary(left, "*", self.sum())
        if self.c.take(("divide",)):
            left = self.sum()
            self.expect(("by",))
            return _binary(left, "/", self.sum())
        if power := self.c.take(("square",), ("cube",)):
            return _binary(self.sum(), "**", _number("2" if power == ("square",) else "3"))
        if self.c.take(("raise",)):
            base = self.sum()
            self.expect(("to", "the", "power", "of"), ("to",))
            return _binary(base, "**", self.unary())
        raise _NoParse

    def step(self, result: _Expr) -> _Expr:
        """One ``then ...`` step applied to everything so far."""
        for ops, op in ((_ADD, "+"), (_SUB, "-"), (_MUL, "*"), (_DIV, "/"), (_FLOORDIV, "//"), (_POW, "**")):
            if self.c.take(*ops):
                return _binary(result, op, self.unary())
        if self.c.take(("add",)):
            return _binary(result, "+", self.unary())
        if self.c.take(("subtract",), ("take", "away")):
            return _binary(result, "-", self.unary())
        if self.c.take(("multiply", "by"), ("multiply", "it", "by"), ("multiply", "that", "by")):
            return _binary(result, "*", self.unary())
        if self.c.take(("divide", "by"), ("divide", "it", "by"), ("divide", "that", "by")):
            return _binary(result, "/", self.unary())
        if self.c.take(("squared",), ("square", "it"), ("square", "that"), ("square", "the", "result")):
            return _binary(result, "**", _number("2"))
        if self.c.take(("cubed",), ("cube", "it"), ("cube", "that"), ("cube", "the", "result")):
            return _binary(result, "**", _number("3"))
        if self.c.take(("double", "it"), ("double", "that"), ("double", "the", "result")):
            return _binary(result, "*", _number("2"))
        if self.c.take(("halve", "it"), ("halve", "that"), ("halve", "the", "result")):
            return _binary(result, "/", _number("2"))
        raise _NoParse

    def items(self) -> list[_Expr]:
        items = [self.sum()]
        while True:
            start = self.c.pos
            if self.c.take(*_LIST_SEPARATORS) is None:
                return items
            if self.c.at(*_THEN) or self.c.at(("then",)):
                self.c.pos = start
                return items
            item = self.attempt(self.sum)
            if item is None:
                self.c.pos = start
                return items
            items.append(item)

    def sum(self) -> _Expr:
        result = self.product()
        while op := self.infix(((_ADD, "+"), (_SUB, "-"))):
            result = _binary(result, op, self.product())
        return result

    def product(self) -> _Expr:
        result = self.unary()
        while op := self.infix(((_MUL, "*"), (_DIV, "/"), (_FLOORDIV, "//"), (_MOD, "%"))):
            result = _binary(result, op, self.unary())
        return result

    def infix(self, table: tuple[tuple[tuple[Phrase, ...], str], ...]) -> str | None:
        """Take the operator here if one of ``table`` is, and an operand follows it."""
        for phrases, op in table:
            start = self.c.pos
            if self.c.take(*phrases):
                if op == "%" and self.c.at(("of",)):
                    self.c.pos = start  # "15 % of 80" is a percentage
                    return None
                if self.c.done or self.c.at(*_THEN):
                    self.c.pos = start
                    return None
                return op
        return None

    def unary(self) -> _Expr:
        if self.c.take(*_NEG):
            return _negate(self.unary())
        if self.c.take(*_POS):
            return self.unary()
        return self.power()

    def power(self) -> _Expr:
        base = self.postfix()
        start = self.c.pos
        if self.c.take(*_ORDINAL_POW) and (exponent := self.c.number()) is not None:
            self.c.take(*_ORDINALS)  # "to the 4th power", "to the 10"
            self.c.take(("power",))
            return _binary(base, "**", _number(exponent))
        self.c.pos = start
        if self.c.take(*_POW):
            return _binary(base, "**", self.unary())
        return base

    def postfix(self) -> _Expr:
        result = self.prefix()
        while True:
            if self.c.take(("squared",)):
                result = _binary(result, "**", _number("2"))
            elif self.c.take(("cubed",)):
                result = _binary(result, "**", _number("3"))
            elif self.c.take(("percent", "of"), ("per", "cent", "of"), ("%", "of")):
                result = _binary(_binary(result, "/", _number("100")), "*", self.postfix())
            elif self.c.take(("percent",), ("per", "cent")) or self.percent_sign():
                result = _binary(result, "/", _number("100"))
            else:
                return result

    def percent_sign(self) -> bool:
        """A ``%`` that is a percentage, not modulo (nothing to take the remainder by follows it)."""
        following = self.c.peek(1)
        percent = following is None or (following.kind == "sym" and following.text not in "(-−")
        if self.c.at(("%",)) and percent:
            self.c.pos += 1
            return True
        return False

    def prefix(self) -> _Expr:
        if self.c.take(("(",)):
            inner = self.statement()
            self.expect((")",))
            return inner
        if (number := self.c.number()) is not None:
            return _number(number)
        self.c.take(*_THE)
        if self.c.take(("square", "root", "of"), ("square", "root"), ("sqrt",), ("sqrt", "of"), ("√",)):
            return _binary(self.unary(), "**", _number("0.5"))
        if self.c.take(("cube", "root", "of"), ("cube", "root")):
            return _binary(self.unary(), "**", _Expr("1 / 3", _PRODUCT))
        if self.c.take(("square", "of")):
            return _binary(self.unary(), "**", _number("2"))
        if self.c.take(("cube", "of")):
            return _binary(self.unary(), "**", _number("3"))
        if self.c.take(("sum", "of"), ("total", "of")):
            return self.at_least_two(self.items(), "+")
        if self.c.take(("product", "of")):
            return self.at_least_two(self.items(), "*")
        if self.c.take(("average", "of"), ("mean", "of"), ("arithmetic", "mean", "of")):
            items = self.items()
            return _binary(self.at_least_two(items, "+"), "/", _number(str(len(items))))
        if self.c.take(("difference", "between"), ("difference", "of")):
            left = self.sum()
            self.expect(("and",))
            return _binary(left, "-", self.sum())
        if self.c.take(("quotient", "of")):
            left = self.sum()
            self.expect(("and",), ("by",), ("divided", "by"))
            return _binary(left, "/", self.sum())
        if self.c.take(("remainder", "of"), ("remainder", "when")):
            left = self.unary()
            self.expect(("is", "divided", "by"), ("divided", "by"), ("by",), ("mod",), ("/",))
            return _binary(left, "%", self.unary())
        if self.c.take(("half", "of"), ("half",)):
            return _binary(self.unary(), "/", _number("2"))
        if self.c.take(("double",), ("twice",)):
            return _binary(_number("2"), "*", self.unary())
        if self.c.take(("triple",), ("thrice",)):
            return _binary(_number("3"), "*", self.unary())
        raise _NoParse

    @staticmethod
    def at_least_two(items: list[_Expr], op: str) -> _Expr:
        if len(items) < 2:
            raise _NoParse
        return _fold(op, items)


def parse_arithmetic(text: str) -> str | None:
    """A calculator expression for ``text`` when it is plainly an arithmetic request, else None."""
    if not isinstance(text, str) or len(text) > 300 or _DATE.search(text):
        return None
    tokens = strip_phrases(tokenize(text), LEADING_PHRASES, TRAILING_PHRASES)
    if not tokens:
        return None
    parser = _Parser(Cursor(tokens))
    try:
        expr = parser.statement()
    except _NoParse:
        return None
    if not parser.c.done or expr.operations == 0:
        return None
    return expr.text
