"""MCP servers' tools, against a real server the tests start (examples/mcp_example.py, written with the
SDK's MCPServer, FastMCP's successor): over stdio and over streamable HTTP on 127.0.0.1."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from qsm.agents.tools import ToolCall
from qsm.agents.tools.catalog import ToolCatalog
from qsm.agents.tools.mcp import McpConnection, McpServerError
from qsm.agents.tools.settings import McpServerSettings, ToolSettings

pytest.importorskip("mcp")

EXAMPLE = Path(__file__).resolve().parents[3] / "examples" / "mcp_example.py"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def http_server() -> Iterator[str]:
    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, str(EXAMPLE), "--serve-http", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                time.sleep(0.2)
        else:
            pytest.fail("the MCP HTTP server did not start")
        yield f"http://127.0.0.1:{port}/mcp"
    finally:
        process.terminate()
        process.wait(10)


def _check_weather_tools(catalog: ToolCatalog, ref: str) -> None:
    box = catalog.toolbox([ref])
    assert box is not None and box.names == ["temperature"]
    assert box.args_schema("temperature")["required"] == ["city"]
    result = box.run(ToolCall(tool="temperature", arguments={"city": "Rome"}))
    assert result.ok and result.output == "17.0" and result.value == 17.0
    failed = box.run(ToolCall(tool="temperature", arguments={"city": "Atlantis"}))
    assert not failed.ok and "temperature" in failed.error  # the server's error is a result


def test_an_mcp_server_over_stdio() -> None:
    settings = ToolSettings(
        mcp={"weather": McpServerSettings(command=sys.executable, args=[str(EXAMPLE), "--serve"])}
    )
    catalog = ToolCatalog(settings)
    try:
        _check_weather_tools(catalog, "mcp:weather")
        assert catalog.toolbox(["mcp:weather/temperature"]) is not None  # one tool by name, same session
        assert _servers_running() == 1
    finally:
        catalog.close()
    assert _servers_running() == 0  # closing the catalog (as the runtime does) stops the server


def _servers_running() -> int:
    import psutil

    children = psutil.Process().children(recursive=True)
    return sum(1 for p in children if p.is_running() and "--serve" in p.cmdline())


def test_an_mcp_server_over_streamable_http(http_server: str) -> None:
    catalog = ToolCatalog(ToolSettings(mcp={"weather": McpServerSettings(url=http_server)}))
    try:
        _check_weather_tools(catalog, "mcp:weather")
    finally:
        catalog.close()


def test_a_server_that_cannot_start_is_a_clear_error() -> None:
    with pytest.raises(McpServerError, match="cannot connect to MCP server 'nope'"):
        McpConnection("nope", McpServerSettings(command="/nonexistent/mcp-server", timeout_s=10))
    with pytest.raises(McpServerError, match="nope"):
        McpConnection("nope", McpServerSettings(url=f"http://127.0.0.1:{_free_port()}/mcp", timeout_s=5))


def test_a_spec_declares_its_own_mcp_server(http_server: str, tmp_path: Path) -> None:
    from qsm.agents import FakeChatModel
    from qsm.graph import Workflow, run
    from tests.helpers import fake_runtime

    spec = f"""
name: weather-spec
kind: pipeline
mcp_servers:
  weather: {{url: "{http_server}"}}
agents:
  - name: forecaster
    produces: Note
    tools: ["mcp:weather/temperature"]
channels:
  - "user -> forecaster: UserRequest"
  - "forecaster -> user: Note"
"""
    workflow = Workflow.from_yaml(spec)
    assert "mcp:weather/temperature" in workflow.to_yaml()
    replies: list[Any] = [
        '{"tool": "temperature", "arguments": {"city": "Paris"}}',
        '{"answer": "11.2 degrees"}',
    ]
    fake = FakeChatModel(replies, auto=False)
    with fake_runtime(tmp_path, {"forecaster": fake}) as rt:
        result = run(workflow, "How warm is Paris?", runtime=rt)
    assert result.status == "ok" and result.text == "11.2 degrees"
    assert [e.payload["output"] for e in result.trace if e.type == "ToolResult"] == ["11.2"]
