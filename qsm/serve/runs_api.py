"""The runs API, shaped after LangGraph Platform's: threads, background runs, their event streams,
cancel and resume, and a thread's checkpoint history.

================================================  ==================================================
``POST /threads``                                 a new thread (``{"metadata": {...}}``)
``GET /threads/{thread_id}``                      the thread: status, workflow, its latest answer
``GET /threads/{thread_id}/history``              its checkpoints, newest first
``POST /threads/{thread_id}/runs``                a background run: ``{"assistant_id": WORKFLOW,
                                                  "input": {"prompt": TEXT}}``; returns the run
``GET /threads/{thread_id}/runs``                 the thread's runs (this server process's)
``GET /threads/{thread_id}/runs/{run_id}``        one run: status, answer, final_id, error
``GET /threads/{thread_id}/runs/{run_id}/stream`` its typed events (:mod:`qsm.graph.events`) as SSE,
                                                  from the first; ``event: end`` closes it
``POST /threads/{thread_id}/runs/{run_id}/cancel``  stop it; the thread stays resumable
``POST /threads/{thread_id}/resume``              continue the thread's stopped turn (optionally
                                                  ``{"checkpoint_id": ID}``: time travel), or answer
                                                  its question: ``{"answer": TEXT}`` or LangGraph's
                                                  ``{"command": {"resume": TEXT}}``; also
                                                  ``POST /threads/{thread_id}/runs/{run_id}/resume``
================================================  ==================================================

A run whose workflow asks the user (an approval, or ``ask_user`` in a Python node: :mod:`qsm.graph.human`)
ends with ``result_status: "waiting"`` and its ``question`` and ``choices`` (in the run, in the thread,
and as a ``question`` event in its stream); the thread's status is ``waiting`` until a resume with the
answer goes on from there. An answer to a thread that does not wait is refused (409 ``not_waiting``).
"""

from __future__ import annotations

import asyncio
import json
import re
import uuid
from collections.abc import AsyncIterator
from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field
from sse_starlette import EventSourceResponse

from qsm.errors import QsmError
from qsm.graph.runner import history, load_result
from qsm.serve.errors import ApiError
from qsm.serve.runs import RunRequest, ServerRun
from qsm.serve.state import Server, server_of

__all__ = ["router"]

router = APIRouter()

_THREAD_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")
_POLL_S = 0.05


class ThreadCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    thread_id: str | None = None
    metadata: dict[str, Any] = Field(default_factory=dict)


class RunInput(BaseModel):
    model_config = ConfigDict(extra="forbid")

    prompt: str = Field(min_length=1)


class ResumeCommand(BaseModel):
    model_config = ConfigDict(extra="forbid")

    resume: str = Field(min_length=1, description="the answer to the waiting run's question")


class RunCreate(BaseModel):
    model_config = ConfigDict(extra="allow")

    assistant_id: str | None = Field(None, description="the workflow; default: the thread's, else the team")
    input: RunInput | None = None
    command: ResumeCommand | None = Field(None, description="answer the thread's question instead of input")


class ResumeRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    checkpoint_id: str | None = None
    answer: str | None = Field(None, min_length=1, description="the answer to the waiting run's question")
    command: ResumeCommand | None = Field(None, description="LangGraph Platform's form of ``answer``")

    def reply(self) -> str | None:
        """The answer, given either way (422 when both are given and differ)."""
        given = {a for a in (self.answer, self.command.resume if self.command else None) if a is not None}
        if len(given) > 1:
            raise ApiError(
                422,
                "answer and command.resume differ: give the answer once",
                code="invalid_request",
                param="answer",
            )
        return given.pop() if given else None


@router.post("/threads")
def create_thread(request: Request, body: ThreadCreate | None = None) -> dict[str, Any]:
    server = server_of(request)
    user = server.user(request)
    body = body or ThreadCreate()
    thread_id = body.thread_id or uuid.uuid4().hex[:12]
    if not _THREAD_ID.fullmatch(thread_id):
        raise ApiError(
            422, "thread_id: 1-64 letters, digits, '_' or '-'", code="invalid_request", param="thread_id"
        )
    if server.runtime.runs.thread(thread_id) is not None or not server.keys.claim_thread(
        thread_id, user, json.dumps(body.metadata)
    ):
        raise ApiError(409, f"thread {thread_id} already exists", code="thread_exists", param="thread_id")
    return _thread_view(server, thread_id)


@router.get("/threads/{thread_id}")
def get_thread(thread_id: str, request: Request) -> dict[str, Any]:
    server = server_of(request)
    server.check_thread(thread_id, server.user(request))
    return _thread_view(server, thread_id)


@router.get("/threads/{thread_id}/history")
def get_history(thread_id: str, request: Request) -> list[dict[str, Any]]:
    server = server_of(request)
    server.check_thread(thread_id, server.user(request))
    if server.runtime.runs.thread(thread_id) is None:
        return []
    return [c.model_dump() for c in history(thread_id, server.runtime)]


@router.post("/threads/{thread_id}/runs")
def create_run(thread_id: str, body: RunCreate, request: Request) -> dict[str, Any]:
    server = server_of(request)
    user = server.user(request)
    server.check_thread(thread_id, user)
    if (body.input is None) == (body.command is None):
        raise ApiError(
            422,
            'give either input ({"prompt": TEXT}: a new turn) or command ({"resume": TEXT}: the answer to '
            "the thread's question)",
            code="invalid_request",
            param="input",
        )
    if body.command is not None:
        _check_answer(server, thread_id, body.command.resume, None)
        return server.runs.submit(thread_id, user, RunRequest(resume=True, answer=body.command.resume)).view()
    assert body.input is not None
    info = server.runtime.runs.thread(thread_id)
    name = body.assistant_id or (info.workflow if info else "team")
    workflow = server.catalog.get(name)
    if workflow is None:
        raise ApiError(
            404,
            f"no workflow {name!r} ({', '.join(server.catalog.names())})",
            code="model_not_found",
            param="assistant_id",
        )
    server.check_workflow(thread_id, workflow.name, param="assistant_id")
    limit = server.runtime.settings.runtime.max_prompt_chars
    if len(body.input.prompt) > limit or not body.input.prompt.strip():
        raise ApiError(
            400,
            f"the prompt must be 1-{limit} characters and not blank",
            code="invalid_prompt",
            param="input.prompt",
        )
    return server.runs.submit(thread_id, user, RunRequest(workflow=workflow, prompt=body.input.prompt)).view()


@router.get("/threads/{thread_id}/runs")
def list_runs(thread_id: str, request: Request) -> list[dict[str, Any]]:
    server = server_of(request)
    user = server.user(request)
    server.check_thread(thread_id, user)
    return [r.view() for r in server.runs.for_thread(thread_id) if r.user == user]


@router.get("/threads/{thread_id}/runs/{run_id}")
def get_run(thread_id: str, run_id: str, request: Request) -> dict[str, Any]:
    return _run(request, thread_id, run_id).view()


@router.get("/threads/{thread_id}/runs/{run_id}/stream", response_model=None)
def stream_run(thread_id: str, run_id: str, request: Request) -> EventSourceResponse:
    run = _run(request, thread_id, run_id)
    events = run.events  # this list, even if the server drops the run's events meanwhile
    if run.events_dropped:
        raise ApiError(
            410,
            f"the events of run {run_id} are no longer kept (the server keeps recent runs' events only); "
            f"GET /threads/{thread_id} has its answer",
            code="events_expired",
            param="run_id",
        )
    return EventSourceResponse(_events(run, events), ping=15)


@router.post("/threads/{thread_id}/runs/{run_id}/cancel", status_code=202)
def cancel_run(thread_id: str, run_id: str, request: Request) -> dict[str, Any]:
    run = _run(request, thread_id, run_id)
    server_of(request).runs.cancel(run)
    return run.view()


@router.post("/threads/{thread_id}/resume")
def resume_thread(thread_id: str, request: Request, body: ResumeRequest | None = None) -> dict[str, Any]:
    server = server_of(request)
    user = server.user(request)
    server.check_thread(thread_id, user)
    if server.runtime.runs.thread(thread_id) is None:
        raise ApiError(409, f"thread {thread_id} has no run to resume", code="nothing_to_resume")
    checkpoint = body.checkpoint_id if body else None
    answer = body.reply() if body else None
    if answer is not None:
        _check_answer(server, thread_id, answer, checkpoint)
    resume = RunRequest(resume=True, checkpoint_id=checkpoint, answer=answer)
    return server.runs.submit(thread_id, user, resume).view()


def _check_answer(server: Server, thread_id: str, answer: str, checkpoint: str | None) -> None:
    """An answer goes to a thread that waits for one, from its last checkpoint, within the prompt limit."""
    info = server.runtime.runs.thread(thread_id)
    if checkpoint is not None:
        raise ApiError(
            400,
            "an answer goes on from the question the thread waits at: leave out checkpoint_id",
            code="invalid_request",
            param="checkpoint_id",
        )
    if info is None or info.status != "waiting" or server.runs.active_run(thread_id) is not None:
        status = "busy" if server.runs.active_run(thread_id) else (info.status if info else "idle")
        raise ApiError(
            409,
            f"thread {thread_id} does not wait for an answer (its status is {status}); "
            "resume it without one, or start a new run",
            code="not_waiting",
            param="answer",
        )
    limit = server.runtime.settings.runtime.max_prompt_chars
    if len(answer) > limit:
        raise ApiError(
            400,
            f"the answer is {len(answer)} characters; the limit is {limit}",
            code="prompt_too_long",
            param="answer",
        )


@router.post("/threads/{thread_id}/runs/{run_id}/resume")
def resume_run(
    thread_id: str, run_id: str, request: Request, body: ResumeRequest | None = None
) -> dict[str, Any]:
    _run(request, thread_id, run_id)
    return resume_thread(thread_id, request, body)


def _run(request: Request, thread_id: str, run_id: str) -> ServerRun:
    """The caller's run ``run_id`` on ``thread_id``; 404 for anyone else's, as for one that is not there."""
    server = server_of(request)
    user = server.user(request)
    server.check_thread(thread_id, user)
    run = server.runs.get(run_id)
    if run is None or run.thread_id != thread_id or run.user != user:
        raise ApiError(
            404, f"no run {run_id!r} on thread {thread_id!r}", code="run_not_found", param="run_id"
        )
    return run


def _thread_view(server: Server, thread_id: str) -> dict[str, Any]:
    owner = server.keys.thread_owner(thread_id)
    info = server.runtime.runs.thread(thread_id)
    active = server.runs.active_run(thread_id)
    view: dict[str, Any] = {
        "thread_id": thread_id,
        "created_at": owner[1] if owner else (info.created_at if info else None),
        "updated_at": info.updated_at if info else None,
        "metadata": json.loads(owner[2]) if owner else {},
        "status": "busy" if active else ("idle" if info is None else info.status),
        "workflow": info.workflow if info else None,
        "values": None,
        "question": None,
        "choices": [],
    }
    if info is not None and active is None:
        try:
            loaded = load_result(thread_id, server.runtime)
        except QsmError as err:
            view["error"] = err.message
        else:
            if loaded is not None:
                result = loaded[0]
                view["values"] = {"answer": result.text, "final_id": result.final_id, "status": result.status}
                if result.status == "waiting":
                    view["question"], view["choices"] = result.question, result.choices
    return view


async def _events(run: ServerRun, events: list[tuple[str, str]]) -> AsyncIterator[dict[str, str]]:
    """The run's ``events`` from its first, as they come; ``event: end`` (with the run) when it ended."""
    seen = 0
    while True:
        ended = run.ended.is_set()
        new = events[seen:]
        seen += len(new)
        for kind, data in new:
            yield {"event": kind, "data": data}
        if ended and seen == len(events):
            break
        await asyncio.sleep(_POLL_S)
    yield {"event": "end", "data": json.dumps(run.view())}
