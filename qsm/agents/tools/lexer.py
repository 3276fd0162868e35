"""Words and numbers of a request, for the deterministic front ends (arithmetic and unit conversion).

:func:`tokenize` splits text into numbers (``1,000`` and ``twenty-five`` become ``1000`` and ``25``),
lower-cased words and single symbols. A :class:`Cursor` walks the tokens for a recursive-descent
parser: it matches phrases (a phrase is a tuple of token texts), and can be rewound.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

__all__ = ["Cursor", "Phrase", "Token", "strip_phrases", "tokenize"]

TokenKind = Literal["num", "word", "sym"]
Phrase = tuple[str, ...]

_TOKEN = re.compile(
    r"(?P<num>(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?(?:[eE][+-]?\d+(?![\w.]))?|\.\d+)"
    r"|(?P<word>[^\W\d_]+(?:'[^\W\d_]+)*)"
    r"|(?P<sym>\*\*|//|\S)"
)
_ONES = {
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15,
    "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19,
}  # fmt: skip
_TENS = {
    "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80,
    "ninety": 90,
}  # fmt: skip
_SCALES = {"hundred": 100, "thousand": 1000, "million": 10**6, "billion": 10**9}


@dataclass(frozen=True)
class Token:
    kind: TokenKind
    text: str  # numbers: plain decimal digits ("1000", "0.5"); words: lower case


def tokenize(text: str) -> list[Token]:
    """The tokens of ``text``; number words are merged into number tokens."""
    text = text.replace("’", "'").replace("‘", "'")
    text = re.sub(r"(?<=[^\W\d_])-(?=[^\W\d_])", " ", text)  # twenty-five, light-year
    raw: list[Token] = []
    for match in _TOKEN.finditer(text):
        kind = match.lastgroup
        value = match.group()
        if kind == "num":
            raw.append(Token("num", _plain_number(value)))
        elif kind == "word":
            raw.append(Token("word", value.lower()))
        else:
            raw.append(Token("sym", value))
    return _merge_number_words(raw)


def _plain_number(text: str) -> str:
    """``1,000`` → ``1000``, ``.5`` → ``0.5``, ``007`` → ``7`` (a literal Python accepts)."""
    text = text.replace(",", "")
    whole, dot, rest = text.partition(".")
    if not dot and ("e" in whole or "E" in whole):
        mantissa, _, exponent = whole.lower().partition("e")
        return f"{int(mantissa)}e{exponent}"
    return f"{int(whole or '0')}{dot}{rest}"


def _merge_number_words(tokens: list[Token]) -> list[Token]:
    out: list[Token] = []
    i = 0
    while i < len(tokens):
        value, end = _number_words(tokens, i)
        if end > i:
            out.append(Token("num", str(value)))
            i = end
        else:
            out.append(tokens[i])
            i += 1
    return out


def _number_words(tokens: list[Token], start: int) -> tuple[int, int]:
    """The number spelled by the words from ``start`` and where they end (``end == start``: none):
    ``twenty five``, ``three hundred and six``, ``two thousand forty``."""
    total = current = 0
    last = ""  # what the previous word was: ones, tens, hundred, scale, and
    i = start
    while i < len(tokens) and tokens[i].kind == "word":
        word = tokens[i].text
        if word in _ONES or word in _TENS:
            small = word in _ONES and _ONES[word] < 10
            if last and not (last == "tens" and small) and last not in ("hundred", "scale", "and"):
                break  # "two three" is two numbers
            current += _ONES.get(word, 0) + _TENS.get(word, 0)
            last = "tens" if word in _TENS else "ones"
        elif word == "hundred" and last in ("ones", "tens") and current < 100:
            current *= 100
            last = "hundred"
        elif word in _SCALES and word != "hundred" and last in ("ones", "tens", "hundred"):
            total += current * _SCALES[word]
            current = 0
            last = "scale"
        elif word == "and" and last in ("hundred", "scale") and i + 1 < len(tokens):
            if tokens[i + 1].text not in _ONES and tokens[i + 1].text not in _TENS:
                break
            last = "and"
        else:
            break
        i += 1
    return total + current, i if last else start


def strip_phrases(tokens: list[Token], leading: Iterable[Phrase], trailing: Iterable[Phrase]) -> list[Token]:
    """``tokens`` without any run of ``leading`` phrases at the start and ``trailing`` ones at the end."""
    lead = sorted(leading, key=len, reverse=True)
    trail = sorted(trailing, key=len, reverse=True)
    start, end = 0, len(tokens)
    changed = True
    while changed:
        changed = False
        for phrase in lead:
            if _texts(tokens[start : start + len(phrase)]) == phrase and start + len(phrase) < end:
                start += len(phrase)
                changed = True
                break
        for phrase in trail:
            if end - len(phrase) > start and _texts(tokens[end - len(phrase) : end]) == phrase:
                end -= len(phrase)
                changed = True
                break
    return tokens[start:end]


def _texts(tokens: Sequence[Token]) -> Phrase:
    return tuple(t.text for t in tokens)


class Cursor:
    """A position in a token list, for recursive descent."""

    def __init__(self, tokens: list[Token]) -> None:
        self.tokens = tokens
        self.pos = 0

    @property
    def done(self) -> bool:
        return self.pos >= len(self.tokens)

    def peek(self, ahead: int = 0) -> Token | None:
        i = self.pos + ahead
        return self.tokens[i] if i < len(self.tokens) else None

    def at(self, *phrases: Phrase) -> Phrase | None:
        """The longest of ``phrases`` that the tokens here spell, without moving."""
        for phrase in sorted(phrases, key=len, reverse=True):
            if _texts(self.tokens[self.pos : self.pos + len(phrase)]) == phrase:
                return phrase
        return None

    def take(self, *phrases: Phrase) -> Phrase | None:
        """Like :meth:`at`, and move past the phrase matched."""
        phrase = self.at(*phrases)
        if phrase is not None:
            self.pos += len(phrase)
        return phrase

    def number(self) -> str | None:
        token = self.peek()
        if token is not None and token.kind == "num":
            self.pos += 1
            return token.text
        return None
