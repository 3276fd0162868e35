"""Ref checks before it judges. Each check either does not apply, passes, or fails with a concrete
problem and the fix; a pass is *decisive* when it verified the content itself (a recomputed number, a
cited note that supports the answer), not only its form.

- ``format``: the answer keeps the format the request states.
- ``arithmetic``: the number the answer gives equals the calculator's (or converter's) result, and every
  ``a op b = c`` written in the answer is right.
- ``decision``: a yes/no the request lets Ref compute (a comparison, a capacity check) matches the answer's.
- ``citation``: each cited note (pasted into the request, or recalled from memory) exists, supports the
  answer, and, for pasted notes, is the note that fits the question.
- ``units``: quantities in the answer are of a kind (time, mass, data size...) the request names.
- ``junk``: no template debris, runaway repetition or an empty answer.
- ``on_topic``: the answer, and each of its sentences, is about the request (embedding similarity with a
  guard: a sentence sharing two meaningful words with the request needs only half that similarity).
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from qsm.agents.inline_notes import content_words
from qsm.agents.messages import ToolResult
from qsm.agents.tools import ToolError, evaluate, format_number
from qsm.agents.tools.units import find_unit
from qsm.graph.team.analysis import RequestAnalysis

__all__ = ["Check", "answer_number", "run_checks"]

Embed = Callable[[list[str]], np.ndarray]

_NUMBER = re.compile(r"(?<![\w.])[-+]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?(?![\w])")
# a chain "expr = expr = ... " of arithmetic (digits, operators, parentheses), e.g. (33 + 5) × 4 = 38 × 4 = 152
_CHAIN = re.compile(r"[\d(][\d\s.,+\-*/×÷^()x]*(?:=\s*[-+]?[\d(][\d\s.,+\-*/×÷^()x]*)+")
_OPERATORS = re.compile(r"[×÷^]|(?<=\d)\s*x\s*(?=\d)|(?<=\d),(?=\d{3})")
_OPERATOR_MAP = {"×": "*", "÷": "/", "^": "**", ",": ""}  # "x" between numbers is "*"
# words that read as units after a number but are English here ("5 in total")
_NOT_UNITS = frozenset(
    ["in", "at", "a", "an", "is", "of", "or", "and", "to", "by", "on", "per", "from", "for", "as", "it"]
)
# a number followed by a unit word: "7 GB", "700 kg", "9660 s"
_QUANTITY = re.compile(r"\d(?:[\d,]*\d)?(?:\.\d+)?\s*(°?[A-Za-z]+(?:/[A-Za-z]+)?)")
_SPECIFIC = re.compile(r"(?<!^)(?<![.!?]\s)\b(?:\d[\d,.]*\d|\d|[A-Z][a-z]+)\b")
_CITE = re.compile(r"\[(\d{1,2})\]")
_DEBRIS = re.compile(r"\{\{|\}\}|<\|[a-z_]+\|>|\\u[0-9a-f]{4}|(?:\b(\w+)\b[\s,]+)\1(?:[\s,]+\1){2,}", re.I)
_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9\"'])")
STRAY_SIMILARITY = 0.35
OFF_TOPIC_SIMILARITY = 0.2  # calibrated on MiniLM: right answers >= 0.21, others' answers median 0.15


@dataclass(frozen=True)
class Check:
    name: str
    passed: bool
    problem: str = ""
    fix: str = ""
    decisive: bool = False
    drop: tuple[str, ...] = ()  # sentences whose removal is the whole fix
    unmark: tuple[str, ...] = ()  # citation marks ("[2]") whose removal is the whole fix


def answer_number_text(text: str) -> str | None:
    """The number an answer gives, as written: after the last '=' or 'is', else the last number in it."""
    tail = re.split(r"=|\bis\b|\bequals\b|\banswer:?", text)[-1]
    found = _NUMBER.findall(tail) or _NUMBER.findall(text)
    return found[-1] if found else None


def answer_number(text: str) -> float | None:
    """The number an answer gives (see :func:`answer_number_text`)."""
    found = answer_number_text(text)
    return float(found.replace(",", "")) if found is not None else None


def _close(stated: str, value: float) -> bool:
    """``stated`` (as written) is ``value``, exactly or rounded to the decimals it shows."""
    number = float(stated.replace(",", ""))
    decimals = len(stated.split(".")[1]) if "." in stated else 0
    return abs(number - value) <= max(1e-9 * max(1.0, abs(value)), 0.5 * 10**-decimals + 1e-12)


def _value(part: str) -> float | None:
    expression = (
        _OPERATORS.sub(lambda m: _OPERATOR_MAP.get(m.group(0).strip(), "*"), part).strip().rstrip(".,")
    )
    if not expression:
        return None
    try:
        return float(evaluate(expression))
    except (ToolError, ValueError, TypeError, ZeroDivisionError):
        return None


def _wrong_equation(text: str) -> tuple[str, float, str] | None:
    """The first step of an ``a = b = c`` chain whose two sides differ: (left, its value, right)."""
    for match in _CHAIN.finditer(text):
        # a chain ends where its arithmetic does: "= 36.50 (approximately)" gives "36.50", not "36.50 ("
        parts = [p.strip().rstrip(".,( ").lstrip(") ").strip() for p in match.group(0).split("=")]
        for left, right in itertools.pairwise(parts):
            lv, rv = _value(left), _value(right)
            if lv is None or rv is None:
                continue
            plain = re.fullmatch(r"[-+]?\d[\d,]*(?:\.\d+)?", right)
            if not (_close(right, lv) if plain else abs(lv - rv) <= 1e-9 * max(1.0, abs(lv))):
                return left, lv, right
    return None


def _format(analysis: RequestAnalysis, text: str) -> Check | None:
    if analysis.answer_format is None:
        return None
    problem = analysis.answer_format.problem(text)
    if problem:
        return Check("format", False, problem, analysis.answer_format.instruction())
    return Check("format", True)


def _arithmetic(analysis: RequestAnalysis, text: str, expected: ToolResult | None) -> Check | None:
    wrong = _wrong_equation(text)
    if wrong is not None:
        left, value, right = wrong
        return Check(
            "arithmetic",
            False,
            f"{left} is {format_number(value)}, not {right}",
            f"use {format_number(value)}",
        )
    if expected is None or not expected.ok or expected.value is None:
        return None
    given = answer_number_text(text)
    if given is None:
        return Check("arithmetic", False, "the answer gives no number", f"the result is {expected.output}")
    if not _close(given, expected.value):
        return Check(
            "arithmetic",
            False,
            f"the answer gives {given}, the {expected.tool} gives {expected.output}",
            f"the result is {expected.output}",
        )
    return Check("arithmetic", True, decisive=True)


def _units(analysis: RequestAnalysis, text: str) -> Check | None:
    """Quantities in the answer are of a kind the request talks about (no GB in an answer about hours)."""
    asked = {
        u.dimension
        for u in (find_unit(w) for w in re.findall(r"°?[A-Za-z]+(?:/[A-Za-z]+)?", analysis.text))
        if u
    }
    if not asked:
        return None
    for word in _QUANTITY.findall(text):
        if word.lower() in _NOT_UNITS:
            continue
        unit = find_unit(word)
        if unit is not None and unit.dimension not in asked:
            return Check("units", False, f"the answer speaks of {word} ({unit.dimension}); the request does not",
                         "answer about the quantities the request names")  # fmt: skip
    return Check("units", True)


def _decision(text: str, decision: bool | None) -> Check | None:
    if decision is None:
        return None
    first = re.search(r"\b(yes|no)\b", text, re.I)
    wanted = "yes" if decision else "no"
    if first is None:
        return Check("decision", False, "the answer does not say yes or no", f"the answer is {wanted}")
    if first.group(1).lower() != wanted:
        return Check("decision", False, f"the answer says {first.group(1).lower()}, the calculation says {wanted}",
                     f"the answer is {wanted}")  # fmt: skip
    return Check("decision", True, decisive=True)


def _citation(analysis: RequestAnalysis, text: str) -> Check | None:
    if analysis.notes is None:
        return None
    notes = analysis.notes.notes
    cited = [int(n) for n in _CITE.findall(text)]
    best = analysis.best_note
    if not cited:
        fix = f"cite the note it comes from, e.g. [{best}]" if best else "cite the note it comes from"
        return Check("citation", False, "the answer cites no note", fix)
    unknown = [n for n in cited if n not in notes]
    if unknown:
        return Check("citation", False, f"the answer cites note [{unknown[0]}], which does not exist",
                     f"cite one of {', '.join(f'[{n}]' for n in notes)}")  # fmt: skip
    claim = _CITE.sub(" ", text)
    wrong = [n for n in cited if not grounded(claim, n, analysis)]
    if wrong:
        fix = f"use note [{best}]: {notes[best]}" if best else "cite the note that says this"
        return Check("citation", False, f"note [{wrong[0]}] does not support the answer", fix)
    if best is not None and set(cited) != {best}:
        return Check("citation", False, f"the question is answered by note [{best}], the answer cites "
                     f"{', '.join(f'[{n}]' for n in cited)}", f"cite only note [{best}]: {notes[best]}")  # fmt: skip
    return Check("citation", True, decisive=True)


def grounded(claim: str, cited: int, analysis: RequestAnalysis) -> bool:
    """What the claim adds to the question comes from note ``cited``: some of its new words are in that
    note, and none of them is found only in another note (a distractor's value)."""
    notes = analysis.notes.notes if analysis.notes else {}
    asked = content_words(analysis.question)
    new = content_words(claim) - asked
    mine = content_words(notes.get(cited, ""))
    if not new:
        return bool(content_words(claim) & mine)
    others = set().union(*(content_words(body) for n, body in notes.items() if n != cited))
    # the specific things the claim states (numbers, names) must all be in the cited note
    specific = {part for w in _SPECIFIC.findall(claim) for part in content_words(w)} - asked
    return bool(new & mine) and not ((new & others) - mine) and specific <= mine


def _memory_citation(text: str, recalled: list[str], supports: Callable[[str, str], bool]) -> Check | None:
    """[n] in an answer drafted from memory must name a recalled note that supports it."""
    cited = [int(n) for n in _CITE.findall(text)]
    if not cited or not recalled:
        return None
    unknown = [n for n in cited if not 1 <= n <= len(recalled)]
    if unknown:
        return Check("citation", False, f"the answer cites [{unknown[0]}], but only {len(recalled)} notes were "
                     "recalled", f"cite one of {', '.join(f'[{i}]' for i in range(1, len(recalled) + 1))}",
                     unmark=tuple(f"[{n}]" for n in unknown))  # fmt: skip
    claim = _CITE.sub(" ", text)
    wrong = [n for n in cited if not supports(claim, recalled[n - 1])]
    if wrong:
        return Check("citation", False, f"memory note [{wrong[0]}] does not support the answer",
                     "cite only notes that say what the answer says")  # fmt: skip
    return Check("citation", True, decisive=True)


def _phantom_citation(analysis: RequestAnalysis, text: str, recalled: list[str]) -> Check | None:
    """A [n] when there is nothing to cite (no notes in the request, none recalled) is debris."""
    if analysis.notes is not None or recalled or not _CITE.search(text):
        return None
    marks = tuple(f"[{n}]" for n in _CITE.findall(text))
    return Check(
        "citation",
        False,
        "the answer cites a note, but there are no notes",
        "remove the [n] marks",
        unmark=marks,
    )


def _junk(text: str) -> Check:
    if not text.strip():
        return Check("junk", False, "the answer is empty", "answer the request")
    match = _DEBRIS.search(text)
    if match:
        return Check("junk", False, f"the answer contains debris: {match.group(0)[:40]!r}", "remove it")
    sentences = [s.strip() for s in _SENTENCE.split(text) if s.strip()]
    if len(sentences) >= 3 and len(set(sentences)) <= len(sentences) // 2:
        return Check("junk", False, "the answer repeats itself", "say it once")
    return Check("junk", True)


def _on_topic(
    analysis: RequestAnalysis, text: str, embed: Embed | None, topic: RequestAnalysis
) -> Check | None:
    fmt = analysis.answer_format
    if (
        embed is None
        or topic.embedding is None
        or (fmt is not None and (fmt.kind in ("one_word", "number", "json_keys", "list") or fmt.strict))
    ):
        return (
            None  # a word, a number, JSON or a list has no sentences to measure (the format check has them)
        )
    sentences = [s.strip() for s in _SENTENCE.split(text.strip()) if s.strip()]
    long = [s for s in sentences if len(s.split()) >= 4]
    if not long:
        return None
    asked = content_words(topic.text)
    sims = embed(long) @ topic.embedding
    best = float(sims.max())
    unrelated = []
    for sentence, sim in zip(long, sims, strict=True):
        shared = len(content_words(sentence) & asked)
        off = sim < OFF_TOPIC_SIMILARITY and not (shared >= 2 and sim >= OFF_TOPIC_SIMILARITY / 2)
        # beside a sentence that answers, one far below it in meaning and sharing little is a digression
        stray = len(sentences) > 1 and sim < STRAY_SIMILARITY and sim < best / 2 and shared < 2
        if off or stray:
            unrelated.append(sentence)
    if not unrelated:
        return Check("on_topic", True)
    if len(unrelated) == len(sentences):
        return Check("on_topic", False, "the answer is off-topic", "answer only what was asked")
    return Check(
        "on_topic",
        False,
        f"unrelated text: {unrelated[0][:80]!r}",
        "remove the unrelated sentences",
        drop=tuple(unrelated),
    )


def run_checks(
    analysis: RequestAnalysis,
    text: str,
    *,
    expected: ToolResult | None,
    supports: Callable[[str, str], bool],
    embed: Embed | None,
    decision: bool | None = None,
    recalled: list[str] | None = None,
    topic: RequestAnalysis | None = None,
) -> list[Check]:
    """Every check that applies to this request and answer, in order. ``topic`` is what the answer must be
    about when that is more than the request: a follow-up ("Why?") read with the turn before it."""
    checks = [
        _junk(text),
        _phantom_citation(analysis, text, recalled or []),
        _format(analysis, text),
        _arithmetic(analysis, text, expected),
        _decision(text, decision),
        _units(analysis, text),
        _citation(analysis, text) or _memory_citation(text, recalled or [], supports),
        _on_topic(analysis, text, embed, topic or analysis),
    ]
    return [c for c in checks if c is not None]
