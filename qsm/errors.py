"""Errors that reach users: each says what went wrong and what to do about it.

Every error the CLI, the scripting API or the UI can show derives from :class:`QsmError`, carries a
``hint`` (the next step for the user) and an ``exit_code`` for the CLI. Credentials written inside a URL
(``http://user:password@host``) are removed from both before anything can show or store them.
"""

from __future__ import annotations

from qsm.redact import redact_urls

__all__ = [
    "AccessDeniedError",
    "BudgetExhausted",
    "ChannelTypeError",
    "ConfigError",
    "InvalidUserIdError",
    "LedgerError",
    "MemoryStoreError",
    "ModelCallError",
    "ModelNotFoundError",
    "PromptTooLongError",
    "QsmError",
    "RealModelsForbidden",
    "SpecError",
    "StructuredOutputError",
    "UnknownAgentError",
    "UnsafeCheckpointError",
]


class QsmError(Exception):
    """Base of every user-facing error. ``str(err)`` is the message followed by the hint."""

    exit_code: int = 1

    def __init__(self, message: str, hint: str = "") -> None:
        message, hint = redact_urls(message), redact_urls(hint)
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message}\n  hint: {self.hint}" if self.hint else self.message


class ConfigError(QsmError):
    """A config file, env var or flag has a value qsm cannot use."""

    exit_code = 2


class SpecError(QsmError):
    """A workflow spec (YAML or Python) is malformed or inconsistent."""

    exit_code = 2


class InvalidUserIdError(QsmError):
    """A user id (``--user``, ``run(user=...)``, the app's "You are") is not a safe memory path segment."""

    exit_code = 2


class UnsafeCheckpointError(QsmError):
    """The run database holds data qsm refuses to load (a type outside its allow-list): it was tampered
    with or written by something else."""


class UnknownAgentError(SpecError):
    """A name refers to an agent that the workflow or config does not define."""


class ChannelTypeError(SpecError):
    """A channel's message type does not match what its ends produce or accept."""


class PromptTooLongError(QsmError):
    """A prompt does not fit in the model's context window."""

    exit_code = 2


class ModelNotFoundError(QsmError):
    """The model file (or server) an agent is configured with cannot be found."""

    exit_code = 3


class ModelCallError(QsmError):
    """A model backend failed while generating."""

    exit_code = 3


class StructuredOutputError(ModelCallError):
    """A model did not produce valid structured output even after repair and retries."""


class RealModelsForbidden(QsmError):
    """A real model call was attempted while real model calls are switched off (tests)."""

    exit_code = 3


class BudgetExhausted(QsmError):
    """The run's budget (tokens, seconds or calls) is spent."""

    exit_code = 4


class MemoryStoreError(QsmError):
    """The memory directory is missing, corrupt or unreachable."""

    exit_code = 5


class AccessDeniedError(MemoryStoreError):
    """An agent tried to read or write a memory subtree it has no rights on."""


class LedgerError(QsmError):
    """The ledger (outbox, chain connection, proofs) failed."""

    exit_code = 6
