"""Run a workflow: ``stream`` yields events as they happen, ``run`` returns the result, ``resume``
continues a thread from its last checkpoint (after a crash or a stop)."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator, Sequence
from typing import Any, get_args

from langgraph.types import Command
from pydantic import BaseModel

from qsm.agents.messages import FinalAnswer, FinalStatus, UserRequest
from qsm.errors import PromptTooLongError, QsmError, SpecError
from qsm.graph.cancel import RunCancelled, run_config
from qsm.graph.checkpoint import ThreadInfo
from qsm.graph.compile import compiled
from qsm.graph.envelope import Envelope
from qsm.graph.events import (
    DoneEvent,
    EventType,
    MessageEvent,
    NodeDoneEvent,
    QuestionEvent,
    RunEvent,
    RunResult,
    RunStatus,
    as_event,
)
from qsm.graph.runtime import RUN_USER_KEY, Runtime
from qsm.graph.spec import USER, Workflow
from qsm.graph.state import new_run_input
from qsm.graph.turn_history import carry_over
from qsm.graph.turns import Turn
from qsm.merge import deep_merge
from qsm.userid import check_user_id

__all__ = [
    "Checkpoint",
    "EventType",
    "RunEvent",
    "RunResult",
    "RunStatus",
    "history",
    "load_result",
    "resume",
    "run",
    "stream",
    "stream_resume",
]


_FINISHED: frozenset[str] = frozenset(get_args(FinalStatus))
_BRANCH = "branch_from"  # in a thread's stored options: the checkpoint its last turn branched off


def stream(
    workflow: Workflow | None = None,
    prompt: str = "",
    *,
    runtime: Runtime | None = None,
    thread_id: str | None = None,
    user: str = "local",
    earlier: Sequence[Turn] = (),
    cancel: threading.Event | None = None,
    from_checkpoint: str | None = None,
) -> Iterator[RunEvent]:
    """Start a run on a new (or given) thread and yield its events; the last one is ``done`` with the
    :class:`RunResult` in ``event.result``. On a thread that already holds runs this is a new turn: it
    starts from a clean per-run state (its own budget, answer, cost and trace), and the thread's history
    keeps the earlier turns for time travel; :func:`stream_resume` continues an interrupted turn instead.
    ``earlier``: turns from outside the thread (an API client's conversation) that the run sees when the
    thread holds none.

    Setting ``cancel`` stops the run at its next token (or before its next model call, or between two
    steps): the last event is then ``done`` with status ``interrupted``, and :func:`stream_resume` finishes
    the turn from its checkpoint.

    ``from_checkpoint`` (a turn's start, :func:`~qsm.graph.turn_history.turn_starts`) makes the turn a new
    branch of the thread's history: it sees only the turns before that checkpoint, and the thread's current
    branch becomes this one (regenerate an answer, or edit an earlier question and go on from there); the
    old branch's checkpoints stay in the history."""
    user = check_user_id(user)  # it names the user's memory: /users/<user>/chats
    own = runtime is None
    runtime = runtime or Runtime.open()
    try:
        workflow = (workflow or Workflow.default()).check()
        # the graph is built (and cached) first: what the runtime refuses fails before a thread starts
        compiled(runtime, workflow)
        limit = runtime.settings.runtime.max_prompt_chars
        if not isinstance(prompt, str):
            raise SpecError(
                f"the prompt must be text, not {type(prompt).__name__}",
                hint="pass the request as a string (decode bytes first)",
            )
        if not prompt.strip():
            raise SpecError("the prompt is empty", hint='ask something, e.g. qsm ask "What is 2+2?"')
        if len(prompt) > limit:
            raise PromptTooLongError(
                f"the prompt is {len(prompt)} characters; the limit is {limit}",
                hint="shorten it, put long text into memory (qsm memory ingest), or raise runtime.max_prompt_chars",
            )
        thread_id = thread_id or uuid.uuid4().hex[:12]
        runtime.runs.start_thread(
            thread_id,
            workflow.name,
            runtime.workflow_yaml(workflow),
            prompt,
            user,
            options=_run_options(runtime) | ({_BRANCH: from_checkpoint} if from_checkpoint else {}),
            base_checkpoint=runtime.runs.last_checkpoint(thread_id),
        )
        yield from _start_turn(runtime, workflow, thread_id, prompt, user, earlier, cancel, from_checkpoint)
    finally:
        if own:
            runtime.close()


def stream_resume(
    thread_id: str,
    *,
    runtime: Runtime | None = None,
    checkpoint_id: str | None = None,
    options: dict[str, Any] | None = None,
    cancel: threading.Event | None = None,
    answer: str | None = None,
) -> Iterator[RunEvent]:
    """Continue a thread from its last checkpoint, or (time travel) re-run it from ``checkpoint_id``:
    the steps after that checkpoint run again as a new branch of the thread's history. A run killed
    before its graph started restarts from its request. The run keeps its own settings (fan-out, repair
    limit, budget: the ``runtime`` and ``budget`` sections it started with); ``options``, nested like the
    config (``{"budget": {"seconds": 60}}``), overrides them and is kept for later resumes.
    ``cancel`` stops it as in :func:`stream`. A run that waits for the user (status ``waiting``) goes on
    with ``answer`` as the reply to its question; without one it stays waiting."""
    own = runtime is None
    runtime = runtime or Runtime.open()
    try:
        info = runtime.runs.thread(thread_id)
        if info is None:
            raise QsmError(f"no thread {thread_id!r} in {runtime.data_dir}", hint="`qsm threads` lists them")
        workflow = _stored_workflow(info.workflow_yaml, runtime)
        # a branch's turn that never started starts again from its branch point
        branch = {_BRANCH: info.options[_BRANCH]} if info.options.get(_BRANCH) else {}
        stored = deep_merge({k: v for k, v in info.options.items() if k != _BRANCH}, options or {})
        runtime = runtime.with_settings(runtime.settings.with_overrides(stored))
        if options:
            runtime.runs.set_options(thread_id, _run_options(runtime) | branch)
        if checkpoint_id is None and _never_started(runtime, info):
            runtime.runs.set_status(thread_id, "running")
            yield from _start_turn(
                runtime,
                workflow,
                thread_id,
                info.request,
                info.user,
                cancel=cancel,
                from_checkpoint=branch.get(_BRANCH),
            )
            return
        graph = compiled(runtime, workflow)
        config = _config(thread_id, checkpoint_id)
        snapshot = graph.get_state(config)
        if checkpoint_id is not None and snapshot.created_at is None:  # LangGraph's answer for an unknown id
            raise QsmError(
                f"thread {thread_id} has no checkpoint {checkpoint_id}", hint=f"`qsm history {thread_id}`"
            )
        # a step stopped after its tasks stored their writes (Ctrl-C while a task ran in LangGraph's
        # worker thread) lists no next node but still has tasks: the resume commits them and goes on
        if not snapshot.next and not snapshot.tasks:
            yield DoneEvent(result=_result(thread_id, snapshot.values), resumed=False)
            return
        if snapshot.interrupts and answer is None and checkpoint_id is None:
            yield DoneEvent(result=_waiting(thread_id, snapshot), resumed=False)
            return
        runtime.runs.set_status(thread_id, "running")
        # several steps may ask at once (parallel candidates): the answer goes to the first question, and
        # the run waits again for the others
        command: Command[Any] | None = (
            Command(resume={snapshot.interrupts[0].id: answer})
            if answer is not None and snapshot.interrupts
            else None
        )
        yield from _drive(runtime, workflow, thread_id, command, checkpoint_id, cancel)
    finally:
        if own:
            runtime.close()


def run(workflow: Workflow | None = None, prompt: str = "", **kwargs: Any) -> RunResult:
    """Run to the end and return the result (events are dropped; use :func:`stream` to see them)."""
    return _last_result(stream(workflow, prompt, **kwargs))


def resume(
    thread_id: str,
    *,
    runtime: Runtime | None = None,
    checkpoint_id: str | None = None,
    options: dict[str, Any] | None = None,
    answer: str | None = None,
) -> RunResult:
    """Resume to the end and return the result (see :func:`stream_resume`; ``answer`` replies to the
    question of a waiting run)."""
    return _last_result(
        stream_resume(thread_id, runtime=runtime, checkpoint_id=checkpoint_id, options=options, answer=answer)
    )


def load_result(thread_id: str, runtime: Runtime) -> tuple[RunResult, Workflow] | None:
    """What a past thread holds now (finished or not), and its workflow; None if there is no such thread."""
    info = runtime.runs.thread(thread_id)
    if info is None:
        return None
    workflow = _stored_workflow(info.workflow_yaml, runtime)
    # a turn killed before its graph started has no state yet (the checkpoints hold the earlier turn's)
    snapshot = (
        None if _never_started(runtime, info) else compiled(runtime, workflow).get_state(_config(thread_id))
    )
    if snapshot is not None and snapshot.interrupts:
        return _waiting(thread_id, snapshot), workflow
    values = {} if snapshot is None else snapshot.values
    result = _result(thread_id, values)
    if result.final is None and info.status not in _FINISHED:
        result = result.model_copy(update=_unfinished(info, result.errors))
    return result, workflow


def _unfinished(info: ThreadInfo, errors: list[str]) -> dict[str, Any]:
    """The :class:`RunResult` fields for a thread without a final answer, from the status the run store
    keeps (``running``, ``interrupted``, ``incomplete``, or ``error`` with its message)."""
    if info.status != "error":
        return {"status": info.status}
    message = info.error or "the run stopped on an error"
    return {"status": "error", "errors": [*errors, message] if message not in errors else errors}


def _drive(
    runtime: Runtime,
    workflow: Workflow,
    thread_id: str,
    initial: dict[str, Any] | Command | None,
    checkpoint_id: str | None = None,
    cancel: threading.Event | None = None,
) -> Iterator[RunEvent]:
    graph = compiled(runtime, workflow)
    config = run_config(_config(thread_id, checkpoint_id), cancel)
    info = runtime.runs.thread(thread_id)
    if info is not None:  # what the run records on the ledger is its user's
        config["configurable"] = {**config["configurable"], RUN_USER_KEY: info.user}
    chunks = graph.stream(initial, config, stream_mode=["custom", "updates"])
    stopped = False
    try:
        for mode, chunk in chunks:
            if mode == "custom":
                yield as_event(chunk)
            else:
                for node in chunk:
                    if node == "__interrupt__":
                        for asked in chunk[node]:
                            yield QuestionEvent(**_question(asked.value))
                    elif node in graph.nodes:  # not a durable task's result (agent_call.durable)
                        yield NodeDoneEvent(node=node)
            if cancel is not None and cancel.is_set():  # between steps, or a step without model calls
                stopped = True
                break
    except RunCancelled:  # a step saw the signal at its next token: it left no writes, so it runs again
        stopped = True
    except QsmError as err:
        runtime.runs.set_status(thread_id, "error", error=err.message)
        raise
    except BaseException:
        runtime.runs.set_status(thread_id, "interrupted")
        raise
    finally:
        chunks.close()  # a stop between steps: LangGraph waits for the step's tasks, which see the signal
    snapshot = graph.get_state(_config(thread_id))
    if stopped and (snapshot.next or snapshot.tasks):  # a stop after the last step changes nothing
        runtime.runs.set_status(thread_id, "interrupted")
        result = _result(thread_id, snapshot.values).model_copy(update={"status": "interrupted"})
        yield DoneEvent(result=result)
        return
    if snapshot.interrupts:  # a step asks the user: the run waits, durably, for resume(answer=...)
        runtime.runs.set_status(thread_id, "waiting")
        yield DoneEvent(result=_waiting(thread_id, snapshot))
        return
    result = _result(thread_id, snapshot.values)
    runtime.runs.set_status(thread_id, result.status, result.final_id)
    yield DoneEvent(result=result)


def _stored_workflow(text: str, runtime: Runtime) -> Workflow:
    """A thread's stored spec, its functions allowed by the runtime's ``[tools] allowed_modules``."""
    return Workflow.from_yaml(text, allowed_modules=list(runtime.settings.tools.allowed_modules))


def _question(value: Any) -> dict[str, Any]:
    """The question an interrupt carries: a :class:`~qsm.graph.human.Question`'s fields, or any value
    (a LangGraph ``interrupt`` called directly) as its text."""
    if isinstance(value, dict) and "question" in value:
        return {
            "question": str(value["question"]),
            "node": value.get("node") or None,
            "choices": [str(c) for c in value.get("choices", [])],
        }
    return {"question": str(value)}


def _waiting(thread_id: str, snapshot: Any) -> RunResult:
    asked = _question(snapshot.interrupts[0].value)
    return _result(thread_id, snapshot.values).model_copy(
        update={"status": "waiting", "question": asked["question"], "choices": asked.get("choices", [])}
    )


def _last_result(events: Iterator[RunEvent]) -> RunResult:
    result = None
    for event in events:
        if event.type == "done":
            result = event.result
    assert result is not None, "a run always ends with a done event"
    return result


def _result(thread_id: str, values: dict[str, Any]) -> RunResult:
    final_env = Envelope.model_validate(values["final"]) if values.get("final") else None
    cost_env = Envelope.model_validate(values["cost"]) if values.get("cost") else None
    final = final_env.message() if final_env else None
    return RunResult(
        thread_id=thread_id,
        final=final,
        final_id=final_env.id if final_env else None,
        status=final.status if isinstance(final, FinalAnswer) else "incomplete",
        trace=[Envelope.model_validate(e) for e in values.get("trace", [])],
        cost=cost_env.message() if cost_env else None,
        receipt=values.get("receipt"),
        errors=list(values.get("errors", [])),
    )


def _config(thread_id: str, checkpoint_id: str | None = None) -> dict[str, Any]:
    configurable = {"thread_id": thread_id} | ({"checkpoint_id": checkpoint_id} if checkpoint_id else {})
    return {"configurable": configurable, "recursion_limit": 200}


class Checkpoint(BaseModel):
    checkpoint_id: str
    step: int
    created_at: str
    next: list[str]
    wrote: list[str]
    messages: int


def history(thread_id: str, runtime: Runtime) -> list[Checkpoint]:
    """A thread's checkpoints, newest first (what ``resume --from`` can go back to)."""
    info = runtime.runs.thread(thread_id)
    if info is None:
        raise QsmError(f"no thread {thread_id!r} in {runtime.data_dir}", hint="`qsm threads` lists them")
    graph = compiled(runtime, _stored_workflow(info.workflow_yaml, runtime))
    out = []
    for snap in graph.get_state_history(_config(thread_id)):
        meta = snap.metadata or {}
        out.append(
            Checkpoint(
                checkpoint_id=snap.config["configurable"]["checkpoint_id"],
                step=meta.get("step", -1),
                created_at=snap.created_at or "",
                next=list(snap.next),
                wrote=sorted(meta.get("writes") or {}),
                messages=len(snap.values.get("trace", [])),
            )
        )
    return out


def _entry_agent(workflow: Workflow) -> str:
    for channel in workflow.channels:
        if channel.source.lower() == USER and channel.type == "UserRequest":
            return channel.target
    raise SpecError(
        f"workflow {workflow.name!r} has no user -> agent channel for UserRequest", hint="add one"
    )


def _start_turn(
    runtime: Runtime,
    workflow: Workflow,
    thread_id: str,
    prompt: str,
    user: str,
    given: Sequence[Turn] = (),
    cancel: threading.Event | None = None,
    from_checkpoint: str | None = None,
) -> Iterator[RunEvent]:
    """Send the request and drive the graph from it: a new turn (a branch from ``from_checkpoint`` when
    given), or one that never got past its input."""
    entry = _entry_agent(workflow)
    book = runtime.channel_book(workflow)
    request = book.send(
        UserRequest(text=prompt, user=user), source=USER, target=entry, parents=[], node="input"
    )
    yield MessageEvent(node="input", envelope=request)
    # a new turn on a thread starts from a clean per-run state; its checkpoints keep the earlier turns,
    # and QSM and WeQ see the latest of them (older ones summarised by WeQ)
    try:
        earlier, spent = yield from carry_over(runtime, workflow, thread_id, given, cancel, from_checkpoint)
    except RunCancelled:  # stopped while WeQ summarised the earlier turns: resume starts the turn again
        runtime.runs.set_status(thread_id, "interrupted")
        yield DoneEvent(result=_result(thread_id, {}).model_copy(update={"status": "interrupted"}))
        return
    conversation = earlier.model_dump(mode="json") if earlier else None
    initial = new_run_input(workflow.name, request.model_dump(), conversation, spent)
    yield from _drive(runtime, workflow, thread_id, initial, from_checkpoint, cancel)


def _run_options(runtime: Runtime) -> dict[str, Any]:
    """The settings a run keeps for its resumes: fan-out, repair limit, collapse, router and the rest of
    ``[runtime]``, and the ``[budget]`` caps."""
    settings = runtime.settings
    return {
        "runtime": settings.runtime.model_dump(mode="json"),
        "budget": settings.budget.model_dump(mode="json"),
    }


def _never_started(runtime: Runtime, info: ThreadInfo) -> bool:
    """Whether the thread's last run was recorded but killed (or stopped) before its graph stored its
    input: the thread's last checkpoint is still the one from before the run."""
    return (
        info.status not in _FINISHED and runtime.runs.last_checkpoint(info.thread_id) == info.base_checkpoint
    )
