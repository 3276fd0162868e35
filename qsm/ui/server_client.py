"""A typed client of a ``qsm serve`` runs API, for the app in server mode (``[ui] server = URL``): the user's
threads, a new turn as a background run, its events as they stream, cancel, resume and answers to a run
that waits for the user. Every failure is a :class:`ServerError` that says what to do; the API key goes
only into the ``Authorization`` header, never into a message or a log."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from typing import Any, Literal

import httpx
from pydantic import BaseModel, TypeAdapter, ValidationError

from qsm.errors import QsmError
from qsm.graph.events import RunEvent, RunResult
from qsm.graph.turns import Turn

__all__ = [
    "API_KEY_ENV",
    "RemoteRun",
    "RemoteThread",
    "ServerClient",
    "ServerError",
    "ThreadState",
    "api_key_from_env",
]

API_KEY_ENV = "QSM_API_KEY"
ServerRunStatus = Literal["pending", "running", "success", "error", "interrupted"]
_EVENT: TypeAdapter[RunEvent] = TypeAdapter(RunEvent)
_UNSET_HINT = "or unset [ui] server to run the team inside the app"


class ServerError(QsmError):
    """The qsm server could not be reached, refused the key, or answered an error."""

    def __init__(self, message: str, *, hint: str = "", status: int | None = None) -> None:
        super().__init__(message, hint=hint)
        self.status = status


class RemoteThread(BaseModel):
    """One of the user's threads, as ``POST /threads/search`` lists it."""

    thread_id: str
    status: str
    """The run store's status (ok, waiting, interrupted, error, ...) or ``busy`` while a run goes."""
    workflow: str
    request: str
    """The thread's latest question."""
    created_at: float
    updated_at: float
    error: str | None = None


class RemoteRun(BaseModel):
    """A run of the server (``pending`` until a worker takes it, then ``running``, then how it ended)."""

    run_id: str
    thread_id: str
    kind: str = "run"
    status: ServerRunStatus
    created_at: float = 0.0
    error: str | None = None
    result_status: str | None = None
    final_id: str | None = None
    answer: str | None = None

    @property
    def finished(self) -> bool:
        return self.status not in ("pending", "running")


class ThreadState(BaseModel):
    """A thread's turns on its current branch and its last run's full result (``GET .../state``)."""

    thread_id: str
    workflow: str | None = None
    turns: list[Turn] = []
    result: RunResult | None = None


def api_key_from_env() -> str | None:
    """``$QSM_API_KEY``, or None when it is unset or blank."""
    return (os.environ.get(API_KEY_ENV) or "").strip() or None


class ServerClient:
    """The runs API of the ``qsm serve`` at ``url``, as the user of ``api_key`` (None: a server without
    keys, where every request is the local user's)."""

    def __init__(
        self,
        url: str,
        api_key: str | None = None,
        *,
        timeout_s: float = 15.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.url = url.rstrip("/")
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self._has_key = api_key is not None
        self._timeout_s = timeout_s
        # trust_env off: the app talks to this one server directly, not through $HTTP_PROXY
        self._http = httpx.Client(
            base_url=self.url, headers=headers, timeout=timeout_s, transport=transport, trust_env=False
        )

    def __repr__(self) -> str:  # never the key
        return f"ServerClient({self.url!r})"

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> ServerClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- reading -------------------------------------------------------------------------------------
    def workflows(self) -> list[str]:
        """The workflows the server runs (its models), the built-in team first."""
        data = self._json("GET", "/v1/models")
        return [str(m["id"]) for m in data.get("data", [])]

    def threads(self, limit: int = 50) -> list[RemoteThread]:
        """The user's threads, newest first."""
        data = self._json("POST", "/threads/search", json={"limit": limit})
        return [RemoteThread.model_validate(t) for t in data]

    def state(self, thread_id: str) -> ThreadState | None:
        """The thread's turns and last result; None when the user has no such thread."""
        try:
            return ThreadState.model_validate(self._json("GET", f"/threads/{thread_id}/state"))
        except ServerError as err:
            if err.status == 404:
                return None
            raise

    def runs(self, thread_id: str) -> list[RemoteRun]:
        """The thread's runs this server process knows, oldest first."""
        return [RemoteRun.model_validate(r) for r in self._json("GET", f"/threads/{thread_id}/runs")]

    def run(self, thread_id: str, run_id: str) -> RemoteRun:
        return RemoteRun.model_validate(self._json("GET", f"/threads/{thread_id}/runs/{run_id}"))

    def live(self, thread_id: str) -> RemoteRun | None:
        """The thread's run that has not finished yet (pending or running), if any."""
        going = [r for r in self.runs(thread_id) if not r.finished]
        return going[-1] if going else None

    def events(self, thread_id: str, run_id: str) -> Iterator[RunEvent]:
        """The run's events from its first, as the server streams them, until the run ends. Events of a
        kind this client does not know (a newer server) are left out."""
        path = f"/threads/{thread_id}/runs/{run_id}/stream"
        timeout = httpx.Timeout(
            self._timeout_s, read=max(60.0, self._timeout_s)
        )  # the server pings every 15 s
        try:
            with self._http.stream("GET", path, timeout=timeout) as response:
                if response.status_code >= 400:
                    response.read()
                    raise self._refused(response)
                for kind, data in _sse(response.iter_lines()):
                    if kind == "end":
                        return
                    try:
                        yield _EVENT.validate_python(json.loads(data))
                    except (ValidationError, ValueError):
                        continue
        except httpx.HTTPError as exc:
            raise self._unreachable(exc) from None

    # -- acting --------------------------------------------------------------------------------------
    def ask(self, prompt: str, *, workflow: str, thread_id: str | None = None) -> RemoteRun:
        """A new turn: a background run of ``workflow`` on ``thread_id`` (a new thread without one)."""
        if thread_id is None:
            thread_id = str(self._json("POST", "/threads", json={})["thread_id"])
        body = {"assistant_id": workflow, "input": {"prompt": prompt}}
        return RemoteRun.model_validate(self._json("POST", f"/threads/{thread_id}/runs", json=body))

    def stop(self, thread_id: str) -> bool:
        """Cancel the thread's unfinished run (it stops at its next token; the thread stays resumable);
        False when none was going."""
        run = self.live(thread_id)
        if run is None:
            return False
        self._json("POST", f"/threads/{thread_id}/runs/{run.run_id}/cancel")
        return True

    def resume(self, thread_id: str, *, answer: str | None = None) -> RemoteRun:
        """Continue the thread's stopped turn; with ``answer``, reply to the question its run waits on."""
        body = {"answer": answer} if answer is not None else {}
        return RemoteRun.model_validate(self._json("POST", f"/threads/{thread_id}/resume", json=body))

    # -- plumbing ------------------------------------------------------------------------------------
    def _json(self, method: str, path: str, *, json: dict[str, Any] | None = None) -> Any:
        try:
            response = self._http.request(method, path, json=json)
        except httpx.HTTPError as exc:
            raise self._unreachable(exc) from None
        if response.status_code >= 400:
            raise self._refused(response)
        try:
            return response.json()
        except ValueError:
            raise ServerError(
                f"{self.url} answered {method} {path} with something that is not JSON",
                hint=f"check that [ui] server names a qsm serve (qsm serve --port N), {_UNSET_HINT}",
            ) from None

    def _unreachable(self, exc: httpx.HTTPError) -> ServerError:
        if isinstance(exc, httpx.TimeoutException):
            return ServerError(
                f"the qsm server at {self.url} did not answer in time",
                hint=f"check that it is up and not overloaded, then try again; {_UNSET_HINT}",
            )
        return ServerError(
            f"cannot reach the qsm server at {self.url} ({type(exc).__name__})",
            hint=f"start it there (qsm serve --port PORT), or fix [ui] server in the app's config; {_UNSET_HINT}",
        )

    def _refused(self, response: httpx.Response) -> ServerError:
        status = response.status_code
        try:
            message = str(response.json()["error"]["message"])
        except (ValueError, KeyError, TypeError):
            message = f"HTTP {status}"
        if status == 401:
            said = "refused the API key" if self._has_key else "needs an API key"
            return ServerError(
                f"the qsm server at {self.url} {said}",
                hint=f"set {API_KEY_ENV} in the app's environment to a live key made on the server host "
                f"(qsm serve keys add USER), then restart the app",
                status=status,
            )
        if status == 404 and response.request.url.path.startswith("/threads/search"):
            return ServerError(
                f"the qsm server at {self.url} cannot list threads (no /threads/search)",
                hint="update qsm on the server host to this app's version",
                status=status,
            )
        return ServerError(f"the qsm server said: {message}", hint=_hint(status), status=status)


def _hint(status: int) -> str:
    if status == 409:
        return "wait for the chat's run to finish, or stop it"
    if status == 429:
        return "the server is busy: try again in a moment"
    if status >= 500:
        return "the server's log says more; try again, or ask its admin"
    return ""


def _sse(lines: Iterator[str]) -> Iterator[tuple[str, str]]:
    """The (event, data) pairs of a server-sent event stream."""
    data: list[str]
    event, data = "message", []
    for line in lines:
        if not line:
            if data:
                yield event, "\n".join(data)
            event, data = "message", []
        elif line.startswith("event:"):
            event = line[6:].strip()
        elif line.startswith("data:"):
            data.append(line[5:].lstrip())
    if data:
        yield event, "\n".join(data)
