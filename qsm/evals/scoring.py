"""Score one final answer against one item of the team set. Every checker is a pure function of the item's
``gold`` and the answer text; ``score`` picks it by the item's ``checker`` name.

Shared rules:

- Text aliases match as whole words, case-insensitive, ignoring accents and punctuation: the answer and the
  alias are both lower-cased, stripped of accents, and every run of characters other than ``a-z0-9``
  becomes one space; the alias must then appear between word boundaries ("Shakespeare's" contains
  "shakespeare", "Parisian" does not contain "paris").
- Numeric golds (``gold["number"]``, absolute tolerance ``gold["tol"]``, default 0) use the
  final-looking-number rule of :mod:`qsm.evals.numbers`: the answer passes when its LAST number, or the
  number right after its first ``=`` / ``is`` / ``answer:``-style marker, equals the gold within the
  tolerance. ``1,000`` equals ``1000``. Citation markers ``[n]`` are not numbers.
- Answers are whitespace tolerant; the strict format checkers also drop surrounding quotes, backticks,
  asterisks and trailing ``. ! ? ; : ,`` before checking the shape ("Yellow." is one word, "yellow").

Checkers (gold keys in brackets; every gold also has ``answer``, the text a perfect system would give):

- ``contains_any`` [aliases and/or number, tol]: an alias appears as a whole word, or the numeric rule holds.
- ``yes_no`` [yes_no]: the first standalone "yes" or "no" in the answer equals the gold.
- ``cites`` [aliases, note, distractors]: an alias appears, the answer cites ``[note]``, cites no other
  note, and states none of the distractor values (the facts of the other notes).
- ``format_one_word`` [aliases]: exactly one word (letters, digits, inner hyphen or apostrophe), equal to an
  alias.
- ``format_number_only`` [number, tol]: exactly one number in digits and nothing else (no unit, no
  ``%``), equal to the gold within the tolerance.
- ``format_yes_no_only`` [yes_no]: exactly "yes" or "no", equal to the gold.
- ``format_json_keys`` [keys, values, tol]: the whole answer is one JSON object (a single surrounding
  Markdown code fence is allowed) with exactly these keys; each value has the gold's JSON type and value
  (strings compared like aliases and may list alternatives, numbers within the tolerance).
- ``format_csv_list`` [n, items or allowed]: one line of exactly ``n`` comma-separated non-empty items
  (a leading "and " on the last item is tolerated), no item repeated; with ``items`` they equal that
  sequence in order, with ``allowed`` each item is one of the allowed values.
- ``format_lowercase`` [aliases and/or number]: no upper-case letter anywhere, and the content rule holds.
- ``format_max_words`` [max_words, aliases and/or number]: at most ``max_words`` words (whitespace-separated
  tokens holding a letter or digit), and the content rule holds.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Callable, Mapping
from typing import Any, NamedTuple

from qsm.evals.numbers import final_numbers, numbers_equal, parse_number

__all__ = ["CHECKERS", "Score", "score"]


class Score(NamedTuple):
    """The verdict on one answer: ``correct``, and ``reason`` saying what passed or what failed."""

    correct: bool
    reason: str


Gold = Mapping[str, Any]
Checker = Callable[[Gold, str], Score]

_YES_NO = re.compile(r"\b(yes|no)\b", re.IGNORECASE)
_CITATION_GROUP = re.compile(r"\[\s*((?:note\s*)?\d+(?:\s*[,;]\s*(?:note\s*)?\d+)*)\s*\]", re.IGNORECASE)
_ONE_WORD = re.compile(r"[^\W_]+(?:['’-][^\W_]+)*")
_WRAPPERS = " \t\r\n\"'`*_“”‘’"
_TRAILING = ".!?;:,"
_FENCE = re.compile(r"```(?:json)?\s*\n?(.*?)\n?\s*```", re.DOTALL | re.IGNORECASE)


def _norm(text: str) -> str:
    """Lower case, no accents, runs of anything but a-z0-9 as one space, padded with spaces."""
    decomposed = unicodedata.normalize("NFKD", text)
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch)).lower()
    return " " + " ".join(re.sub(r"[^a-z0-9]+", " ", plain).split()) + " "


def _strip(answer: str) -> str:
    """The answer without surrounding whitespace, quotes, emphasis marks and trailing punctuation."""
    text = answer.strip(_WRAPPERS)
    while text and text[-1] in _TRAILING:
        text = text[:-1].strip(_WRAPPERS)
    return text


def _require(gold: Gold, *keys: str) -> None:
    missing = [key for key in keys if key not in gold]
    if missing:
        raise ValueError(f"gold lacks {', '.join(repr(k) for k in missing)} (has {sorted(gold)})")


def _alias_hit(aliases: list[str], answer: str) -> str | None:
    text = _norm(answer)
    for alias in aliases:
        needle = _norm(alias)
        if needle.strip() and needle in text:
            return alias
    return None


def _number_hit(gold: Gold, answer: str) -> float | None:
    target = float(gold["number"])
    tol = float(gold.get("tol", 0.0))
    for value in final_numbers(answer):
        if numbers_equal(value, target, tol):
            return value
    return None


def _content(gold: Gold, answer: str) -> Score:
    """The content rule shared by several checkers: an alias as a whole word, or the numeric rule."""
    if "aliases" not in gold and "number" not in gold:
        raise ValueError(f"gold needs 'aliases' or 'number' (has {sorted(gold)})")
    if "aliases" in gold:
        alias = _alias_hit(list(gold["aliases"]), answer)
        if alias is not None:
            return Score(True, f"contains {alias!r}")
    if "number" in gold:
        value = _number_hit(gold, answer)
        if value is not None:
            return Score(True, f"final number {value:g} matches {float(gold['number']):g}")
    expected = [*gold.get("aliases", []), *([f"{float(gold['number']):g}"] if "number" in gold else [])]
    finals = final_numbers(answer) if "number" in gold else []
    seen = f" (final-looking numbers: {', '.join(f'{v:g}' for v in finals)})" if finals else ""
    return Score(False, f"none of {expected} found{seen}")


def check_contains_any(gold: Gold, answer: str) -> Score:
    """An alias as a whole word, or a numeric gold as a final-looking number."""
    return _content(gold, answer)


def check_yes_no(gold: Gold, answer: str) -> Score:
    """The first standalone yes/no word of the answer equals ``gold["yes_no"]``."""
    _require(gold, "yes_no")
    match = _YES_NO.search(answer)
    if match is None:
        return Score(False, "no yes/no in the answer")
    said = match.group(1).lower()
    if said != gold["yes_no"]:
        return Score(False, f"said {said!r}, expected {gold['yes_no']!r}")
    return Score(True, f"said {said!r}")


def _citations(answer: str) -> set[int]:
    cited: set[int] = set()
    for group in _CITATION_GROUP.finditer(answer):
        cited.update(int(n) for n in re.findall(r"\d+", group.group(1)))
    return cited


def check_cites(gold: Gold, answer: str) -> Score:
    """The right fact, the right note cited as ``[n]``, no other note cited, no distractor fact stated."""
    _require(gold, "aliases", "note")
    content = _content({"aliases": gold["aliases"]}, answer)
    if not content.correct:
        return content
    note = int(gold["note"])
    cited = _citations(answer)
    if note not in cited:
        return Score(False, f"does not cite [{note}] (cites {sorted(cited) or 'nothing'})")
    wrong = sorted(cited - {note})
    if wrong:
        return Score(False, f"also cites wrong note(s) {wrong}")
    distractor = _alias_hit(list(gold.get("distractors", [])), answer)
    if distractor is not None:
        return Score(False, f"also states {distractor!r} from another note")
    return Score(True, f"{content.reason} and cites [{note}]")


def check_one_word(gold: Gold, answer: str) -> Score:
    """Exactly one word, equal to an alias (case, quotes and trailing punctuation ignored)."""
    _require(gold, "aliases")
    text = _strip(answer)
    if not _ONE_WORD.fullmatch(text):
        return Score(False, f"not one word: {text[:60]!r}")
    if _norm(text) not in {_norm(alias) for alias in gold["aliases"]}:
        return Score(False, f"{text!r} is not one of {list(gold['aliases'])}")
    return Score(True, f"one word {text!r}")


def check_number_only(gold: Gold, answer: str) -> Score:
    """Exactly one number in digits and nothing else, equal to the gold within the tolerance."""
    _require(gold, "number")
    text = _strip(answer)
    value = parse_number(text)
    if value is None:
        return Score(False, f"not a number only: {text[:60]!r}")
    if not numbers_equal(value, float(gold["number"]), float(gold.get("tol", 0.0))):
        return Score(False, f"{value:g} != {float(gold['number']):g}")
    return Score(True, f"number only {value:g}")


def check_yes_no_only(gold: Gold, answer: str) -> Score:
    """Exactly "yes" or "no", equal to the gold."""
    _require(gold, "yes_no")
    text = _strip(answer).lower()
    if text not in ("yes", "no"):
        return Score(False, f"not yes/no only: {text[:60]!r}")
    if text != gold["yes_no"]:
        return Score(False, f"said {text!r}, expected {gold['yes_no']!r}")
    return Score(True, f"said {text!r}")


def _json_value_ok(expected: Any, actual: Any, tol: float) -> bool:
    if isinstance(expected, bool):
        return isinstance(actual, bool) and actual == expected
    if isinstance(expected, int | float):
        return (
            isinstance(actual, int | float)
            and not isinstance(actual, bool)
            and numbers_equal(float(actual), float(expected), tol)
        )
    if isinstance(expected, str | list):
        options = [expected] if isinstance(expected, str) else expected
        return isinstance(actual, str) and _norm(actual) in {_norm(option) for option in options}
    raise ValueError(f"unsupported expected JSON value {expected!r}: use a bool, a number or strings")


def check_json_keys(gold: Gold, answer: str) -> Score:
    """One JSON object with exactly the gold's keys, each holding the gold's value."""
    _require(gold, "keys", "values")
    text = answer.strip()
    fenced = _FENCE.fullmatch(text)
    if fenced:
        text = fenced.group(1).strip()
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        return Score(False, f"not JSON: {exc.msg} at char {exc.pos}")
    if not isinstance(data, dict):
        return Score(False, f"JSON is a {type(data).__name__}, not an object")
    keys = list(gold["keys"])
    if set(data) != set(keys):
        return Score(False, f"keys {sorted(data)} != {sorted(keys)}")
    tol = float(gold.get("tol", 0.0))
    for key, expected in dict(gold["values"]).items():
        if not _json_value_ok(expected, data[key], tol):
            return Score(False, f"{key!r} is {data[key]!r}, expected {expected!r}")
    return Score(True, f"JSON with keys {keys} and right values")


def check_csv_list(gold: Gold, answer: str) -> Score:
    """One line of exactly ``n`` distinct comma-separated items, in order (``items``) or from ``allowed``."""
    _require(gold, "n")
    if "items" not in gold and "allowed" not in gold:
        raise ValueError(f"gold needs 'items' or 'allowed' (has {sorted(gold)})")
    text = _strip(answer)
    if not text or "\n" in text:
        return Score(False, "not a single line")
    items = [item.strip(_WRAPPERS) for item in text.split(",")]
    if len(items) > 1 and items[-1].lower().startswith("and "):
        items[-1] = items[-1][4:].strip()
    if any(not item for item in items):
        return Score(False, "an empty item")
    n = int(gold["n"])
    if len(items) != n:
        return Score(False, f"{len(items)} items, expected {n}")
    normed = [_norm(item) for item in items]
    if len(set(normed)) != len(normed):
        return Score(False, "an item is repeated")
    if "items" in gold:
        want = [_norm(str(item)) for item in gold["items"]]
        if normed != want:
            return Score(False, f"items {items} != {list(gold['items'])}")
    else:
        allowed = {_norm(str(item)) for item in gold["allowed"]}
        stray = [item for item, key in zip(items, normed, strict=True) if key not in allowed]
        if stray:
            return Score(False, f"not allowed: {stray}")
    return Score(True, f"{n} items: {items}")


def check_lowercase(gold: Gold, answer: str) -> Score:
    """No upper-case letter anywhere, and the right content."""
    if not answer.strip():
        return Score(False, "empty answer")
    upper = [ch for ch in answer if ch.isupper()]
    if upper:
        return Score(False, f"has upper-case letters {''.join(upper[:10])!r}")
    return _content(gold, answer)


def check_max_words(gold: Gold, answer: str) -> Score:
    """At most ``max_words`` words, and the right content."""
    _require(gold, "max_words")
    words = [token for token in answer.split() if any(ch.isalnum() for ch in token)]
    limit = int(gold["max_words"])
    if len(words) > limit:
        return Score(False, f"{len(words)} words, at most {limit} allowed")
    return _content(gold, answer)


CHECKERS: dict[str, Checker] = {
    "contains_any": check_contains_any,
    "yes_no": check_yes_no,
    "cites": check_cites,
    "format_one_word": check_one_word,
    "format_number_only": check_number_only,
    "format_yes_no_only": check_yes_no_only,
    "format_json_keys": check_json_keys,
    "format_csv_list": check_csv_list,
    "format_lowercase": check_lowercase,
    "format_max_words": check_max_words,
}
"""Every checker by the name an item's ``checker`` field uses."""


def score(item: Mapping[str, Any], answer: str) -> Score:
    """Score ``answer`` (the final text a system returned) against one team-set item."""
    name = item.get("checker")
    checker = CHECKERS.get(str(name))
    if checker is None:
        raise ValueError(f"item {item.get('id')!r}: unknown checker {name!r}; known: {sorted(CHECKERS)}")
    try:
        return checker(item["gold"], answer or "")
    except ValueError as exc:
        raise ValueError(f"item {item.get('id')!r} ({name}): {exc}") from exc
