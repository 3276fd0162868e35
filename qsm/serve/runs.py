"""Background runs of the server: a bounded worker pool drives :mod:`qsm.graph.runner` on the server's one
runtime, and keeps each run's typed events (:mod:`qsm.graph.events`, as JSON) for its streams.

A run is ``pending`` until a worker takes it, then ``running``, and ends ``success`` (the run finished:
its result says how), ``error`` (a qsm error stopped it; the thread can be resumed) or ``interrupted``
(cancelled; the thread keeps its checkpoints and can be resumed). A run whose step asks the user ends
``success`` with result status ``waiting`` and the question; a resume with the answer goes on. One run at a
time per thread. Runs live in the server's memory within the limits of :mod:`qsm.serve.retention` (their
events as JSON text, their result without its trace); threads and their results live in the run store and
outlast the server."""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from qsm.errors import QsmError
from qsm.graph.events import RunEvent, RunResult
from qsm.graph.runner import stream, stream_resume
from qsm.graph.runtime import Runtime
from qsm.graph.spec import Workflow
from qsm.graph.turns import Turn
from qsm.serve.errors import ApiError
from qsm.serve.retention import Retention

if TYPE_CHECKING:
    from opentelemetry.trace import Tracer

    from qsm.serve.telemetry import RunSpans

__all__ = ["RunManager", "RunRequest", "ServerRun"]

log = logging.getLogger(__name__)

ServerRunStatus = Literal["pending", "running", "success", "error", "interrupted"]


@dataclass(frozen=True)
class RunRequest:
    """What to run: a new turn (``workflow``, ``prompt``, ``earlier`` turns from the client) or, with
    ``resume``, the thread's stopped turn (from ``checkpoint_id`` when given: time travel), or its waiting
    turn with ``answer`` as the user's reply to its question."""

    workflow: Workflow | None = None
    prompt: str = ""
    earlier: Sequence[Turn] = ()
    resume: bool = False
    checkpoint_id: str | None = None
    answer: str | None = None


@dataclass
class ServerRun:
    """A run as the server keeps it: its summary, and its events (``(type, JSON)`` pairs) until
    :class:`~qsm.serve.retention.Retention` drops them (``events_dropped``)."""

    run_id: str
    thread_id: str
    user: str
    kind: Literal["run", "resume"]
    created_at: float = field(default_factory=time.time)
    status: ServerRunStatus = "pending"
    error: str | None = None
    result: RunResult | None = None
    events: list[tuple[str, str]] = field(default_factory=list)
    event_bytes: int = 0
    events_dropped: bool = False
    ended_at: float | None = None
    cancel: threading.Event = field(default_factory=threading.Event)
    ended: threading.Event = field(default_factory=threading.Event)

    def view(self) -> dict[str, Any]:
        """The run as the API shows it (without its events); a waiting run's ``question`` and
        ``choices`` say what it asks (answer it: ``POST /threads/{thread_id}/resume {"answer": ...}``)."""
        result = self.result
        waiting = result is not None and result.status == "waiting"
        return {
            "run_id": self.run_id,
            "thread_id": self.thread_id,
            "kind": self.kind,
            "status": self.status,
            "created_at": self.created_at,
            "error": self.error,
            "result_status": result.status if result else None,
            "final_id": result.final_id if result else None,
            "answer": result.text if result else None,
            "question": result.question if result and waiting else None,
            "choices": result.choices if result and waiting else [],
        }

    def drop_events(self) -> None:
        self.events, self.event_bytes, self.events_dropped = [], 0, True

    def _add(self, event: RunEvent) -> None:
        data = event.model_dump_json()
        self.events.append((event.type, data))
        self.event_bytes += len(data)
        if event.type == "done":
            self.result = event.result.model_copy(update={"trace": []})  # the trace is in the run store


class RunManager:
    """Runs on ``runtime`` with at most ``workers`` at once and ``queue`` more waiting."""

    def __init__(
        self,
        runtime: Runtime,
        *,
        workers: int = 2,
        queue: int = 16,
        tracer: Tracer | None = None,
        retention: Retention | None = None,
    ) -> None:
        self.runtime = runtime
        self._tracer = tracer
        self.retention = retention or Retention()
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="qsm-run")
        self._limit = workers + queue
        self._runs: OrderedDict[str, ServerRun] = OrderedDict()
        self._active: dict[str, str] = {}  # thread id -> its unfinished run
        self._lock = threading.Lock()

    def submit(self, thread_id: str, user: str, request: RunRequest) -> ServerRun:
        """Queue a run on ``thread_id`` (its owner already checked); 409 while the thread has a run going,
        429 when the queue is full."""
        run = ServerRun(uuid.uuid4().hex, thread_id, user, "resume" if request.resume else "run")
        with self._lock:
            if thread_id in self._active:
                raise ApiError(
                    409,
                    f"thread {thread_id} already has a run going ({self._active[thread_id]}); wait for it or cancel it",
                    code="thread_busy",
                )
            if len(self._active) >= self._limit:
                raise ApiError(
                    429, "the server has too many runs going; try again shortly", code="queue_full"
                )
            self._active[thread_id] = run.run_id
            self._runs[run.run_id] = run
        self._pool.submit(self._execute, run, request)
        return run

    def get(self, run_id: str) -> ServerRun | None:
        with self._lock:
            return self._runs.get(run_id)

    def for_thread(self, thread_id: str) -> list[ServerRun]:
        with self._lock:
            return [r for r in self._runs.values() if r.thread_id == thread_id]

    def active_run(self, thread_id: str) -> ServerRun | None:
        with self._lock:
            run_id = self._active.get(thread_id)
            return self._runs.get(run_id) if run_id else None

    def cancel(self, run: ServerRun) -> None:
        """Stop ``run`` at its next event (a pending one never starts); its thread can be resumed."""
        run.cancel.set()

    def close(self) -> None:
        """Cancel every run, wait for the workers."""
        with self._lock:
            for run in self._runs.values():
                run.cancel.set()
        self._pool.shutdown(wait=True, cancel_futures=False)

    def _execute(self, run: ServerRun, request: RunRequest) -> None:
        if self._tracer is None:
            self._drive(run, request, None)
            return
        from qsm.serve.telemetry import RunSpans

        attributes = {
            "qsm.thread_id": run.thread_id,
            "qsm.run_id": run.run_id,
            "qsm.user": run.user,
            "qsm.kind": run.kind,
            "qsm.workflow": request.workflow.name if request.workflow else None,
        }
        with RunSpans(self._tracer, attributes) as spans:
            self._drive(run, request, spans)
            if run.status != "success":
                spans.failed(run.error or run.status)

    def _drive(self, run: ServerRun, request: RunRequest, spans: RunSpans | None) -> None:
        try:
            if run.cancel.is_set():
                run.status = "interrupted"
                return
            run.status = "running"
            events = self._events(run, request)
            try:
                for event in events:
                    run._add(event)
                    if spans is not None:
                        spans.add(event)
                    if run.cancel.is_set():
                        break
            finally:  # a cancelled run stops here: the runner marks its thread interrupted
                close = getattr(events, "close", None)
                if close is not None:
                    close()
            stopped = run.result is None or run.result.status == "interrupted"
            run.status = "interrupted" if run.cancel.is_set() and stopped else "success"
        except QsmError as err:
            run.status, run.error = "error", err.message + (f" (hint: {err.hint})" if err.hint else "")
        except Exception as exc:
            log.exception("run %s on thread %s failed", run.run_id, run.thread_id)
            run.status, run.error = "error", f"internal error: {type(exc).__name__}"
        finally:
            with self._lock:
                if self._active.get(run.thread_id) == run.run_id:
                    del self._active[run.thread_id]
                run.ended_at = time.time()
                self.retention.prune(self._runs, run.ended_at)
            run.ended.set()

    def _events(self, run: ServerRun, request: RunRequest) -> Iterator[RunEvent]:
        if request.resume:
            return stream_resume(
                run.thread_id,
                runtime=self.runtime,
                checkpoint_id=request.checkpoint_id,
                cancel=run.cancel,
                answer=request.answer,
            )
        return stream(
            request.workflow,
            request.prompt,
            runtime=self.runtime,
            thread_id=run.thread_id,
            user=run.user,
            earlier=request.earlier,
            cancel=run.cancel,  # a cancel stops the run at its next token, not after the step
        )
