"""Numbered notes a user pastes into a request ("[1] ...", "2. ...", "Note 3: ..."), split from the question.

WeQ answers from the note that fits the question and cites it as [n]; Ref checks that each cited note
exists and supports the answer.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["InlineNotes", "content_words", "split_notes"]

_MARK = re.compile(
    r"^\s*(?:\[(\d{1,2})\]|\((\d{1,2})\)|(\d{1,2})[.)]|note\s+(\d{1,2})\s*[:.)-])\s*", re.I | re.M
)
_HEADER = re.compile(r"^\s*(?:notes?|sources?|context)\s*:?\s*$", re.I | re.M)
_QUESTION = re.compile(r"^\s*(?:question|q)\s*:\s*", re.I | re.M)
_STOP = frozenset({
    "a", "an", "the", "of", "to", "in", "on", "at", "by", "for", "with", "and", "or", "is", "are", "was",
    "were", "be", "been", "it", "its", "this", "that", "which", "who", "what", "when", "where", "how",
    "why", "does", "do", "did", "from", "as", "into", "than", "then", "there", "their", "they", "them",
    "he", "she", "his", "her", "you", "your", "i", "we", "our", "according", "note", "notes", "cite",
    "answer", "question", "please", "tell", "me", "say"
})  # fmt: skip
_TOKEN = re.compile(r"[a-z0-9]+")


@dataclass(frozen=True)
class InlineNotes:
    question: str
    notes: dict[int, str]


def content_words(text: str) -> set[str]:
    """Lowercased words that carry meaning (no stop words); numbers are kept."""
    return {w for w in _TOKEN.findall(text.lower()) if w not in _STOP and (len(w) > 2 or w.isdigit())}


def split_notes(request: str) -> InlineNotes | None:
    """The request's numbered notes and the question around them, or None when it has fewer than two."""
    marks = list(_MARK.finditer(request))
    if len(marks) < 2:
        return None
    notes: dict[int, str] = {}
    trailing = ""
    for i, m in enumerate(marks):
        number = int(next(g for g in m.groups() if g))
        end = marks[i + 1].start() if i + 1 < len(marks) else len(request)
        body = request[m.end() : end]
        q = _QUESTION.search(body)
        if q:  # a trailing "Question: ..." after the last note
            body = body[: q.start()]
        body = body.strip()
        if i == len(marks) - 1 and not q and "\n" in body:  # notes are one line; what follows is the ask
            body, _, trailing = body.partition("\n")
            body, trailing = body.strip(), trailing.strip()
        if body and number not in notes:
            notes[number] = body
    if len(notes) < 2:
        return None
    outside = (
        request[: marks[0].start()] + "\n" + _after_last_note(request, marks[-1].end()) + "\n" + trailing
    )
    question = _HEADER.sub("", _QUESTION.sub("", outside)).strip()
    return InlineNotes(question=question or request.strip(), notes=notes)


def _after_last_note(request: str, start: int) -> str:
    q = _QUESTION.search(request, start)
    return request[q.start() :] if q else ""
