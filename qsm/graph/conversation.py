"""A conversation in Python: a thread of turns, each turn a run on it, the earlier turns reaching QSM and WeQ.

::

    from qsm import Conversation

    with Conversation() as chat:
        chat.ask("What is the capital of France?")
        print(chat.ask("How many people live there?").text)
        for turn in chat.history():
            print(turn.question, "->", turn.answer)

``Conversation(thread_id)`` continues an existing thread (``Conversation.resume_thread`` also takes its
workflow and user from it); ``new()`` starts another thread; ``resume()`` finishes a stopped turn.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import AsyncIterator, Iterator
from typing import TYPE_CHECKING

from qsm.graph.runner import resume, run, stream, stream_resume
from qsm.graph.runtime import Runtime
from qsm.graph.spec import Workflow
from qsm.graph.turn_history import thread_turns
from qsm.graph.turns import Turn

if TYPE_CHECKING:
    from qsm.graph.events import RunEvent, RunResult

__all__ = ["Conversation"]


class Conversation:
    """A thread of turns for one ``user`` on one ``workflow`` (the built-in team by default).

    Without a ``runtime`` it opens one on first use (``Runtime.open()``: the config file and environment)
    and closes it in :meth:`close` or at the end of a ``with`` block; a given runtime is left open."""

    def __init__(
        self,
        thread_id: str | None = None,
        *,
        user: str = "local",
        workflow: Workflow | None = None,
        runtime: Runtime | None = None,
    ) -> None:
        self.thread_id = thread_id or _new_id()
        self.user = user
        self.workflow = workflow or Workflow.default()
        self._runtime = runtime
        self._own = runtime is None

    @classmethod
    def resume_thread(cls, thread_id: str, *, runtime: Runtime | None = None) -> Conversation:
        """The conversation of an existing thread, with the workflow and user its last turn ran with."""
        conversation = cls(thread_id, runtime=runtime)
        info = conversation.runtime.runs.thread(thread_id)
        if info is None:
            from qsm.errors import QsmError

            conversation.close()
            raise QsmError(f"no thread {thread_id!r}", hint="`qsm threads` lists them")
        conversation.workflow = Workflow.from_yaml(info.workflow_yaml)
        conversation.user = info.user
        return conversation

    @property
    def runtime(self) -> Runtime:
        if self._runtime is None:
            self._runtime = Runtime.open()
        return self._runtime

    def stream(self, text: str, *, cancel: threading.Event | None = None) -> Iterator[RunEvent]:
        """Ask ``text`` as the next turn and yield its events; the last one is ``done`` with the result.
        Setting ``cancel`` stops the turn at its next token (status ``interrupted``; :meth:`resume`
        finishes it)."""
        return stream(
            self.workflow, text, runtime=self.runtime, thread_id=self.thread_id, user=self.user, cancel=cancel
        )

    def ask(self, text: str) -> RunResult:
        """Ask ``text`` as the next turn and return its result."""
        return run(self.workflow, text, runtime=self.runtime, thread_id=self.thread_id, user=self.user)

    async def aask(self, text: str) -> RunResult:
        """:meth:`ask` for asyncio: the turn runs in a worker thread (see :mod:`qsm.graph.aio`)."""
        from qsm.graph.aio import arun

        return await arun(self.workflow, text, runtime=self.runtime, thread_id=self.thread_id, user=self.user)

    def astream(self, text: str, *, cancel: threading.Event | None = None) -> AsyncIterator[RunEvent]:
        """:meth:`stream` for asyncio."""
        from qsm.graph.aio import astream

        return astream(
            self.workflow, text, runtime=self.runtime, thread_id=self.thread_id, user=self.user, cancel=cancel
        )

    def stream_resume(
        self, *, cancel: threading.Event | None = None, answer: str | None = None
    ) -> Iterator[RunEvent]:
        """Continue the turn that was stopped (Ctrl-C, a crash) from its last checkpoint; ``answer`` replies
        to the question of a turn that waits for the user."""
        return stream_resume(self.thread_id, runtime=self.runtime, cancel=cancel, answer=answer)

    def resume(self, answer: str | None = None) -> RunResult:
        """Finish the stopped turn; ``answer`` replies to the question of a turn that waits for the user."""
        return resume(self.thread_id, runtime=self.runtime, answer=answer)

    def history(self) -> list[Turn]:
        """The turns so far, oldest first: each question and its answer (None where there is no verified
        one; ``status`` says why)."""
        if self.runtime.runs.thread(self.thread_id) is None:
            return []
        return thread_turns(self.thread_id, self.runtime)

    def new(self) -> str:
        """Start a new thread (a conversation with no earlier turns); returns its id."""
        self.thread_id = _new_id()
        return self.thread_id

    def close(self) -> None:
        if self._own and self._runtime is not None:
            self._runtime.close()
            self._runtime = None

    def __enter__(self) -> Conversation:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _new_id() -> str:
    return uuid.uuid4().hex[:12]
