"""Anything a user hands over as a tool, made a :class:`~qsm.agents.tools.base.Tool`: a plain typed
function with a docstring, a langchain-core tool (``BaseTool``, ``@tool``; langchain-core is imported
only when such a tool is given), or an object that already is a tool. Also the argument model of a tool
that comes with a JSON schema instead of a pydantic model (MCP tools, langchain tools built on a dict)."""

from __future__ import annotations

import re
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field, create_model

from qsm.agents.tools.base import ToolOutput, as_output, check_tool_name, tool_from_function
from qsm.agents.tools.errors import ToolDefinitionError, ToolError

__all__ = ["LangChainTool", "as_tool", "schema_args_model", "tool_reference"]

_JSON_TYPES: dict[str, Any] = {
    "string": str,
    "integer": int,
    "number": float,
    "boolean": bool,
    "array": list[Any],
    "object": dict[str, Any],
}


class _SchemaArgs(BaseModel):
    """Arguments described by a JSON schema: fields typed from its top-level properties, and the schema
    itself (not pydantic's rendering of the fields) as what the model is constrained by."""

    model_config = ConfigDict(extra="forbid")
    json_schema: ClassVar[dict[str, Any]] = {}

    @classmethod
    def model_json_schema(cls, *args: Any, **kwargs: Any) -> dict[str, Any]:
        return dict(cls.json_schema)


def schema_args_model(name: str, schema: dict[str, Any]) -> type[BaseModel]:
    """A pydantic model for a tool whose arguments are the JSON object ``schema``."""
    properties = schema.get("properties") or {}
    if schema.get("type", "object") != "object" or not isinstance(properties, dict):
        raise ToolDefinitionError(f"tool {name!r}: its argument schema is not a JSON object schema")
    required = set(schema.get("required") or [])
    fields: dict[str, Any] = {}
    for key, prop in properties.items():
        kind = prop.get("type") if isinstance(prop, dict) else None
        annotation = _JSON_TYPES.get(kind, Any) if isinstance(kind, str) else Any
        description = prop.get("description") if isinstance(prop, dict) else None
        if key in required:
            fields[key] = (annotation, Field(..., description=description))
        else:
            fields[key] = (annotation | None, Field(None, description=description))
    model_name = "".join(part.capitalize() for part in re.split(r"[^A-Za-z0-9]", name) if part) + "Args"
    model = create_model(model_name, __base__=_SchemaArgs, **fields)
    model.json_schema = {
        "type": "object",
        "properties": properties,
        **({"required": sorted(required)} if required else {}),
    }
    return model


class LangChainTool:
    """A langchain-core tool (``BaseTool``, or what ``@tool`` makes) as a qsm tool: its name,
    description and argument schema as they are; a run is ``tool.invoke(arguments)``."""

    def __init__(self, tool: Any, *, timeout_s: float) -> None:
        self.tool = tool
        self.name = check_tool_name(str(tool.name))
        self.description = str(tool.description or tool.name)
        self.timeout_s = timeout_s
        schema = tool.tool_call_schema
        if isinstance(schema, type) and issubclass(schema, BaseModel):
            self.args_model: type[BaseModel] = schema
        elif isinstance(schema, dict):
            self.args_model = schema_args_model(self.name, schema)
        else:
            raise ToolDefinitionError(
                f"langchain tool {self.name!r}: its argument schema is a {type(schema).__name__}",
                hint="give the tool a pydantic (v2) args_schema",
            )

    def __repr__(self) -> str:
        return f"LangChainTool({self.name!r})"

    def run(self, args: BaseModel) -> ToolOutput:
        result = self.tool.invoke(args.model_dump(exclude_none=True))
        content = getattr(result, "content", result)  # a ToolMessage, when the tool returns one
        if getattr(result, "status", "success") == "error":
            raise ToolError(str(content))
        return as_output(content)


def as_tool(obj: Any, *, timeout_s: float = 10.0) -> Any:
    """``obj`` as a tool: a tool as it is, a langchain-core tool wrapped, a function described by its
    signature and docstring. Anything else is refused with :class:`ToolDefinitionError`."""
    if _is_langchain_tool(obj):
        return LangChainTool(obj, timeout_s=timeout_s)
    if all(hasattr(obj, a) for a in ("name", "description", "args_model", "timeout_s", "run")):
        return obj
    if callable(obj) and hasattr(obj, "__name__"):
        return tool_from_function(obj, timeout_s=timeout_s)
    raise ToolDefinitionError(
        f"{obj!r} is not a tool",
        hint="give a typed function with a docstring, a langchain-core tool, or a qsm Tool",
    )


def _is_langchain_tool(obj: Any) -> bool:
    if not any(cls.__module__.startswith("langchain") for cls in type(obj).__mro__):
        return False
    from langchain_core.tools import BaseTool  # lazily: only when a langchain tool is given

    return isinstance(obj, BaseTool)


def tool_reference(obj: Any) -> str:
    """What a spec says for a tool given in Python: an import path ``module:qualname`` for a function
    (or a langchain tool made from one), its name otherwise; a string as it is."""
    if isinstance(obj, str):
        return obj
    function = getattr(obj, "func", None) or getattr(obj, "fn", None) or obj
    module, qualname = getattr(function, "__module__", None), getattr(function, "__qualname__", None)
    if module and qualname and "<" not in qualname:
        return f"{module}:{qualname}"
    return f"python:{getattr(obj, 'name', type(obj).__name__)}"
