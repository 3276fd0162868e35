"""The model protocol every backend implements, and the switch that forbids real model calls in tests."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol, TypedDict, runtime_checkable

from qsm.agents.settings import Sampling
from qsm.errors import PromptTooLongError, RealModelsForbidden

__all__ = [
    "ChatMessage",
    "ChatModel",
    "Completion",
    "TokenCallback",
    "allow_real_models",
    "check_prompt_fits",
    "ensure_real_models_allowed",
    "real_models_allowed",
    "set_real_models_allowed",
]

Role = Literal["system", "user", "assistant"]
FinishReason = Literal["stop", "length", "deadline", "budget"]
TokenCallback = Callable[[str], None]


class ChatMessage(TypedDict):
    role: Role
    content: str


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


@runtime_checkable
class ChatModel(Protocol):
    """A chat model: llama.cpp in process, an OpenAI-compatible server, or the fake.

    ``complete`` must be safe to call from several threads at once (backends serialise or pool
    internally). ``json_schema`` asks for output constrained to that JSON schema where the backend can
    (grammar / response_format); ``on_token`` receives text pieces as they are generated;
    ``deadline`` is a ``time.monotonic()`` value after which generation stops with ``finish_reason
    = "deadline"``. ``thinking_budget`` caps a reasoning model's ``<think>`` block (backends that cannot
    steer generation mid-way ignore it).
    """

    name: str
    context_window: int

    def count_tokens(self, messages: list[ChatMessage]) -> int: ...

    def complete(
        self,
        messages: list[ChatMessage],
        *,
        sampling: Sampling,
        json_schema: dict[str, Any] | None = None,
        on_token: TokenCallback | None = None,
        deadline: float | None = None,
        cache_key: str | None = None,
        thinking_budget: int | None = None,
    ) -> Completion: ...

    def close(self) -> None: ...


def check_prompt_fits(
    model: ChatModel, messages: list[ChatMessage], max_tokens: int, who: str, prompt_tokens: int | None = None
) -> int:
    """Count the prompt's tokens (unless given); raise :class:`PromptTooLongError` if prompt + a minimal
    answer cannot fit in the context window. Returns the prompt token count."""
    prompt_tokens = model.count_tokens(messages) if prompt_tokens is None else prompt_tokens
    room = model.context_window - prompt_tokens
    needed = min(max_tokens, 16)
    if room < needed:
        raise PromptTooLongError(
            f"{who}: the prompt is {prompt_tokens} tokens but the model's context window is "
            f"{model.context_window} tokens (at least {needed} must stay free for the answer)",
            hint="shorten the prompt, or raise n_ctx for this agent (e.g. [defaults.model] n_ctx = 8192)",
        )
    return prompt_tokens


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
