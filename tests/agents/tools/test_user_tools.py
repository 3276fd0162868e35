"""User tools: functions and langchain-core tools as tools, import paths only from allowed modules, and
the tool loop (grammar-constrained and native) with its bounds."""

from __future__ import annotations

import json
import sys
from dataclasses import replace
from typing import Any

import pytest

from qsm.agents import FakeChatModel
from qsm.agents.backend import Completion, ModelRequest
from qsm.agents.settings import Sampling
from qsm.agents.tools import Toolbox, ToolCall
from qsm.agents.tools.adapters import LangChainTool, as_tool, tool_reference
from qsm.agents.tools.catalog import ToolCatalog
from qsm.agents.tools.loop import run_tool_loop, step_schema
from qsm.agents.tools.settings import McpServerSettings, ToolSettings
from qsm.errors import SpecError
from tests.agents.tools import user_tools

FORBIDDEN = "tests.agents.tools.forbidden_tools"


def weather(city: str, unit: str = "C") -> str:
    """Today's weather in a city.

    Args:
        city: the city's name.
        unit: C or F.
    """
    return f"sunny in {city}, 20 {unit}"


def test_a_function_becomes_a_tool_with_its_schema_from_the_signature() -> None:
    tool = as_tool(weather)
    box = Toolbox([tool])
    schema = box.args_schema("weather")
    assert tool.description == "Today's weather in a city."
    assert schema["required"] == ["city"] and schema["properties"]["unit"]["default"] == "C"
    assert schema["properties"]["city"]["description"] == "the city's name."
    assert box.run(ToolCall(tool="weather", arguments={"city": "Oslo"})).output == "sunny in Oslo, 20 C"


def test_langchain_tools_are_accepted_as_they_are() -> None:
    from langchain_core.tools import BaseTool, tool

    @tool
    def multiply(a: int, b: int) -> int:
        """Multiply two numbers."""
        return a * b

    class Echo(BaseTool):
        name: str = "echo"
        description: str = "Echo the text."

        def _run(self, text: str) -> str:
            return text

    box = Toolbox([as_tool(multiply), as_tool(Echo())])
    assert (
        isinstance(box["multiply"], LangChainTool) and box["multiply"].description == "Multiply two numbers."
    )
    assert box.args_schema("multiply")["required"] == ["a", "b"]
    assert box.run(ToolCall(tool="multiply", arguments={"a": 6, "b": 7})).output == "42"
    assert box.run(ToolCall(tool="echo", arguments={"text": "hi"})).output == "hi"
    assert tool_reference(weather) == f"{__name__}:weather"


def test_a_module_that_is_not_allowed_is_refused_before_anything_is_imported() -> None:
    sys.modules.pop(FORBIDDEN, None)
    catalog = ToolCatalog(ToolSettings(allowed_modules=["tests.agents.tools.user_tools"]))
    with pytest.raises(SpecError) as err:
        catalog.toolbox(["tests.agents.tools.user_tools:shout", f"{FORBIDDEN}:secret"])
    assert FORBIDDEN in err.value.message and "not allow" in err.value.message
    assert "allowed_modules" in err.value.hint
    assert FORBIDDEN not in sys.modules
    with pytest.raises(SpecError, match="not an import path"):
        catalog.check(["os.system"])


def test_an_allowed_module_and_the_settings_tools_per_agent() -> None:
    settings = ToolSettings(
        allowed_modules=["tests.agents.tools"], agents={"writer": ["tests.agents.tools.user_tools:shout"]}
    )
    catalog = ToolCatalog(settings)
    refs = catalog.refs_for("Writer", [weather])
    box = catalog.toolbox(refs)
    assert box is not None and box.names == ["weather", "shout"]
    assert box.run(ToolCall(tool="shout", arguments={"text": "hey"})).output == "HEY"
    assert catalog.refs_for("other") == []


def test_mcp_references_need_a_declared_server_and_spec_commands_must_be_allowed() -> None:
    catalog = ToolCatalog(ToolSettings())
    with pytest.raises(SpecError, match="no MCP server named 'weather'"):
        catalog.check(["mcp:weather"])
    spec_servers = {"weather": McpServerSettings(command="/usr/bin/evil", args=["--serve"])}
    with pytest.raises(SpecError, match="which the settings do not allow"):
        catalog.check(["mcp:weather"], spec_servers)
    ToolCatalog(ToolSettings(allowed_commands=["evil"])).check(["mcp:weather"], spec_servers)
    with pytest.raises(ValueError, match="either command"):
        McpServerSettings(command="x", url="http://127.0.0.1:1/mcp")


def _toolbox(*tools: Any) -> Toolbox:
    return Toolbox([as_tool(t, timeout_s=0.3) for t in tools], max_output_chars=1000, oversize="error")


def _loop(model: Any, box: Toolbox, **kwargs: Any) -> Any:
    messages = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "go"}]
    return run_tool_loop(model, messages, box, sampling=Sampling(), **kwargs)  # type: ignore[arg-type]


def call(tool: str, **arguments: Any) -> str:
    return json.dumps({"tool": tool, "arguments": arguments})


def test_the_loop_calls_tools_until_the_model_answers_under_the_step_grammar() -> None:
    fake = FakeChatModel([call("weather", city="Rome"), json.dumps({"answer": "It is sunny."})], auto=False)
    out = _loop(fake, _toolbox(weather))
    assert out.completion.text == "It is sunny." and out.stopped == ""
    assert [c.tool for c, _ in out.steps] == ["weather"] and out.steps[0][1].output == "sunny in Rome, 20 C"
    assert fake.calls[0].json_schema == step_schema(_toolbox(weather))
    assert "weather(city: string, unit: string)" in fake.calls[0].messages[0]["content"]
    assert fake.calls[1].messages[-1]["content"] == "Result of weather: sunny in Rome, 20 C"


@pytest.mark.parametrize(
    ("tool", "arguments", "error"),
    [
        (user_tools.boom, {"x": 1}, "boom failed: RuntimeError: boom 1"),
        (user_tools.hang, {"seconds": 30}, "hang did not finish within 0.3 s"),
        (user_tools.junk, {}, "junk: the tool returned a object, which is not a result"),
        (user_tools.flood, {}, "flood returned 50000 characters, more than the 1000"),
    ],
)
def test_a_tool_that_raises_hangs_or_returns_junk_comes_back_as_an_error(
    tool: Any, arguments: dict[str, Any], error: str
) -> None:
    name = tool.__name__
    fake = FakeChatModel([call(name, **arguments), json.dumps({"answer": "gave up"})], auto=False)
    out = _loop(fake, _toolbox(tool))
    result = out.steps[0][1]
    assert not result.ok and result.error.startswith(error)
    assert error in fake.calls[1].messages[-1]["content"]  # the model reads the error
    assert out.completion.text == "gave up"


def test_the_loop_is_bounded_by_errors_and_by_rounds() -> None:
    fake = FakeChatModel([call("boom", x=1), "not a call at all", "Final words."], auto=False)
    out = _loop(fake, _toolbox(user_tools.boom), max_errors=2)
    assert out.stopped == "errors" and out.completion.text == "Final words."
    assert fake.calls[-1].json_schema is None  # the answer is asked for without tools
    assert "not a valid tool call" in fake.calls[2].messages[-2]["content"]

    fake = FakeChatModel([call("weather", city="A"), call("weather", city="B"), "Done."], auto=False)
    out = _loop(fake, _toolbox(weather), max_rounds=2)
    assert out.stopped == "max_rounds" and len(out.steps) == 2 and out.completion.text == "Done."


class NativeModel(FakeChatModel):
    """A fake whose replies come back as native tool calls (as the OpenAI-compatible backend gives them)."""

    supports_tools = True

    def __init__(self, replies: list[Any]) -> None:
        super().__init__([r if isinstance(r, str) else json.dumps(r) for r in replies], auto=False)
        self.requests: list[ModelRequest] = []

    def complete(self, request: ModelRequest) -> Completion:
        self.requests.append(request)
        done = super().complete(request)
        data = json.loads(done.text) if done.text.startswith("{") else None
        if isinstance(data, dict) and "name" in data:
            return replace(done, text="", extra={"tool_calls": [data]})
        return done


def test_native_tool_calls_on_backends_that_support_them() -> None:
    model = NativeModel([{"name": "weather", "arguments": json.dumps({"city": "Oslo"})}, "Sunny in Oslo."])
    out = _loop(model, _toolbox(weather))
    assert out.completion.text == "Sunny in Oslo." and out.steps[0][1].output == "sunny in Oslo, 20 C"
    first = model.requests[0]
    assert first.json_schema is None and first.tool_choice == "auto"
    assert first.tools is not None and first.tools[0]["function"]["name"] == "weather"


def test_on_an_openai_server_the_result_goes_back_as_a_tool_message() -> None:
    import httpx

    from qsm.agents import OpenAIChatModel, allow_real_models
    from qsm.agents.settings import ModelSettings

    bodies: list[dict[str, Any]] = []
    call_chunk = {"index": 0, "id": "call_7", "type": "function"}
    function = {"name": "weather", "arguments": json.dumps({"city": "Oslo"})}
    replies = [
        [{"choices": [{"delta": {"tool_calls": [{**call_chunk, "function": function}]}}]}],
        [{"choices": [{"delta": {"content": "Sunny in Oslo."}, "finish_reason": "stop"}]}],
    ]

    def handler(request: httpx.Request) -> httpx.Response:
        bodies.append(json.loads(request.content))
        chunks = replies[len(bodies) - 1]
        body = "".join(f"data: {json.dumps(c)}\n\n" for c in chunks) + "data: [DONE]\n\n"
        return httpx.Response(200, content=body.encode(), headers={"content-type": "text/event-stream"})

    with allow_real_models():
        model = OpenAIChatModel(ModelSettings(backend="openai", url="http://127.0.0.1:9/v1", name="m"))
        model._client = httpx.Client(base_url=model.base_url, transport=httpx.MockTransport(handler))
        out = _loop(model, _toolbox(weather))
    assert out.completion.text == "Sunny in Oslo." and len(bodies) == 2
    assistant, tool = bodies[1]["messages"][-2:]
    assert assistant["role"] == "assistant" and assistant["tool_calls"] == [
        {"id": "call_7", "type": "function", "function": {"name": "weather", "arguments": '{"city": "Oslo"}'}}
    ]
    assert tool == {
        "role": "tool",
        "tool_call_id": "call_7",
        "content": "Result of weather: sunny in Oslo, 20 C",
    }
    assert all(m["role"] != "user" or "Result of" not in m["content"] for m in bodies[1]["messages"])


def test_tool_settings_load_from_the_config_and_bad_ones_are_clear(tmp_path: Any) -> None:
    from qsm.errors import ConfigError
    from qsm.settings import load_settings

    config = tmp_path / "qsm.toml"
    config.write_text(
        '[tools]\nallowed_modules = ["mytools"]\nmax_rounds = 3\n'
        '[tools.agents]\nWeQ = ["mytools:f"]\n'
        '[tools.mcp.weather]\nurl = "http://127.0.0.1:8000/mcp"\n'
    )
    tools = load_settings(config).tools
    assert tools.allowed_modules == ["mytools"] and tools.max_rounds == 3
    assert tools.agents == {"WeQ": ["mytools:f"]} and tools.mcp["weather"].transport == "http"
    config.write_text('[tools.mcp.weather]\nurl = "ftp://x"\n')
    with pytest.raises(ConfigError, match="must start with http"):
        load_settings(config)


def test_tools_on_a_team_agent_that_does_not_draft_are_refused() -> None:
    from qsm.graph import Workflow

    team = Workflow.default()

    def given(role: str) -> Workflow:
        agents = [a.model_copy(update={"tools": [weather]}) if a.role == role else a for a in team.agents]
        return team.model_copy(update={"agents": agents})

    given("communicator").check()  # the drafting agents may have tools
    given("economist").check()
    with pytest.raises(SpecError, match="tools are for the agents that draft answers"):
        given("coordinator").check()


def test_tools_given_in_settings_to_the_teams_coordinator_are_refused_before_a_thread_starts(
    tmp_path: Any,
) -> None:
    from qsm.errors import ConfigError
    from qsm.graph import Workflow, run
    from tests.helpers import fake_runtime, team_fakes

    with fake_runtime(tmp_path, team_fakes(), tools={"agents": {"qsm": ["mcp:weather"]}}) as rt:
        with pytest.raises(ConfigError, match=r"\[tools.agents\] gives tools to QSM") as err:
            run(Workflow.default(), "What is 2+2?", runtime=rt)
        assert "WeQ" in (err.value.hint or "")
        assert rt.runs.threads() == []
