"""An MCP server's tools for an agent: this file is both the server and the workflow that uses it.

``python examples/mcp_example.py --serve`` is an MCP server (written with the official SDK's
``MCPServer``, FastMCP's successor) over stdio; ``--serve-http PORT`` serves it over streamable HTTP on
127.0.0.1. Run without those, the file starts the stdio server itself through the settings
(``[tools.mcp.weather]``, here given as overrides) and lets an agent use its tools.

Run: .venv/bin/python examples/mcp_example.py "Is it warmer in Oslo or in Rome?"
"""

from __future__ import annotations

import sys
from typing import Any

from qsm import Agent, Channel, Workflow

TEMPERATURES = {"oslo": 4.5, "rome": 17.0, "paris": 11.2}


def server() -> Any:
    """The MCP server: one tool, ``temperature``."""
    from mcp.server.mcpserver import MCPServer

    app = MCPServer("weather")

    @app.tool()
    def temperature(city: str) -> float:
        """Today's temperature in a city, in degrees Celsius."""
        try:
            return TEMPERATURES[city.strip().lower()]
        except KeyError:
            raise ValueError(f"no weather for {city!r}") from None

    return app


def settings(python: str = sys.executable) -> dict[str, Any]:
    """Settings overrides that declare this file's server (the same as ``[tools.mcp.weather]`` in a
    config file: ``command`` and ``args``)."""
    return {"tools": {"mcp": {"weather": {"command": python, "args": [__file__, "--serve"]}}}}


def workflow() -> Workflow:
    return Workflow(
        name="mcp-example",
        kind="pipeline",
        prompt="Is it warmer in Oslo or in Rome?",
        agents=[
            Agent(
                name="forecaster",
                produces="FinalAnswer",
                system_prompt="Answer weather questions with your tools.",
                tools=["mcp:weather"],
            )
        ],
        channels=[
            Channel(source="user", target="forecaster", type="UserRequest"),
            Channel(source="forecaster", target="user", type="FinalAnswer"),
        ],
    ).check()


if __name__ == "__main__":
    if sys.argv[1:2] == ["--serve"]:
        server().run()
    elif sys.argv[1:2] == ["--serve-http"]:
        server().run("streamable-http", host="127.0.0.1", port=int(sys.argv[2]))
    else:
        from qsm import run
        from qsm.graph import Runtime

        flow = workflow()
        with Runtime.open(overrides=settings()) as runtime:
            result = run(flow, " ".join(sys.argv[1:]) or flow.prompt, runtime=runtime)
        print(result.text)
