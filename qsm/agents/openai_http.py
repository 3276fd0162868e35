"""OpenAI-compatible chat server backend (llama.cpp server, vLLM, llama-cpp-python's server, ...)."""

from __future__ import annotations

import contextlib
import json
import os
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
from pydantic import BaseModel, ValidationError

from qsm.agents.backend import (
    ChatMessage,
    Completion,
    FinishReason,
    ModelRequest,
    ensure_real_models_allowed,
    fit_prompt,
)
from qsm.agents.settings import ModelSettings
from qsm.agents.thinking import split_thinking
from qsm.errors import ConfigError, ModelCallError, PromptTooLongError
from qsm.redact import REDACTED, redact_url

__all__ = ["OpenAIChatModel"]

_CONTEXT_WORDS = ("context length", "context window", "maximum context", "too long", "exceeds")


class OpenAIChatModel:
    """Streams ``/chat/completions`` from ``settings.url`` (which ends in ``/v1``).

    A ``thinking_budget`` cannot be forced through this API; the server's own reasoning limits apply.
    A request's ``deadline`` bounds the whole exchange: until the reply starts, every connect, write and
    read waits at most until the deadline (or ``model.timeout_s``, when that is sooner); once it streams,
    the socket is shut at the deadline, so a server that falls silent or trickles bytes is cut off there.
    A call the deadline ends returns what arrived so far with ``finish_reason = "deadline"``, like the other
    backends, and the budget meter then stops the run.
    Token counts come from the server's usage report when it sends one; the prompt-size check before a
    call uses a conservative estimate (3 characters per token), and the server's own context error is
    turned into :class:`PromptTooLongError`.

    With ``tools`` (OpenAI's ``tools`` list), the server is asked for a native tool call
    (``tool_choice``, default ``"required"``) instead of constrained JSON; the calls it streams come back
    in ``Completion.extra["tool_calls"]`` as ``[{"name": str, "arguments": str}]`` (arguments as the JSON
    text the server sent).
    """

    supports_tools = True

    def __init__(self, settings: ModelSettings) -> None:
        if not settings.url:
            raise ConfigError("the openai backend needs model.url", hint="set url = 'http://host:port/v1'")
        if f"://{REDACTED}@" in settings.url:
            raise ConfigError(
                f"the model URL {settings.url} has its credentials removed: qsm never stores passwords, "
                "so a thread whose workflow spec carried them cannot send them again",
                hint="put the server URL with its credentials in qsm.toml ([agents.NAME.model] url) or "
                "pass --url, instead of in the workflow spec",
            )
        self.settings = settings
        self.base_url = settings.url.rstrip("/")
        self.shown_url = redact_url(self.base_url)  # what errors and reprs show: no user name or password
        self.name = settings.name or "default"
        self.context_window = settings.n_ctx
        headers = {"Content-Type": "application/json"}
        if settings.api_key_env:
            key = os.environ.get(settings.api_key_env)
            if not key:
                raise ConfigError(
                    f"model.api_key_env names {settings.api_key_env}, but that env var is not set",
                    hint=f"export {settings.api_key_env}=<your key>",
                )
            headers["Authorization"] = f"Bearer {key}"
        self._client = httpx.Client(base_url=self.base_url, headers=headers, timeout=settings.timeout_s)

    def __repr__(self) -> str:  # never show headers (they may hold the API key)
        return f"OpenAIChatModel(url={self.shown_url!r}, model={self.name!r})"

    def count_tokens(self, messages: list[ChatMessage]) -> int:
        return sum(len(m["content"]) // 3 + 4 for m in messages)

    def complete(self, request: ModelRequest) -> Completion:
        ensure_real_models_allowed("openai-compatible")
        request, estimate = fit_prompt(self, request)
        sampling, json_schema, on_token, deadline = (
            request.sampling,
            request.json_schema,
            request.on_token,
            request.deadline,
        )
        body: dict[str, Any] = {
            "model": self.name,
            "messages": list(request.messages),
            "temperature": sampling.temperature,
            "top_p": sampling.top_p,
            "max_tokens": sampling.max_tokens,
            "stream": True,
            "stream_options": {"include_usage": True},
        }
        if sampling.seed is not None:
            body["seed"] = sampling.seed
        if request.tools:
            body["tools"] = request.tools
            body["tool_choice"] = request.tool_choice
        elif json_schema is not None and self.settings.response_format != "none":
            body["response_format"] = (
                {
                    "type": "json_schema",
                    "json_schema": {"name": "reply", "schema": json_schema, "strict": True},
                }
                if self.settings.response_format == "json_schema"
                else {"type": "json_object", "schema": json_schema}
            )
        started = time.perf_counter()
        limit = self.settings.timeout_s
        left = limit if deadline is None else max(0.001, deadline - time.monotonic())
        cutoff = _Cutoff(deadline)
        pieces: list[str] = []
        reasoning: list[str] = []
        usage: dict[str, int] = {}
        calls: dict[int, dict[str, str]] = {}
        finish: FinishReason = "length"
        first: float | None = None
        try:
            with (
                self._client.stream(
                    "POST", "/chat/completions", json=body, timeout=httpx.Timeout(min(limit, left))
                ) as response,
                cutoff.watching(response),
            ):
                if response.status_code >= 400:
                    self._raise_for(response)
                for line in response.iter_lines():
                    if not line.startswith("data:"):
                        continue
                    data = line[5:].strip()
                    if data == "[DONE]":
                        break
                    chunk = _chunk(data, self.shown_url)
                    usage = chunk.get("usage") or usage
                    for choice in chunk.get("choices", []):
                        delta = choice.get("delta") or {}
                        if think := delta.get("reasoning_content"):
                            reasoning.append(think)
                        if text := delta.get("content"):
                            first = first if first is not None else time.perf_counter() - started
                            pieces.append(text)
                            if on_token is not None:
                                on_token(text)
                        for piece in delta.get("tool_calls") or []:
                            _add_tool_call_piece(calls, piece)
                        if choice.get("finish_reason"):
                            finish = "stop" if choice["finish_reason"] in ("stop", "tool_calls") else "length"
                    if deadline is not None and time.monotonic() > deadline:
                        finish = "deadline"
                        break
        except httpx.HTTPError as exc:
            timed_out_at_deadline = isinstance(exc, httpx.TimeoutException) and left < limit
            if not (timed_out_at_deadline or cutoff.fired.is_set()):
                raise self._failure(exc) from None
            finish = "deadline"  # the deadline ended the wait: what arrived stands
        except json.JSONDecodeError as exc:
            raise ModelCallError(
                f"bad reply from {self.shown_url}: {exc}", hint="is it OpenAI-compatible?"
            ) from None
        raw = "".join(pieces)
        thinking, answer = split_thinking(raw)
        if reasoning:
            thinking = "".join(reasoning) + ("\n\n" + thinking if thinking else "")
        return Completion(
            text=answer,
            raw_text=raw,
            thinking=thinking,
            prompt_tokens=int(usage.get("prompt_tokens", estimate)),
            completion_tokens=int(usage.get("completion_tokens", len(pieces))),
            seconds=time.perf_counter() - started,
            model=self.name,
            finish_reason=finish,
            first_token_seconds=first,
            extra={"tool_calls": [calls[i] for i in sorted(calls)]} if calls else {},
        )

    def _failure(self, exc: httpx.HTTPError) -> ModelCallError:
        if isinstance(exc, httpx.ConnectError):
            return ModelCallError(
                f"cannot reach the model server at {self.shown_url}: {exc}",
                hint="start the server (e.g. `python -m llama_cpp.server --model M.gguf`) or fix model.url",
            )
        if isinstance(exc, httpx.TimeoutException):
            return ModelCallError(
                f"the model server at {self.shown_url} did not answer within {self.settings.timeout_s} s",
                hint="raise model.timeout_s or check the server's load",
            )
        return ModelCallError(f"bad reply from {self.shown_url}: {exc}", hint="is it OpenAI-compatible?")

    def _raise_for(self, response: httpx.Response) -> None:
        response.read()
        detail = response.text[:500]
        if response.status_code == 400 and any(w in detail.lower() for w in _CONTEXT_WORDS):
            raise PromptTooLongError(
                f"the model server says the prompt does not fit its context: {detail}",
                hint="shorten the prompt or use a model/server with a larger context",
            )
        hint = "check model.name and the API key env var" if response.status_code in (401, 403, 404) else ""
        raise ModelCallError(
            f"model server {self.shown_url} answered HTTP {response.status_code}: {detail}", hint
        )

    def close(self) -> None:
        self._client.close()


class _Function(BaseModel):
    name: str | None = None
    arguments: str | dict[str, Any] | None = None


class _ToolCallPiece(BaseModel):
    index: int = 0
    id: str | None = None
    function: _Function | None = None


class _Delta(BaseModel):
    content: str | None = None
    reasoning_content: str | None = None
    tool_calls: list[_ToolCallPiece] | None = None


class _Choice(BaseModel):
    delta: _Delta | None = None
    finish_reason: str | None = None


class _Usage(BaseModel):
    prompt_tokens: int | None = None
    completion_tokens: int | None = None


class _Chunk(BaseModel):
    """The parts of a streamed ``chat.completion.chunk`` this backend reads (others are ignored)."""

    choices: list[_Choice] = []
    usage: _Usage | None = None


def _chunk(data: str, shown_url: str | None) -> dict[str, Any]:
    """One streamed event as a dict whose parts have the types :meth:`OpenAIChatModel.complete` reads;
    anything else is a :class:`ModelCallError` naming what was wrong."""
    try:
        chunk = json.loads(data)
        _Chunk.model_validate(chunk)
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(p) for p in err["loc"])
        problem = f"{where}: {err['msg']}" if where else "the event is not a JSON object"
    except ValueError as exc:  # not JSON (json.JSONDecodeError), or JSON no Python number can hold
        problem = f"not JSON ({exc})"
    else:
        usage = chunk.get("usage")
        if isinstance(usage, dict) and None in (
            usage.get("prompt_tokens", 0),
            usage.get("completion_tokens", 0),
        ):
            return {**chunk, "usage": None}  # a usage report without counts: the estimate stands
        return chunk
    raise ModelCallError(
        f"malformed reply from the model server at {shown_url}: {problem} (in {data[:120]!r})",
        hint="qsm reads OpenAI-style streamed chat completions: check that model.url points at an "
        "OpenAI-compatible server (.../v1) and that it is up to date",
    )


class _Cutoff:
    """Shuts a streaming reply's socket at ``deadline``: a read blocked on a server that sends nothing
    more, or too little to finish a line, then ends at once instead of after a whole read timeout."""

    def __init__(self, deadline: float | None) -> None:
        self.deadline = deadline
        self.fired = threading.Event()

    @contextlib.contextmanager
    def watching(self, response: httpx.Response) -> Iterator[None]:
        stream = response.extensions.get("network_stream")
        sock = stream.get_extra_info("socket") if stream is not None else None
        if self.deadline is None or not isinstance(sock, socket.socket):  # no deadline, or not a socket
            yield
            return
        timer = threading.Timer(max(0.0, self.deadline - time.monotonic()), self._shut, (sock,))
        timer.daemon = True
        timer.start()
        try:
            yield
        finally:
            timer.cancel()

    def _shut(self, sock: socket.socket) -> None:
        self.fired.set()
        with contextlib.suppress(OSError):  # already closed
            sock.shutdown(socket.SHUT_RDWR)


def _add_tool_call_piece(calls: dict[int, dict[str, str]], piece: dict[str, Any]) -> None:
    """Fold one streamed ``tool_calls`` delta into ``calls`` (name once, arguments in pieces)."""
    call = calls.setdefault(int(piece.get("index", len(calls))), {"name": "", "arguments": ""})
    function = piece.get("function") or {}
    if isinstance(call_id := piece.get("id"), str) and call_id:
        call["id"] = call_id  # the server's id, which the tool's result must name
    if name := function.get("name"):
        call["name"] += name
    if isinstance(arguments := function.get("arguments"), str):
        call["arguments"] += arguments
    elif isinstance(arguments, dict):
        call["arguments"] += json.dumps(arguments)
