"""Runs that outlive whoever started them: a background :class:`RunManager` (one per app or server process)
drives each run in a bounded thread pool and keeps its events, and any number of readers follow a run from
any offset, so a page that reloads, a second tab or an HTTP client sees the run still going, or finished.

::

    manager = RunManager(max_running=2)
    run = manager.ask(runtime, "What is 2+2?", thread_id="T")
    for event in run.follow():          # from the first event; follow(len(seen)) picks up where you were
        ...
    manager.stop("T")                   # the run stops at its next token and stays resumable
    manager.resume(runtime, "T")

One run per thread at a time: a new turn or a resume on a thread whose run is still going is refused.
"""

from __future__ import annotations

import queue
import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any, Literal

from qsm.errors import QsmError

if TYPE_CHECKING:
    from qsm.graph.events import RunEvent, RunResult
    from qsm.graph.runtime import Runtime
    from qsm.graph.spec import Workflow

__all__ = ["LiveRun", "RunManager", "RunPhase"]

RunPhase = Literal["queued", "running", "finished"]
"""``queued`` waits for a free worker (the manager's ``max_running`` runs are going), ``running`` streams,
``finished`` has its last event (``done``, or ``error`` says why there is none)."""

EventSource = Callable[[threading.Event], Iterator["RunEvent"]]


class LiveRun:
    """One run driven by a :class:`RunManager`: its events so far, its phase, its stop signal; ``question``
    is the turn's question and ``data_dir`` the data dir of the runtime it runs on (when known)."""

    def __init__(
        self, thread_id: str, kind: Literal["ask", "resume"], *, question: str = "", data_dir: str = ""
    ) -> None:
        self.thread_id = thread_id
        self.kind = kind
        self.question = question
        self.data_dir = data_dir
        self.cancel = threading.Event()
        self.phase: RunPhase = "queued"
        self.error: QsmError | None = None
        self.started = time.time()
        self._events: list[RunEvent] = []
        self._changed = threading.Condition()

    @property
    def finished(self) -> bool:
        return self.phase == "finished"

    @property
    def result(self) -> RunResult | None:
        """The run's result once its ``done`` event has come."""
        last = self._events[-1] if self._events else None
        return last.result if last is not None and last.type == "done" else None

    def stop(self) -> None:
        """Ask the run to stop: it does at its next token (or between steps) and stays resumable."""
        self.cancel.set()

    def events(self, start: int = 0) -> list[RunEvent]:
        """The events from ``start`` on that have come so far."""
        with self._changed:
            return self._events[start:]

    def wait(self, start: int, timeout: float | None = None) -> tuple[list[RunEvent], bool]:
        """The events from ``start`` on, waiting up to ``timeout`` seconds for one when there is none yet;
        and whether the run has finished (then no event comes after these)."""
        with self._changed:
            if len(self._events) <= start and not self.finished:
                self._changed.wait(timeout)
            return self._events[start:], self.finished

    def follow(self, start: int = 0, *, poll_s: float = 0.5) -> Iterator[RunEvent | None]:
        """Every event from ``start`` on as it comes, until the run finishes. Yields None when nothing came
        for ``poll_s`` seconds (a reader can redraw or notice that it should stop)."""
        offset = start
        while True:
            events, finished = self.wait(offset, poll_s)
            offset += len(events)
            yield from events
            if finished:  # its events all came before it finished
                return
            if not events:
                yield None

    def _publish(self, event: RunEvent) -> None:
        with self._changed:
            self._events.append(event)
            self._changed.notify_all()

    def _set_phase(self, phase: RunPhase, error: QsmError | None = None) -> None:
        with self._changed:
            self.phase = phase
            self.error = error
            self._changed.notify_all()


class RunManager:
    """Drives runs in the background, at most ``max_running`` at once (the others wait in a queue), and
    remembers the last run of each thread (the last ``keep`` threads' runs once they have finished).

    Its workers are daemon threads: a process that exits does not wait for its runs, which the run store
    still marks ``running`` (shown as stopped) and which resume from their last checkpoint."""

    def __init__(self, max_running: int = 2, keep: int = 200) -> None:
        if max_running < 1:
            raise ValueError("max_running must be at least 1")
        self.max_running = max_running
        self.keep = keep
        self._queue: queue.SimpleQueue[tuple[LiveRun, EventSource] | None] = queue.SimpleQueue()
        self._workers: list[threading.Thread] = []
        self._runs: OrderedDict[str, LiveRun] = OrderedDict()
        self._lock = threading.Lock()

    def ask(
        self,
        runtime: Runtime,
        prompt: str,
        *,
        workflow: Workflow | None = None,
        thread_id: str | None = None,
        user: str = "local",
    ) -> LiveRun:
        """Ask ``prompt`` as the next turn on ``thread_id`` (a new thread without one) in the background."""
        from qsm.graph.runner import stream

        thread_id = thread_id or uuid.uuid4().hex[:12]

        def events(cancel: threading.Event) -> Iterator[RunEvent]:
            return stream(workflow, prompt, runtime=runtime, thread_id=thread_id, user=user, cancel=cancel)

        return self.start(thread_id, events, kind="ask", question=prompt, data_dir=str(runtime.data_dir))

    def resume(
        self,
        runtime: Runtime,
        thread_id: str,
        *,
        options: dict[str, Any] | None = None,
        answer: str | None = None,
    ) -> LiveRun:
        """Finish the thread's stopped turn in the background (see :func:`qsm.graph.runner.stream_resume`);
        ``answer`` replies to the question of a turn that waits for the user."""
        from qsm.graph.runner import stream_resume

        def events(cancel: threading.Event) -> Iterator[RunEvent]:
            return stream_resume(thread_id, runtime=runtime, options=options, cancel=cancel, answer=answer)

        info = runtime.runs.thread(thread_id)
        question = info.request if info is not None else ""
        return self.start(thread_id, events, kind="resume", question=question, data_dir=str(runtime.data_dir))

    def start(
        self,
        thread_id: str,
        events: EventSource,
        *,
        kind: Literal["ask", "resume"] = "ask",
        question: str = "",
        data_dir: str = "",
    ) -> LiveRun:
        """Drive ``events(cancel)`` (a run's event stream, given the run's stop signal) in the background."""
        with self._lock:
            current = self._runs.get(thread_id)
            if current is not None and not current.finished:
                raise QsmError(
                    f"thread {thread_id} has a run going",
                    hint="wait for it to finish, or stop it first",
                )
            run = LiveRun(thread_id, kind, question=question, data_dir=data_dir)
            self._runs[thread_id] = run
            self._runs.move_to_end(thread_id)
            self._forget_old()
            while len(self._workers) < self.max_running:
                worker = threading.Thread(
                    target=self._work, name=f"qsm-run-{len(self._workers)}", daemon=True
                )
                worker.start()
                self._workers.append(worker)
            self._queue.put((run, events))
        return run

    def get(self, thread_id: str) -> LiveRun | None:
        """The thread's last run this manager drove (going or finished), if it remembers one."""
        with self._lock:
            return self._runs.get(thread_id)

    def live(self, thread_id: str) -> LiveRun | None:
        """The thread's run if it is queued or going."""
        run = self.get(thread_id)
        return run if run is not None and not run.finished else None

    def live_threads(self) -> set[str]:
        """The threads whose runs are queued or going."""
        with self._lock:
            return {t for t, run in self._runs.items() if not run.finished}

    def stop(self, thread_id: str) -> bool:
        """Stop the thread's run at its next token; False when none is going."""
        run = self.live(thread_id)
        if run is None:
            return False
        run.stop()
        return True

    def shutdown(self, *, wait: bool = True) -> None:
        """Stop every run (each stays resumable) and the workers."""
        with self._lock:
            runs = list(self._runs.values())
        for run in runs:
            run.stop()
        with self._lock:
            workers, self._workers = self._workers, []
        for _ in workers:
            self._queue.put(None)
        if wait:
            for worker in workers:
                worker.join()

    def _work(self) -> None:
        while (item := self._queue.get()) is not None:
            self._drive(*item)

    def _drive(self, run: LiveRun, source: EventSource) -> None:
        # a run stopped while queued still starts: its question is recorded and it stops before its
        # first model call, resumable like any stopped run
        run._set_phase("running")
        error: QsmError | None = None
        events = source(run.cancel)
        try:
            for event in events:
                run._publish(event)
        except QsmError as err:
            error = err
        except BaseException as exc:  # reported to the readers; the worker goes on with the next run
            error = QsmError(f"the run failed: {type(exc).__name__}: {exc}")
        finally:
            close = getattr(events, "close", None)
            if close is not None:
                close()
            run._set_phase("finished", error)

    def _forget_old(self) -> None:
        finished = [t for t, run in self._runs.items() if run.finished]
        for thread_id in finished[: max(0, len(self._runs) - self.keep)]:
            del self._runs[thread_id]
