"""What a chat client needs of a user's threads beside :mod:`qsm.serve.runs_api` (the qsm app in server mode,
``[ui] server``):

================================================  ==================================================
``POST /threads/search``                          the caller's threads, newest first (LangGraph
                                                  Platform's search: ``{"limit": 50, "offset": 0,
                                                  "status": STATUS}``)
``GET /threads/{thread_id}/state``                the thread's turns (question, answer, status) on
                                                  its current branch, and its last run's full result
================================================  ==================================================

Both see only the caller's own threads, as every other endpoint does.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field

from qsm.graph.runner import load_result
from qsm.graph.turn_history import thread_turns
from qsm.serve.state import server_of

__all__ = ["router"]

router = APIRouter()

_SCANNED = 5000  # threads of the run store looked at per search (everyone's, newest first)


class ThreadSearch(BaseModel):
    model_config = ConfigDict(extra="ignore")  # LangGraph clients send more (metadata, values, sort_by)

    limit: int = Field(50, ge=1, le=500)
    offset: int = Field(0, ge=0)
    status: str | None = Field(None, description="only threads with this status (ok, waiting, busy, ...)")


@router.post("/threads/search")
def search_threads(request: Request, body: ThreadSearch | None = None) -> list[dict[str, Any]]:
    server = server_of(request)
    user = server.user(request)
    body = body or ThreadSearch()
    found: list[dict[str, Any]] = []
    for info in server.runtime.runs.threads(_SCANNED):
        owner = server.keys.thread_owner(info.thread_id)
        if (owner[0] if owner else info.user) != user:
            continue
        status = "busy" if server.runs.active_run(info.thread_id) else info.status
        if body.status is not None and status != body.status:
            continue
        found.append(
            {
                "thread_id": info.thread_id,
                "created_at": info.created_at,
                "updated_at": info.updated_at,
                "status": status,
                "workflow": info.workflow,
                "request": info.request,
                "error": info.error,
            }
        )
    return found[body.offset : body.offset + body.limit]


@router.get("/threads/{thread_id}/state")
def thread_state(thread_id: str, request: Request) -> dict[str, Any]:
    server = server_of(request)
    server.check_thread(thread_id, server.user(request))
    info = server.runtime.runs.thread(thread_id)
    if info is None:  # created, never run
        return {"thread_id": thread_id, "workflow": None, "turns": [], "result": None}
    loaded = load_result(thread_id, server.runtime)
    return {
        "thread_id": thread_id,
        "workflow": info.workflow,
        "turns": [turn.model_dump(mode="json") for turn in thread_turns(thread_id, server.runtime)],
        "result": loaded[0].model_dump(mode="json") if loaded is not None else None,
    }
