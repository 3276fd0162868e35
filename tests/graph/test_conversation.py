"""Conversations: the earlier turns of a thread reach QSM and WeQ (clipped to a token budget, the older ones
summarised by WeQ), a follow-up is routed with the turn before it, a first turn's prompts stay byte for byte
what they were, and :class:`qsm.Conversation` asks, streams and lists the turns (issue 13)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from qsm import Conversation
from qsm.agents import FakeChatModel
from qsm.agents.fake import FakeCall
from qsm.agents.roles import ROLE_PROMPTS, chat
from qsm.graph import Workflow, run
from qsm.graph.compile import compiled
from qsm.graph.team.context import TeamContext
from qsm.graph.turns import EarlierTurns, Turn, resolved_text, with_history
from tests.helpers import ACCEPT, BUDGET, PLAN, fake_runtime

CAPITAL, PEOPLE = "What is the capital of France?", "How many people live there?"
PARIS = "Paris is the capital of France."
LIVE = "About 2.1 million people live in Paris."
SUMMARY = "The user asked about France; its capital is Paris."


def _user(call: FakeCall) -> str:
    return call.messages[-1]["content"]


def _weq(call: FakeCall) -> str:
    """A WeQ that can only answer the follow-up when turn 1's answer is in its prompt."""
    if call.messages[0]["content"] == ROLE_PROMPTS["WeQ.summarise"]:
        return SUMMARY
    if "capital" in _user(call):
        return PARIS
    if "people" in _user(call):
        seen = " ".join(m["content"] for m in call.messages[:-1])
        return LIVE if "Paris" in seen else "Where do you mean?"
    return f"An answer about {_user(call).removeprefix('Request: ')[:40]}"


def _fakes(turns: int) -> dict[str, FakeChatModel]:
    return {
        "QSM": FakeChatModel([PLAN] * turns, auto=False),
        "SOM": FakeChatModel([BUDGET] * turns, auto=False),
        "WeQ": FakeChatModel([_weq] * (2 * turns), auto=False),
        "Ref": FakeChatModel([ACCEPT] * turns, auto=False),
    }


def _drafts(fake: FakeChatModel) -> list[FakeCall]:
    return [c for c in fake.calls if c.messages[0]["content"].startswith(ROLE_PROMPTS["WeQ.draft"])]


def test_a_follow_up_sees_the_turn_before_it(tmp_path: Path) -> None:
    fakes = _fakes(3)
    with fake_runtime(tmp_path, fakes) as rt:
        first = run(None, CAPITAL, runtime=rt, thread_id="T")
        second = run(None, PEOPLE, runtime=rt, thread_id="T")
        alone = run(None, PEOPLE, runtime=rt, thread_id="U")  # the follow-up without its first turn
    assert first.text == PARIS and second.text == LIVE
    assert second.status == "ok" and alone.text == "Where do you mean?"
    earlier = [
        {"role": "user", "content": f"Request: {CAPITAL}"},
        {"role": "assistant", "content": PARIS},
    ]
    # turn 2's prompts: system, turn 1 as a user/assistant pair, then the request
    qsm_turn2, weq_turn2 = fakes["QSM"].calls[1].messages, _drafts(fakes["WeQ"])[1].messages
    assert qsm_turn2[1:3] == earlier and qsm_turn2[-1]["content"] == f"Request: {PEOPLE}"
    assert weq_turn2[1:3] == earlier and weq_turn2[-1]["content"].startswith(f"Request: {PEOPLE}")
    assert len(fakes["QSM"].calls[0].messages) == 2  # turn 1 had nothing before it


def test_first_turn_prompts_are_byte_identical(tmp_path: Path) -> None:
    """The shipped adapters and the measured eval depend on these prompts: a turn with no earlier turns
    (a new thread, or history_tokens = 0) sends exactly what the team sent before conversations."""
    fakes = _fakes(3)
    with fake_runtime(tmp_path, fakes) as rt:
        run(None, CAPITAL, runtime=rt, thread_id="T")
    with fake_runtime(tmp_path / "off", fakes, runtime={"history_tokens": 0}) as rt:
        run(None, CAPITAL, runtime=rt, thread_id="V")
        run(None, PEOPLE, runtime=rt, thread_id="V")
    plan = chat(ROLE_PROMPTS["QSM.plan"], f"Request: {CAPITAL}")
    draft = chat(ROLE_PROMPTS["WeQ.draft"], f"Request: {CAPITAL}")  # PLAN's step is not about France
    qsm, weq = fakes["QSM"].calls, _drafts(fakes["WeQ"])
    assert qsm[0].messages == plan and weq[0].messages == draft
    assert qsm[1].messages == plan and weq[1].messages == draft
    assert qsm[2].messages == chat(ROLE_PROMPTS["QSM.plan"], f"Request: {PEOPLE}")  # history off
    assert weq[2].messages == chat(ROLE_PROMPTS["WeQ.draft"], f"Request: {PEOPLE}")
    assert with_history(plan, None, 1.0) is plan
    assert with_history(plan, EarlierTurns(), 1.0) is plan


def test_long_history_is_summarised_by_weq_and_kept_within_budget(tmp_path: Path) -> None:
    budget = 60  # tokens (the fake counts words): one long turn fits, not two
    questions = [f"Tell me about topic number {i} in some detail please." for i in range(4)]
    fakes = _fakes(len(questions))
    with fake_runtime(tmp_path, fakes, runtime={"history_tokens": budget}) as rt:
        results = [run(None, q, runtime=rt, thread_id="T") for q in questions]
        weq = rt.model(Workflow.default().agent("WeQ"))
        state = compiled(rt, Workflow.default()).get_state({"configurable": {"thread_id": "T"}}).values
    assert all(r.status == "ok" for r in results)
    summaries = [c for c in fakes["WeQ"].calls if c.messages[0]["content"] == ROLE_PROMPTS["WeQ.summarise"]]
    assert summaries, "WeQ never summarised the older turns"
    first = summaries[0]
    assert questions[0] in _user(first) and first.sampling.max_tokens <= budget // 3  # bounded reply
    # the summary reaches the next prompts through the system message; the latest turn stays word for word
    after = _drafts(fakes["WeQ"])[-1].messages
    assert after[0]["content"].endswith(f"Earlier in this conversation: {SUMMARY}")
    assert after[1]["content"] == f"Request: {questions[-2]}"
    carried = EarlierTurns.model_validate(state["conversation"])
    assert carried.summary == SUMMARY and [t.question for t in carried.turns] == [questions[-2]]
    empty = chat("", "")
    assert weq.count_tokens(with_history(empty, carried, 1.0)) - weq.count_tokens(empty) <= budget
    # the summary call is charged to the turn that made it
    cost = results[-1].cost
    assert cost is not None and cost.by_agent["WeQ"].calls == 2


def test_a_follow_up_is_routed_with_the_turn_before_it(tmp_path: Path, monkeypatch: Any) -> None:
    seen: list[str] = []
    analysis = TeamContext.analysis

    def spy(self: TeamContext, text: str) -> Any:
        seen.append(text)
        return analysis(self, text)

    monkeypatch.setattr(TeamContext, "analysis", spy)
    with fake_runtime(tmp_path, _fakes(2)) as rt:
        run(None, CAPITAL, runtime=rt, thread_id="T")
        assert CAPITAL + "\n" not in "".join(seen)  # a first turn routes on its own text
        seen.clear()
        run(None, PEOPLE, runtime=rt, thread_id="T")
    assert f"{CAPITAL}\n{PARIS}\n{PEOPLE}" in seen


def test_earlier_turns_clip_by_channel_strength_newest_first() -> None:
    turns = EarlierTurns(
        summary="s" * 50,
        turns=[Turn(question="q1", answer="a" * 100), Turn(question="q2", answer="b" * 100)],
    )
    summary, full = turns.messages(1.0)
    assert summary and len(full) == 4
    summary, most = turns.messages(0.7)  # the newest turn, then the summary, then older turns
    assert summary == "s" * 50 and [m["content"] for m in most] == ["Request: q2", "b" * 100]
    summary, half = turns.messages(0.5)
    assert not summary and [m["content"] for m in half] == ["Request: q2", "b" * 100]
    summary, tiny = turns.messages(0.05)
    assert not summary and tiny[0]["content"] == "Request: q2" and len(tiny[1]["content"]) < 100
    assert turns.model_copy(update={"turns": [Turn(question="q", status="interrupted")]}).messages()[1][
        1
    ] == {
        "role": "assistant",
        "content": "(no answer)",
    }
    assert resolved_text(None, "q") == "q" and resolved_text(turns, "q3") == f"q2\n{'b' * 100}\nq3"


def test_conversation_asks_streams_and_lists_turns(tmp_path: Path) -> None:
    fakes = _fakes(3)
    with fake_runtime(tmp_path, fakes) as rt:
        talk = Conversation(runtime=rt, user="ada")
        assert talk.history() == []
        assert talk.ask(CAPITAL).text == PARIS
        events = list(talk.stream(PEOPLE))
        assert events[-1].type == "done" and events[-1].result.text == LIVE
        assert any(e.type == "token" and e.agent == "WeQ" for e in events)
        assert [(t.question, t.answer) for t in talk.history()] == [(CAPITAL, PARIS), (PEOPLE, LIVE)]
        # back to it later by its thread id: same turns, same user, the next turn sees them
        again = Conversation.resume_thread(talk.thread_id, runtime=rt)
        assert again.user == "ada" and len(again.history()) == 2
        old = talk.thread_id
        assert talk.new() != old and talk.history() == []
        thread = rt.runs.thread(old)
    assert thread is not None and thread.user == "ada"


def test_conversation_resume_finishes_a_stopped_turn(tmp_path: Path) -> None:
    fakes = _fakes(2)
    fakes["WeQ"] = FakeChatModel([_weq, KeyboardInterrupt()], auto=False)
    with fake_runtime(tmp_path, fakes) as rt:
        talk = Conversation(runtime=rt)
        talk.ask(CAPITAL)
        with pytest.raises(KeyboardInterrupt):
            talk.ask(PEOPLE)
        assert talk.history()[-1].answer is None
        fakes["WeQ"].enqueue(_weq)
        resumed = talk.resume()
    assert resumed.text == LIVE  # the resumed turn still carries turn 1
