"""Facet filters: the caller's ``where`` (facet names) -> the backend's (metadata keys), and an
evaluator with Chroma's semantics for the in-memory backend.

Filters use Chroma's operators: ``{"writer": "WeQ"}``, ``{"confidence": {"$gte": 0.5}}``,
``{"$or": [...]}``. Several keys in one dict mean all of them. ``created_at`` takes datetimes.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from qsm.errors import MemoryStoreError

__all__ = ["Where", "all_of", "any_of", "facet_key", "matches", "subtree", "translate"]

Where = dict[str, Any]

_FACETS = {
    "path": "path",
    "topic": "topic",
    "writer": "writer",
    "source": "source",
    "confidence": "confidence",
    "created_at": "created_ms",
    "operation": "op",
    "by": "by",
    "key": "key",
}
_COMPARISONS = {"$eq", "$ne", "$gt", "$gte", "$lt", "$lte", "$in", "$nin", "$contains", "$not_contains"}
_HINT = "facets: " + ", ".join(_FACETS) + " or an extra facet; operators: " + ", ".join(sorted(_COMPARISONS))


def facet_key(name: str) -> str:
    """Metadata key of a facet; extra (caller-defined) facets are stored as ``x_<name>``."""
    return _FACETS.get(name, f"x_{name}")


def subtree(path: str) -> Where | None:
    """Entries at ``path`` or below; ``None`` for the whole tree."""
    return None if path == "/" else {"ancestors": {"$contains": path}}


def all_of(*clauses: Where | None) -> Where | None:
    parts = [c for c in clauses if c]
    if not parts:
        return None
    return parts[0] if len(parts) == 1 else {"$and": parts}


def any_of(*clauses: Where) -> Where | None:
    parts = [c for c in clauses if c]
    if not parts:
        return None
    return parts[0] if len(parts) == 1 else {"$or": parts}


def translate(where: Mapping[str, Any] | None) -> Where | None:
    """Map facet names to metadata keys, datetimes to epoch milliseconds, validate operators."""
    if not where:
        return None
    if not isinstance(where, Mapping):
        raise MemoryStoreError(f"a facet filter must be a dict, got {type(where).__name__}", hint=_HINT)
    clauses: list[Where] = []
    for key, value in where.items():
        if key in {"$and", "$or"}:
            if not isinstance(value, list) or not value:
                raise MemoryStoreError(f"{key} needs a non-empty list of filters", hint=_HINT)
            parts = [c for c in (translate(v) for v in value) if c]
            combined = all_of(*parts) if key == "$and" else any_of(*parts)
            if combined:
                clauses.append(combined)
        elif key.startswith("$"):
            raise MemoryStoreError(f"unknown filter operator {key!r}", hint=_HINT)
        elif key in {"id", "content_id"}:
            raise MemoryStoreError("entries cannot be filtered by id", hint="fetch them with get(entry_id)")
        else:
            clauses.append({facet_key(key): _condition(key, value)})
    return all_of(*clauses)


def _condition(facet: str, value: Any) -> Any:
    if isinstance(value, Mapping):
        if len(value) != 1:
            raise MemoryStoreError(
                f"the filter on facet {facet!r} must have exactly one operator, got {dict(value)!r}",
                hint='combine conditions with {"$and": [{...}, {...}]}',
            )
        ((op, operand),) = value.items()
        if op not in _COMPARISONS:
            raise MemoryStoreError(f"unknown filter operator {op!r} on facet {facet!r}", hint=_HINT)
        return {op: _value(facet, operand)}
    return {"$eq": _value(facet, value)}


def _value(facet: str, value: Any) -> Any:
    if isinstance(value, list):
        return [_value(facet, v) for v in value]
    if isinstance(value, datetime):
        return int(value.timestamp() * 1000)
    if not isinstance(value, str | int | float | bool):
        raise MemoryStoreError(f"filter value for {facet!r} must be a string, number or bool, got {value!r}")
    return value


def matches(metadata: Mapping[str, Any], where: Where | None) -> bool:
    """Evaluate a translated filter against one record's metadata, as Chroma does."""
    if not where:
        return True
    for key, condition in where.items():
        if key == "$and":
            ok = all(matches(metadata, c) for c in condition)
        elif key == "$or":
            ok = any(matches(metadata, c) for c in condition)
        else:
            ok = _compare(metadata[key], condition) if key in metadata else _negative(condition)
        if not ok:
            return False
    return True


def _negative(condition: Any) -> bool:
    """Chroma: a record without the key passes negative conditions ($ne, $nin) and fails the rest."""
    return isinstance(condition, Mapping) and next(iter(condition)) in {"$ne", "$nin", "$not_contains"}


def _compare(actual: Any, condition: Any) -> bool:
    if not isinstance(condition, Mapping):
        return bool(actual == condition)
    ((op, expected),) = condition.items()
    if op == "$contains":
        return isinstance(actual, list) and expected in actual
    if op == "$not_contains":
        return isinstance(actual, list) and expected not in actual
    if op == "$in":
        return actual in expected
    if op == "$nin":
        return actual not in expected
    if op in {"$eq", "$ne"}:
        return (actual == expected) == (op == "$eq")
    if isinstance(actual, str) != isinstance(expected, str):
        return False
    return {
        "$gt": actual > expected,
        "$gte": actual >= expected,
        "$lt": actual < expected,
        "$lte": actual <= expected,
    }[op]
