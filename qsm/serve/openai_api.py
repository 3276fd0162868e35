"""The OpenAI-compatible endpoints: ``GET /v1/models`` lists the workflows, ``POST /v1/chat/completions``
runs one (``model`` names it) on the last user message.

The earlier user/assistant messages reach the team as the conversation so far; or, with the extra field
``thread_id``, the request is a new turn on that thread (its own turns are the conversation). With
``stream: true`` the answer comes as server-sent ``chat.completion.chunk`` events ending ``data: [DONE]``:
the team's steps as empty deltas carrying a ``qsm_event`` field, and the answer as content deltas: token
by token where the tokens are the answer itself, else in pieces as soon as it is final
(:mod:`qsm.serve.answer_stream` says which workflows stream tokens). The response (or the last chunk)
carries ``thread_id``, ``final_id`` (the answer's content id), ``run_id`` and the run's ``status`` as extra
fields.

A run that asks the user (status ``waiting``: an approval, :mod:`qsm.graph.human`) answers with its
question as the message (and ``question``, ``question_choices`` as extra fields); the next user message sent with
that ``thread_id`` is the answer, and the run goes on from its question."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import AsyncIterator
from typing import Any, Literal

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field
from sse_starlette import EventSourceResponse

from qsm.graph.events import RunResult
from qsm.graph.turns import Turn
from qsm.serve.answer_stream import AnswerStream, answer_node, pieces
from qsm.serve.errors import ApiError, error_body
from qsm.serve.runs import RunRequest, ServerRun
from qsm.serve.state import server_of

__all__ = ["ChatCompletionRequest", "router"]

router = APIRouter()

_POLL_S = 0.05
_STEPS = frozenset({"step", "route", "tool", "checks", "budget", "repair"})


class _TextPart(BaseModel):
    type: Literal["text"]
    text: str


class ChatMessageIn(BaseModel):
    model_config = ConfigDict(extra="allow")

    role: Literal["system", "developer", "user", "assistant", "tool"]
    content: str | list[_TextPart] | None = None

    def text(self) -> str:
        if isinstance(self.content, list):
            return "".join(part.text for part in self.content)
        return self.content or ""


class ChatCompletionRequest(BaseModel):
    """OpenAI's request; sampling fields (temperature, ...) are accepted and left to each agent's settings."""

    model_config = ConfigDict(extra="allow")

    model: str
    messages: list[ChatMessageIn] = Field(min_length=1)
    stream: bool = False
    thread_id: str | None = Field(None, description="continue this thread (qsm extra field)")


@router.get("/v1/models")
def list_models(request: Request) -> dict[str, Any]:
    server = server_of(request)
    server.user(request)
    return {
        "object": "list",
        "data": [
            {"id": name, "object": "model", "created": 0, "owned_by": "qsm"}
            for name in server.catalog.names()
        ],
    }


@router.post("/v1/chat/completions", response_model=None)
async def chat_completions(
    body: ChatCompletionRequest, request: Request
) -> dict[str, Any] | EventSourceResponse:
    server = server_of(request)
    user = server.user(request)
    workflow = server.catalog.get(body.model)
    if workflow is None:
        raise ApiError(
            404,
            f"the model {body.model!r} does not exist: models are workflows ({', '.join(server.catalog.names())})",
            code="model_not_found",
            param="model",
        )
    prompt, earlier = _conversation(body.messages)
    limit = server.runtime.settings.runtime.max_prompt_chars
    if len(prompt) > limit:
        raise ApiError(
            400,
            f"the last user message is {len(prompt)} characters; the limit is {limit}",
            code="prompt_too_long",
            param="messages",
        )
    request_run = RunRequest(workflow=workflow, prompt=prompt, earlier=earlier)
    if body.thread_id is not None:
        server.check_thread(body.thread_id, user)
        thread_id = body.thread_id
        server.check_workflow(thread_id, workflow.name, param="model")
        info = server.runtime.runs.thread(thread_id)
        waiting = info is not None and info.status == "waiting"
        # a thread that asked the user takes this message as the answer; else it is a new turn
        request_run = (
            RunRequest(resume=True, answer=prompt)
            if waiting
            else RunRequest(workflow=workflow, prompt=prompt)
        )
    else:
        thread_id = uuid.uuid4().hex[:12]
        server.keys.claim_thread(thread_id, user)
    run = server.runs.submit(thread_id, user, request_run)
    if body.stream:
        return EventSourceResponse(
            _chunks(run, workflow.name, answer_node(workflow, server.runtime)), ping=15
        )
    while not run.ended.is_set():
        await asyncio.sleep(_POLL_S)
    result = _finished(run)
    return {
        "id": f"chatcmpl-{run.run_id}",
        "object": "chat.completion",
        "created": int(run.created_at),
        "model": workflow.name,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": _content(result)},
                "finish_reason": _finish_reason(result),
            }
        ],
        **_extra(run, result),
    }


def _conversation(messages: list[ChatMessageIn]) -> tuple[str, list[Turn]]:
    """The request (the last message, a user's) and the earlier user/assistant exchanges as turns;
    system and tool messages are left out (each agent has its own prompt)."""
    last = messages[-1]
    if last.role != "user":
        raise ApiError(
            400,
            f"the last message must be the user's, not {last.role!r}",
            code="invalid_messages",
            param="messages",
        )
    prompt = last.text()
    if not prompt.strip():
        raise ApiError(400, "the last user message is empty", code="invalid_messages", param="messages")
    turns: list[Turn] = []
    for message in messages[:-1]:
        if message.role == "user":
            turns.append(Turn(question=message.text(), answer=None, status="interrupted"))
        elif message.role == "assistant" and turns and turns[-1].answer is None:
            turns[-1] = Turn(question=turns[-1].question, answer=message.text(), status="ok")
    return prompt, turns


def _finished(run: ServerRun) -> RunResult:
    """The ended run's result; a run that stopped without one is a server error (its thread is kept and
    can be resumed through the runs API)."""
    if run.result is None:
        raise ApiError(500, _run_error(run), code="run_failed")
    return run.result


def _content(result: RunResult) -> str:
    """The message: the answer, or the question of a run that waits for the user."""
    return (result.question or "") if result.status == "waiting" else result.text


def _finish_reason(result: RunResult) -> str:
    return "length" if result.status == "budget_exhausted" else "stop"


def _extra(run: ServerRun, result: RunResult | None) -> dict[str, Any]:
    cost = result.cost if result else None
    return {
        "thread_id": run.thread_id,
        "run_id": run.run_id,
        "final_id": result.final_id if result else None,
        "status": result.status if result else run.status,
        "qsm_cost": {"tokens": cost.tokens, "calls": cost.calls, "seconds": cost.seconds} if cost else None,
        "question": result.question if result and result.status == "waiting" else None,
        # not "choices": that is OpenAI's own field
        "question_choices": result.choices if result and result.status == "waiting" else [],
    }


async def _chunks(run: ServerRun, model: str, node: str | None) -> AsyncIterator[dict[str, str]]:
    """The run as chunks: steps as ``qsm_event`` fields, the answer as content deltas
    (:class:`~qsm.serve.answer_stream.AnswerStream` on ``node``'s tokens), then the finish."""
    base = {
        "id": f"chatcmpl-{run.run_id}",
        "object": "chat.completion.chunk",
        "created": int(time.time()),
        "model": model,
    }

    def chunk(delta: dict[str, Any], finish: str | None = None, **extra: Any) -> dict[str, str]:
        body = {**base, "choices": [{"index": 0, "delta": delta, "finish_reason": finish}], **extra}
        return {"data": json.dumps(body)}

    yield chunk({"role": "assistant", "content": ""}, thread_id=run.thread_id, run_id=run.run_id)
    answer = AnswerStream(node)
    events = run.events  # this list, even if the server drops the run's events once it ended
    seen = 0
    while True:
        ended = run.ended.is_set()
        new = events[seen:]
        seen += len(new)
        for kind, data in new:
            if kind in _STEPS:
                event = json.loads(data)
                yield chunk({}, qsm_event={k: event.get(k) for k in ("type", "node", "agent", "candidate")})
            elif kind in ("token", "final"):
                for text in answer.feed(json.loads(data)):
                    yield chunk({"content": text})
        if ended and seen == len(events):
            break
        await asyncio.sleep(_POLL_S)
    if run.result is None:
        failed = _run_error(run)
        yield {"data": json.dumps(error_body(500, failed, code="run_failed"))}
        return
    rest = pieces(_content(run.result)) if run.result.status == "waiting" else answer.finish(run.result.text)
    for text in rest:
        yield chunk({"content": text})
    yield chunk({}, _finish_reason(run.result), **_extra(run, run.result))
    yield {"data": "[DONE]"}


def _run_error(run: ServerRun) -> str:
    return (
        f"the run stopped ({run.status}: {run.error or 'cancelled'}); thread {run.thread_id} keeps it: "
        f"POST /threads/{run.thread_id}/resume continues it"
    )
