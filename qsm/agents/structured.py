"""Structured (JSON) output that small models can manage.

1. Ask with the reply type's JSON schema so the backend constrains decoding (llama.cpp grammar, server
   ``response_format``).
2. Parse leniently: strip code fences, take the first balanced JSON object, drop trailing commas, close
   brackets a truncated reply left open.
3. Repair against the schema: case-insensitive enum values, over-long strings and lists cut to the
   schema's limits, numbers clamped into range.
4. If it still does not validate, retry with the validation error fed back, at temperature 0.
"""

from __future__ import annotations

import functools
import json
import re
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ValidationError

from qsm.agents.backend import ChatMessage, ChatModel, Completion, ModelRequest, TokenCallback
from qsm.agents.settings import Sampling
from qsm.errors import StructuredOutputError

__all__ = [
    "StructuredResult",
    "extract_json",
    "generate_structured",
    "repair_to_schema",
    "retry_conversation",
    "schema_of",
]

T = TypeVar("T", bound=BaseModel)


@dataclass
class StructuredResult(Generic[T]):
    value: T
    completions: list[Completion] = field(default_factory=list)
    repaired: bool = False

    @property
    def attempts(self) -> int:
        return len(self.completions)


@functools.cache
def _schema_json(reply_type: type[BaseModel]) -> str:
    return json.dumps(reply_type.model_json_schema())


def schema_of(reply_type: type[BaseModel]) -> dict[str, Any]:
    """The reply type's JSON schema (built once per type: pydantic rebuilds it on every call)."""
    return json.loads(_schema_json(reply_type))


def generate_structured(
    model: ChatModel,
    messages: list[ChatMessage],
    reply_type: type[T],
    *,
    sampling: Sampling,
    retries: int = 2,
    on_token: TokenCallback | None = None,
    deadline: float | None = None,
    cache_key: str | None = None,
) -> StructuredResult[T]:
    schema = schema_of(reply_type)
    conversation = list(messages)
    completions: list[Completion] = []
    error = ""
    for attempt in range(retries + 1):
        current = sampling if attempt == 0 else sampling.model_copy(update={"temperature": 0.0})
        completion = model.complete(
            ModelRequest(
                conversation,
                current,
                json_schema=schema,
                on_token=on_token,
                deadline=deadline,
                cache_key=cache_key,
            )
        )
        completions.append(completion)
        value, repaired, error = _parse_and_validate(completion.text, reply_type, schema)
        if value is not None:
            return StructuredResult(value, completions, repaired or attempt > 0)
        conversation = retry_conversation(messages, completion.text, error, schema)
        if completion.finish_reason == "deadline":
            break
    raw = completions[-1].text if completions else ""
    raise StructuredOutputError(
        f"{cache_key or model.name} did not produce a valid {reply_type.__name__} after "
        f"{len(completions)} attempt(s): {error}; last reply: {raw[:200]!r}",
        hint="use a larger model for this agent, raise structured_retries, or lower its temperature",
    )


def retry_conversation(
    messages: list[ChatMessage], reply: str, error: str, schema: dict[str, Any]
) -> list[ChatMessage]:
    """``messages`` followed by the invalid ``reply`` and a request to answer again, saying what was
    wrong (``error``) and which schema to follow."""
    return [
        *messages,
        {"role": "assistant", "content": reply[:2000]},
        {
            "role": "user",
            "content": f"That reply was not valid ({error}). Reply again with only one JSON object "
            f"matching this schema: {json.dumps(schema, separators=(',', ':'))}",
        },
    ]


def _parse_and_validate(text: str, reply_type: type[T], schema: dict[str, Any]) -> tuple[T | None, bool, str]:
    data, repaired = extract_json(text)
    if data is None:
        return None, False, "no JSON object found"
    try:
        return reply_type.model_validate(data), repaired, ""
    except ValidationError:
        pass
    fixed = repair_to_schema(data, schema)
    try:
        return reply_type.model_validate(fixed), True, ""
    except ValidationError as exc:
        err = exc.errors()[0]
        return None, True, f"{'.'.join(map(str, err['loc']))}: {err['msg']}"


_FENCE = re.compile(r"```(?:json)?\s*(.*?)```", re.DOTALL)
_TRAILING_COMMA = re.compile(r",\s*([}\]])")


def extract_json(text: str) -> tuple[Any, bool]:
    """The first JSON object in ``text`` and whether it needed fixing; ``(None, False)`` if none."""
    stripped = text.strip()
    try:
        return json.loads(stripped, strict=False), False
    except json.JSONDecodeError:
        pass
    if fence := _FENCE.search(stripped):
        stripped = fence.group(1).strip()
    start = stripped.find("{")
    if start < 0:
        return None, False
    candidate = _balanced_prefix(stripped[start:])
    for attempt in (candidate, _TRAILING_COMMA.sub(r"\1", candidate)):
        try:
            return json.loads(attempt, strict=False), True
        except json.JSONDecodeError:
            continue
    return None, False


def _balanced_prefix(text: str) -> str:
    """The first complete JSON value in ``text``; if it is truncated, close what is open."""
    stack: list[str] = []
    in_string = escaped = False
    for i, ch in enumerate(text):
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
            continue
        if ch == '"':
            in_string = True
        elif ch in "{[":
            stack.append("}" if ch == "{" else "]")
        elif ch in "}]":
            if stack:
                stack.pop()
            if not stack:
                return text[: i + 1]
    tail = text.rstrip().rstrip(",:")
    if in_string:
        tail += '"'
    return tail + "".join(reversed(stack))


def repair_to_schema(value: Any, schema: dict[str, Any], root: dict[str, Any] | None = None) -> Any:
    """Nudge ``value`` towards ``schema``: enum case, string/list length limits, numeric ranges."""
    root = root or schema
    if "$ref" in schema:
        return repair_to_schema(value, root.get("$defs", {})[schema["$ref"].rsplit("/", 1)[-1]], root)
    for key in ("anyOf", "oneOf"):
        if key in schema:
            options = [o for o in schema[key] if o.get("type") != "null"]
            return repair_to_schema(value, options[0], root) if options and value is not None else value
    if "enum" in schema and isinstance(value, str):
        by_lower = {str(e).lower(): e for e in schema["enum"]}
        return by_lower.get(value.strip().lower(), value)
    kind = schema.get("type")
    if kind == "object" and isinstance(value, dict):
        props = schema.get("properties", {})
        out = {k: repair_to_schema(v, props[k], root) for k, v in value.items() if k in props}
        if schema.get("additionalProperties", True) is not False:
            out.update({k: v for k, v in value.items() if k not in props})
        return out
    if kind == "array":
        items = value if isinstance(value, list) else [value]
        if "maxItems" in schema:
            items = items[: schema["maxItems"]]
        return [repair_to_schema(v, schema.get("items", {}), root) for v in items]
    if kind == "string":
        text = value if isinstance(value, str) else json.dumps(value)
        return text[: schema["maxLength"]] if "maxLength" in schema else text
    if kind in ("number", "integer") and isinstance(value, int | float) and not isinstance(value, bool):
        low, high = schema.get("minimum"), schema.get("maximum")
        if low is not None:
            value = max(low, value)
        if high is not None:
            value = min(high, value)
        return round(value) if kind == "integer" else float(value)
    return value
