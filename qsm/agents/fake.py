"""The fake chat model: queue-driven, records every call, never touches a real model.

Queue replies (strings, or callables that get the call and return a string); when the queue is empty
and ``auto`` is on, it answers with the minimal JSON instance of the requested schema, or with a short
echo of the last user message. Used by unit tests and by ``backend = "fake"`` configs (UI demos, load
benchmarks, crash tests across processes, which set ``log`` to record calls in a JSON-lines file); a fake
built from settings keeps only its newest :data:`KEPT_CALLS` calls, so a long-running server stays flat.
"""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from qsm.agents.backend import ChatMessage, Completion, FinishReason, ModelRequest, fit_prompt
from qsm.agents.settings import Sampling
from qsm.agents.thinking import split_thinking
from qsm.errors import ModelCallError

__all__ = ["KEPT_CALLS", "FakeCall", "FakeChatModel", "Reply", "schema_sample"]

KEPT_CALLS = 200
"""Calls a fake built from settings remembers in ``calls`` (the newest)."""


@dataclass(frozen=True)
class FakeCall:
    messages: list[ChatMessage]
    json_schema: dict[str, Any] | None
    sampling: Sampling
    cache_key: str | None


Reply = str | Callable[[FakeCall], str] | BaseException


class FakeChatModel:
    supports_tools = False

    def __init__(
        self,
        replies: list[Reply] | None = None,
        *,
        auto: bool = True,
        delay_s: float = 0.0,
        context_window: int = 2048,
        log: Path | None = None,
        name: str = "fake",
        kept_calls: int | None = None,
    ) -> None:
        self.name = name
        self.context_window = context_window
        self.auto = auto
        self.delay_s = delay_s
        self.log = log
        self.kept_calls = kept_calls
        """Only the newest this many calls stay in :attr:`calls` (None: all; a long-lived server keeps few)."""
        self.calls: list[FakeCall] = []
        self._queue: deque[Reply] = deque(replies or [])
        self._lock = threading.Lock()

    def enqueue(self, *replies: Reply) -> None:
        with self._lock:
            self._queue.extend(replies)

    def count_tokens(self, messages: list[ChatMessage]) -> int:
        return sum(len(m["content"].split()) + 4 for m in messages)

    def complete(self, request: ModelRequest) -> Completion:
        started = time.perf_counter()
        request, prompt_tokens = fit_prompt(self, request)
        sampling, on_token, deadline = request.sampling, request.on_token, request.deadline
        call = FakeCall(list(request.messages), request.json_schema, sampling, request.cache_key)
        with self._lock:
            self.calls.append(call)
            if self.kept_calls is not None and len(self.calls) > self.kept_calls:
                del self.calls[: len(self.calls) - self.kept_calls]
            reply = self._queue.popleft() if self._queue else None
        if reply is None:
            if not self.auto:
                raise ModelCallError(
                    "the fake model has no reply queued", hint="enqueue() one per expected call"
                )
            reply = _auto_reply(call)
        if isinstance(reply, BaseException):
            raise reply
        text = reply(call) if callable(reply) else reply
        if request.thinking_budget and request.json_schema is None:
            text = _force_budget(text, request.thinking_budget)
        words = text.split(" ")
        pieces = [w if i == 0 else " " + w for i, w in enumerate(words)][: sampling.max_tokens]
        finish: FinishReason = "stop" if len(pieces) == len(words) else "length"
        emitted: list[str] = []
        for piece in pieces:
            if self.delay_s:
                time.sleep(self.delay_s / max(1, len(pieces)))
            emitted.append(piece)
            if on_token is not None:
                on_token(piece)
            if deadline is not None and time.monotonic() > deadline:
                finish = "deadline"
                break
        raw = "".join(emitted)
        thinking, answer = split_thinking(raw)
        if self.log is not None:
            self._append_log(call, raw)
        return Completion(
            text=answer,
            raw_text=raw,
            thinking=thinking,
            prompt_tokens=prompt_tokens,
            completion_tokens=len(emitted),
            seconds=time.perf_counter() - started,
            model=self.name,
            finish_reason=finish,
        )

    def _append_log(self, call: FakeCall, raw: str) -> None:
        assert self.log is not None
        line = json.dumps({"agent": call.cache_key, "schema": call.json_schema is not None, "reply": raw})
        with self._lock, self.log.open("a", encoding="utf-8") as fh:
            fh.write(line + "\n")
            fh.flush()

    def close(self) -> None:
        pass


def _force_budget(text: str, budget: int) -> str:
    """What budget forcing does to a reply: thinking cut after ``budget`` words, then the answer."""
    if "<think>" not in text:
        return text
    before, _, rest = text.partition("<think>")
    thought, closed, answer = rest.partition("</think>")
    words = thought.split(" ")
    if len(words) <= budget and closed:
        return text
    return f"{before}<think>{' '.join(words[:budget])}\n</think>\n\n{answer.lstrip()}"


def _auto_reply(call: FakeCall) -> str:
    if call.json_schema is not None:
        return json.dumps(schema_sample(call.json_schema))
    last_user = next((m["content"] for m in reversed(call.messages) if m["role"] == "user"), "")
    return f"(fake model) reply to: {' '.join(last_user.split()[:12])}"


def schema_sample(schema: dict[str, Any], root: dict[str, Any] | None = None) -> Any:
    """The smallest JSON value that satisfies ``schema`` (enough of JSON Schema for pydantic's output)."""
    root = root or schema
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        return schema_sample(root.get("$defs", {})[name], root)
    if "const" in schema:
        return schema["const"]
    if "enum" in schema:
        return schema["enum"][0]
    if "default" in schema:
        return schema["default"]
    for key in ("anyOf", "oneOf", "allOf"):
        if key in schema:
            return schema_sample(schema[key][0], root)
    kind = schema.get("type", "object")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "null")
    if kind == "object":
        props = schema.get("properties", {})
        return {k: schema_sample(v, root) for k, v in props.items()}
    if kind == "array":
        return [schema_sample(schema.get("items", {}), root) for _ in range(schema.get("minItems", 1))]
    if kind == "string":
        return "x" * max(int(schema.get("minLength", 0)), 1)
    if kind in ("integer", "number"):
        low = schema.get("minimum", schema.get("exclusiveMinimum", 0))
        high = schema.get("maximum", low)
        value = low if low == high else (low + high) / 2
        return int(value) if kind == "integer" else float(value)
    if kind == "boolean":
        return True
    return None
