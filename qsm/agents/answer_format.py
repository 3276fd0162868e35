"""The output format a request states ("answer with one word", "reply in JSON with keys a and b"), as a
spec that both sides of the team use: WeQ decodes under its JSON schema (a grammar on llama.cpp) and renders
the value as the answer; Ref validates any answer against it before it judges.

Detection is deliberately literal: only formats the request states in so many words count, so an ordinary
question never gets squeezed into a grammar.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any, Literal

from qsm.agents.tools.numbers import format_number

__all__ = ["AnswerFormat", "FormatKind", "detect_format"]

FormatKind = Literal["one_word", "number", "yes_no", "json_keys", "list", "items", "lowercase", "max_words"]
"""``list``: a comma-separated line of short items; ``items``: numbered lines, a sentence each ("three tips")."""

_NUMBER_WORDS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
    "ten": 10, "twelve": 12, "fifteen": 15, "twenty": 20,
}  # fmt: skip
_COUNT = r"(\d+|" + "|".join(_NUMBER_WORDS) + r")"
_WORD_RE = re.compile(r"[A-Za-z][A-Za-z'\-]*")
_FILLER = frozenset({
    "a", "an", "the", "is", "are", "was", "were", "be", "it", "its", "this", "that", "these", "those", "of",
    "in", "on", "at", "to", "for", "with", "and", "or", "but", "answer", "called", "known", "as", "named",
    "word", "one", "i", "you", "we", "they", "he", "she", "there", "here", "yes", "no", "not"
})  # fmt: skip
_NUM_RE = re.compile(r"^[-+]?(\d{1,3}(,\d{3})+|\d+)(\.\d+)?$")


def _count(token: str) -> int:
    return int(token) if token.isdigit() else _NUMBER_WORDS[token.lower()]


@dataclass(frozen=True)
class AnswerFormat:
    """One stated format. ``keys`` for json_keys, ``count`` for list and items (items) and max_words
    (words), ``noun`` for items (what they are: tips, reasons)."""

    kind: FormatKind
    keys: tuple[str, ...] = ()
    count: int = 0
    phrase: str = field(default="", compare=False)
    strict: bool = False  # yes_no: True when the request asks for nothing but yes or no ("only")
    noun: str = ""

    # -- decoding ----------------------------------------------------------------------------------
    def json_schema(self) -> dict[str, Any]:
        """The schema WeQ decodes under; :meth:`render` turns the value back into the answer text."""
        if self.kind == "json_keys":
            text = {"type": "string", "pattern": '^[^"\\n\\\\]{1,40}$'}
            props = {k: {"anyOf": [{"type": "number"}, text]} for k in self.keys}
            return {"type": "object", "properties": props, "required": list(self.keys),
                    "additionalProperties": False}  # fmt: skip
        value: dict[str, Any]
        if self.kind == "one_word":
            value = {"type": "string", "pattern": "^[A-Za-z][A-Za-z'-]{0,24}$"}
        elif self.kind == "number":
            value = {"type": "number"}
        elif self.kind == "yes_no":
            value = {"type": "string", "enum": ["yes", "no"]}
        elif self.kind == "list":
            item = {"type": "string", "pattern": '^[^,"\\n\\\\]{1,30}$'}
            low, high = (self.count, self.count) if self.count else (1, 10)
            value = {"type": "array", "items": item, "minItems": low, "maxItems": high}
        elif self.kind == "items":
            item = {"type": "string", "pattern": '^[A-Z][^"\\n\\\\]{2,178}$'}
            value = {"type": "array", "items": item, "minItems": self.count, "maxItems": self.count}
        elif self.kind == "lowercase":
            value = {"type": "string", "pattern": "^[a-z0-9][a-z0-9 ,.'-]{0,160}$"}
        else:  # max_words
            value = {
                "type": "string",
                "pattern": f"^[A-Za-z0-9'-]+( [A-Za-z0-9',.-]+){{0,{self.count - 1}}}$",
            }
        return {"type": "object", "properties": {"answer": value}, "required": ["answer"],
                "additionalProperties": False}  # fmt: skip

    def render(self, value: dict[str, Any]) -> str:
        """The answer text for a value decoded under :meth:`json_schema`."""
        if self.kind == "json_keys":
            return json.dumps({k: _plain(value.get(k, "")) for k in self.keys})
        answer = value.get("answer")
        if self.kind == "list":
            return ", ".join(str(x).strip() for x in (answer or []))
        if self.kind == "items":
            return _numbered([str(x) for x in answer or []])
        if self.kind == "number":
            return format_number(float(answer)) if isinstance(answer, int | float) else str(answer)
        return str(answer if answer is not None else "").strip()

    @property
    def projectable(self) -> bool:
        """Formats a free answer can be brought into exactly (the model answers better unconstrained)."""
        return self.kind in ("one_word", "lowercase", "max_words", "list", "items")

    def project(self, answer: str, question: str) -> str | None:
        """``answer`` (free text) brought into this format without changing what it says, or None."""
        if self.kind == "items":
            items = _items(answer)
            return _numbered(items) if len(items) == self.count else None
        first = answer.strip().split("\n")[0].strip()
        if self.kind == "lowercase":
            return first.lower() or None
        if self.kind == "max_words":
            sentence = re.split(r"(?<=[.!?])\s", first)[0]
            return sentence if 0 < _words(sentence) <= self.count else None
        if self.kind == "list":
            body = first.split(":", 1)[-1]
            items = [
                re.sub(r"^(?:and|or)\s+", "", x.strip()).strip(" .") for x in re.split(r",|\band\b", body)
            ]
            items = [x for x in items if x]
            ok = len(items) == self.count if self.count else len(items) >= 2
            return ", ".join(items) if ok else None
        asked = {w.lower() for w in _WORD_RE.findall(question)}
        fresh = [w for w in _WORD_RE.findall(first) if w.lower() not in asked and w.lower() not in _FILLER]
        return fresh[0] if fresh else None

    def instruction(self) -> str:
        """One line that tells a model the format (added to the prompt next to the grammar)."""
        return {
            "one_word": "Answer with exactly one word.",
            "number": "Answer with the number only.",
            "yes_no": "Answer yes or no only.",
            "json_keys": f"Answer in JSON with the keys {', '.join(self.keys)}.",
            "list": f"Answer with a comma-separated list of exactly {self.count} items."
            if self.count
            else "Answer with a comma-separated list.",
            "items": f"Give exactly {self.count} {self.noun or 'items'}, numbered 1 to {self.count}, one short "
            "sentence each.",
            "lowercase": "Answer in lowercase letters only.",
            "max_words": f"Answer in at most {self.count} words.",
        }[self.kind]

    # -- checking ----------------------------------------------------------------------------------
    def problem(self, answer: str) -> str | None:
        """Why ``answer`` breaks this format, or None when it keeps it."""
        text = answer.strip()
        bare = text.rstrip(".!").strip()
        if not text:
            return "the answer is empty"
        if self.kind == "one_word":
            return (
                None
                if _WORD_RE.fullmatch(bare)
                else f"the request asks for one word, got {_words(text)} words"
            )
        if self.kind == "number":
            return None if _NUM_RE.match(bare.replace(" ", "")) else "the request asks for a number only"
        if self.kind == "yes_no":
            if bare.lower() in ("yes", "no"):
                return None
            first = re.match(r"\W*(\w+)", text)
            if not self.strict and first and first.group(1).lower() in ("yes", "no"):
                return None
            return (
                "the request asks for yes or no only"
                if self.strict
                else "the answer does not start with yes or no"
            )
        if self.kind == "json_keys":
            try:
                data = json.loads(_strip_fences(text))
            except ValueError:
                return "the request asks for JSON, the answer does not parse as JSON"
            if not isinstance(data, dict):
                return "the request asks for a JSON object"
            missing = [k for k in self.keys if k not in data]
            return f"the JSON lacks the keys {', '.join(missing)}" if missing else None
        if self.kind == "list":
            items = [x for x in (p.strip() for p in bare.split(",")) if x]
            if "\n" in bare or len(items) < 2:
                return "the request asks for a comma-separated list on one line"
            if self.count and len(items) != self.count:
                return f"the request asks for {self.count} items, got {len(items)}"
            long = next((x for x in items if _words(x) > 6), None)
            return f"a list item runs on: {long[:40]!r}" if long else None
        if self.kind == "items":
            items = _items(text)
            if len(items) != self.count:
                return f"the request asks for {self.count} {self.noun or 'items'}, got {len(items)}"
            seen = [re.sub(r"\W+", " ", x).strip().lower() for x in items]
            again = next((i for i in range(1, len(seen)) if seen[i] in seen[:i]), None)
            return f"item {again + 1} repeats an earlier one" if again is not None else None
        if self.kind == "lowercase":
            return None if text == text.lower() else "the request asks for lowercase only"
        n = _words(text)
        return None if n <= self.count else f"the request asks for at most {self.count} words, got {n}"


def _plain(value: Any) -> Any:
    """Whole floats as integers (129.0 -> 129), everything else as it is."""
    return int(value) if isinstance(value, float) and value.is_integer() else value


_ITEM = re.compile(r"^\s*(?:\d{1,2}[.)]|[-*•])\s+(.+?)\s*$")


def _items(text: str) -> list[str]:
    """The items of an answer written as numbered or bulleted lines (an item's wrapped lines joined)."""
    items: list[str] = []
    for line in text.strip().splitlines():
        found = _ITEM.match(line)
        if found:
            items.append(found.group(1))
        elif line.strip() and items:
            items[-1] = f"{items[-1]} {line.strip()}"
    return [x for x in (i.strip() for i in items) if x]


def _numbered(items: list[str]) -> str:
    return "\n".join(f"{i}. {item.strip()}" for i, item in enumerate(items, 1))


def _words(text: str) -> int:
    return len(text.split())


def _strip_fences(text: str) -> str:
    return re.sub(r"^```(?:json)?\s*|\s*```$", "", text.strip())


_ITEM_NOUNS = (
    "tips", "ways", "reasons", "ideas", "benefits", "steps", "suggestions", "habits", "strategies", "advantages",
    "disadvantages", "pros", "cons", "causes", "signs", "symptoms", "rules", "tricks", "methods", "facts",
    "mistakes", "examples", "risks", "uses", "features", "principles", "lessons", "questions",
)  # fmt: skip
_ITEMS = re.compile(
    r"\b(?:give|list|name|suggest|share|tell|write|offer|provide|what\s+are|recommend)\s+(?:me\s+|us\s+)?"
    + _COUNT
    + r"\s+(?:\w+\s+){0,2}?("
    + "|".join(_ITEM_NOUNS)
    + r")\b",
    re.I,
)
_PATTERNS: list[tuple[re.Pattern[str], Any]] = [
    (re.compile(r"\bjson\b[^.?!\n]*?\bkeys?\b\s*:?\s*(.+?)(?:[.?!](?:\s|$)|\n|$)", re.I), "json"),
    (re.compile(r"\b(?:comma[- ]separated\s+)?list\s+(?:of\s+)?(?:exactly\s+)?" + _COUNT + r"\b", re.I), "list"),
    (re.compile(r"\b" + _COUNT + r"\s+(?:items|things|words)?\s*,?\s*(?:as\s+a\s+)?comma[- ]separated", re.I), "list"),
    (re.compile(r"\bseparate\w*\s+(?:them\s+|each\s+)?(?:with|by)\s+commas?\b|\bcomma[- ]separated\b", re.I), "commas"),
    (re.compile(r"\b(?:in|with|using)\s+(?:exactly\s+)?(?:a\s+)?(?:one|1|single)\s+word\b"
                r"|\bone[- ]word\s+(?:answer|only)\b|\bonly\s+one\s+word\b|\bone\s+word\s*:|\bsingle[- ]word\b"
                r"|(?:^|[.?!]\s+)one\s+word\s*[.!]?\s*$",
                re.I), "one_word"),
    (re.compile(r"\b(?:number|digits?|numeral|integer)\s+only\b|\bonly\s+(?:the|a)\s+(?:number|integer|numeral)\b"
                r"|\bjust\s+(?:a|the)\s+number\b", re.I), "number"),
    (re.compile(r"\b(?:yes\s+or\s+no|yes/no)\s+only\b|\bonly\s+(?:with\s+)?(?:yes\s+or\s+no|yes/no)\b"
                r"|\bjust\s+yes\s+or\s+no\b|\bwith\s+(?:a\s+)?(?:single\s+)?(?:yes\s+or\s+no|yes/no)\b"
                r"|\b(?:answer|say|reply|respond)\s+(?:only\s+)?(?:with\s+)?(?:a\s+|just\s+)?(?:yes\s+or\s+no|yes/no)\b"
                # a closing clause of its own ("... 32 minutes? Yes or no?", "Is the sea salty, yes or no?"),
                # or an opening one before the question ("Yes or no: is 7 prime?"); never a quoted or
                # mentioned "yes or no" ("Translate to Spanish: Yes or no?", "options: yes or no. How ...")
                r"|(?:^|(?<=[.?!,]\s))(?:yes\s+or\s+no|yes/no)\s*[?.!]?\s*$"
                r"|^(?:yes\s+or\s+no|yes/no)\s*:(?=[^?]+\?\s*$)",
                re.I), "yes_no"),
    (re.compile(r"\b(?:at\s+most|no\s+more\s+than|in\s+under|fewer\s+than|maximum\s+of)\s+" + _COUNT
                + r"\s+words\b|\b" + _COUNT + r"\s+words\s+or\s+(?:fewer|less)\b", re.I), "max_words"),
    (re.compile(r"\b(?:all\s+)?lower[- ]?case\b", re.I), "lowercase"),
]  # fmt: skip


def detect_format(request: str) -> AnswerFormat | None:
    """The format ``request`` states, or None. The first stated format wins (they rarely combine); a count
    of tips, reasons, steps ... asked for ("Give me three tips") is numbered items unless commas are asked."""
    items = _ITEMS.search(request)
    if items and not re.search(r"\bcomma", request, re.I):
        count = _count(items.group(1))
        if 2 <= count <= 10:
            return AnswerFormat("items", count=count, phrase=items.group(0), noun=items.group(2).lower())
    for pattern, kind in _PATTERNS:
        match = pattern.search(request)
        if not match:
            continue
        if kind == "json":
            keys = tuple(dict.fromkeys(re.findall(r"[\"'`]([A-Za-z_][\w ]{0,30}?)[\"'`]", match.group(1))))
            if not keys:
                keys = tuple(
                    k
                    for k in re.split(r"\s*(?:,|\band\b)\s*", match.group(1))
                    if re.fullmatch(r"[A-Za-z_]\w*", k)
                )
            if keys:
                return AnswerFormat("json_keys", keys=keys, phrase=match.group(0))
            continue
        if kind == "commas":
            counted = re.search(
                r"\b(?:name|list|give|write|tell me)\s+(?:me\s+)?" + _COUNT + r"\b", request, re.I
            )
            count = _count(counted.group(1)) if counted else 0
            return AnswerFormat("list", count=count if 1 <= count <= 20 else 0, phrase=match.group(0))
        if kind in ("list", "max_words"):
            count = _count(next(g for g in match.groups() if g))
            if 1 <= count <= 20:
                return AnswerFormat(kind, count=count, phrase=match.group(0))
            continue
        if kind == "yes_no":
            strict = bool(re.search(r"\bonly\b|\bjust\b|nothing else|single word|one word", request, re.I))
            return AnswerFormat(kind, phrase=match.group(0), strict=strict)
        return AnswerFormat(kind, phrase=match.group(0), strict=kind in ("one_word", "number"))
    return None
