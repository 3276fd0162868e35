"""The errors tools raise: a tool refusing its input, a tool call that cannot be repaired, a bad tool."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from qsm.errors import QsmError, SpecError, StructuredOutputError

__all__ = ["ToolCallError", "ToolDefinitionError", "ToolError"]


class ToolError(QsmError):
    """A tool refused its input or could not produce a result (the message says why, for the model and
    for the user: "division by zero", "unknown unit 'furlongs'"). :meth:`Toolbox.run` turns it into a
    failed :class:`~qsm.agents.messages.ToolResult`; it never ends a run."""


class ToolCallError(StructuredOutputError):
    """A tool call (from a model or a caller) that names no known tool or whose arguments do not fit the
    tool, and that could not be repaired. ``completions`` holds the model calls spent asking for it (for
    cost accounting), when it came from a model."""

    def __init__(self, message: str, hint: str = "", *, completions: Sequence[Any] = ()) -> None:
        super().__init__(message, hint)
        self.completions = list(completions)


class ToolDefinitionError(SpecError):
    """A tool is defined wrongly (no docstring, an untyped parameter, a name other backends refuse, two
    tools with one name)."""
