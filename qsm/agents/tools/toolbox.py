"""The toolbox: the tools an agent may call, the JSON schema of one call, repair and validation of calls
as models write them, and running a call so that nothing a tool does can break the run."""

from __future__ import annotations

import json
import math
import queue
import threading
from collections.abc import Iterable, Iterator
from typing import Any, Literal

from pydantic import BaseModel, ValidationError

from qsm.agents.messages import ToolCall, ToolResult
from qsm.agents.structured import extract_json, repair_to_schema, schema_of
from qsm.agents.tools.base import Tool, ToolOutput, check_tool_name
from qsm.agents.tools.errors import ToolCallError, ToolDefinitionError, ToolError
from qsm.errors import QsmError

__all__ = ["MAX_OUTPUT_CHARS", "Toolbox"]

MAX_OUTPUT_CHARS = 2000
# where models put the tool's name and its arguments, in the order they are looked for
_NAME_KEYS = ("tool", "name", "tool_name", "function", "function_name", "action", "call", "use")
_ARGUMENT_KEYS = ("arguments", "args", "parameters", "params", "input", "inputs", "action_input", "kwargs")
_WRAPPER_KEYS = ("tool_call", "function_call", "call", "function", "tool")
_WAIT_FOR_THREAD_S = 0.05


class Toolbox:
    """An ordered name → :class:`Tool` registry."""

    def __init__(
        self,
        tools: Iterable[Tool] = (),
        *,
        max_output_chars: int = MAX_OUTPUT_CHARS,
        oversize: Literal["cut", "error"] = "cut",
    ) -> None:
        """``max_output_chars`` bounds a result's text: a longer one is cut there (``oversize="cut"``) or
        is an error result (``"error"``: what user tools get, so a flood never reaches the model)."""
        self._tools: dict[str, Tool] = {}
        self.max_output_chars = max_output_chars
        self.oversize = oversize
        for tool in tools:
            self.add(tool)

    def add(self, tool: Tool) -> None:
        """Register ``tool``; a second tool with the same name (any case) is refused."""
        missing = [
            a for a in ("name", "description", "args_model", "timeout_s", "run") if not hasattr(tool, a)
        ]
        if missing:
            raise ToolDefinitionError(f"{tool!r} is not a tool: it has no {', '.join(missing)}")
        check_tool_name(tool.name)
        if not (isinstance(tool.args_model, type) and issubclass(tool.args_model, BaseModel)):
            raise ToolDefinitionError(f"tool {tool.name!r}: args_model must be a pydantic model class")
        if any(_canonical(name) == _canonical(tool.name) for name in self._tools):
            raise ToolDefinitionError(
                f"two tools are named {tool.name!r}", hint="give each tool its own name"
            )
        self._tools[tool.name] = tool

    def __getitem__(self, name: str) -> Tool:
        return self._tools[name]

    def __contains__(self, name: object) -> bool:
        return name in self._tools

    def __iter__(self) -> Iterator[Tool]:
        return iter(self._tools.values())

    def __len__(self) -> int:
        return len(self._tools)

    def __repr__(self) -> str:
        return f"Toolbox({list(self._tools)})"

    @property
    def names(self) -> list[str]:
        return list(self._tools)

    # -- what the model sees -----------------------------------------------------------------------
    def args_schema(self, name: str) -> dict[str, Any]:
        """Tool ``name``'s argument schema with every ``$ref`` inlined (so it can sit inside another)."""
        schema = schema_of(self._tools[name].args_model)
        defs = schema.pop("$defs", {})
        return _inline_refs(schema, defs, name, ())

    def call_schema(self) -> dict[str, Any]:
        """The JSON schema of one call: ``{"tool": <name>, "arguments": <that tool's arguments>}``, one
        ``anyOf`` branch per tool (``tool`` first, so a constrained model picks the tool before it writes
        the arguments)."""
        if not self._tools:
            raise ToolDefinitionError("the toolbox is empty", hint="add at least one tool")
        branches = [
            {
                "type": "object",
                "properties": {
                    "tool": {"type": "string", "const": name},
                    "arguments": self.args_schema(name),
                },
                "required": ["tool", "arguments"],
                "additionalProperties": False,
            }
            for name in self._tools
        ]
        return branches[0] if len(branches) == 1 else {"anyOf": branches}

    def openai_tools(self) -> list[dict[str, Any]]:
        """The tools in the OpenAI ``tools`` request format (native tool calls)."""
        return [
            {
                "type": "function",
                "function": {
                    "name": tool.name,
                    "description": tool.description,
                    "parameters": self.args_schema(tool.name),
                },
            }
            for tool in self
        ]

    def describe(self) -> str:
        """One line per tool for a prompt: ``- calculator(expression: string): Evaluate ...``."""
        lines = []
        for tool in self:
            props = self.args_schema(tool.name).get("properties", {})
            params = ", ".join(f"{key}: {_type_name(value)}" for key, value in props.items())
            lines.append(f"- {tool.name}({params}): {tool.description}")
        return "\n".join(lines)

    # -- validation --------------------------------------------------------------------------------
    def validate(self, raw: dict[str, Any] | str, *, caller: str = "") -> ToolCall:
        """A valid :class:`ToolCall` from what a model wrote: a JSON object (also inside prose or code
        fences, truncated, with trailing commas), OpenAI's ``{"name", "arguments": "<json>"}`` and
        ``{"function": {...}}`` shapes, the tool's name under another key, in another case, or as the
        only key, arguments given flat beside the name or as a bare value for a one-field tool, argument
        values nudged to the schema. Raises :class:`ToolCallError` saying what is wrong otherwise."""
        data = self._as_object(raw)
        name, arguments = self._split_call(data)
        tool = self._find(name)
        if tool is None:
            raise ToolCallError(
                f"there is no tool named {name!r}",
                hint=f"call one of: {', '.join(self._tools)}",
            )
        args = self._validate_arguments(tool, arguments)
        return ToolCall(tool=tool.name, arguments=args.model_dump(mode="json"), caller=caller)

    def _as_object(self, raw: dict[str, Any] | str) -> dict[str, Any]:
        if isinstance(raw, str):
            data, _ = extract_json(raw)
            if data is None:
                raise ToolCallError(
                    f"no JSON object in the tool call {raw.strip()[:120]!r}",
                    hint='reply with one JSON object: {"tool": "<name>", "arguments": {...}}',
                )
        else:
            data = raw
        if isinstance(data, list) and len(data) >= 1 and isinstance(data[0], dict):
            data = data[0]  # a list of calls: the first one is run
        if not isinstance(data, dict):
            raise ToolCallError(
                f"a tool call must be a JSON object, not {type(data).__name__}",
                hint='reply with {"tool": "<name>", "arguments": {...}}',
            )
        return data

    def _split_call(self, data: dict[str, Any]) -> tuple[str, Any]:
        """The tool name and the raw arguments in ``data``."""
        lowered = {str(k).strip().lower(): v for k, v in data.items()}
        calls = lowered.get("tool_calls")
        if isinstance(calls, list) and calls and isinstance(calls[0], dict):  # OpenAI's message shape
            return self._split_call(calls[0])
        for key in _WRAPPER_KEYS:  # {"function": {"name": ..., "arguments": ...}}
            inner = lowered.get(key)
            if isinstance(inner, dict) and any(k in inner for k in (*_NAME_KEYS, *_ARGUMENT_KEYS)):
                return self._split_call(inner)
        named_keys = [k for k in _NAME_KEYS if isinstance(lowered.get(k), str)]
        name_key = next(
            (k for k in named_keys if self._find(lowered[k])), named_keys[0] if named_keys else None
        )
        if name_key is None:  # a tool's name as any string value, or as the only key
            name_key = next((k for k, v in lowered.items() if isinstance(v, str) and self._find(v)), None)
        if name_key is None:
            named = [k for k in lowered if self._find(k) is not None]
            if len(named) == 1:
                return named[0], lowered[named[0]]
            if len(self._tools) == 1 and not lowered.keys() & {*_NAME_KEYS, *_ARGUMENT_KEYS}:
                return next(iter(self._tools)), lowered  # the only tool, its arguments given bare
            raise ToolCallError(
                f"the tool call does not say which tool to use: {json.dumps(data)[:160]}",
                hint=f'put the tool\'s name under "tool" (one of: {", ".join(self._tools)})',
            )
        name = lowered[name_key]
        argument_key = next((k for k in _ARGUMENT_KEYS if k in lowered), None)
        if argument_key is not None:
            return name, lowered[argument_key]
        return name, {k: v for k, v in data.items() if str(k).strip().lower() != name_key}

    def _find(self, name: str) -> Tool | None:
        if name in self._tools:
            return self._tools[name]
        wanted = _canonical(name)
        same = [t for n, t in self._tools.items() if _canonical(n) == wanted]
        if not same and len(wanted) >= 4:  # "calc" for calculator, when only one tool starts so
            same = [t for n, t in self._tools.items() if _canonical(n).startswith(wanted)]
        return same[0] if len(same) == 1 else None

    def _validate_arguments(self, tool: Tool, arguments: Any) -> BaseModel:
        if isinstance(arguments, str):
            parsed, _ = extract_json(arguments)
            arguments = parsed if isinstance(parsed, dict) else arguments
        if arguments is None:
            arguments = {}
        schema = self.args_schema(tool.name)
        fields = list(schema.get("properties", {}))
        required = schema.get("required", [])
        if not isinstance(arguments, dict):
            if (
                len(required) == 1
                and isinstance(arguments, str | int | float)
                and not isinstance(arguments, bool)
            ):
                arguments = {required[0]: arguments}  # {"tool": "calculator", "arguments": "17 + 25"}
            else:
                raise ToolCallError(
                    f"{tool.name}: arguments must be a JSON object, not {type(arguments).__name__}",
                    hint=f"give {tool.name} an object with {', '.join(fields) or 'no'} fields",
                )
        by_lower = {f.lower(): f for f in fields}
        arguments = {by_lower.get(str(k).strip().lower(), k): v for k, v in arguments.items()}
        try:
            return tool.args_model.model_validate(arguments)
        except ValidationError:
            pass
        try:
            return tool.args_model.model_validate(repair_to_schema(arguments, schema))
        except ValidationError as exc:
            raise ToolCallError(
                f"{tool.name}: the arguments do not fit: {_first_error(exc)}",
                hint=f"{tool.name} takes {json.dumps(schema.get('properties', {}))[:300]}",
            ) from None

    # -- running -----------------------------------------------------------------------------------
    def run(self, call: ToolCall) -> ToolResult:
        """Run ``call`` with its tool's time limit, in a worker thread. Never raises: an unknown tool,
        arguments that do not fit, a tool that raises, runs past its limit or returns something other
        than a :class:`ToolOutput` each give ``ToolResult(ok=False, error=...)``. A tool that overruns
        is left to finish on its (daemon) thread; its result is dropped."""
        tool = self._find(call.tool)
        if tool is None:
            return _failed(
                call.tool, f"there is no tool named {call.tool!r} (tools: {', '.join(self._tools)})"
            )
        try:
            args = tool.args_model.model_validate(call.arguments)
        except ValidationError as exc:
            return _failed(tool.name, f"{tool.name}: the arguments do not fit: {_first_error(exc)}")
        outcome: queue.SimpleQueue[tuple[bool, Any]] = queue.SimpleQueue()

        def work() -> None:
            try:
                outcome.put((True, tool.run(args)))
            except BaseException as exc:  # a tool's failure is a result, whatever it is
                outcome.put((False, exc))

        worker = threading.Thread(target=work, name=f"tool-{tool.name}", daemon=True)
        worker.start()
        limit = float(tool.timeout_s)
        try:
            ok, result = outcome.get(timeout=limit if math.isfinite(limit) and limit > 0 else None)
        except queue.Empty:
            return _failed(tool.name, f"{tool.name} did not finish within {limit:g} s")
        worker.join(_WAIT_FOR_THREAD_S)
        if not ok:
            return _failed(tool.name, _describe_failure(tool.name, result))
        return self._result(tool.name, result)

    def _result(self, name: str, output: Any) -> ToolResult:
        if not isinstance(output, ToolOutput) or not isinstance(output.text, str):
            return _failed(
                name,
                f"{name} returned {type(output).__name__} instead of a ToolOutput with text; its result "
                "was dropped",
            )
        text = output.text
        if len(text) > self.max_output_chars and self.oversize == "error":
            return _failed(
                name,
                f"{name} returned {len(text)} characters, more than the {self.max_output_chars} a result may "
                "have; its result was dropped",
            )
        if len(text) > self.max_output_chars:
            text = text[: self.max_output_chars] + f"… (cut at {self.max_output_chars} characters)"
        return ToolResult(tool=name, ok=True, output=text, value=_number(output.value))


def _failed(name: str, error: str) -> ToolResult:
    return ToolResult(tool=name, ok=False, error=error)


def _describe_failure(name: str, exc: BaseException) -> str:
    if isinstance(exc, ToolError):
        return f"{name}: {exc.message}" + (f" ({exc.hint})" if exc.hint else "")
    if isinstance(exc, QsmError):
        return f"{name} failed: {exc.message}"
    return f"{name} failed: {type(exc).__name__}: {str(exc)[:300]}"


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    try:
        number = float(value)
    except OverflowError:
        return None
    return number if math.isfinite(number) else None


def _canonical(name: str) -> str:
    return "".join(ch for ch in name.strip().lower() if ch.isalnum())


def _first_error(exc: ValidationError) -> str:
    parts = []
    for err in exc.errors()[:3]:
        where = ".".join(map(str, err["loc"])) or "arguments"
        parts.append(f"{where}: {err['msg']}")
    return "; ".join(parts)


def _type_name(schema: dict[str, Any]) -> str:
    if "type" in schema:
        return str(schema["type"])
    options = [_type_name(o) for o in schema.get("anyOf", [])]
    return " | ".join(options) if options else "any"


def _inline_refs(schema: Any, defs: dict[str, Any], tool: str, seen: tuple[str, ...]) -> Any:
    if isinstance(schema, list):
        return [_inline_refs(item, defs, tool, seen) for item in schema]
    if not isinstance(schema, dict):
        return schema
    if "$ref" in schema:
        name = str(schema["$ref"]).rsplit("/", 1)[-1]
        if name in seen:
            raise ToolDefinitionError(
                f"tool {tool!r}: its arguments are recursive ({name} contains itself)",
                hint="use flat arguments: strings, numbers, lists and non-recursive objects",
            )
        if name not in defs:
            raise ToolDefinitionError(f"tool {tool!r}: its argument schema refers to an unknown {name!r}")
        return _inline_refs(defs[name], defs, tool, (*seen, name))
    return {key: _inline_refs(value, defs, tool, seen) for key, value in schema.items()}
