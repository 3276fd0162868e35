"""Plain arithmetic requests in words, turned into calculator expressions without a model.

``parse_arithmetic("What is 100 minus 37, then times 2?") == "(100 - 37) * 2"``. The request is split
into tokens, polite framing at either end is dropped ("what is", "can you", "please", "=?"), and the
rest must parse *completely* under a small recursive-descent grammar of arithmetic in words and
symbols; anything else ("What is the capital of France?", "Who wrote 1984?") gives None. The result
of each step of a chain feeds the next: "Double 335 and add 69 to the result." is ``2 * 335 + 69``.
A number followed by a unit is a quantity (:mod:`qsm.agents.tools.expressions`): "How many metres is
2.5 km plus 300 m?" is ``2.5 * 1000 + 300``. A conversion alone is not arithmetic (that is
:func:`parse_conversion`'s job), nor is a bare number. Grammar,
loosest binding first::

    statement := ["how many" UNIT ("is" | "are" | "in" ...)] chain [("in" | "to" | "as") UNIT]
    chain     := (verb-form | start | sum) {connector step}
    verb-form := "add" list ["to" sum] | "sum" list | "subtract" sum "from" sum | "multiply" sum "by" sum
               | "divide" sum "by" sum | "square"/"cube" sum | "raise" sum "to the power of" sum
               | "convert" sum ("to" | "into" | "in") UNIT
    start     := ("start with" | "begin with" | "take" ...) sum
    connector := [","|";"|"."] ["and"] ["then" | "after that" | "next" | "finally"]   (one token at least)
    step      := operator unary | ("add" unary ["to" REF]) | ("subtract" unary ["from" REF])
               | ("multiply" | "divide") [REF] "by" unary | ("square" | "double" | "halve" ...) [REF]
               | ["take" | "find"] (N "% of" | "half of" | "the square root of") REF
               | "convert" [REF] ("to" | "in") UNIT | "squared" | "cubed"
    REF       := "it" | "that" | "the result" | "the total" | "the answer" | ...
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
from functools import partial

from qsm.agents.tools.conversion import read_unit
from qsm.agents.tools.expressions import PRODUCT, Expr, NotArithmetic, binary, negate, number, quantity
from qsm.agents.tools.lexer import Cursor, Phrase, Token, strip_phrases, tokenize
from qsm.agents.tools.units import Unit

__all__ = ["LEADING_PHRASES", "TRAILING_PHRASES", "WordParser", "parse_arithmetic"]


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
_REFERENCES = _phrases(
    "it", "that", "this", "that number", "this number", "that result", "this result", "the result",
    "the total", "the answer", "the sum", "the product", "the difference", "the quotient", "the outcome",
    "the value", "the number", "the resulting number", "the new number", "the new total", "what you get",
    "what we have", "what you have",
)  # fmt: skip
_CONNECT_MARKS = _phrases(",", ";", ".")
_CONNECT_WORDS = _phrases(
    "and", "then", "and then", "after that", "and after that", "next", "and next", "finally", "and finally",
    "then we", "and then we", "after that we",
)  # fmt: skip
_STEP_OPERATORS = ((_ADD, "+"), (_SUB, "-"), (_MUL, "*"), (_DIV, "/"), (_FLOORDIV, "//"), (_POW, "**"))
_STEP_SCALES = (
    (("square",), "**", "2"), (("cube",), "**", "3"), (("double",), "*", "2"), (("triple",), "*", "3"),
    (("quadruple",), "*", "4"), (("halve",), "/", "2"), (("squared",), "**", "2"), (("cubed",), "**", "3"),
)  # fmt: skip
_SUBTRACT_STEP = _phrases("subtract", "deduct", "remove", "take away", "take off")
_TAKE = _phrases("take", "find", "get", "calculate", "compute", "work out", "what is", "what's")
_START = _phrases(
    "start with", "begin with", "starting with", "start from", "start at", "begin at", "let's start with",
    "lets start with", "take", "take the number",
)  # fmt: skip
_CONVERT = _phrases("convert", "change", "express", "turn")
_INTO = _phrases("to", "into", "in", "in terms of", "as")
_HOW_MANY = _phrases("how many", "how much")
_HOW_MANY_JOINS = _phrases(
    "is", "are", "in", "is in", "are in", "are there in", "is there in", "make", "makes", "do", "does",
    "equals", "is that", "are that",
)  # fmt: skip
_NOT_A_NUMBER = Token("word", "")
# unit spellings that after a number are more often ordinary words ("3 in total", "1st")
_NOT_UNITS_AFTER_NUMBER = {("in",), ("st",)}

_DATE = re.compile(r"\b\d{4}-\d{1,2}-\d{1,2}\b|\b\d{1,2}/\d{1,2}/\d{2,4}\b")


def _fold(op: str, items: list[Expr]) -> Expr:
    result = items[0]
    for item in items[1:]:
        result = binary(result, op, item)
    return result


class WordParser:
    """Recursive descent over the tokens at ``cursor``; every rule returns an :class:`Expr` or raises
    :class:`NotArithmetic`. ``stops`` are phrases that end an expression where they stand (a comparison's
    "more than" is not the operator "+")."""

    def __init__(self, cursor: Cursor, stops: tuple[Phrase, ...] = ()) -> None:
        self.c = cursor
        self.stops = stops

    # -- helpers -----------------------------------------------------------------------------------
    def expect(self, *phrases: Phrase) -> Phrase:
        phrase = self.c.take(*phrases)
        if phrase is None:
            raise NotArithmetic
        return phrase

    def attempt(self, rule: Callable[[], Expr]) -> Expr | None:
        start = self.c.pos
        try:
            return rule()
        except NotArithmetic:
            self.c.pos = start
            return None

    def unit(self) -> Unit:
        unit = read_unit(self.c)
        if unit is None:
            raise NotArithmetic
        return unit

    def reference(self) -> None:
        """A word for the result so far ("it", "that", "the result", ...)."""
        self.expect(*_REFERENCES)

    def optional_reference(self, preposition: Phrase | None = None) -> None:
        """``[preposition REF]``: "add 69 *to the result*", "multiply *it* by 3"."""
        start = self.c.pos
        if preposition is not None and self.c.take(preposition) is None:
            return
        if self.c.take(*_REFERENCES) is None:
            self.c.pos = start

    # -- grammar -----------------------------------------------------------------------------------
    def statement(self) -> Expr:
        target = self.how_many_target()
        result = self.attempt(self.verb_form) or self.attempt(self.start) or self.sum()
        result = self.steps(result)
        converted = self.attempt(partial(self.convert_to, result))  # "... in metres"
        if converted is not None:
            result = converted
        return result if target is None else result.in_unit(target)

    def how_many_target(self) -> Unit | None:
        """The unit of "how many metres is ...", or None (cursor unmoved)."""
        start = self.c.pos
        if self.c.take(*_HOW_MANY) is not None:
            unit = read_unit(self.c)
            if unit is not None and self.c.take(*_HOW_MANY_JOINS):
                return unit
        self.c.pos = start
        return None

    def start(self) -> Expr:
        self.expect(*_START)
        return self.sum()

    def steps(self, result: Expr) -> Expr:
        """Steps joined by connectors, each applied to the result so far."""
        while True:
            start = self.c.pos
            if not self.connector():
                return result
            applied = self.attempt(partial(self.step, result))
            if applied is None:
                self.c.pos = start
                return result
            result = applied

    def connector(self) -> bool:
        mark = self.c.take(*_CONNECT_MARKS)
        words = self.c.take(*_CONNECT_WORDS)
        if words is not None and words != ("and",):
            self.c.take((",",))  # "then, add 5"
        return mark is not None or words is not None

    def convert_to(self, result: Expr) -> Expr:
        self.expect(*_INTO)
        return result.in_unit(self.unit())

    def verb_form(self) -> Expr:
        if self.c.take(("add",), ("sum",)):
            items = self.items()
            if len(items) == 1:
                self.expect(("to",), ("and",))
                return binary(self.sum(), "+", items[0])  # add A to B = B + A
            return _fold("+", items)
        if self.c.take(("subtract",), ("take",)):
            amount = self.sum()
            if self.c.take(("away", "from"), ("from",)) is None:
                raise NotArithmetic
            return binary(self.sum(), "-", amount)
        if self.c.take(("multiply",)):
            left = self.sum()
            self.expect(("by",), ("and",), ("with",), ("times",))
            return binary(left, "*", self.sum())
        if self.c.take(("divide",)):
            left = self.sum()
            self.expect(("by",))
            return binary(left, "/", self.sum())
        if power := self.c.take(("square",), ("cube",)):
            return binary(self.sum(), "**", number("2" if power == ("square",) else "3"))
        if self.c.take(("raise",)):
            base = self.sum()
            self.expect(("to", "the", "power", "of"), ("to",))
            return binary(base, "**", self.unary())
        if self.c.take(*_CONVERT):
            return self.convert_to(self.sum())
        raise NotArithmetic

    def step(self, result: Expr) -> Expr:
        """One step of a chain, applied to the result so far."""
        c = self.c
        for ops, op in _STEP_OPERATORS:
            if c.take(*ops):
                return _carry(result, op, self.unary())
        if c.take(("add",)):
            amount = self.unary()
            self.optional_reference(("to",))
            return _carry(result, "+", amount)
        if c.take(*_SUBTRACT_STEP):
            amount = self.unary()
            self.optional_reference(("from",))
            return _carry(result, "-", amount)
        for verb, op in ((("multiply",), "*"), (("divide",), "/")):
            if c.take(verb):
                self.optional_reference()
                self.expect(("by",))
                return _carry(result, op, self.unary())
        for verb, op, factor in _STEP_SCALES:
            if c.take(verb):
                self.optional_reference()
                return binary(result, op, number(factor))
        if c.take(("raise",)):
            self.optional_reference()
            self.expect(("to", "the", "power", "of"), ("to",))
            return binary(result, "**", self.unary())
        if c.take(*_CONVERT):
            self.optional_reference()
            return self.convert_to(result)
        if c.take(("take",)) and (taken := self.attempt(partial(self.take_away, result))) is not None:
            return taken  # take 5 away (from it)
        if result.unit is not None and (part := self.attempt(self.prefix)) is not None:
            return self.smaller_part(result, part)  # "2 hours and 30 minutes"
        c.take(*_TAKE)
        return self.part_of_result(result)

    def compound(self, whole: Expr) -> Expr:
        """Adjacent parts in ever smaller units add up: "5 feet 10 inches", "2 h 30 min"."""
        while (self.c.peek() or _NOT_A_NUMBER).kind == "num":
            start = self.c.pos
            literal = self.c.number()
            unit = self.unit_after_number()
            if (
                literal is None
                or unit is None
                or (part := self.attempt_smaller(whole, literal, unit)) is None
            ):
                self.c.pos = start
                return whole
            whole = part
        return whole

    def attempt_smaller(self, whole: Expr, literal: str, unit: Unit) -> Expr | None:
        try:
            return self.smaller_part(whole, number(literal, unit))
        except NotArithmetic:
            return None

    @staticmethod
    def smaller_part(whole: Expr, part: Expr) -> Expr:
        """``whole + part`` when ``part`` is a bare quantity in a smaller unit of the same dimension."""
        unit, smaller = whole.unit, part.unit
        if unit is None or smaller is None or part.operations or smaller.dimension != unit.dimension:
            raise NotArithmetic
        if unit.offset or smaller.factor >= unit.factor:
            raise NotArithmetic
        return binary(whole, "+", part)

    def take_away(self, result: Expr) -> Expr:
        amount = self.unary()
        self.expect(("away",), ("off",))
        self.optional_reference(("from",))
        return _carry(result, "-", amount)

    def part_of_result(self, result: Expr) -> Expr:
        """``10% of that``, ``half of it``, ``the square root of the result``."""
        c = self.c
        c.take(*_THE)
        if c.take(("square", "root", "of")):
            self.reference()
            return binary(result, "**", number("0.5"))
        if c.take(("square", "root")):
            return binary(result, "**", number("0.5"))
        if c.take(("half", "of")):
            self.reference()
            return binary(result, "/", number("2"))
        amount = c.number()
        if amount is None:
            raise NotArithmetic
        self.expect(("%", "of"), ("percent", "of"), ("per", "cent", "of"))
        self.reference()
        return binary(binary(number(amount), "/", number("100")), "*", result)

    def items(self) -> list[Expr]:
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

    def sum(self) -> Expr:
        result = self.product()
        while op := self.infix(((_ADD, "+"), (_SUB, "-"))):
            result = binary(result, op, self.product())
        return result

    def product(self) -> Expr:
        result = self.unary()
        while op := self.infix(((_MUL, "*"), (_DIV, "/"), (_FLOORDIV, "//"), (_MOD, "%"))):
            result = binary(result, op, self.unary())
        return result

    def infix(self, table: tuple[tuple[tuple[Phrase, ...], str], ...]) -> str | None:
        """Take the operator here if one of ``table`` is, and an operand follows it."""
        if self.stops and self.c.at(*self.stops):
            return None
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

    def unary(self) -> Expr:
        if self.c.take(*_NEG):
            return negate(self.unary())
        if self.c.take(*_POS):
            return self.unary()
        return self.power()

    def power(self) -> Expr:
        base = self.postfix()
        start = self.c.pos
        if self.c.take(*_ORDINAL_POW) and (exponent := self.c.number()) is not None:
            self.c.take(*_ORDINALS)  # "to the 4th power", "to the 10"
            self.c.take(("power",))
            return binary(base, "**", number(exponent))
        self.c.pos = start
        if self.c.take(*_POW):
            return binary(base, "**", self.unary())
        return base

    def postfix(self) -> Expr:
        result = self.prefix()
        while True:
            if self.c.take(("squared",)):
                result = binary(result, "**", number("2"))
            elif self.c.take(("cubed",)):
                result = binary(result, "**", number("3"))
            elif self.c.take(("percent", "of"), ("per", "cent", "of"), ("%", "of")):
                result = binary(binary(result, "/", number("100")), "*", self.postfix())
            elif self.c.take(("percent",), ("per", "cent")) or self.percent_sign():
                result = binary(result, "/", number("100"))
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

    def prefix(self) -> Expr:
        if self.c.take(("(",)):
            inner = self.statement()
            self.expect((")",))
            return inner
        if (literal := self.c.number()) is not None:
            unit = self.unit_after_number()
            return number(literal) if unit is None else self.compound(number(literal, unit))
        self.c.take(*_THE)
        if self.c.take(("square", "root", "of"), ("square", "root"), ("sqrt",), ("sqrt", "of"), ("√",)):
            return binary(self.unary(), "**", number("0.5"))
        if self.c.take(("cube", "root", "of"), ("cube", "root")):
            return binary(self.unary(), "**", Expr("1 / 3", PRODUCT))
        if self.c.take(("square", "of")):
            return binary(self.unary(), "**", number("2"))
        if self.c.take(("cube", "of")):
            return binary(self.unary(), "**", number("3"))
        if self.c.take(("sum", "of"), ("total", "of")):
            return self.at_least_two(self.items(), "+")
        if self.c.take(("product", "of")):
            return self.at_least_two(self.items(), "*")
        if self.c.take(("average", "of"), ("mean", "of"), ("arithmetic", "mean", "of")):
            items = self.items()
            return binary(self.at_least_two(items, "+"), "/", number(str(len(items))))
        if self.c.take(("difference", "between"), ("difference", "of")):
            left = self.sum()
            self.expect(("and",))
            return binary(left, "-", self.sum())
        if self.c.take(("quotient", "of")):
            left = self.sum()
            self.expect(("and",), ("by",), ("divided", "by"))
            return binary(left, "/", self.sum())
        if self.c.take(("remainder", "of"), ("remainder", "when")):
            left = self.unary()
            self.expect(("is", "divided", "by"), ("divided", "by"), ("by",), ("mod",), ("/",))
            return binary(left, "%", self.unary())
        if self.c.take(("half", "of"), ("half",), ("halve",)):
            return binary(self.unary(), "/", number("2"))
        if self.c.take(("double",), ("twice",)):
            return binary(number("2"), "*", self.unary())
        if self.c.take(("triple",), ("thrice",)):
            return binary(number("3"), "*", self.unary())
        raise NotArithmetic

    def unit_after_number(self) -> Unit | None:
        """The unit right after a number ("2.5 km"), or None."""
        start = self.c.pos
        tokens = self.c.tokens
        # a unit name never runs over "in" here: "300 m in metres" is not "300 min"
        end = next((i for i in range(start + 1, len(tokens)) if tokens[i].text == "in"), len(tokens))
        probe = Cursor(tokens[:end])
        probe.pos = start
        unit = read_unit(probe)
        if unit is None or tuple(t.text for t in tokens[start : probe.pos]) in _NOT_UNITS_AFTER_NUMBER:
            return None
        self.c.pos = probe.pos
        return unit

    @staticmethod
    def at_least_two(items: list[Expr], op: str) -> Expr:
        if len(items) < 2:
            raise NotArithmetic
        return _fold(op, items)


def parse_arithmetic(text: str) -> str | None:
    """A calculator expression for ``text`` when it is plainly an arithmetic request, else None."""
    if not isinstance(text, str) or len(text) > 300 or _DATE.search(text):
        return None
    tokens = strip_phrases(tokenize(text), LEADING_PHRASES, TRAILING_PHRASES)
    if not tokens:
        return None
    parser = WordParser(Cursor(tokens))
    try:
        expr = parser.statement()
    except (NotArithmetic, RecursionError):  # RecursionError: parentheses nested past Python's stack
        return None
    if not parser.c.done or expr.operations == 0:
        return None
    return expr.text


def _carry(result: Expr, op: str, operand: Expr) -> Expr:
    """``result op operand`` where a plain operand added to a quantity is in the quantity's unit
    ("convert 7 hours to minutes, then add 46")."""
    if op in ("+", "-") and result.unit is not None and operand.unit is None:
        return quantity(binary(result.plain(), op, operand), result.unit)
    return binary(result, op, operand)
