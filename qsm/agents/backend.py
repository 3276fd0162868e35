"""The model protocol every backend implements, and the switch that forbids real model calls in tests."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from typing import Any, Literal, NotRequired, Protocol, TypedDict, runtime_checkable

from qsm.agents.settings import Sampling
from qsm.errors import PromptTooLongError, RealModelsForbidden

__all__ = [
    "ChatMessage",
    "ChatModel",
    "Completion",
    "ModelRequest",
    "TokenCallback",
    "allow_real_models",
    "ensure_real_models_allowed",
    "fit_prompt",
    "real_models_allowed",
    "set_real_models_allowed",
]

Role = Literal["system", "user", "assistant", "tool"]
FinishReason = Literal["stop", "length", "deadline", "budget"]
TokenCallback = Callable[[str], None]


class ChatMessage(TypedDict):
    """One chat message. Only the tool loop on an OpenAI-compatible server sets the optional keys: an
    assistant message's native ``tool_calls`` and, on a ``"tool"`` message, the ``tool_call_id`` it answers."""

    role: Role
    content: str
    tool_calls: NotRequired[list[dict[str, Any]]]
    tool_call_id: NotRequired[str]


@dataclass(frozen=True)
class Completion:
    """One model call's result. ``text`` is the answer with any ``<think>`` block removed."""

    text: str
    raw_text: str
    thinking: str
    prompt_tokens: int
    completion_tokens: int
    seconds: float
    model: str
    finish_reason: FinishReason = "stop"
    first_token_seconds: float | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def total_tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens


@dataclass(frozen=True)
class ModelRequest:
    """One model call, built once by the caller and handed unchanged down to the backend. A wrapper
    that needs a different call (the budget meter caps ``max_tokens`` and the deadline) derives a copy
    with :func:`dataclasses.replace`."""

    messages: list[ChatMessage]
    """The conversation, oldest first (a system message, if any, comes first)."""
    sampling: Sampling
    """Temperature, top-p/top-k, repeat penalty, seed, and ``max_tokens``: the most tokens the answer
    may have."""
    json_schema: dict[str, Any] | None = None
    """Constrain the reply to this JSON schema where the backend can (a grammar on llama.cpp,
    ``response_format`` on an OpenAI-compatible server); None for free text."""
    on_token: TokenCallback | None = None
    """Called with each piece of text as it is generated (streaming); None when nobody watches."""
    deadline: float | None = None
    """A ``time.monotonic()`` value: generation stops there with ``finish_reason = "deadline"``, and an
    HTTP backend waits for its server no longer than that. None: no deadline."""
    cache_key: str | None = None
    """Who asks, normally the agent's name. llama.cpp prefers the instance that last served the same key
    (its prompt prefix is still cached), and errors name it."""
    thinking_budget: int | None = None
    """The most tokens a reasoning model's ``<think>`` block may take before ``</think>`` is forced
    (backends that cannot steer generation mid-way ignore it)."""
    tools: list[dict[str, Any]] | None = None
    """OpenAI-style tool definitions. A backend whose ``supports_tools`` is true is asked for a native
    tool call (``tool_choice``), which comes back in ``Completion.extra["tool_calls"]``; the others
    ignore it, so callers give them the call's schema as ``json_schema`` instead."""
    tool_choice: str | dict[str, Any] = "required"
    """OpenAI's ``tool_choice`` sent with ``tools``."""
    prompt_tokens: int | None = None
    """The prompt's token count, set by :func:`fit_prompt` once it has counted the prompt and checked
    that it fits the context window. A request that carries it is not counted or checked again, so a
    prompt is tokenised for the size check once per call however many wrappers it passes through."""


@runtime_checkable
class ChatModel(Protocol):
    """A chat model: llama.cpp in process, an OpenAI-compatible server, or the fake.

    ``complete`` must be safe to call from several threads at once (backends serialise or pool
    internally). It starts with :func:`fit_prompt`, which raises :class:`PromptTooLongError` for a
    prompt that leaves no room for an answer (unless a wrapper in front of it already did).
    ``supports_tools`` says whether the backend honours ``ModelRequest.tools``.
    """

    name: str
    context_window: int
    supports_tools: bool

    def count_tokens(self, messages: list[ChatMessage]) -> int: ...

    def complete(self, request: ModelRequest) -> Completion: ...

    def close(self) -> None: ...


def fit_prompt(
    model: ChatModel, request: ModelRequest, *, counted: int | None = None
) -> tuple[ModelRequest, int]:
    """``request`` with its ``prompt_tokens`` set, and that count, after checking that the prompt plus a minimal answer
    fit ``model``'s context window (:class:`PromptTooLongError` if not). This is the one place the size
    is checked: a request that already carries ``prompt_tokens`` comes back as it is. ``counted`` is
    the count when the caller has already tokenised the prompt (llama.cpp needs the tokens anyway)."""
    if request.prompt_tokens is not None:
        return request, request.prompt_tokens
    prompt_tokens = model.count_tokens(request.messages) if counted is None else counted
    room = model.context_window - prompt_tokens
    needed = min(request.sampling.max_tokens, 16)
    if room < needed:
        raise PromptTooLongError(
            f"{request.cache_key or model.name}: the prompt is {prompt_tokens} tokens but the model's "
            f"context window is {model.context_window} tokens (at least {needed} must stay free for the "
            "answer)",
            hint="shorten the prompt, or raise n_ctx for this agent (e.g. [defaults.model] n_ctx = 8192)",
        )
    return replace(request, prompt_tokens=prompt_tokens), prompt_tokens


_switch_lock = threading.Lock()
_real_allowed = True


def real_models_allowed() -> bool:
    return _real_allowed


def set_real_models_allowed(allowed: bool) -> None:
    """Globally allow or forbid real model calls (tests forbid them unless they opt in)."""
    global _real_allowed
    with _switch_lock:
        _real_allowed = allowed


@contextlib.contextmanager
def allow_real_models(allowed: bool = True) -> Iterator[None]:
    """Temporarily set the real-model switch."""
    previous = _real_allowed
    set_real_models_allowed(allowed)
    try:
        yield
    finally:
        set_real_models_allowed(previous)


def ensure_real_models_allowed(backend: str) -> None:
    if not _real_allowed:
        raise RealModelsForbidden(
            f"real model calls are switched off, but the {backend} backend was asked to load or generate",
            hint="use the fake backend in unit tests, or mark the test with @pytest.mark.real_model",
        )
