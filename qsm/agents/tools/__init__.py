"""qsm.agents.tools: tools the agents call (calculator, unit conversion, memory search; your functions,
langchain-core tools and MCP servers' tools through :mod:`~qsm.agents.tools.catalog`), the toolbox that
validates and runs calls, grammar-constrained (or native) tool calls from a model and the agent's tool loop
(:mod:`~qsm.agents.tools.loop`), and deterministic front ends that recognise plain arithmetic, conversion
and yes/no resource questions without a model.

Names are imported on first use (:mod:`qsm.lazy`): ``qsm.agents.tools.settings`` loads without the tools."""

from __future__ import annotations

from typing import TYPE_CHECKING

from qsm.lazy import lazy_exports

if TYPE_CHECKING:
    from qsm.agents.messages import ToolCall, ToolResult
    from qsm.agents.tools.arithmetic import parse_arithmetic
    from qsm.agents.tools.base import FunctionTool, Tool, ToolOutput, tool_from_function
    from qsm.agents.tools.builtin import builtin_toolbox
    from qsm.agents.tools.calculator import Calculator, CalculatorArgs, evaluate
    from qsm.agents.tools.capacity import CapacityAsks, CapacityCheck, CapacityQuestion, parse_capacity
    from qsm.agents.tools.comparison import Comparison, parse_comparison
    from qsm.agents.tools.conversion import parse_conversion
    from qsm.agents.tools.converter import ConvertArgs, UnitConverter
    from qsm.agents.tools.errors import ToolCallError, ToolDefinitionError, ToolError
    from qsm.agents.tools.memory import MemorySearch, MemorySearchArgs
    from qsm.agents.tools.numbers import format_number
    from qsm.agents.tools.request import (
        ToolCallAttempt,
        ask_for_tool_call,
        request_tool_call,
        tool_call_messages,
    )
    from qsm.agents.tools.toolbox import Toolbox
    from qsm.agents.tools.units import convert

__all__ = [
    "Calculator",
    "CalculatorArgs",
    "CapacityAsks",
    "CapacityCheck",
    "CapacityQuestion",
    "Comparison",
    "ConvertArgs",
    "FunctionTool",
    "MemorySearch",
    "MemorySearchArgs",
    "Tool",
    "ToolCall",
    "ToolCallAttempt",
    "ToolCallError",
    "ToolDefinitionError",
    "ToolError",
    "ToolOutput",
    "ToolResult",
    "Toolbox",
    "UnitConverter",
    "ask_for_tool_call",
    "builtin_toolbox",
    "convert",
    "evaluate",
    "format_number",
    "parse_arithmetic",
    "parse_capacity",
    "parse_comparison",
    "parse_conversion",
    "request_tool_call",
    "tool_call_messages",
    "tool_from_function",
]

_EXPORTS = {
    "qsm.agents.messages": (
        "ToolCall",
        "ToolResult",
    ),
    "qsm.agents.tools.arithmetic": ("parse_arithmetic",),
    "qsm.agents.tools.base": (
        "FunctionTool",
        "Tool",
        "ToolOutput",
        "tool_from_function",
    ),
    "qsm.agents.tools.builtin": ("builtin_toolbox",),
    "qsm.agents.tools.calculator": (
        "Calculator",
        "CalculatorArgs",
        "evaluate",
    ),
    "qsm.agents.tools.capacity": (
        "CapacityAsks",
        "CapacityCheck",
        "CapacityQuestion",
        "parse_capacity",
    ),
    "qsm.agents.tools.comparison": (
        "Comparison",
        "parse_comparison",
    ),
    "qsm.agents.tools.conversion": ("parse_conversion",),
    "qsm.agents.tools.converter": (
        "ConvertArgs",
        "UnitConverter",
    ),
    "qsm.agents.tools.errors": (
        "ToolCallError",
        "ToolDefinitionError",
        "ToolError",
    ),
    "qsm.agents.tools.memory": (
        "MemorySearch",
        "MemorySearchArgs",
    ),
    "qsm.agents.tools.numbers": ("format_number",),
    "qsm.agents.tools.request": (
        "ToolCallAttempt",
        "ask_for_tool_call",
        "request_tool_call",
        "tool_call_messages",
    ),
    "qsm.agents.tools.toolbox": ("Toolbox",),
    "qsm.agents.tools.units": ("convert",),
}
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
