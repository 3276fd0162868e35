"""Amounts in a request, read from its tokens for the resource-question front end (:mod:`capacity`).

:func:`find_quantities` turns ``"I have $459 and want a headset for $59"`` into two :class:`Quantity`
objects, each with its value, what it measures (its :attr:`Quantity.kind`: a currency, a dimension of
:mod:`units`, a counted noun such as ``people`` or ``token``, a percentage, or nothing), its display unit,
a rate's denominator (``$0.40 per hour``, ``€75 each``, ``6 litres per 100 km``) and where it stands in
the tokens. Numbers with thousands separators, number words, currency symbols and names (``€``, ``EUR``,
``dollars``), ``k`` / ``million`` multipliers, units (``16 GB``, ``3 hours``), counted nouns (``27
licences``, ``2,000-token``) and percentages are recognised; ``4 engineers each give ...`` is a count
(what each gives follows), not a price per item; a run of bare numbers in a list takes the unit of its last member
(``23, 64 and 35 minutes``), and ``12% of £29,900`` becomes one amount. Numbers that only refer back to
items (``all three``, ``both``) are dropped.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from qsm.agents.tools.lexer import Token
from qsm.agents.tools.numbers import format_number
from qsm.agents.tools.units import Unit, find_unit

__all__ = ["CURRENCIES", "Quantity", "find_quantities", "noun_class", "noun_unit", "tokens_before"]

CURRENCIES = {"$": "$", "€": "€", "£": "£", "¥": "¥"}
_CURRENCY_WORDS = {
    "usd": "$", "dollar": "$", "dollars": "$", "bucks": "$", "eur": "€", "euro": "€", "euros": "€",
    "gbp": "£", "quid": "£", "jpy": "¥", "yen": "¥",
}  # fmt: skip
_CURRENCY_CODES = {"usd": "$", "eur": "€", "gbp": "£", "jpy": "¥"}
_MULTIPLIERS = {"k": 1000, "thousand": 1000, "million": 10**6, "mn": 10**6, "bn": 10**9, "billion": 10**9}
_DIMENSIONS = ("data size", "time", "mass", "volume", "length", "area")
# unit spellings too ambiguous after a number in running text ("3 in total", "5 m" for million, "a")
_UNIT_STOP = {
    "in", "a", "t", "st", "c", "f", "k", "y", "d", "s", "m", "b", "l", "g", "mo", "pt", "cup", "cups", "us",
    "ton", "tons", "tn", "ft", "kn", "kt", "ac", "ha", "mi", "yd", "long", "imp",
}  # fmt: skip
_NOT_NOUNS = {
    "and", "or", "of", "to", "for", "in", "on", "at", "is", "are", "was", "were", "be", "each", "per",
    "a", "an", "the", "more", "less", "than", "apiece", "with", "by", "from", "into", "it", "we", "i", "you",
    "they", "he", "she", "this", "that", "these", "those", "will", "would", "can", "could", "should", "do",
    "does", "did", "has", "have", "had", "so", "then", "but", "if", "as", "total", "all", "both", "left",
    "free", "available", "remaining", "spare", "used", "already", "times", "x", "percent", "cent",
    "up", "over", "under", "about", "around", "only", "just", "still", "enough", "which", "who", "what",
    "k", "m", "plus", "minus", "altogether", "overall", "together", "piece", "our", "my", "your",
    "their", "its", "every", "other", "fewer", "later", "ago", "now", "today", "tomorrow", "pm", "am",
    "need", "needs", "cost", "costs", "costing", "want", "wants", "fit", "fits", "hold", "holds",
    "arrive", "come", "attend", "join", "show", "turn", "sign", "register", "travel", "visit",
}  # fmt: skip
_PEOPLE = {
    "people", "person", "persons", "guest", "attendee", "participant", "employee", "staff", "student",
    "user", "member", "passenger", "visitor", "seat", "place", "spot", "delegate", "player", "child",
    "children", "adult", "kid", "chair", "bed", "colleague", "worker", "customer", "traveller", "traveler", "pupil",
}  # fmt: skip
_REFERRING = {"all", "both", "these", "those", "the", "first", "last"}
_RATE_WORDS = (("per",), ("/",), ("every",), ("a",), ("an",))
_ADJECTIVES = {"more", "extra", "additional", "free", "spare", "available", "remaining", "other", "new"}
_A_PER_NOUN = {
    "night", "person", "head", "seat", "ticket", "user", "licence", "license", "guest", "room", "item",
}  # fmt: skip
_EACH = (("each",), ("apiece",), ("a", "piece"), ("per", "piece"), ("per", "unit"), ("per", "item"))


@dataclass(frozen=True)
class Quantity:
    """An amount in a request.

    ``kind`` says what it measures: ``"money:$"``, ``"unit:data size"``, ``"noun:people"``,
    ``"percent"`` or ``"bare"``. ``unit`` is how it is shown (``$``, ``GB``, ``people``) and ``factor``
    the unit's size in its dimension's base unit (1 for money and nouns). ``per`` is a rate's
    denominator: ``"each"``, a noun class or a unit's symbol; for a unit, ``per_kind`` is what it measures
    (``"unit:time"``, ``"unit:length"``) and ``per_factor`` its size in the base unit, times any count in
    it (``per 100 km`` is ``100 * 1000`` m).
    ``expression`` is the arithmetic that gives ``value`` (``"27 * 75"`` once combined); ``start`` and
    ``end`` are its token span.
    """

    value: float
    expression: str
    kind: str
    unit: str
    start: int
    end: int
    factor: float = 1.0
    per: str | None = None
    per_factor: float = 1.0
    per_kind: str = ""

    @property
    def is_rate(self) -> bool:
        return self.per is not None


def noun_class(word: str) -> str:
    """The counted thing a noun names, in the singular; people and seats are one class (``people``)."""
    singular = _singular(word)
    return "people" if singular in _PEOPLE or word in _PEOPLE else singular


def noun_unit(noun: str) -> str:
    """How a count of ``noun`` is shown: ``people``, ``tokens``, ``licences``."""
    if noun in ("people", "staff", "children") or noun.endswith("s"):
        return noun
    if re.search(r"(ch|sh|x)$", noun):
        return noun + "es"
    if re.search(r"[^aeiou]y$", noun):
        return noun[:-1] + "ies"
    return noun + "s"


def _singular(word: str) -> str:
    if word in ("people", "staff", "children"):
        return word
    if re.search(r"(ss|us)$", word):
        return word
    if re.search(r"(ch|sh|x|ss)es$", word):
        return word[:-2]
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith("s") and len(word) > 3:
        return word[:-1]
    return word


def find_quantities(tokens: list[Token]) -> list[Quantity]:
    """The amounts in ``tokens``, in order (see the module docstring)."""
    found: list[Quantity] = []
    i = 0
    while i < len(tokens):
        if tokens[i].kind != "num":
            duration = _one_duration(tokens, i)
            if duration is not None:
                found.append(duration)
                i = duration.end
                continue
            i += 1
            continue
        quantity = _read(tokens, i)
        i = max(quantity.end, i + 1)
        if _is_year(tokens, quantity):
            continue
        if tokens_before(tokens, quantity.start, 1) in (("all",), ("both",)) or _refers_back(
            tokens, quantity
        ):
            continue
        found.append(quantity)
    return _percent_of(tokens, _share_list_units(tokens, found))


def _is_year(tokens: list[Token], quantity: Quantity) -> bool:
    """``in 2025``, ``for 2026``: a year, not an amount."""
    return (
        quantity.kind == "bare"
        and quantity.expression.isdigit()
        and 1900 <= int(quantity.expression) <= 2100
        and tokens_before(tokens, quantity.start, 1) in _YEAR_INTRO
    )


_YEAR_INTRO = {(w,) for w in ("in", "for", "of", "since", "by", "until", "during", "from", "year", "to")}


def _one_duration(tokens: list[Token], i: int) -> Quantity | None:
    """``for a month``, ``over a week``: one unit of time after a word that introduces a duration."""
    if tokens[i].text not in ("a", "an") or tokens_before(tokens, i, 1) not in _DURATION_INTRO:
        return None
    unit, end = _unit_at(tokens, i + 1)
    if unit is None or unit.dimension != "time":
        return None
    return Quantity(1.0, "1", "unit:time", unit.symbol, i, end, unit.factor)


_DURATION_INTRO = {("for",), ("over",), ("during",), ("cover",), ("covers",), ("last",), ("lasts",)}


def tokens_before(tokens: list[Token], index: int, count: int) -> tuple[str, ...]:
    """The texts of the ``count`` tokens before ``index`` (fewer at the start)."""
    return tuple(t.text for t in tokens[max(0, index - count) : index])


def _refers_back(tokens: list[Token], quantity: Quantity) -> bool:
    """``the three``, ``these two`` at the end of a question: a count of items already listed."""
    before = tokens_before(tokens, quantity.start, 1)
    after = tokens[quantity.end] if quantity.end < len(tokens) else None
    return (
        quantity.kind == "bare"
        and before != ()
        and before[0] in _REFERRING
        and (after is None or after.kind == "sym" or after.text in ("items", "things", "of"))
    )


def _read(tokens: list[Token], i: int) -> Quantity:
    value = float(tokens[i].text)
    literal = tokens[i].text
    start, end = i, i + 1
    currency: str | None = None
    before = tokens[i - 1] if i > 0 else None
    if before is not None and before.text in CURRENCIES:
        currency, start = CURRENCIES[before.text], i - 1
    elif before is not None and before.text in _CURRENCY_CODES:
        currency, start = _CURRENCY_CODES[before.text], i - 1
    if end < len(tokens) and tokens[end].text in _MULTIPLIERS:
        multiplier = _MULTIPLIERS[tokens[end].text]
        value *= multiplier
        literal = format_number(int(value) if value.is_integer() else value)
        end += 1
    after = tokens[end] if end < len(tokens) else None
    if currency is None and after is not None and after.text in _CURRENCY_WORDS:
        currency, end = _CURRENCY_WORDS[after.text], end + 1
    elif (
        currency is None
        and after is not None
        and after.text in ("pound", "pounds")
        and _money_context(tokens)
    ):
        currency, end = "£", end + 1
    if currency is not None:
        quantity = Quantity(value, literal, f"money:{currency}", currency, start, end)
        return _rate(tokens, quantity)
    if after is not None and (after.text == "%" or after.text == "percent"):
        return Quantity(value, literal, "percent", "%", start, end + 1)
    if after is not None and tokens[end : end + 2] and _texts(tokens[end : end + 2]) == ("per", "cent"):
        return Quantity(value, literal, "percent", "%", start, end + 2)
    skip = 1 if after is not None and after.text == "-" else 0
    if after is not None and after.text in _ADJECTIVES and end + 1 < len(tokens):
        skip = 1  # "25 more guests", "3 free hours"
    unit, unit_end = _unit_at(tokens, end + skip)
    if unit is not None:
        quantity = Quantity(
            value, literal, f"unit:{unit.dimension}", unit.symbol, start, unit_end, unit.factor
        )
        return _rate(tokens, quantity)
    noun_at = end + skip
    if noun_at < len(tokens) and tokens[noun_at].kind == "word" and tokens[noun_at].text not in _NOT_NOUNS:
        word = tokens[noun_at].text
        noun = noun_class(word)
        return _rate(tokens, Quantity(value, literal, f"noun:{noun}", noun_unit(noun), start, noun_at + 1))
    return Quantity(value, literal, "bare", "", start, end)


def _money_context(tokens: list[Token]) -> bool:
    words = {t.text for t in tokens}
    return bool(words & {"£", "gbp", "budget", "afford", "buy", "cost", "costs", "spend", "pay", "price"})


def _unit_at(tokens: list[Token], at: int) -> tuple[Unit | None, int]:
    """The unit named by up to three word tokens from ``at`` (longest first) and where it ends."""
    for length in (3, 2, 1):
        span = tokens[at : at + length]
        if len(span) < length or any(t.kind != "word" for t in span):
            continue
        text = " ".join(t.text for t in span)
        if length == 1 and text in _UNIT_STOP:
            continue
        unit = find_unit(text)
        if unit is not None and unit.dimension in _DIMENSIONS:
            return unit, at + length
    return None, at


def _rate(tokens: list[Token], quantity: Quantity) -> Quantity:
    """``quantity`` with a rate's denominator when one follows it (``per hour``, ``each``, ``per seat``)."""
    at = quantity.end
    if _distributive(tokens, quantity):
        return quantity
    for phrase in sorted(_EACH, key=len, reverse=True):
        if _texts(tokens[at : at + len(phrase)]) == phrase:
            return replace(quantity, per="each", end=at + len(phrase))
    if quantity.kind.startswith("unit:") and _texts(tokens[at : at + 1]) == ("of",):
        rate = _rate(tokens, replace(quantity, end=at + 2))  # "3 litres of diesel per hour"
        if rate.per_kind:
            return rate
    for phrase in _RATE_WORDS:
        if _texts(tokens[at : at + 1]) != phrase:
            continue
        unit, unit_end = _unit_at(tokens, at + 1)
        if unit is None and at + 1 < len(tokens) and tokens[at + 1].text in ("h", "d", "s", "m"):
            unit, unit_end = find_unit(tokens[at + 1].text), at + 2
        if unit is not None and unit.dimension == "time":
            return replace(
                quantity, per=unit.symbol, per_factor=unit.factor, per_kind="unit:time", end=unit_end
            )
        if unit is not None and phrase in (("per",), ("/",)) and f"unit:{unit.dimension}" != quantity.kind:
            # "$4 per kg", "40 miles per gallon" (not "20 MB per GB": that is a ratio)
            kind = f"unit:{unit.dimension}"
            return replace(quantity, per=unit.symbol, per_factor=unit.factor, per_kind=kind, end=unit_end)
        counted = _per_amount(tokens, at, phrase)
        if counted is not None:
            per_value, unit, unit_end = counted
            kind = f"unit:{unit.dimension}"
            factor = per_value * unit.factor
            return replace(quantity, per=unit.symbol, per_factor=factor, per_kind=kind, end=unit_end)
        following = tokens[at + 1] if at + 1 < len(tokens) else None
        per_noun = phrase[0] in ("per", "/", "every") or (
            following is not None and following.text in _A_PER_NOUN
        )
        if (
            per_noun
            and following is not None
            and following.kind == "word"
            and following.text not in _NOT_NOUNS
        ):
            return replace(quantity, per=noun_class(following.text), end=at + 2)
    return quantity


def _distributive(tokens: list[Token], quantity: Quantity) -> bool:
    """``4 engineers each give 25 hours``: ``each`` says what every one of a count does (a few words, then
    an amount), so the count is not a price or size per item."""
    at = quantity.end
    if quantity.kind != "bare" and not quantity.kind.startswith("noun:"):
        return False
    if _texts(tokens[at : at + 1]) != ("each",):
        return False
    for words, token in enumerate(tokens[at + 1 : at + 5]):
        if token.kind != "word":
            return token.kind == "num" and words >= 1
    return False


def _per_amount(tokens: list[Token], at: int, phrase: tuple[str, ...]) -> tuple[float, Unit, int] | None:
    """``per 100 km``, ``every 2 hours``: a rate per an amount of a unit (not ``6 per 100 people``)."""
    if phrase not in (("per",), ("/",), ("every",)) or at + 1 >= len(tokens) or tokens[at + 1].kind != "num":
        return None
    value = float(tokens[at + 1].text)
    unit, unit_end = _unit_at(tokens, at + 2)
    if unit is None or value <= 0:
        return None
    return value, unit, unit_end


def _share_list_units(tokens: list[Token], found: list[Quantity]) -> list[Quantity]:
    """Bare numbers listed before an amount with a unit take its unit: ``23, 64 and 35 minutes``."""
    out = list(found)
    for index in range(len(out) - 2, -1, -1):
        current, following = out[index], out[index + 1]
        if current.kind != "bare" or following.kind in ("bare", "percent"):
            continue
        between = _texts(tokens[current.end : following.start])
        if between in ((",",), ("and",), (",", "and"), ("or",), ("to",)) and following.per is None:
            out[index] = replace(current, kind=following.kind, unit=following.unit, factor=following.factor)
    return out


def _percent_of(tokens: list[Token], found: list[Quantity]) -> list[Quantity]:
    """``12% of [our] £29,900`` as one amount, ``29900 * 12 / 100``."""
    out: list[Quantity] = []
    skip_next = False
    for index, quantity in enumerate(found):
        if skip_next:
            skip_next = False
            continue
        following = found[index + 1] if index + 1 < len(found) else None
        if quantity.kind == "percent" and following is not None and following.kind not in ("percent", "bare"):
            between = _texts(tokens[quantity.end : following.start])
            if between[:1] == ("of",) and all(w in _DETERMINERS for w in between[1:]):
                out.append(
                    replace(
                        following,
                        value=following.value * quantity.value / 100,
                        expression=f"{_paren(following.expression)} * {quantity.expression} / 100",
                        start=quantity.start,
                    )
                )
                skip_next = True
                continue
        out.append(quantity)
    return out


_DETERMINERS = {"our", "the", "my", "your", "their", "its", "this", "that", "a", "an", "total", "whole"}


def _paren(expression: str) -> str:
    return f"({expression})" if re.search(r"[-+]", expression.lstrip("-")) else expression


def _texts(tokens: list[Token]) -> tuple[str, ...]:
    return tuple(t.text for t in tokens)
