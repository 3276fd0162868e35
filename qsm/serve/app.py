"""The server's FastAPI app (:func:`create_app`) and :func:`serve`, which runs it with uvicorn: its error
answers (OpenAI's error object for every failure), its body-size cap, and the loopback-unless-keys rule.

One :class:`~qsm.graph.runtime.Runtime` per server process; runs go through a bounded worker pool
(:class:`~qsm.serve.runs.RunManager`)."""

from __future__ import annotations

import ipaddress
import json
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, MutableMapping
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from qsm.apikeys import KeyStore
from qsm.errors import ConfigError
from qsm.graph.runtime import Runtime
from qsm.serve.catalog import WorkflowCatalog
from qsm.serve.errors import ApiError, error_body
from qsm.serve.ledger_api import router as ledger_router
from qsm.serve.openai_api import router as openai_router
from qsm.serve.runs import RunManager
from qsm.serve.runs_api import router as runs_router
from qsm.serve.state import Server
from qsm.serve.telemetry import Exporter, TracedModels, make_tracer
from qsm.serve.threads_api import router as threads_router

if TYPE_CHECKING:
    from opentelemetry.trace import Tracer

__all__ = ["MAX_BODY_BYTES", "create_app", "is_loopback", "serve"]

log = logging.getLogger(__name__)

MAX_BODY_BYTES = 1_000_000

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]


def create_app(
    runtime: Runtime,
    *,
    keys: KeyStore | None = None,
    catalog: WorkflowCatalog | None = None,
    workers: int = 2,
    queue: int = 16,
    max_body: int = MAX_BODY_BYTES,
    tracer: Tracer | None = None,
) -> FastAPI:
    """The API on ``runtime`` (left open: its owner closes it). ``keys`` defaults to the key store under
    the runtime's data dir; ``catalog`` to the built-in team; with a ``tracer`` every run leaves
    OpenTelemetry spans (:mod:`qsm.serve.telemetry`)."""
    keys = keys or KeyStore(runtime.data_dir)
    if tracer is not None and not isinstance(runtime.models, TracedModels):
        runtime.models = TracedModels(runtime.models, tracer)  # a span per model call
    server = Server(
        runtime=runtime,
        keys=keys,
        catalog=catalog or WorkflowCatalog.load(),
        runs=RunManager(runtime, workers=workers, queue=queue, tracer=tracer),
    )

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        server.runs.close()  # cancels what still runs: those threads stay resumable

    app = FastAPI(
        title="qsm",
        description="The qsm team over HTTP: OpenAI-compatible chat and a runs API.",
        lifespan=lifespan,
    )
    app.state.qsm = server
    app.include_router(openai_router)
    app.include_router(runs_router)
    app.include_router(threads_router)
    app.include_router(ledger_router)

    @app.exception_handler(ApiError)
    async def _api_error(request: Request, exc: ApiError) -> JSONResponse:
        return JSONResponse(exc.body(), status_code=exc.status)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        first = exc.errors()[0] if exc.errors() else {}
        where = [str(p) for p in first.get("loc", ()) if p != "body"]
        param = ".".join(where) or None
        message = (
            f"{param}: {first.get('msg', 'invalid')}" if param else str(first.get("msg", "invalid request"))
        )
        return JSONResponse(error_body(422, message, param=param, code="invalid_request"), status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        return JSONResponse(error_body(exc.status_code, str(exc.detail)), status_code=exc.status_code)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("%s %s failed", request.method, request.url.path)
        return JSONResponse(error_body(500, f"internal error: {type(exc).__name__}"), status_code=500)

    app.add_middleware(_BodyLimit, limit=max_body)
    return app


class _BodyLimit:
    """Refuses a request body over ``limit`` bytes with 413 (checked on the declared length and on the
    bytes that arrive), before any endpoint reads it."""

    def __init__(self, app: Callable[[Scope, Receive, Send], Awaitable[None]], limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.limit):
            await self._refuse(send)
            return
        body, more = b"", True
        while more:
            message = await receive()
            if message["type"] != "http.request":
                await self.app(scope, _replay(b"", message, receive), send)
                return
            body += message.get("body", b"")
            more = message.get("more_body", False)
            if len(body) > self.limit:
                await self._refuse(send)
                return
        await self.app(scope, _replay(body, None, receive), send)

    async def _refuse(self, send: Send) -> None:
        payload = json.dumps(
            error_body(413, f"the request body is over {self.limit} bytes", code="request_too_large")
        ).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(payload)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": payload})


def _replay(body: bytes, first: Message | None, receive: Receive) -> Receive:
    sent = False

    async def replayed() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return first if first is not None else {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replayed


def is_loopback(host: str) -> bool:
    name = host.strip("[]")
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return name == "localhost"


def serve(
    runtime: Runtime,
    *,
    host: str = "127.0.0.1",
    port: int = 8400,
    catalog: WorkflowCatalog | None = None,
    workers: int = 2,
    queue: int = 16,
    max_body: int = MAX_BODY_BYTES,
    otel: Exporter | None = None,
) -> None:
    """Serve until stopped (Ctrl-C). Binding beyond loopback needs API keys: without them every request
    would be the local user's."""
    import uvicorn

    keys = KeyStore(runtime.data_dir)
    if not is_loopback(host) and not keys.has_keys():
        raise ConfigError(
            f"refusing to serve on {host}: no API keys are configured, so anyone who can reach it would be "
            "the local user",
            hint="make a key per user first (qsm serve keys add USER), or bind 127.0.0.1",
        )
    tracer = make_tracer(otel) if otel else None
    app = create_app(
        runtime, keys=keys, catalog=catalog, workers=workers, queue=queue, max_body=max_body, tracer=tracer
    )
    uvicorn.run(app, host=host, port=port, log_level="info")
