"""Reading a resource question's text: what is asked, which amount is available, used or required.

This is the reading behind :func:`qsm.agents.tools.capacity.parse_capacity` (whose docstring describes it);
:func:`read_resource_question` returns plain data, or None when the text is not plainly such a question.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Literal

from qsm.agents.tools.lexer import Token, tokenize
from qsm.agents.tools.quantities import Quantity, find_quantities
from qsm.agents.tools.resource_rates import (
    Role,
    calendar_ambiguous,
    drop_stated_conversions,
    multiply_rates,
    paren,
    scaled,
)
from qsm.agents.tools.resource_words import (
    ASK_CAN,
    AUX,
    AVAILABLE_AFTER,
    AVAILABLE_BEFORE,
    CHECK_CLAUSES,
    COMPARISONS,
    DISTRIBUTIVE,
    EXCEEDS,
    FILLERS,
    FITS,
    GROUPS,
    LIST_JOINS,
    NEGATIONS,
    PERIODS,
    PLAIN_WITHOUT,
    PRODUCT_LINKS,
    REQUIRED_BEFORE,
    SENTENCE_ENDS,
    TIME_NAMES,
    USED_AFTER,
    USED_BEFORE,
    WEAK_AVAILABLE_BEFORE,
    WH,
)

__all__ = ["ResourceReading", "read_resource_question"]

_WeakRole = Literal["available", "used", "required", "weak"]  # weak: available by a plain "have"/"has"


@dataclass(frozen=True)
class ResourceReading:
    """Both sides of a resource question in one ``unit``, the arithmetic behind them, and what is asked."""

    available: float
    required: float
    unit: str
    asks: Literal["fits", "exceeds"]
    available_expression: str
    required_expression: str
    delivered: bool = False
    """Whether what is available is what a rate delivers (``40 pages per minute`` for ``20 minutes``)."""


def read_resource_question(text: str) -> ResourceReading | None:
    """Both sides of the resource question ``text`` asks, or None when it is not plainly one."""
    if not isinstance(text, str) or not text.strip() or len(text) > 600:
        return None
    tokens = tokenize(text)
    sentences = _sentences(tokens)
    asks = _asks(tokens, sentences)
    if asks is None:
        return None
    quantities = drop_stated_conversions(tokens, find_quantities(tokens))
    if quantities is None or len(quantities) < 2 or any(q.kind == "bare" and q.is_rate for q in quantities):
        return None
    quantities = _products(tokens, [_group_size(tokens, q) for q in quantities])
    roles = _resolve_weak(
        quantities, _listed_roles(tokens, quantities, [_role(tokens, sentences, q) for q in quantities])
    )
    if roles is None:
        return None
    multiplied = multiply_rates(quantities, roles)
    if multiplied is None:
        return None
    quantities, roles, delivered = multiplied
    found = _percent_limits(quantities, roles)
    if found is None:
        return None
    quantities, roles = found
    reading = _sides(tokens, quantities, roles, asks)
    return replace(reading, delivered=True) if reading is not None and delivered else reading


def _sentences(tokens: list[Token]) -> list[tuple[int, int]]:
    spans: list[tuple[int, int]] = []
    start = 0
    for index, token in enumerate(tokens):
        if token.kind == "sym" and token.text in SENTENCE_ENDS:
            if index > start:
                spans.append((start, index + 1))
            start = index + 1
    if start < len(tokens):
        spans.append((start, len(tokens)))
    return spans


def _asks(tokens: list[Token], sentences: list[tuple[int, int]]) -> Literal["fits", "exceeds"] | None:
    questions = [(s, e) for s, e in sentences if tokens[e - 1].text == "?"]
    if not questions:
        questions = [(s, e) for s, e in sentences if _texts(tokens[s:e]) and _is_check_clause(tokens[s:e])]
    if len(questions) != 1:
        return None
    start, end = questions[0]
    words = list(_texts(tokens[start:end]))
    while words and words[-1] in ("?", ".", "!"):
        words.pop()
    if words[-2:] == ["or", "not"]:
        words = words[:-2]
    for phrase in PLAIN_WITHOUT:  # "without refuelling" does not negate what is asked
        words = [
            w
            for i, w in enumerate(words)
            if not (w == "without" and tuple(words[i : i + len(phrase)]) == phrase)
        ]
    if any(w in WH for w in words) or any(w in NEGATIONS or w.endswith("n't") for w in words):
        return None
    clause_starts = [0, *(i + 1 for i, w in enumerate(words) if w in (",", ":"))]
    if not any(w in AUX for start in clause_starts for w in words[start : start + 10]):
        return None  # not a yes/no question: "with $80, can I ...", "two calls: will they fit ..."
    if _contains(words, COMPARISONS):
        return None
    fits, exceeds = _contains(words, FITS), _contains(words, EXCEEDS)
    if fits and exceeds:
        return None
    if exceeds:
        return "exceeds"
    if fits or any(w in ASK_CAN for start in clause_starts for w in words[start : start + 10]):
        return "fits"
    return None


def _is_check_clause(tokens: list[Token]) -> bool:
    words = _texts(tokens)
    return any(words[i : i + len(p)] == p for p in CHECK_CLAUSES for i in range(len(words)))


def _contains(words: list[str], phrases: tuple[tuple[str, ...], ...]) -> bool:
    return any(tuple(words[i : i + len(p)]) == p for p in phrases for i in range(len(words)))


def _products(tokens: list[Token], quantities: list[Quantity]) -> list[Quantity]:
    """A count next to an amount per item becomes one amount: ``27 licences at €75 each`` → ``27 * 75``."""
    out: list[Quantity] = []
    index = 0
    while index < len(quantities):
        current = quantities[index]
        following = quantities[index + 1] if index + 1 < len(quantities) else None
        if following is not None:
            product = _product(tokens, current, following)
            if product is not None:
                out.append(product)
                index += 2
                continue
        out.append(current)
        index += 1
    return out


def _product(tokens: list[Token], first: Quantity, second: Quantity) -> Quantity | None:
    distributive = _distributive(tokens, first, second)
    if distributive is not None:
        return distributive
    between = _texts(tokens[first.end : second.start])
    if len(between) > 3 or any(w not in PRODUCT_LINKS for w in between):
        return None
    listed = _texts(tokens[second.end : second.end + 1]) in ((",",), ("and",), ("or",))
    if (
        not between
        and first.kind == "bare"
        and second.kind.startswith(("unit:", "money:"))
        and not second.is_rate
    ):
        between = ("each",)  # "three 50-minute episodes", "two $800 laptops"
    for count, amount in ((first, second), (second, first)):
        if count.is_rate or not _is_count(count) or amount.kind in ("bare", "percent"):
            continue
        counted = count.kind.removeprefix("noun:")
        per_item = amount.per in ("each", counted)
        grouped = (
            amount is second
            and not amount.is_rate
            and count.kind.startswith("noun:")
            and count.kind != "noun:people"
            and not listed  # "three talks of 25, 30 and 40 minutes" lists the talks
        )
        if (
            per_item
            or (grouped and between == ("of",))
            or (amount is second and between in (("at",), ("each",)))
        ):
            return replace(  # a rate per hour stays one: "5 servers at $2 per hour" (for how long?)
                amount,
                value=count.value * amount.value,
                expression=f"{count.expression} * {paren(amount.expression)}",
                start=first.start,
                end=second.end,
                per=None if per_item else amount.per,
            )
    return None


def _distributive(tokens: list[Token], first: Quantity, second: Quantity) -> Quantity | None:
    """``3 developers, each working 30 hours a week`` (or ``working 30 hours a week each``) → ``3 * 30``
    hours a week; ``11 groups of 22`` → ``11 * 22`` people."""
    between = _texts(tokens[first.end : second.start])
    if first.is_rate or not first.kind.startswith("noun:") or second.kind in ("bare", "percent"):
        if not (first.kind.removeprefix("noun:") in GROUPS and second.kind == "bare" and between == ("of",)):
            return None
        # "7 teams of 28": a group's size is a number of people
        second = replace(second, kind="noun:people", unit="people")
        if second.is_rate or first.is_rate:
            return None
        return replace(
            second,
            value=first.value * second.value,
            expression=f"{first.expression} * {second.expression}",
            start=first.start,
        )
    lead = next((p for p in DISTRIBUTIVE if between[: len(p)] == p), None)
    rest = between[len(lead) :] if lead is not None else between
    trailing = bool(second.per_kind) and _texts(tokens[second.end : second.end + 1]) == ("each",)
    if (lead is None and not trailing) or len(rest) > 3 or not all(w.isalpha() for w in rest):
        return None  # "3 developers working 30 hours a week each" says it after the rate
    return replace(
        second,
        value=first.value * second.value,
        expression=f"{first.expression} * {paren(second.expression)}",
        start=first.start,
    )


def _group_size(tokens: list[Token], quantity: Quantity) -> Quantity:
    """``a class of 32``: the size of one group is a number of people."""
    before = _texts(tokens[max(0, quantity.start - 3) : quantity.start])
    one_group = (
        len(before) == 3 and before[0] in ("a", "an", "one") and before[1] in GROUPS and before[2] == "of"
    )
    if quantity.kind == "bare" and not quantity.is_rate and one_group:
        return replace(quantity, kind="noun:people", unit="people")
    return quantity


def _is_count(quantity: Quantity) -> bool:
    return quantity.kind == "bare" or quantity.kind.startswith("noun:")


def _role(tokens: list[Token], sentences: list[tuple[int, int]], quantity: Quantity) -> _WeakRole | None:
    """What the words around ``quantity`` make it: a word that says used wins (``with 50 GB used``), then
    the words just before it (``needs``, ``budget of``), then those just after it (``disk``, ``free``); a
    plain ``have``/``has`` before it is ``weak`` (``we have 25 crates`` may be what is required)."""
    start, end = next(((s, e) for s, e in sentences if s <= quantity.start < e), (0, len(tokens)))
    before = ["<s>", *_texts(tokens[start : quantity.start])]
    while len(before) > 1 and before[-1] in FILLERS and not _ends_with(before, AVAILABLE_BEFORE):
        before.pop()
    before_role: _WeakRole | None = None
    if _ends_with(before, USED_BEFORE):
        return "used"
    if _ends_with(before, AVAILABLE_BEFORE):
        before_role = "available"
    elif _ends_with(before, WEAK_AVAILABLE_BEFORE):
        before_role = "weak"
    elif _ends_with(before, REQUIRED_BEFORE):
        before_role = "required"
    after = list(_texts(tokens[quantity.end : end]))
    after_role: _WeakRole | None = None
    if any(
        t.text in ("free", "spare", "available", "remaining") for t in tokens[quantity.start : quantity.end]
    ):
        after_role = "available"  # "3 free hours"
    if after[:1] == ["last"] and after[1:2] and after[1] in PERIODS:
        after = after[2:]  # "30 hours last week" is not "$300 last(s)"
    for _ in range(2):
        if _starts_with(after, USED_AFTER):
            return "used"
        if _starts_with(after, AVAILABLE_AFTER):
            after_role = "available"
            break
        if after[:1] == ["of"] and len(after) > 2:
            after = after[2:]  # "16 GB of RAM enough", "620 GB of backups"
        else:
            break
    if before_role == "weak" and after_role == "available":
        return "available"
    return before_role or after_role


def _listed_roles(
    tokens: list[Token], quantities: list[Quantity], roles: list[_WeakRole | None]
) -> list[_WeakRole | None]:
    """An amount with no word of its own that is listed right after another and ends the clause
    (``we have $1000 and $500.``) shares that one's role."""
    out = list(roles)
    for index in range(1, len(quantities)):
        previous, current = quantities[index - 1], quantities[index]
        between = _texts(tokens[previous.end : current.start])
        ends = current.end >= len(tokens) or tokens[current.end].kind == "sym"  # not "15 people signed up"
        if out[index] is None and previous.kind == current.kind and between in LIST_JOINS and ends:
            out[index] = out[index - 1]
    return out


def _resolve_weak(quantities: list[Quantity], roles: list[_WeakRole | None]) -> list[Role | None] | None:
    """A plain ``have`` marks what is available only when nothing else does; with one clearer amount
    available (a budget, a capacity), it marks a count required (``we have 25 crates of 130 kg``, ``the
    class has 30 students``); None when neither settles it (``I have 16 GB; is 4 GB of headroom enough``)."""
    strong = roles.count("available")
    weak = roles.count("weak")
    if strong == 0 and weak > 1:
        return None
    counted = (
        "*" in q.expression or q.kind.startswith("noun:")
        for q, r in zip(quantities, roles, strict=True)
        if r == "weak"
    )
    if strong and not all(counted):
        return None
    available_now: Role = "available" if strong == 0 else "required"
    return [available_now if role == "weak" else role for role in roles]


def _ends_with(words: list[str], phrases: tuple[tuple[str, ...], ...]) -> bool:
    return any(len(words) >= len(p) and tuple(words[len(words) - len(p) :]) == p for p in phrases)


def _starts_with(words: list[str], phrases: tuple[tuple[str, ...], ...]) -> bool:
    return any(tuple(words[: len(p)]) == p for p in phrases)


def _percent_limits(
    quantities: list[Quantity], roles: list[Role | None]
) -> tuple[list[Quantity], list[Role | None]] | None:
    """A limit in percent (``at most 12%``) applied to the one budget available: ``29900 * 12 / 100``."""
    percents = [i for i, q in enumerate(quantities) if q.kind == "percent"]
    if not percents:
        return quantities, roles
    budgets = [i for i, q in enumerate(quantities) if roles[i] == "available" and q.kind != "percent"]
    if len(percents) != 1 or len(budgets) != 1 or roles[percents[0]] != "available":
        return None
    percent, budget = quantities[percents[0]], quantities[budgets[0]]
    limit = replace(
        budget,
        value=budget.value * percent.value / 100,
        expression=f"{paren(budget.expression)} * {percent.expression} / 100",
    )
    keep = [i for i in range(len(quantities)) if i not in (percents[0], budgets[0])]
    return [limit, *(quantities[i] for i in keep)], ["available", *(roles[i] for i in keep)]


def _sides(
    tokens: list[Token],
    quantities: list[Quantity],
    roles: list[Role | None],
    asks: Literal["fits", "exceeds"],
) -> ResourceReading | None:
    available = [q for q, role in zip(quantities, roles, strict=True) if role == "available"]
    if len(available) != 1:
        return None
    have = available[0]
    kind = have.kind
    if kind == "bare":
        others = {q.kind for q in quantities if q.kind != "bare"}
        if len(others) != 1 or next(iter(others)).startswith("unit:"):
            return None  # a bare number takes the kind of the others only when they agree and need no unit
        if next(iter(others)).removeprefix("noun:") in GROUPS:
            return None  # "the hall seats 230; 11 groups arrive": seats are not groups
        kind = next(iter(others))
    if kind.startswith("unit:") and any(q.kind == "bare" for q in quantities):
        return None  # "tasks of 40, 50 and 70" against 3 hours: minutes or hours?
    same = [
        (q if q.kind != "bare" else _as_kind(q, kind, quantities), role)
        for q, role in zip(quantities, roles, strict=True)
        if q.kind == kind or q.kind == "bare"
    ]
    if any(
        q.kind == "bare" and role not in ("available", "used")
        for q, role in zip(quantities, roles, strict=True)
    ):
        return None  # a number with no unit: only "seats 40", "we used 8,200" say what it is
    used = [q for q, role in same if role == "used"]
    required = [q for q, role in same if role is None or role == "required"]
    have = next(q for q, role in same if role == "available")
    if not required or not _item_count_agrees(tokens, len(required)):
        return None
    counts = [q for q in quantities if q.kind.startswith("noun:") and q.kind != kind]
    if any(q.value != len(required) for q in counts):
        return None  # "3 pizzas and 2 drinks" priced per pizza and per drink: counts not multiplied in
    target = min((q for q, _ in same), key=lambda q: q.factor)
    factor = target.factor
    if any(calendar_ambiguous(q.unit, target.unit) for q, _ in same):
        return None

    def in_target(q: Quantity) -> str:
        return scaled(q.expression, q.factor / factor)

    available_expression = " - ".join([in_target(have), *(paren(in_target(q)) for q in used)])
    required_expression = " + ".join(in_target(q) for q in required)
    available_value = have.value * have.factor / factor - sum(q.value * q.factor / factor for q in used)
    required_value = sum(q.value * q.factor / factor for q in required)
    if available_value < 0:
        return None
    return ResourceReading(
        available=available_value,
        required=required_value,
        unit=TIME_NAMES.get(target.unit, target.unit),
        asks=asks,
        available_expression=available_expression,
        required_expression=required_expression,
    )


def _as_kind(quantity: Quantity, kind: str, quantities: list[Quantity]) -> Quantity:
    model = next(q for q in quantities if q.kind == kind)
    return replace(quantity, kind=kind, unit=model.unit, factor=model.factor)


def _item_count_agrees(tokens: list[Token], items: int) -> bool:
    """``all three`` / ``both`` / ``these 2`` in the text must count the items required."""
    words = _texts(tokens)
    for index, word in enumerate(words):
        if word == "both" and items != 2:
            return False
        counted = (
            word in ("all", "these", "those") and index + 1 < len(tokens) and tokens[index + 1].kind == "num"
        )
        if counted and float(words[index + 1]) != items:
            return False
    return True


def _texts(tokens: list[Token]) -> tuple[str, ...]:
    return tuple(t.text for t in tokens)
