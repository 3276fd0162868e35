"""A thread's turns, read from its checkpoints: :func:`carry_over` prepares what a new turn carries of the
earlier ones (:class:`~qsm.graph.turns.EarlierTurns`), :func:`thread_turns` lists them for people.

When a new turn starts, :func:`carry_over` reads the turn before it from the thread's last checkpoint (its
question, its answer, and the earlier turns that turn carried), keeps the newest turns word for word within
``[runtime] history_tokens`` (counted by WeQ's model) and has WeQ summarise the older ones in one bounded
call, charged to the new turn. The result rides in the run state, so a resumed turn sees what it saw when
it started.
"""

from __future__ import annotations

import threading
from collections.abc import Generator, Sequence
from typing import TYPE_CHECKING, Any

from qsm.agents.messages import FinalAnswer, UserRequest
from qsm.agents.roles import chat, clip, role_prompt
from qsm.errors import BudgetExhausted, QsmError
from qsm.graph.agent_call import AgentCall
from qsm.graph.compile import compiled
from qsm.graph.envelope import Envelope
from qsm.graph.events import StepEvent, TokenEvent
from qsm.graph.spec import Workflow
from qsm.graph.turns import NO_ANSWER, EarlierTurns, Turn, clipped, turn_size, with_history

if TYPE_CHECKING:
    from qsm.graph.events import RunEvent
    from qsm.graph.runtime import Runtime

__all__ = ["carry_over", "thread_turns", "turn_starts"]

_TURN_CHARS = 600  # each older turn's question and answer, as WeQ reads them to summarise


def carry_over(
    runtime: Runtime,
    workflow: Workflow,
    thread_id: str,
    given: Sequence[Turn] = (),
    cancel: threading.Event | None = None,
    checkpoint_id: str | None = None,
) -> Generator[RunEvent, None, tuple[EarlierTurns | None, dict[str, dict[str, Any]]]]:
    """The earlier turns a new turn on ``thread_id`` sees, and what preparing them cost (WeQ's summary call,
    whose events this generator yields): those up to the thread's last checkpoint, or up to
    ``checkpoint_id`` for a turn that branches off there. Nothing on a new thread, for a pipeline, or with
    ``history_tokens = 0``. ``given`` (an API client's earlier messages) stands in for the thread's own
    turns when it has none, within the same budget."""
    budget = runtime.settings.runtime.history_tokens
    if budget <= 0 or workflow.kind != "team" or (runtime.runs.thread(thread_id) is None and not given):
        return None, {}
    at = {"thread_id": thread_id} | ({"checkpoint_id": checkpoint_id} if checkpoint_id else {})
    values = compiled(runtime, workflow).get_state({"configurable": at}).values
    before = EarlierTurns.model_validate(values.get("conversation") or {})
    last = _last_turn(values, "interrupted")  # a new turn started: the one before it will not finish
    own = [*before.turns, *([last] if last else [])]
    turns = EarlierTurns(summary=before.summary, turns=own if own or before.summary else list(given))
    if turns.empty:
        return None, {}
    agent = workflow.by_role("communicator")
    model = runtime.model(agent)

    def tokens(t: EarlierTurns) -> int:
        return model.count_tokens(with_history(chat("", ""), t, 1.0)) - model.count_tokens(chat("", ""))

    used = tokens(turns)
    if used <= budget:
        return _with_budget(turns, used, budget), {}
    # the newest turns that fit in half the budget stay word for word; WeQ summarises the others
    keep: list[Turn] = []
    for turn in reversed(turns.turns):
        if tokens(EarlierTurns(turns=[turn, *keep])) > budget // 2:
            break
        keep.insert(0, turn)
    older = turns.turns[: len(turns.turns) - len(keep)]
    if not keep:  # the newest turn alone is too long: it stays, clipped to half the budget
        newest = turns.turns[-1]
        share = turn_size(newest) * (budget // 2) // max(1, used)
        keep, older = [clipped(newest, share)], turns.turns[:-1]
    summary, spent = turns.summary, dict[str, dict[str, Any]]()
    if older:
        summary, spent = yield from _summarise(runtime, workflow, turns.summary, older, budget, cancel)
    summary_chars = len(summary) * (budget // 2) // max(1, tokens(EarlierTurns(summary=summary)))
    kept = EarlierTurns(summary=clip(summary, 1.0, summary_chars) if summary else "", turns=keep)
    return _with_budget(kept, tokens(kept), budget), spent


def _with_budget(turns: EarlierTurns, used: int, budget: int) -> EarlierTurns:
    """``turns`` knowing how many characters of such text the token budget holds."""
    return turns.model_copy(update={"budget_chars": max(turns.size, turns.size * budget // max(1, used))})


def _last_turn(values: dict[str, Any], unfinished: str) -> Turn | None:
    """The turn a checkpoint holds: its question, and its answer if it has a verified one; ``unfinished``
    is its status when it has no answer yet."""
    if not values.get("request"):
        return None
    question = Envelope.model_validate(values["request"]).message_as(UserRequest).text
    if values.get("final"):
        final = Envelope.model_validate(values["final"]).message_as(FinalAnswer)
        verified = final.status not in ("rejected", "failed")
        return Turn(question=question, answer=final.text if verified else None, status=final.status)
    return Turn(question=question, status=unfinished)


def _summarise(
    runtime: Runtime,
    workflow: Workflow,
    summary: str,
    older: list[Turn],
    budget: int,
    cancel: threading.Event | None = None,
) -> Generator[RunEvent, None, tuple[str, dict[str, dict[str, Any]]]]:
    """WeQ's summary of ``summary`` and the ``older`` turns: one call, its reply capped at a third of the
    history budget, charged to the run. A spent budget keeps the summary there was."""
    agent = workflow.by_role("communicator")
    node = f"{agent.name}.summarise"
    yield StepEvent(node=node, agent=agent.name)
    call = AgentCall(runtime, agent, node=node, limits=runtime.limits(workflow), spent={}, cancel=cancel)
    sampling = call.settings.sampling
    call.settings = call.settings.model_copy(
        update={
            "sampling": sampling.model_copy(
                update={"max_tokens": max(16, min(sampling.max_tokens, budget // 3))}
            )
        }
    )
    lines = [f"Summary so far: {summary}"] if summary else []
    for turn in older:
        lines.append(f"User: {clip(turn.question, 1.0, _TURN_CHARS)}")
        lines.append(f"Answer: {clip(turn.answer, 1.0, _TURN_CHARS) if turn.answer else NO_ANSWER}")
    system = role_prompt("WeQ.summarise", workflow.team_names())
    try:
        completion = call.text(chat(system, "Conversation:\n" + "\n".join(lines)))
    except BudgetExhausted:
        return summary, call.spent_update()
    text = " ".join(completion.text.split())
    yield TokenEvent(node=node, agent=agent.name, text=text)
    return text or summary, call.spent_update()


def thread_turns(thread_id: str, runtime: Runtime) -> list[Turn]:
    """Every turn on the thread's current branch, oldest first, read from its checkpoint history: each turn's
    question, and its answer as it stands at the turn's latest checkpoint."""
    return [turn for turn, _ in _branch(thread_id, runtime)]


def turn_starts(thread_id: str, runtime: Runtime) -> list[str]:
    """The checkpoint each turn of :func:`thread_turns` started from (its input), in the same order: a new
    turn streamed ``from_checkpoint`` one of them branches off there, in place of that turn and the later
    ones (regenerate the last answer, or edit an earlier question)."""
    return [start for _, start in _branch(thread_id, runtime)]


def _branch(thread_id: str, runtime: Runtime) -> list[tuple[Turn, str]]:
    info = runtime.runs.thread(thread_id)
    if info is None:
        raise QsmError(f"no thread {thread_id!r} in {runtime.data_dir}", hint="`qsm threads` lists them")
    graph = compiled(runtime, Workflow.from_yaml(info.workflow_yaml))
    snapshots = list(graph.get_state_history({"configurable": {"thread_id": thread_id}}))
    by_id = {s.config["configurable"]["checkpoint_id"]: s for s in snapshots}
    turns: list[tuple[Turn, str]] = []
    starts: dict[str, str] = {}  # request id -> the parent of its oldest checkpoint: its turn's input
    snap = snapshots[0] if snapshots else None
    while snap is not None:  # from the newest checkpoint back along its parents: the current branch
        request = snap.values.get("request")
        parent = snap.parent_config["configurable"].get("checkpoint_id") if snap.parent_config else None
        if request and not any(rid == request.get("id") for _, rid in turns):
            # the newest turn may still be running; an earlier one without an answer was stopped
            last = _last_turn(snap.values, info.status if not turns else "interrupted")
            if last is not None:
                turns.append((last, request["id"]))
        if request and parent:
            starts[request["id"]] = parent
        snap = by_id.get(parent) if parent else None
    return [(turn, starts.get(rid, "")) for turn, rid in turns[::-1]]
