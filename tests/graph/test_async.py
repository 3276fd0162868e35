"""The async API: concurrent runs on one runtime give what sequential runs give (fake models)."""

from __future__ import annotations

import asyncio

from qsm.agents import FakeChatModel
from qsm.agents.fake import FakeCall
from qsm.graph import Conversation, RunResult, Workflow, arun, astream, run
from qsm.graph.workflow_files import EXAMPLES_DIR
from tests.helpers import fake_runtime

REVIEW = EXAMPLES_DIR / "review.yaml"
QUESTIONS = [f"What is {n} + {n}?" for n in range(6)]


def _echo(prefix: str):  # type: ignore[no-untyped-def]
    """A reply that depends only on what the call's last message says, so it does not matter which run asks
    first. Its lines are sorted: a pipeline lists inbound messages strongest channel first, and the
    strengths each run reinforces move in another order when runs interleave."""

    def reply(call: FakeCall) -> str:
        return f"{prefix}: {' | '.join(sorted(call.messages[-1]['content'].splitlines()))[-60:]}"

    return reply


def _fakes() -> dict[str, FakeChatModel]:
    critic = '{"decision": "accept", "confidence": "high", "reasons": ["fine"]}'
    return {
        "writer": FakeChatModel([_echo("draft")] * 20, auto=False, delay_s=0.01),
        "critic": FakeChatModel([critic] * 20, auto=False, delay_s=0.01),
        "editor": FakeChatModel([_echo("edited")] * 20, auto=False, delay_s=0.01),
    }


def _shape(result: RunResult) -> tuple[str, str, list[tuple[str, str, str, str]]]:
    """What a run produced, without its ids and timings: status, answer, and each message's ends and text."""
    messages = sorted(
        (e.type, e.source, e.target, str(getattr(e.message(), "text", "")))
        for e in result.trace
        if e.type != "CostReport"
    )
    return result.status, result.text, messages


def test_concurrent_async_runs_equal_sequential_runs(tmp_path) -> None:
    wf = Workflow.from_yaml(REVIEW)
    with fake_runtime(tmp_path / "seq", _fakes()) as rt:
        sequential = [_shape(run(wf, q, runtime=rt)) for q in QUESTIONS]

    async def all_at_once() -> list[RunResult]:
        with fake_runtime(tmp_path / "async", _fakes()) as rt:
            return list(await asyncio.gather(*(arun(wf, q, runtime=rt) for q in QUESTIONS)))

    concurrent = asyncio.run(all_at_once())
    assert [_shape(r) for r in concurrent] == sequential
    assert len({r.thread_id for r in concurrent}) == len(QUESTIONS)
    assert all(r.status == "ok" for r in concurrent)


def test_astream_yields_the_sync_events_and_conversation_aask(tmp_path) -> None:
    wf = Workflow.from_yaml(REVIEW)

    async def go() -> tuple[list[str], RunResult, RunResult]:
        with fake_runtime(tmp_path, _fakes()) as rt:
            types = [event.type async for event in astream(wf, "What is 2 + 2?", runtime=rt)]
            chat = Conversation(workflow=wf, runtime=rt)
            first, second = await chat.aask("What is 2 + 2?"), await chat.aask("And 3 + 3?")
            return types, first, second

    types, first, second = asyncio.run(go())
    assert types[-1] == "done" and "step" in types and "message" in types
    assert first.status == second.status == "ok" and first.thread_id == second.thread_id
    assert "3 + 3" in second.text


def test_leaving_astream_early_stops_the_run(tmp_path) -> None:
    wf = Workflow.from_yaml(REVIEW)

    async def go() -> str:
        with fake_runtime(tmp_path, _fakes()) as rt:
            events = astream(wf, "What is 2 + 2?", runtime=rt, thread_id="early")
            async for event in events:
                if event.type == "step":
                    break
            await events.aclose()  # type: ignore[attr-defined]
            for _ in range(200):  # the worker sees the stop signal at its next token
                await asyncio.sleep(0.02)
                info = rt.runs.thread("early")
                if info is not None and info.status != "running":
                    return info.status
            return "running"

    assert asyncio.run(go()) == "interrupted"
