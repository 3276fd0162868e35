"""What the team reads off a request before any LLM call: the format it states, the notes pasted into it,
a calculation or conversion it plainly asks for (a tool call parsed without a model), and the student
router's decision over its embedding. Computed once per request text and shared by QSM, WeQ and Ref."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

import numpy as np

from qsm.agents.answer_format import AnswerFormat, detect_format
from qsm.agents.inline_notes import InlineNotes, content_words, split_notes
from qsm.agents.messages import ToolCall
from qsm.agents.router import RouteDecision, Router
from qsm.agents.tools import (
    CapacityQuestion,
    Comparison,
    ToolError,
    evaluate,
    parse_arithmetic,
    parse_capacity,
    parse_comparison,
    parse_conversion,
)
from qsm.agents.tools.choice import Choice, parse_choice
from qsm.store.embedder import Embedder

__all__ = ["RequestAnalysis", "analyze", "best_note"]

_MATH_CUE = re.compile(
    r"\d\s*[-+*/x×÷^%]\s*\d|\b(?:plus|minus|times|divided|multiplied|sum|product|squared|cubed|power|"
    r"percent|convert|how many \w+ (?:are )?in)\b",
    re.I,
)


@dataclass(frozen=True)
class RequestAnalysis:
    text: str
    question: str
    answer_format: AnswerFormat | None
    notes: InlineNotes | None
    note_choice: int | None
    tool_call: ToolCall | None
    comparison: Comparison | None
    capacity: CapacityQuestion | None
    math_like: bool
    route: RouteDecision | None
    embedding: np.ndarray | None
    explain: bool = False  # a follow-up ("Why?") that asks the reasons for this request's answer
    choice: Choice | None = None  # "Which is larger, 2^10 or 1000?"

    @property
    def best_note(self) -> int | None:
        return self.note_choice

    @property
    def exact(self) -> bool:
        """A tool settles it (a calculation, conversion, comparison or capacity check) or notes answer it."""
        settlers = (self.tool_call, self.comparison, self.capacity, self.notes, self.choice)
        return any(x is not None for x in settlers)

    def decision(self) -> bool | None:
        """The yes/no the request lets the team compute, or None."""
        if self.capacity is not None:
            return self.capacity.answer()[0]
        if self.comparison is not None:
            try:
                return self.comparison.decide(evaluate)[0]
            except ToolError:
                return None
        return None


def best_note(notes: InlineNotes, embedder: Embedder | None = None) -> int | None:
    """The note that answers the question. Shared words count more the fewer notes hold them (a name in
    one note outweighs "bridge" in all of them); among the notes close to the best such score, the one whose
    meaning is nearest the question wins (MiniLM: "finished" is near "completed", "length" near "long").
    Without an embedder, ties go to the earlier note."""
    asked = content_words(notes.question)
    words = {n: content_words(body) for n, body in notes.notes.items()}
    count = len(words)

    def weight(word: str) -> float:
        return math.log(1 + count / sum(word in w for w in words.values()))

    scores = {n: sum(weight(w) for w in asked & body) for n, body in words.items()}
    top = max(scores.values(), default=0.0)
    if top <= 0:
        return None
    close = sorted(n for n, score in scores.items() if score >= 0.6 * top)
    if embedder is None or len(close) == 1:
        return max(close, key=lambda n: (scores[n], -n))
    vectors = embedder.embed([notes.question] + [notes.notes[n] for n in close])
    sims = vectors[1:] @ vectors[0]
    return close[int(np.argmax(sims))]


_BACK_REFERENCE = re.compile(
    r"\b(?:that|it|this|the result|in total|the total|altogether|the answer)\b", re.I
)


def _tool_call(text: str) -> ToolCall | None:
    conversion = parse_conversion(text)
    if conversion is not None:
        return ToolCall(tool="convert_units", arguments=conversion.model_dump(), caller="QSM")
    expression = parse_arithmetic(text)
    sentences = re.split(r"(?<=[.!?])\s+", text.strip())
    if expression is None and len(sentences) > 1:
        if all(_BACK_REFERENCE.search(s) for s in sentences[1:]):  # "Do X, then Y. How many is that?"
            expression = parse_arithmetic(sentences[0])
        else:  # "What is 90% of 340? Give the number.": the one sentence with numbers
            numbered = [s for s in sentences if re.search(r"\d", s)]
            if len(numbered) == 1:
                conversion = parse_conversion(numbered[0])
                if conversion is not None:
                    return ToolCall(tool="convert_units", arguments=conversion.model_dump(), caller="QSM")
                expression = parse_arithmetic(numbered[0])
    if expression is not None:
        return ToolCall(tool="calculator", arguments={"expression": expression}, caller="QSM")
    return None


def _without_clause(text: str, phrase: str) -> str:
    """``text`` without the format it states: a clause (between : . ? ! or a line break) that only states
    it is left out; in a clause that is the question too ("In at most 6 words, what is 6 times 34?", "Can
    it fill the tank in 32 minutes, yes or no?") only the phrase and the words that lead into it go."""
    out: list[str] = []
    for clause in re.split(r"(?<=[:.?!])\s+|(?<=\n)", text):  # not inside "108.3"
        if phrase not in clause:
            out.append(clause)
            continue
        cut = _cut_phrase(clause, phrase)
        if clause.rstrip().endswith("?") and re.search(r"\w", cut):
            out.append(cut if cut.endswith("?") else cut.rstrip(".!:,; ") + "?")
    return " ".join(c for c in out if c.strip()).strip() or text


_LEAD_IN = r"(?:\b(?:in|using|with|answer in|reply in|respond in)\s+)?"


def _cut_phrase(clause: str, phrase: str) -> str:
    """``clause`` without ``phrase``, the words leading into it and the punctuation around it."""
    cut = re.sub(
        r"[,:;]?\s*" + _LEAD_IN + re.escape(phrase) + r"\s*[,:;]?\s*", " ", clause, count=1, flags=re.I
    )
    return re.sub(r"\s+([?.!])", r"\1", cut).strip()


def analyze(text: str, embedder: Embedder | None, router: Router | None) -> RequestAnalysis:
    notes = split_notes(text)
    question = notes.question if notes else text
    answer_format = detect_format(text)
    bare = (
        _without_clause(question, answer_format.phrase)
        if answer_format and answer_format.phrase
        else question
    )
    embedding = embedder.embed([text])[0] if embedder is not None else None
    route = router.decide(embedding) if router is not None and embedding is not None else None
    return RequestAnalysis(
        text=text,
        question=question,
        answer_format=answer_format,
        notes=notes,
        note_choice=best_note(notes, embedder) if notes else None,
        tool_call=None if notes else _tool_call(bare),
        comparison=None if notes else parse_comparison(bare),
        choice=None if notes else parse_choice(bare),
        capacity=None if notes else parse_capacity(bare),
        math_like=bool(_MATH_CUE.search(question)),
        route=route,
        embedding=embedding,
    )
