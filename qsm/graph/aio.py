"""The async API: ``astream``, ``arun``, ``astream_resume`` and ``aresume``, for asyncio programs.

Each run goes on in a worker thread of its own (the same graph, checkpoints and runtime as the sync API,
whose steps are blocking model calls), and its events come to the event loop through a queue, so
concurrent runs on one runtime interleave without blocking the loop and give what sequential runs give::

    results = await asyncio.gather(*(arun(workflow, q, runtime=rt) for q in questions))

Leaving an ``astream`` early (``break``, a cancelled task) sets the run's stop signal: the run stops at
its next token, resumable like any stopped run.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

from qsm.graph.events import RunEvent, RunResult
from qsm.graph.runner import stream, stream_resume
from qsm.graph.spec import Workflow

__all__ = ["aresume", "arun", "astream", "astream_resume"]


def astream(
    workflow: Workflow | None = None,
    prompt: str = "",
    *,
    cancel: threading.Event | None = None,
    **kwargs: Any,
) -> AsyncIterator[RunEvent]:
    """:func:`qsm.graph.runner.stream` for asyncio: the same keyword arguments, the same events."""
    signal = cancel or threading.Event()
    return _offload(lambda: stream(workflow, prompt, cancel=signal, **kwargs), signal)


def astream_resume(
    thread_id: str, *, cancel: threading.Event | None = None, **kwargs: Any
) -> AsyncIterator[RunEvent]:
    """:func:`qsm.graph.runner.stream_resume` for asyncio (``answer=`` replies to a waiting run)."""
    signal = cancel or threading.Event()
    return _offload(lambda: stream_resume(thread_id, cancel=signal, **kwargs), signal)


async def arun(workflow: Workflow | None = None, prompt: str = "", **kwargs: Any) -> RunResult:
    """Run to the end and return the result (see :func:`astream`)."""
    return await _last(astream(workflow, prompt, **kwargs))


async def aresume(thread_id: str, **kwargs: Any) -> RunResult:
    """Resume to the end and return the result (see :func:`astream_resume`)."""
    return await _last(astream_resume(thread_id, **kwargs))


async def _last(events: AsyncIterator[RunEvent]) -> RunResult:
    result = None
    async for event in events:
        if event.type == "done":
            result = event.result
    assert result is not None, "a run always ends with a done event"
    return result


async def _offload(
    make: Callable[[], Iterator[RunEvent]], cancel: threading.Event
) -> AsyncIterator[RunEvent]:
    """The events of the sync run ``make()``, driven in a worker thread and handed to this event loop."""
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[tuple[str, Any]] = asyncio.Queue()

    def put(kind: str, value: Any) -> None:
        try:
            loop.call_soon_threadsafe(queue.put_nowait, (kind, value))
        except RuntimeError:  # the event loop closed: nobody is listening any more
            cancel.set()

    def pump() -> None:
        try:
            for event in make():
                put("event", event)
        except BaseException as exc:  # handed to the awaiting task, which raises it
            put("error", exc)
        else:
            put("end", None)

    threading.Thread(target=pump, name="qsm-async-run", daemon=True).start()
    finished = False
    try:
        while True:
            kind, value = await queue.get()
            if kind == "event":
                yield value
            elif kind == "error":
                finished = True
                raise value
            else:
                finished = True
                return
    finally:
        if not finished:  # the caller left early or was cancelled: stop the run at its next token
            cancel.set()
