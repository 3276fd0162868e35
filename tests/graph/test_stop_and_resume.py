"""Stop takes effect at the next token and resume always finishes what was stopped (issue 13 items 2-3).

The team runs with fan-out 2 on fake models that stream their words slowly. Each case stops the run at one
point, at a node boundary (the signal set when a node reports done) or in the middle of a node (at its
k-th streamed token, while the parallel candidates stream side by side), then resumes the thread: the
result is a final answer with status ok, and its trace holds exactly the messages of a run never stopped
(each once, no envelope twice)."""

from __future__ import annotations

import threading
from collections import Counter
from pathlib import Path

import pytest

from qsm.agents import FakeChatModel
from qsm.agents.fake import FakeCall, Reply
from qsm.graph.events import RunEvent
from qsm.graph.runner import run, stream, stream_resume
from tests.graph.test_conversation import _fakes as conversation_fakes
from tests.graph.test_conversation import _weq
from tests.helpers import ACCEPT, BUDGET, PLAN, fake_runtime

QUESTION = "What is 2+2?"
DRAFT = "two plus two makes four, so the sum 2 + 2 = 4"


def _fakes() -> dict[str, FakeChatModel]:
    """Every agent answers every call with its one reply (stopped calls are asked again on resume)."""

    def model(text: str) -> FakeChatModel:
        def reply(call: FakeCall) -> str:
            return text

        replies: list[Reply] = [reply] * 40
        return FakeChatModel(replies, auto=False, delay_s=0.12)  # each call streams its words over 0.12 s

    return {"QSM": model(PLAN), "SOM": model(BUDGET), "WeQ": model(DRAFT), "Ref": model(ACCEPT)}


def _types(events: list[RunEvent]) -> Counter[str]:
    done = events[-1]
    assert done.type == "done"
    return Counter(f"{env.type} {env.source}->{env.target}" for env in done.result.trace)


# boundaries: after the n-th "node done" of that node (the two drafts and verifies report one by one)
BOUNDARIES = [
    ("QSM.plan", 1),
    ("SOM.budget", 1),
    ("QSM.dispatch", 1),
    ("draft", 1),
    ("draft", 2),
    ("Ref.verify", 1),
    ("Ref.verify", 2),
    ("QSM.collapse", 1),
    ("SOM.settle", 1),
]
# mid-node: at the k-th token streamed by that node (all candidates together)
MID_NODE = [("QSM.plan", 2), ("SOM.budget", 3), ("draft", 2), ("draft", 7), ("Ref.verify", 2)]


def _stopper(kind: str, node: str, nth: int, cancel: threading.Event):
    seen = 0

    def watch(event: RunEvent) -> bool:
        nonlocal seen
        counted = "node_done" if kind == "boundary" else "token"
        if event.type == counted and event.node == node:
            seen += 1
        if seen == nth and not cancel.is_set():
            cancel.set()
            return True
        return False

    return watch


@pytest.mark.parametrize(
    ("kind", "node", "nth"),
    [("boundary", n, k) for n, k in BOUNDARIES] + [("token", n, k) for n, k in MID_NODE],
    ids=[f"after-{n}-{k}" for n, k in BOUNDARIES] + [f"{n}-token-{k}" for n, k in MID_NODE],
)
def test_stop_anywhere_with_fan_out_2_then_resume_finishes_once(
    tmp_path: Path, kind: str, node: str, nth: int
) -> None:
    with fake_runtime(tmp_path, _fakes(), runtime={"fan_out": 2}) as rt:
        reference = list(stream(None, QUESTION, runtime=rt, thread_id="ref"))
        assert reference[-1].type == "done" and reference[-1].result.status == "ok"

        cancel = threading.Event()
        watch = _stopper(kind, node, nth, cancel)
        stopped: list[RunEvent] = []
        after_stop: list[RunEvent] = []
        for event in stream(None, QUESTION, runtime=rt, thread_id="T", cancel=cancel):
            (after_stop if cancel.is_set() else stopped).append(event)
            watch(event)
        assert cancel.is_set(), "the stop point was never reached"
        done = after_stop[-1]
        assert done.type == "done" and done.result.status == "interrupted"
        info = rt.runs.thread("T")
        assert info is not None and info.status == "interrupted"
        if kind == "token":  # the stopped node streams at most the token already in flight
            tokens = Counter((e.node, e.candidate) for e in after_stop if e.type == "token")
            assert all(n <= 1 for (where, _), n in tokens.items() if where == node), tokens
        # nothing after the stop point ran: no later node reported done
        later = [e.node for e in after_stop if e.type == "node_done"]
        assert len(later) <= 1, f"the run went on after the stop: {later}"

        resumed = list(stream_resume("T", runtime=rt))
        result = resumed[-1]
        assert result.type == "done" and result.resumed
        assert result.result.status == "ok" and result.result.final is not None
        assert result.result.final.text.endswith("2 + 2 = 4")
        sent = [(env.id, env.source, env.target) for env in result.result.trace]
        assert len(sent) == len(set(sent)), "a message appears twice in the trace"
        assert _types(resumed) == _types(reference), "the resumed trace differs from an unstopped run's"
        assert result.result.final.candidates == 2
        info = rt.runs.thread("T")
        assert info is not None and info.status == "ok"


def test_a_stop_before_the_run_is_asked_leaves_nothing_half_done(tmp_path: Path) -> None:
    """A signal set before the first step: the run stops before any model call, and resume answers."""
    with fake_runtime(tmp_path, _fakes(), runtime={"fan_out": 2}) as rt:
        cancel = threading.Event()
        cancel.set()
        events = list(stream(None, QUESTION, runtime=rt, thread_id="T", cancel=cancel))
        assert events[-1].type == "done" and events[-1].result.status == "interrupted"
        assert not [e for e in events if e.type == "token"]
        result = list(stream_resume("T", runtime=rt))[-1]
        assert result.type == "done" and result.result.status == "ok"


def test_a_stop_while_weq_summarises_earlier_turns_restarts_the_turn_on_resume(tmp_path: Path) -> None:
    """A new turn on a long conversation first has WeQ summarise the older turns; Stop lands in that call
    (before the graph starts), and resume asks the turn again."""
    questions = [f"Tell me about topic number {i} in some detail please." for i in range(4)]
    fakes = conversation_fakes(len(questions) + 1)
    fakes["WeQ"] = FakeChatModel([_weq] * 12, auto=False, delay_s=0.5)  # each call streams over 0.5 s
    with fake_runtime(tmp_path, fakes, runtime={"history_tokens": 60}) as rt:
        for question in questions[:-1]:
            assert run(None, question, runtime=rt, thread_id="T").status == "ok"
        cancel = threading.Event()
        events = []
        for event in stream(None, questions[-1], runtime=rt, thread_id="T", cancel=cancel):
            events.append(event)
            if event.type == "step" and event.node == "WeQ.summarise":
                cancel.set()
        assert cancel.is_set(), "WeQ never summarised"
        assert events[-1].type == "done" and events[-1].result.status == "interrupted"
        assert not [e for e in events if e.type == "step" and e.node != "WeQ.summarise"], "the graph ran"
        result = list(stream_resume("T", runtime=rt))[-1]
    assert result.type == "done" and result.result.status == "ok"
    asked = [e for e in result.result.trace if e.type == "UserRequest"]
    assert len(asked) == 1 and asked[0].payload["text"] == questions[-1]
