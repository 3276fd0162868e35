"""The ``[tools]`` settings: which modules specs may import tools from, limits of an agent's tool loop,
tools given to agents by name, and the MCP servers agents may use."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

__all__ = ["McpServerSettings", "ToolSettings"]


class McpServerSettings(BaseModel):
    """One MCP server: a command qsm starts and talks to over stdio, or a streamable HTTP ``url``."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    command: str | None = Field(None, description="stdio: the executable to start")
    args: list[str] = Field(default_factory=list, description="stdio: its arguments")
    env: dict[str, str] = Field(default_factory=dict, description="stdio: extra environment variables")
    cwd: str | None = Field(None, description="stdio: its working directory")
    url: str | None = Field(
        None, description="streamable HTTP: the endpoint, such as http://127.0.0.1:8000/mcp"
    )
    headers: dict[str, str] = Field(default_factory=dict, description="streamable HTTP: extra headers")
    timeout_s: float = Field(30.0, gt=0, le=3600, description="connecting, and each tool call")

    @model_validator(mode="after")
    def _one_transport(self) -> McpServerSettings:
        if (self.command is None) == (self.url is None):
            raise ValueError("an MCP server needs either command (stdio) or url (streamable HTTP), not both")
        if self.url is not None and not self.url.startswith(("http://", "https://")):
            raise ValueError(f"MCP url {self.url!r} must start with http:// or https://")
        return self

    @property
    def transport(self) -> Literal["stdio", "http"]:
        return "stdio" if self.command is not None else "http"


class ToolSettings(BaseModel):
    """``[tools]``: tools an agent may call besides the built-in ones."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    allowed_modules: list[str] = Field(
        default_factory=list,
        description="modules (and their submodules) whose functions specs and settings may name as tools, "
        "as 'module:function'; a tool from any other module is refused before anything is imported",
    )
    allowed_commands: list[str] = Field(
        default_factory=list,
        description="executables that MCP servers declared in a workflow spec may start (servers in these "
        "settings may start any)",
    )
    agents: dict[str, list[str]] = Field(
        default_factory=dict,
        description="tools per agent name: 'module:function' or 'mcp:<server>' (all its tools) or "
        "'mcp:<server>/<tool>'",
    )
    mcp: dict[str, McpServerSettings] = Field(default_factory=dict, description="MCP servers by name")
    timeout_s: float = Field(10.0, gt=0, le=3600, description="a function tool's time limit per call")
    max_rounds: int = Field(4, ge=1, le=32, description="tool calls an agent may make in one step")
    max_errors: int = Field(
        2, ge=1, le=16, description="failed tool calls after which the agent must answer without tools"
    )
    max_result_chars: int = Field(
        20000, ge=100, le=1_000_000, description="a result longer than this is an error, not an answer"
    )
