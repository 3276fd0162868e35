"""Where an agent's tools come from: what it was given in Python (functions, langchain-core tools, qsm
tools), import paths (``module:function``, only from ``[tools] allowed_modules``) and MCP servers
(``mcp:<server>`` or ``mcp:<server>/<tool>``, from ``[tools.mcp]`` or a spec's ``mcp_servers``). One
catalog per runtime: it keeps MCP sessions open between runs and closes them with the runtime."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterable, Mapping
from typing import Any

from qsm.agents.tools.adapters import as_tool, tool_reference
from qsm.agents.tools.imports import check_import_paths, import_object
from qsm.agents.tools.mcp import McpConnection
from qsm.agents.tools.settings import McpServerSettings, ToolSettings
from qsm.agents.tools.toolbox import Toolbox
from qsm.errors import SpecError

__all__ = ["MCP_PREFIX", "ToolCatalog", "tool_names"]

MCP_PREFIX = "mcp:"


def tool_names(ref: Any) -> frozenset[str] | None:
    """The names of the tools ``ref`` gives, as far as they are known without importing or connecting
    anything: a function's or a tool object's name, an import path's function name, the tool of
    ``mcp:<server>/<tool>``; None for a whole MCP server (its tools are known once it is reached)."""
    if isinstance(ref, str):
        if ref.startswith(MCP_PREFIX):
            only = ref[len(MCP_PREFIX) :].partition("/")[2]
            return frozenset({only}) if only else None
        return frozenset({ref.rpartition(":")[2].rpartition(".")[2]})
    name = getattr(ref, "name", None) or getattr(ref, "__name__", None)
    return frozenset({str(name)}) if name else None


class ToolCatalog:
    """Resolves tool references into a :class:`Toolbox` under ``settings``."""

    def __init__(self, settings: ToolSettings) -> None:
        self.settings = settings
        self.allowed_modules = list(settings.allowed_modules)
        self._connections: dict[str, McpConnection] = {}
        self._given: dict[str, Any] = {}  # tools given in Python, by the reference a spec writes for them
        self._lock = threading.Lock()

    def refs_for(self, agent: str, given: Iterable[Any] = ()) -> list[Any]:
        """The tools ``agent`` was given plus those the settings give it (``[tools.agents]``)."""
        extra = next((v for k, v in self.settings.agents.items() if k.lower() == agent.lower()), [])
        return [*given, *extra]

    def check(self, refs: Iterable[Any], servers: Mapping[str, McpServerSettings] | None = None) -> None:
        """Refuse, before importing or starting anything, an import path outside the allowed modules, an
        MCP server nobody declared, and a spec's stdio server whose command is not allowed."""
        refs = list(refs)
        names = [r for r in refs if isinstance(r, str) and r not in self._given]
        check_import_paths([r for r in names if not r.startswith(MCP_PREFIX)], self.allowed_modules)
        for ref in names:
            if ref.startswith(MCP_PREFIX):
                self._server(ref[len(MCP_PREFIX) :].split("/", 1)[0], servers or {})

    def toolbox(
        self, refs: Iterable[Any], servers: Mapping[str, McpServerSettings] | None = None
    ) -> Toolbox | None:
        """The toolbox of ``refs`` (None when there are none); see :meth:`check` for what is refused."""
        refs = list(refs)
        if not refs:
            return None
        self.check(refs, servers)
        box = Toolbox(max_output_chars=self.settings.max_result_chars, oversize="error")
        timeout = self.settings.timeout_s
        for ref in refs:
            if isinstance(ref, str) and ref.startswith(MCP_PREFIX):
                server, _, only = ref[len(MCP_PREFIX) :].partition("/")
                tools = self._connect(server, self._server(server, servers or {})).tools
                chosen = [t for t in tools if not only or t.name == only]
                if only and not chosen:
                    raise SpecError(
                        f"MCP server {server!r} has no tool {only!r}",
                        hint=f"its tools are: {', '.join(t.name for t in tools) or 'none'}",
                    )
                for tool in chosen:
                    box.add(tool)
            elif isinstance(ref, str) and ref in self._given:  # given in Python earlier (a resumed run)
                box.add(as_tool(self._given[ref], timeout_s=timeout))
            elif isinstance(ref, str):
                box.add(as_tool(import_object(ref, self.allowed_modules), timeout_s=timeout))
            else:
                box.add(as_tool(ref, timeout_s=timeout))
                with self._lock:
                    self._given.setdefault(tool_reference(ref), ref)
        return box

    def _server(self, name: str, servers: Mapping[str, McpServerSettings]) -> McpServerSettings:
        if name in servers:
            server = servers[name]
            command = server.command
            if command is not None and not _command_allowed(command, self.settings.allowed_commands):
                raise SpecError(
                    f"the spec's MCP server {name!r} would start {command!r}, which the settings do not allow",
                    hint=f'if you trust it, add it to your settings: [tools] allowed_commands = ["{command}"]',
                )
            return server
        if name in self.settings.mcp:
            return self.settings.mcp[name]
        known = sorted({*servers, *self.settings.mcp})
        raise SpecError(
            f"no MCP server named {name!r}",
            hint=f"declare it under [tools.mcp.{name}] (command or url) or in the spec's mcp_servers"
            + (f"; known: {', '.join(known)}" if known else ""),
        )

    def _connect(self, name: str, server: McpServerSettings) -> McpConnection:
        key = f"{name}:{server.model_dump_json()}"
        with self._lock:
            connection = self._connections.get(key)
            if connection is None:
                connection = self._connections[key] = McpConnection(name, server)
            return connection

    def close(self) -> None:
        """Close every MCP session this catalog opened."""
        with self._lock:
            connections, self._connections = list(self._connections.values()), {}
        for connection in connections:
            connection.close()


def _command_allowed(command: str, allowed: Iterable[str]) -> bool:
    return any(command == a or os.path.basename(command) == a for a in allowed)
