"""The toolbox: call schema, repairing validation of malformed calls, runs that never raise."""

from __future__ import annotations

import threading
import time
from typing import Any, ClassVar

import pytest
from pydantic import BaseModel

from qsm.agents.messages import MESSAGE_TYPES
from qsm.agents.tools import (
    Calculator,
    Toolbox,
    ToolCall,
    ToolCallError,
    ToolDefinitionError,
    ToolError,
    ToolOutput,
    ToolResult,
    UnitConverter,
    builtin_toolbox,
    tool_from_function,
)


@pytest.fixture
def toolbox() -> Toolbox:
    return builtin_toolbox()


def test_call_schema_has_one_branch_per_tool_with_the_name_first(toolbox: Toolbox) -> None:
    schema = toolbox.call_schema()
    branches = schema["anyOf"]
    assert [b["properties"]["tool"]["const"] for b in branches] == ["calculator", "convert_units"]
    for branch, tool in zip(branches, toolbox, strict=True):
        assert list(branch["properties"]) == ["tool", "arguments"]
        assert branch["required"] == ["tool", "arguments"] and branch["additionalProperties"] is False
        assert branch["properties"]["arguments"]["properties"].keys() == tool.args_model.model_fields.keys()
    single = Toolbox([Calculator()]).call_schema()
    assert "anyOf" not in single and single["properties"]["tool"]["const"] == "calculator"


class Point(BaseModel):
    x: float
    y: float


def test_nested_argument_models_are_inlined() -> None:
    def distance(a: Point, b: Point) -> float:
        """Distance between two points."""
        return ((a.x - b.x) ** 2 + (a.y - b.y) ** 2) ** 0.5

    box = Toolbox([tool_from_function(distance)])
    schema = box.call_schema()
    assert "$ref" not in str(schema) and "$defs" not in str(schema)
    call = box.validate({"tool": "distance", "arguments": {"a": {"x": 0, "y": 0}, "b": {"x": 3, "y": 4}}})
    assert box.run(call).output == "5"


@pytest.mark.parametrize(
    ("raw", "tool", "arguments"),
    [
        (
            '{"tool": "calculator", "arguments": {"expression": "17 + 25"}}',
            "calculator",
            {"expression": "17 + 25"},
        ),
        (
            'Sure! ```json\n{"tool": "calculator", "arguments": {"expression": "1+1"}}\n```',
            "calculator",
            None,
        ),
        ('{"tool": "calculator", "arguments": {"expression": "2*3"},}', "calculator", {"expression": "2*3"}),
        ('{"tool": "calculator", "arguments": {"expression": "2*3', "calculator", {"expression": "2*3"}),
        ({"tool": "Calculator", "arguments": {"expression": "1"}}, "calculator", None),
        (
            {"tool": "CONVERT UNITS", "arguments": {"value": 1, "from_unit": "km", "to_unit": "m"}},
            "convert_units",
            None,
        ),
        (
            {"tool": "convert-units", "arguments": {"value": 1, "from_unit": "km", "to_unit": "m"}},
            "convert_units",
            None,
        ),
        ({"tool": "calc", "arguments": {"expression": "1"}}, "calculator", None),
        ({"name": "calculator", "arguments": {"expression": "1"}}, "calculator", None),
        ({"function": "calculator", "args": {"expression": "1"}}, "calculator", None),
        ({"action": "calculator", "action_input": {"expression": "1"}}, "calculator", None),
        ({"type": "calculator", "expression": "9 - 2"}, "calculator", {"expression": "9 - 2"}),
        ({"tool": "calculator", "expression": "9 - 2"}, "calculator", {"expression": "9 - 2"}),
        ({"calculator": {"expression": "3 * 3"}}, "calculator", {"expression": "3 * 3"}),
        ({"tool": "calculator", "arguments": "17 + 25"}, "calculator", {"expression": "17 + 25"}),
        ({"name": "calculator", "arguments": '{"expression": "4/2"}'}, "calculator", {"expression": "4/2"}),
        ({"function": {"name": "calculator", "arguments": '{"expression": "5"}'}}, "calculator", None),
        (
            {"tool_calls": [{"function": {"name": "calculator", "arguments": {"expression": "6"}}}]},
            "calculator",
            None,
        ),
        ([{"tool": "calculator", "arguments": {"expression": "7"}}], "calculator", None),
        ({"tool": "calculator", "arguments": {"Expression": "8"}}, "calculator", {"expression": "8"}),
        (
            {"tool": "calculator", "arguments": {"expression": "8", "precision": 3}},
            "calculator",
            {"expression": "8"},
        ),
        ({"tool": "calculator", "arguments": {"expression": 17}}, "calculator", {"expression": "17"}),
        (
            {"tool": "convert_units", "arguments": {"value": "3.5", "from_unit": "m", "to_unit": "cm"}},
            "convert_units",
            {"value": 3.5, "from_unit": "m", "to_unit": "cm"},
        ),
    ],
)
def test_malformed_calls_are_repaired(toolbox: Toolbox, raw: Any, tool: str, arguments: dict | None) -> None:
    call = toolbox.validate(raw, caller="WeQ")
    assert isinstance(call, ToolCall) and call.tool == tool and call.caller == "WeQ"
    if arguments is not None:
        assert call.arguments == arguments
    assert toolbox[tool].args_model.model_validate(call.arguments)


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("I think the answer is 42.", "no JSON object in the tool call"),
        ("", "no JSON object"),
        ("[1, 2, 3]", "must be a JSON object, not list"),
        ('"calculator"', "must be a JSON object, not str"),
        ({"tool": "weather", "arguments": {"city": "Paris"}}, "there is no tool named 'weather'"),
        ({"tool": "c", "arguments": {}}, "there is no tool named 'c'"),
        ({"arguments": {"expression": "1"}}, "does not say which tool"),
        ({}, "does not say which tool"),
        (
            {"tool": "calculator", "arguments": {}},
            "calculator: the arguments do not fit: expression: Field required",
        ),
        ({"tool": "calculator"}, "expression: Field required"),
        ({"tool": "calculator", "arguments": [1, 2]}, "arguments must be a JSON object, not list"),
        (
            {"tool": "calculator", "arguments": {"expression": ""}},
            "expression: String should have at least 1",
        ),
        (
            {"tool": "convert_units", "arguments": {"value": "lots", "from_unit": "m", "to_unit": "cm"}},
            "value: Input should be a valid number",
        ),
        ({"tool": "convert_units", "arguments": {"value": 1, "from_unit": "m"}}, "to_unit: Field required"),
        ({"tool": "convert_units", "arguments": "3 metres"}, "arguments must be a JSON object, not str"),
    ],
)
def test_unrepairable_calls_are_refused_with_a_clear_error(toolbox: Toolbox, raw: Any, message: str) -> None:
    with pytest.raises(ToolCallError) as info:
        toolbox.validate(raw)
    assert message in info.value.message
    assert info.value.hint


def test_messages_are_channel_types() -> None:
    assert MESSAGE_TYPES["ToolCall"] is ToolCall and MESSAGE_TYPES["ToolResult"] is ToolResult
    assert ToolCall.kind == "toolcall" and ToolResult.kind == "toolresult"
    with pytest.raises(ValueError, match="finite"):
        ToolResult(tool="calculator", ok=True, value=float("inf"))


def test_run_returns_output_and_value(toolbox: Toolbox) -> None:
    result = toolbox.run(ToolCall(tool="calculator", arguments={"expression": "17 + 25"}))
    assert result == ToolResult(tool="calculator", ok=True, output="42", value=42.0)
    refused = toolbox.run(ToolCall(tool="calculator", arguments={"expression": "__import__('os')"}))
    assert not refused.ok and "function calls are not allowed" in refused.error and refused.output == ""


class _Tool:
    """A test tool whose run is given."""

    args_model: ClassVar[type[BaseModel]]
    description = "test tool"

    def __init__(self, name: str, run: Any, timeout_s: float = 1.0) -> None:
        self.name = name
        self._run = run
        self.timeout_s = timeout_s

    def run(self, args: BaseModel) -> Any:
        return self._run(args)


class _NoArgs(BaseModel):
    pass


_Tool.args_model = _NoArgs


def _boom(_: BaseModel) -> ToolOutput:
    raise RuntimeError("disk on fire")


def _refuse(_: BaseModel) -> ToolOutput:
    raise ToolError("that input makes no sense", hint="try another")


def _exit(_: BaseModel) -> ToolOutput:
    raise SystemExit(3)


def test_failing_hanging_and_junk_tools_become_error_results() -> None:
    release = threading.Event()
    box = Toolbox(
        [
            _Tool("raises", _boom),
            _Tool("refuses", _refuse),
            _Tool("exits", _exit),
            _Tool("hangs", lambda _: release.wait(30), timeout_s=0.2),
            _Tool("junk", lambda _: {"answer": 42}),
            _Tool("none", lambda _: None),
            _Tool("badtext", lambda _: ToolOutput(text=42)),  # type: ignore[arg-type]
            _Tool("nan", lambda _: ToolOutput("nan", float("nan"))),
            _Tool("long", lambda _: ToolOutput("x" * 5000, "not a number")),
        ]
    )
    results = {name: box.run(ToolCall(tool=name)) for name in box.names}
    release.set()
    assert results["raises"].error == "raises failed: RuntimeError: disk on fire"
    assert results["refuses"].error == "refuses: that input makes no sense (try another)"
    assert results["exits"].error == "exits failed: SystemExit: 3"
    assert results["hangs"].error == "hangs did not finish within 0.2 s"
    assert "returned dict instead of a ToolOutput" in results["junk"].error
    assert "returned NoneType instead of a ToolOutput" in results["none"].error
    assert "returned ToolOutput instead of a ToolOutput with text" in results["badtext"].error
    for name in ("raises", "refuses", "exits", "hangs", "junk", "none", "badtext"):
        assert results[name].ok is False and results[name].tool == name and results[name].output == ""
    assert results["nan"].ok and results["nan"].value is None  # a non-finite value is dropped, not sent
    assert (
        results["long"].ok and len(results["long"].output) < 2100 and "cut at 2000" in results["long"].output
    )
    assert results["long"].value is None


def test_hanging_tool_does_not_hold_up_the_caller() -> None:
    release = threading.Event()
    box = Toolbox([_Tool("hangs", lambda _: release.wait(30), timeout_s=0.1)])
    started = time.monotonic()
    result = box.run(ToolCall(tool="hangs"))
    release.set()
    assert not result.ok and time.monotonic() - started < 2


def test_unknown_tool_and_bad_arguments_in_run_are_results(toolbox: Toolbox) -> None:
    unknown = toolbox.run(ToolCall(tool="weather"))
    assert not unknown.ok and "no tool named 'weather'" in unknown.error and "calculator" in unknown.error
    bad = toolbox.run(ToolCall(tool="convert_units", arguments={"value": "x"}))
    assert not bad.ok and "value: Input should be a valid number" in bad.error
    incompatible = toolbox.run(
        ToolCall(tool="convert_units", arguments={"value": 1, "from_unit": "kg", "to_unit": "m"})
    )
    assert not incompatible.ok and "cannot convert kg (mass) to m (length)" in incompatible.error


def test_duplicate_and_malformed_tools_are_refused() -> None:
    box = Toolbox([Calculator()])
    with pytest.raises(ToolDefinitionError, match="two tools are named"):
        box.add(Calculator())
    with pytest.raises(ToolDefinitionError, match="is not a tool"):
        box.add(object())  # type: ignore[arg-type]
    with pytest.raises(ToolDefinitionError, match="not allowed"):
        box.add(_Tool("bad name!", _boom))
    with pytest.raises(ToolDefinitionError, match="empty"):
        Toolbox().call_schema()
    assert len(box) == 1 and "calculator" in box and box.names == ["calculator"]


def test_describe_and_openai_tools(toolbox: Toolbox) -> None:
    lines = toolbox.describe().splitlines()
    assert lines[0].startswith("- calculator(expression: string): Evaluate")
    assert lines[1].startswith("- convert_units(value: number, from_unit: string, to_unit: string)")
    native = toolbox.openai_tools()
    assert [t["function"]["name"] for t in native] == ["calculator", "convert_units"]
    assert native[0]["type"] == "function" and native[0]["function"]["parameters"]["required"] == [
        "expression"
    ]
    assert UnitConverter.name in toolbox


def test_call_schema_compiles_to_a_llama_cpp_grammar() -> None:
    import json

    from qsm.store.fake import FakeMemoryStore

    llama_grammar = pytest.importorskip("llama_cpp.llama_grammar")
    toolbox = builtin_toolbox(FakeMemoryStore())
    toolbox.add(tool_from_function(_scale, name="scale"))
    gbnf = llama_grammar.json_schema_to_gbnf(json.dumps(toolbox.call_schema()))
    assert '"\\"calculator\\""' in gbnf and '"\\"memory_search\\""' in gbnf and '"\\"scale\\""' in gbnf
    assert "[-(0-9] [-+*/%^(). 0-9]*" in gbnf  # expression: arithmetic characters only
    llama_grammar.LlamaGrammar.from_json_schema(json.dumps(toolbox.call_schema()), verbose=False)


def _scale(values: list[float], factor: float = 2.0) -> list[float]:
    """Multiply every value by a factor."""
    return [v * factor for v in values]


def test_schema_patterns_guide_decoding_but_validation_stays_lenient(toolbox: Toolbox) -> None:
    call = toolbox.validate({"tool": "calculator", "arguments": {"expression": "sqrt(2)"}})
    result = toolbox.run(call)
    assert not result.ok and "function calls are not allowed" in result.error
