"""Explanation follow-ups: "Why?", "How do you know?" or "Show your work" after an answer a tool settled.

The team answered "Is 91 a prime number?" with the calculator ("No. 91 = 7 × 13."); asked "Why?" it must not
repeat itself in other words but say what makes the answer true: "No, because 91 = 7 × 13: a prime number
has no divisor other than 1 and itself, and 7 divides 91." The reasons come from the same tool results the
answer came from, so they are as exact as the answer, and they keep its yes/no first and its result last
(Ref checks both)."""

from __future__ import annotations

import re

from qsm.agents.messages import ToolCall, ToolResult
from qsm.agents.tools.errors import ToolError
from qsm.agents.tools.numbers import format_number
from qsm.agents.tools.units import convert
from qsm.graph.team.analysis import RequestAnalysis

__all__ = ["asks_why", "explained", "explanation", "note_explanation"]

_WHY = re.compile(
    r"""^\s*(?:(?:but|and|ok|okay|so|hm+|really)[,!.]?\s+)*
    (?:why(?:\s+(?:so|not|is\s+that|is\s+it|that))?
      |how\s+(?:so|come)
      |how\s+do\s+you\s+know(?:\s+(?:that|it|this))?
      |how\s+did\s+you\s+(?:get|work\s+out|compute|calculate|find)(?:\s+(?:that|it|this))?
      |what\s+makes\s+you\s+(?:say|think)\s+(?:that|so)
      |explain(?:\s+(?:that|it|this|why|how))?
      |(?:can\s+you\s+|please\s+)?show\s+(?:me\s+)?(?:your|the)\s+(?:work|working|steps|calculation|reasoning)
      |are\s+you\s+sure
    )(?:\s+please)?\s*[?!.]*\s*$""",
    re.IGNORECASE | re.VERBOSE,
)
_BINARY = re.compile(r"^\s*(\d{1,12})\s*([-+*/×x÷])\s*(\d{1,12})\s*$")


def asks_why(text: str) -> bool:
    """Whether ``text`` asks only for the reason behind the answer before it."""
    return len(text) <= 80 and _WHY.match(text) is not None


def explanation(
    analysis: RequestAnalysis, answer: str | None, calls: list[ToolCall], results: list[ToolResult]
) -> str | None:
    """The reasons for the answer to the request ``analysis`` reads (marked ``explain``): from the tools
    that settled it (:func:`explained`), else from the pasted note that answered it; None when neither did
    (the author then writes the explanation)."""
    return explained(analysis, answer, calls, results) if answer is not None else note_explanation(analysis)


def explained(
    analysis: RequestAnalysis, answer: str, calls: list[ToolCall], results: list[ToolResult]
) -> str:
    """The reasons for ``answer``, which the tool ``calls`` and ``results`` settled for the request
    ``analysis`` reads: a yes/no with what decided it, a calculation worked in steps, a conversion by its
    factor. Anything else is ``answer`` itself, said to come from the tool."""
    comparison = analysis.comparison
    if (analysis.capacity is not None or comparison is not None) and answer[:3].rstrip(".").lower() in (
        "yes",
        "no",
    ):
        head, _, rest = answer.partition(". ")
        reason = rest.rstrip(".") or head
        because = f"{head.rstrip('.')}, because {reason[:1].lower() + reason[1:]}."
        if comparison is not None and comparison.op == "prime":
            return _prime_reason(head, rest) or because
        if comparison is not None and comparison.op == "divisible" and "remainder" in rest:
            return f"{because[:-1]}: what is left over means it does not divide exactly."
        return because
    if analysis.choice is not None and len(calls) == 2 and all(r.ok and r.value is not None for r in results):
        return _choice_reason(calls, results)
    if len(calls) == 1 and len(results) == 1 and results[0].ok and results[0].value is not None:
        call, result = calls[0], results[0]
        if call.tool == "calculator":
            return _worked(str(call.arguments.get("expression", "")), result) or (
                f"The calculator works it out exactly: {answer.rstrip('.')}."
            )
        if call.tool == "convert_units":
            return _by_factor(call, result) or answer
    return answer


def _choice_reason(calls: list[ToolCall], results: list[ToolResult]) -> str:
    """ "Because 2^10 works out to 1024, and 1024 is more than 1000." (each side that is a calculation)."""
    values = [r.value or 0.0 for r in results]
    shown = [format_number(v) for v in values]
    worked = [
        f"{written} works out to {number}"
        for call, number in zip(calls, shown, strict=True)
        if (written := str(call.arguments.get("expression", "")).replace(" ** ", "^").replace("*", "×"))
        != number
    ]
    left, right = shown
    relation = "equal to" if values[0] == values[1] else "more than" if values[0] > values[1] else "less than"
    return f"Because {', and '.join(worked) + ', and ' if worked else ''}{left} is {relation} {right}."


def _prime_reason(head: str, rest: str) -> str | None:
    """ "No, because 91 = 7 × 13: ..." or "Yes, because no whole number from 2 to 9 divides 97: ..."."""
    if head.startswith("No") and "×" in rest:
        number, _, factors = rest.rstrip(".").rpartition(" = ")
        n = number.split(", and ")[-1]
        return (
            f"No, because {rest.rstrip('.')}: a prime number has no divisor other than 1 and itself, "
            f"and {factors.split(' × ')[0]} divides {n}."
        )
    if head.startswith("Yes") and ": " in rest:
        stated, _, reason = rest.rstrip(".").partition(": ")
        n = stated.split(", and ")[-1].split(" is ")[0]
        reason = reason.replace("divides it", f"divides {n}")
        return (
            f"Yes, because {reason}, and any larger divisor would come paired with a smaller one, "
            f"so only 1 and {n} divide {n}."
        )
    return None


def note_explanation(analysis: RequestAnalysis) -> str | None:
    """For a question the pasted notes answered: the note that answers it, quoted and cited."""
    best = analysis.best_note
    if analysis.notes is None or not best:
        return None
    body = analysis.notes.notes[best].strip().rstrip(".")
    return f'Because note [{best}] says so: "{body}." [{best}]'


def _worked(expression: str, result: ToolResult) -> str | None:
    """``29 × 68 = 29 × 60 + 29 × 8 = 1740 + 232 = 1972``: two whole numbers, the second split at its
    leading digit; a division shown by the multiplication that undoes it."""
    found = _BINARY.match(expression)
    if found is None or result.value is None:
        return None
    a, op, b = int(found.group(1)), found.group(2), int(found.group(3))
    value = format_number(result.value)
    if op in "/÷":
        if b == 0 or a % b:
            return None
        return f"Because {a // b} × {b} = {a}, {a} ÷ {b} = {value}."
    place = 10 ** (len(str(b)) - 1)
    high, low = b // place * place, b % place
    if b < 10 or low == 0:
        return f"The calculator works it out exactly: {a} {_SIGN[op]} {b} = {value}."
    if op in "*×x":
        return f"Multiply in two parts: {a} × {b} = {a} × {high} + {a} × {low} = {a * high} + {a * low} = {value}."
    if op == "+":
        return f"Add in two parts: {a} + {b} = {a} + {high} + {low} = {a + high} + {low} = {value}."
    return f"Subtract in two parts: {a} - {b} = {a} - {high} - {low} = {a - high} - {low} = {value}."


_SIGN = {"*": "×", "×": "×", "x": "×", "+": "+", "-": "-"}


def _by_factor(call: ToolCall, result: ToolResult) -> str | None:
    """``Because 1 km = 0.6213711922 mi, 5 km = 5 × 0.6213711922 mi = 3.106855961 mi.`` (a temperature
    by its zero point and its step)."""
    value, source, target = (call.arguments.get(k) for k in ("value", "from_unit", "to_unit"))
    if not isinstance(value, int | float) or not isinstance(source, str) or not isinstance(target, str):
        return None
    try:
        one, src, tgt = convert(1.0, source, target)
        zero, _, _ = convert(0.0, source, target)
    except ToolError:  # 0 of the unit is below absolute zero: no zero point to show
        return None
    shown, result_shown = format_number(value), format_number(result.value or 0.0)
    step = one - zero
    if abs(zero) > 1e-12:
        origin = round(-zero / step, 6)  # the source value that is 0 in the target unit
        if float(origin).is_integer():  # °F to °C: (x - 32) × 5/9
            return (
                f"Because {format_number(origin)} {src.symbol} is 0 {tgt.symbol} and each 1 {src.symbol} is "
                f"{format_number(step)} {tgt.symbol}, {shown} {src.symbol} = ({shown} - {format_number(origin)})"
                f" × {format_number(step)} {tgt.symbol} = {result_shown} {tgt.symbol}."
            )
        return (
            f"Because 0 {src.symbol} is {format_number(zero)} {tgt.symbol} and each 1 {src.symbol} adds "
            f"{format_number(step)} {tgt.symbol}, {shown} {src.symbol} is {format_number(zero)} + {shown} × "
            f"{format_number(step)}, which is {result_shown} {tgt.symbol}."
        )
    return (
        f"Because 1 {src.symbol} = {format_number(step)} {tgt.symbol}, {shown} {src.symbol} = {shown} × "
        f"{format_number(step)} {tgt.symbol} = {result_shown} {tgt.symbol}."
    )
