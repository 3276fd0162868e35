"""Tools from plain typed functions: the way user-defined tools plug in."""

from __future__ import annotations

import pytest

from qsm.agents.tools import Tool, Toolbox, ToolCall, ToolDefinitionError, ToolOutput, tool_from_function


def area(width: float, height: float = 1.0) -> float:
    """Area of a rectangle.

    Args:
        width: the width in metres
        height: the height in metres
            (defaults to one)
    """
    return width * height


def test_args_model_and_description_come_from_signature_and_docstring() -> None:
    tool = tool_from_function(area, timeout_s=3)
    assert isinstance(tool, Tool)
    assert tool.name == "area" and tool.description == "Area of a rectangle." and tool.timeout_s == 3
    schema = tool.args_model.model_json_schema()
    assert schema["required"] == ["width"] and schema["additionalProperties"] is False
    assert schema["properties"]["width"]["description"] == "the width in metres"
    assert schema["properties"]["height"]["description"] == "the height in metres (defaults to one)"
    assert schema["properties"]["height"]["default"] == 1.0
    box = Toolbox([tool])
    assert (
        box.run(box.validate('{"tool": "area", "arguments": {"width": "2.5", "height": 4}}')).output == "10"
    )
    assert box.run(ToolCall(tool="area", arguments={"width": 3})).value == 3.0


def test_decorator_forms() -> None:
    @tool_from_function
    def shout(text: str) -> str:
        """Upper-case the text."""
        return text.upper()

    @tool_from_function(name="is_even", timeout_s=1.0)
    def even(n: int) -> bool:
        """Whether n is even."""
        return n % 2 == 0

    @tool_from_function
    def stats(values: list[float]) -> dict[str, float]:
        """Smallest and largest value."""
        return {"min": min(values), "max": max(values)}

    @tool_from_function
    def exact(n: int) -> ToolOutput:
        """n, spelled out."""
        return ToolOutput(f"the number {n}", n)

    @tool_from_function
    def greet(name: str) -> str:
        """Greet someone by name."""
        return f"hello {name}"

    box = Toolbox([shout, even, stats, exact, greet])
    assert box.validate({"function": "greet", "name": "Ada"}).arguments == {"name": "Ada"}
    assert box.names == ["shout", "is_even", "stats", "exact", "greet"]
    assert box.run(ToolCall(tool="shout", arguments={"text": "hi"})).output == "HI"
    assert box.run(ToolCall(tool="is_even", arguments={"n": 4})).output == "true"
    assert (
        box.run(ToolCall(tool="stats", arguments={"values": [3, 1, 2]})).output == '{"min": 1.0, "max": 3.0}'
    )
    assert box.run(ToolCall(tool="exact", arguments={"n": 7})).output == "the number 7"


def test_unusable_results_become_error_results() -> None:
    @tool_from_function
    def opaque() -> object:
        """Returns something that is not a result."""
        return object()

    @tool_from_function
    def infinite() -> float:
        """Returns infinity."""
        return float("inf")

    box = Toolbox([opaque, infinite])
    assert "returned a object, which is not a result" in box.run(ToolCall(tool="opaque")).error
    assert "not a finite number" in box.run(ToolCall(tool="infinite")).error


def test_badly_defined_functions_are_refused_with_a_clear_error() -> None:
    def undocumented(x: int) -> int:
        return x

    def untyped(x):  # type: ignore[no-untyped-def]
        """Untyped."""
        return x

    def star(*xs: int) -> int:
        """Variadic."""
        return sum(xs)

    with pytest.raises(ToolDefinitionError, match="has no docstring"):
        tool_from_function(undocumented)
    with pytest.raises(ToolDefinitionError, match="parameter 'x' has no type annotation"):
        tool_from_function(untyped)
    with pytest.raises(ToolDefinitionError, match="must be an ordinary named parameter"):
        tool_from_function(star)
    with pytest.raises(ToolDefinitionError, match="is not allowed"):
        tool_from_function(area, name="area of rectangle")
    with pytest.raises(ToolDefinitionError, match="timeout_s must be > 0"):
        tool_from_function(area, timeout_s=0)
