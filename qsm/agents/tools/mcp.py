"""MCP servers as tool sources, with the official ``mcp`` SDK (imported only when a server is used).

A :class:`McpConnection` starts (stdio) or reaches (streamable HTTP) one server, keeps one session open
on an event loop of its own thread, lists the server's tools and calls them; each becomes an
:class:`McpTool`, a tool like any other, so calls are bounded by the tool's time limit and a failure
comes back as an error result. Close the connection to end the session (and the server process).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import json
import os
import threading
from typing import Any

from pydantic import BaseModel

from qsm.agents.tools.adapters import schema_args_model
from qsm.agents.tools.base import ToolOutput, check_tool_name
from qsm.agents.tools.errors import ToolError
from qsm.agents.tools.settings import McpServerSettings
from qsm.errors import QsmError

__all__ = ["McpConnection", "McpServerError", "McpTool"]


class McpServerError(QsmError):
    """An MCP server could not be started, reached or listed."""


class McpTool:
    """One tool of an MCP server."""

    def __init__(
        self, connection: McpConnection, name: str, description: str, schema: dict[str, Any]
    ) -> None:
        self.connection = connection
        self.name = check_tool_name(name)
        self.description = description or name
        self.args_model: type[BaseModel] = schema_args_model(name, schema)
        self.timeout_s = connection.settings.timeout_s

    def __repr__(self) -> str:
        return f"McpTool({self.connection.name}/{self.name})"

    def run(self, args: BaseModel) -> ToolOutput:
        return self.connection.call(self.name, args.model_dump(exclude_none=True))


class McpConnection:
    """An open session with the MCP server ``name``; thread-safe; :meth:`close` ends it."""

    def __init__(self, name: str, settings: McpServerSettings) -> None:
        self.name = name
        self.settings = settings
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._stop: asyncio.Event | None = None
        self._client: Any = None
        self._error: BaseException | None = None
        self._listed: list[Any] = []
        self._thread = threading.Thread(target=self._serve, name=f"mcp-{name}", daemon=True)
        self._thread.start()
        if not self._ready.wait(settings.timeout_s):
            self.close()
            raise McpServerError(
                f"MCP server {name!r} did not answer within {settings.timeout_s:g} s",
                hint=f"check that {self._where()} starts an MCP server, or raise its timeout_s",
            )
        if self._error is not None:
            error = self._error
            self.close()
            raise McpServerError(
                f"cannot connect to MCP server {name!r} ({self._where()}): {_why(error)}",
                hint="check the server's command or url in [tools.mcp] (or the spec's mcp_servers)",
            )
        self.tools = [
            McpTool(self, tool.name, tool.description or "", dict(tool.input_schema or {}))
            for tool in self._listed
        ]

    def _where(self) -> str:
        s = self.settings
        return " ".join([s.command or "", *s.args]) if s.transport == "stdio" else str(s.url)

    def _serve(self) -> None:
        asyncio.set_event_loop(self._loop)
        try:
            self._loop.run_until_complete(self._session())
        finally:
            self._ready.set()
            self._loop.close()

    async def _session(self) -> None:
        from mcp import Client  # lazily: only when an MCP server is used

        self._stop = asyncio.Event()
        try:
            async with Client(self._transport(), read_timeout_seconds=self.settings.timeout_s) as client:
                self._client = client
                listed: list[Any] = []
                cursor = None
                while True:
                    page = await client.list_tools(cursor=cursor)
                    listed.extend(page.tools)
                    cursor = page.next_cursor
                    if not cursor:
                        break
                self._listed = listed
                self._ready.set()
                await self._stop.wait()
        except BaseException as exc:  # reported to the caller that waits for the connection
            if not self._ready.is_set():
                self._error = exc
            self._ready.set()

    def _transport(self) -> Any:
        s = self.settings
        if s.transport == "stdio":
            from mcp.client.stdio import StdioServerParameters, stdio_client

            params = StdioServerParameters(command=str(s.command), args=s.args, env=s.env or None, cwd=s.cwd)
            self._errlog = open(os.devnull, "w")  # noqa: SIM115 - closed with the connection
            return stdio_client(params, errlog=self._errlog)
        from mcp.client.streamable_http import streamable_http_client

        if not s.headers:
            return streamable_http_client(str(s.url))
        import httpx2

        return streamable_http_client(str(s.url), http_client=httpx2.AsyncClient(headers=s.headers))

    def call(self, tool: str, arguments: dict[str, Any]) -> ToolOutput:
        """Call ``tool``; a result the server marks as an error raises :class:`ToolError`."""
        if self._client is None or self._loop.is_closed():
            raise ToolError(f"the MCP server {self.name!r} is not connected")
        future = asyncio.run_coroutine_threadsafe(self._client.call_tool(tool, arguments), self._loop)
        try:
            result = future.result(self.settings.timeout_s)
        except concurrent.futures.TimeoutError:
            future.cancel()
            raise ToolError(
                f"the MCP server {self.name!r} did not answer within {self.settings.timeout_s:g} s"
            ) from None
        texts = [
            str(getattr(part, "text", "")) for part in result.content if getattr(part, "type", "") == "text"
        ]
        text = "\n".join(t for t in texts if t)
        if result.is_error:
            raise ToolError(text or f"{tool} failed on the MCP server {self.name!r}")
        structured = result.structured_content
        value = structured.get("result") if isinstance(structured, dict) and len(structured) == 1 else None
        if not text and structured is not None:
            text = json.dumps(structured, ensure_ascii=False)
        return ToolOutput(text, value)

    def close(self) -> None:
        """End the session (a stdio server is stopped); safe to call twice."""
        loop, stop = self._loop, self._stop
        if stop is not None and not loop.is_closed():
            with contextlib.suppress(RuntimeError):  # the loop closed meanwhile
                loop.call_soon_threadsafe(stop.set)
        self._thread.join(max(5.0, self.settings.timeout_s))
        errlog = getattr(self, "_errlog", None)
        if errlog is not None:
            errlog.close()


def _why(exc: BaseException) -> str:
    if isinstance(exc, BaseExceptionGroup) and exc.exceptions:
        return _why(exc.exceptions[0])
    return f"{type(exc).__name__}: {exc}"
