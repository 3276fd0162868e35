"""What a tool is: a name, a description, a pydantic model of its arguments, a time limit, and ``run``.

Built-in tools are small classes; :func:`tool_from_function` makes a tool from a plain typed function with
a docstring (the way user-defined tools plug in). A tool returns a :class:`ToolOutput`: the exact,
human-readable ``text`` that goes back to the model and ``value``, the machine-readable result (the
number a calculator computed). A tool that refuses its input raises
:class:`~qsm.agents.tools.errors.ToolError` with a message that says why.
"""

from __future__ import annotations

import inspect
import json
import math
import re
import typing
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol, overload, runtime_checkable

from pydantic import BaseModel, ConfigDict, Field, create_model

from qsm.agents.tools.errors import ToolDefinitionError, ToolError
from qsm.agents.tools.numbers import format_number

__all__ = ["FunctionTool", "Tool", "ToolOutput", "check_tool_name", "tool_from_function"]

_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_-]{0,63}$")


@dataclass(frozen=True)
class ToolOutput:
    """One tool run's result: ``text`` is what the model and the user read; ``value`` is the result as
    data (a number, a list of hits), or None."""

    text: str
    value: Any = None


@runtime_checkable
class Tool(Protocol):
    """A tool the agents can call. ``args_model`` validates the arguments (its JSON schema constrains the
    model's call); ``run`` gets a validated instance of it; ``timeout_s`` bounds one run."""

    name: str
    description: str
    args_model: type[BaseModel]
    timeout_s: float

    def run(self, args: Any) -> ToolOutput: ...


def check_tool_name(name: str) -> str:
    """``name`` if every backend accepts it as a tool name (OpenAI's rule: letters, digits, ``_``, ``-``,
    at most 64, here also starting with a letter); else :class:`ToolDefinitionError`."""
    if not _NAME.match(name):
        raise ToolDefinitionError(
            f"tool name {name!r} is not allowed",
            hint="start with a letter; use only letters, digits, '_' and '-'; at most 64 characters",
        )
    return name


class FunctionTool:
    """A :class:`Tool` that calls a plain Python function with the validated arguments as keywords."""

    def __init__(
        self,
        fn: Callable[..., Any],
        *,
        name: str,
        description: str,
        args_model: type[BaseModel],
        timeout_s: float,
    ) -> None:
        self.fn = fn
        self.name = check_tool_name(name)
        self.description = description
        self.args_model = args_model
        self.timeout_s = timeout_s

    def __repr__(self) -> str:
        return f"FunctionTool({self.name!r})"

    def run(self, args: BaseModel) -> ToolOutput:
        return as_output(self.fn(**{field: getattr(args, field) for field in type(args).model_fields}))


def as_output(result: Any) -> ToolOutput:
    """A function's return value as a :class:`ToolOutput`: numbers formatted exactly as the calculator
    does, strings as they are, JSON-able data as JSON; anything else is refused."""
    if isinstance(result, ToolOutput):
        return result
    if isinstance(result, bool):
        return ToolOutput("true" if result else "false", result)
    if isinstance(result, int | float):
        if isinstance(result, float) and not math.isfinite(result):
            raise ToolError(f"the tool returned {result}, not a finite number")
        return ToolOutput(format_number(result), result)
    if isinstance(result, str):
        return ToolOutput(result, result)
    if isinstance(result, BaseModel):
        return ToolOutput(result.model_dump_json(), result.model_dump(mode="json"))
    if isinstance(result, dict | list | tuple):
        try:
            return ToolOutput(json.dumps(result, ensure_ascii=False), result)
        except (TypeError, ValueError):
            pass
    raise ToolError(
        f"the tool returned a {type(result).__name__}, which is not a result "
        "(return a str, a number, a bool, JSON-able data or a ToolOutput)"
    )


@overload
def tool_from_function(
    fn: Callable[..., Any], *, name: str | None = None, timeout_s: float = 5.0
) -> FunctionTool: ...


@overload
def tool_from_function(
    fn: None = None, *, name: str | None = None, timeout_s: float = 5.0
) -> Callable[[Callable[..., Any]], FunctionTool]: ...


def tool_from_function(
    fn: Callable[..., Any] | None = None, *, name: str | None = None, timeout_s: float = 5.0
) -> FunctionTool | Callable[[Callable[..., Any]], FunctionTool]:
    """Make a tool from a typed function with a docstring; usable as ``tool_from_function(f)``,
    ``@tool_from_function`` or ``@tool_from_function(name=..., timeout_s=...)``.

    The docstring's first paragraph is the tool's description; a Google-style ``Args:`` section
    describes the parameters. Every parameter needs a type annotation (pydantic validates the
    arguments against it); parameters with defaults are optional in the call.
    """

    def build(function: Callable[..., Any]) -> FunctionTool:
        tool_name = name or function.__name__
        check_tool_name(tool_name)
        if timeout_s <= 0:
            raise ToolDefinitionError(f"tool {tool_name!r}: timeout_s must be > 0, not {timeout_s}")
        doc = inspect.getdoc(function)
        if not doc:
            raise ToolDefinitionError(
                f"tool {tool_name!r} has no docstring",
                hint="say in a docstring what the tool does: models choose tools by their descriptions",
            )
        description, arg_docs = _split_docstring(doc)
        return FunctionTool(
            function,
            name=tool_name,
            description=description,
            args_model=_args_model(function, tool_name, arg_docs),
            timeout_s=timeout_s,
        )

    return build if fn is None else build(fn)


def _args_model(function: Callable[..., Any], tool_name: str, arg_docs: dict[str, str]) -> type[BaseModel]:
    try:
        hints = typing.get_type_hints(function)
    except (NameError, TypeError) as exc:
        raise ToolDefinitionError(
            f"tool {tool_name!r}: cannot resolve its type annotations ({exc})"
        ) from None
    fields: dict[str, Any] = {}
    for param in inspect.signature(function).parameters.values():
        if param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD, param.POSITIONAL_ONLY):
            raise ToolDefinitionError(
                f"tool {tool_name!r}: parameter {param.name!r} must be an ordinary named parameter",
                hint="tools are called with keyword arguments; drop *args, **kwargs and '/'",
            )
        if param.name not in hints:
            raise ToolDefinitionError(
                f"tool {tool_name!r}: parameter {param.name!r} has no type annotation",
                hint="annotate every parameter (e.g. `x: float`) so calls can be validated",
            )
        default = ... if param.default is param.empty else param.default
        fields[param.name] = (hints[param.name], Field(default, description=arg_docs.get(param.name)))
    model_name = "".join(part.capitalize() for part in re.split(r"[_-]", tool_name)) + "Args"
    return create_model(model_name, __config__=ConfigDict(extra="forbid"), **fields)


_SECTION = re.compile(r"^(Args|Arguments|Parameters|Returns|Raises|Examples?|Yields):\s*$")
_ARG_LINE = re.compile(r"^\s+(\w+)(?:\s*\([^)]*\))?\s*:\s*(.*)$")


def _split_docstring(doc: str) -> tuple[str, dict[str, str]]:
    """The description (the text before any section) and each parameter's description from ``Args:``."""
    description: list[str] = []
    args: dict[str, str] = {}
    section: str | None = None
    current: str | None = None
    for line in doc.splitlines():
        if match := _SECTION.match(line.strip()):
            section, current = match.group(1), None
            continue
        if section is None:
            description.append(line)
        elif section in ("Args", "Arguments", "Parameters") and line.strip():
            if (arg := _ARG_LINE.match(line)) and line.startswith(" ") and not line.startswith(" " * 8):
                current = arg.group(1)
                args[current] = arg.group(2).strip()
            elif current is not None:
                args[current] = f"{args[current]} {line.strip()}".strip()
    text = " ".join(" ".join(description).split())
    return text, args
