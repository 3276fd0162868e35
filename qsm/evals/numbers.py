"""Numbers in free-text answers: extraction and the "final-looking number" rule used by the team scorer.

A number is written in digits (``42``, ``-3.5``, ``1,000`` which equals ``1000``, ``.5``); a ``-`` is a
sign only when it does not follow a letter or digit (``5-3`` holds 5 and 3). Citation markers such as
``[2]`` are not numbers of the answer and are removed first. Number words (``seven``, ``forty-two``,
``two hundred and five``) are read only when the answer holds no digit at all, so pronouns like "the
right one" never shadow a written number.

The final-looking numbers of an answer are:

- the LAST number in it, and
- the number right after the FIRST answer marker that is followed by a number. Markers: ``=``, ``≈``,
  the words ``is``, ``are``, ``was``, ``be``, ``equals``, ``equal to``, ``makes``, ``gives``, and the
  labels ``answer:``, ``result:``, ``total:``. Between marker and number only fillers may stand:
  ``about``, ``approximately``, ``roughly``, ``around``, ``exactly``, ``nearly``, ``just``,
  ``a total of``, a currency sign.

A numeric gold matches when one of these equals it within the gold's tolerance. A number that only appears
in the middle of an answer (a list of guesses, an intermediate step) does not count.
"""

from __future__ import annotations

import math
import re
from typing import NamedTuple

__all__ = ["Found", "final_numbers", "find_numbers", "numbers_equal", "parse_number", "strip_citations"]

_DIGIT_NUMBER = re.compile(
    r"(?<![\w.])(?P<sign>[-−])?(?P<body>\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?|\.\d+)(?!\d|,\d{3})"
)
_CITATION = re.compile(r"\[\s*(?:note\s*)?\d+(?:\s*[,;]\s*(?:note\s*)?\d+)*\s*\]", re.IGNORECASE)
_MARKER = re.compile(
    r"=|≈|\b(?:is|are|was|be|equals|equal\s+to|makes|gives)\b|\b(?:answer|result|total)\s*:",
    re.IGNORECASE,
)
_FILLER = re.compile(
    r"(?:\s|[$€£:]|\b(?:about|approximately|approx|roughly|around|exactly|nearly|just|a\s+total\s+of)\b\.?)*",
    re.IGNORECASE,
)
_WORD = re.compile(r"[A-Za-z]+")

_UNITS = {
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15,
    "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19,
}  # fmt: skip
_TENS = {
    "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80,
    "ninety": 90,
}  # fmt: skip
_SCALES = {"hundred": 100, "thousand": 1000, "million": 1_000_000}


class Found(NamedTuple):
    """One number in a text: where it starts and ends, and its value."""

    start: int
    end: int
    value: float


def strip_citations(text: str) -> str:
    """The text with citation markers (``[2]``, ``[1, 3]``, ``[note 2]``) blanked out, offsets kept."""
    return _CITATION.sub(lambda m: " " * len(m.group(0)), text)


def parse_number(text: str) -> float | None:
    """The value of ``text`` when it is exactly one number in digits (``-1,000.5``), else None."""
    match = _DIGIT_NUMBER.fullmatch(text.strip())
    if match is None:
        return None
    return _value(match)


def _value(match: re.Match[str]) -> float:
    value = float(match.group("body").replace(",", ""))
    return -value if match.group("sign") else value


def _digit_numbers(text: str) -> list[Found]:
    return [Found(m.start(), m.end(), _value(m)) for m in _DIGIT_NUMBER.finditer(text)]


def _word_numbers(text: str) -> list[Found]:
    """Runs of number words ("two hundred and forty-five") as numbers, with their spans."""
    found: list[Found] = []
    words = list(_WORD.finditer(text))
    i = 0
    while i < len(words):
        total, current, start, end, used = 0, 0, -1, -1, False
        j = i
        while j < len(words):
            word = words[j].group(0).lower()
            gap = text[words[j - 1].end() : words[j].start()] if j > i else ""
            if j > i and gap.strip(" -") != "":
                break
            if word in _UNITS:
                current += _UNITS[word]
            elif word in _TENS:
                current += _TENS[word]
            elif word in _SCALES and used:
                scale = _SCALES[word]
                if scale == 100:
                    current = max(current, 1) * 100
                else:
                    total += max(current, 1) * scale
                    current = 0
            elif word == "and" and used and j + 1 < len(words) and _is_number_word(words[j + 1].group(0)):
                j += 1
                continue
            else:
                break
            if not used:
                start = words[j].start()
            used = True
            end = words[j].end()
            j += 1
        if used:
            found.append(Found(start, end, float(total + current)))
            i = j
        else:
            i += 1
    return found


def _is_number_word(word: str) -> bool:
    lower = word.lower()
    return lower in _UNITS or lower in _TENS or lower in _SCALES


def find_numbers(text: str) -> list[Found]:
    """Every number of an answer in order: digits, or number words when the answer has no digit."""
    text = strip_citations(text)
    digits = _digit_numbers(text)
    if digits or any(ch.isdigit() for ch in text):
        return digits
    return _word_numbers(text)


def final_numbers(text: str) -> list[float]:
    """The final-looking numbers of an answer (see the module docstring): at most two values."""
    numbers = find_numbers(text)
    if not numbers:
        return []
    finals = [numbers[-1].value]
    by_start = {found.start: found for found in numbers}
    cleaned = strip_citations(text)
    for marker in _MARKER.finditer(cleaned):
        filler = _FILLER.match(cleaned, marker.end())
        position = filler.end() if filler else marker.end()
        hit = by_start.get(position)
        if hit is not None:
            if hit.value != finals[0]:
                finals.append(hit.value)
            break
    return finals


def numbers_equal(value: float, gold: float, tol: float) -> bool:
    """``value`` equals ``gold`` within the absolute tolerance ``tol`` (plus float rounding slack)."""
    return math.isclose(value, gold, rel_tol=1e-9, abs_tol=tol + 1e-9)
