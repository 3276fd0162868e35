"""A turn streamed from an earlier turn's start is a new branch of the thread (issue 13 item 4: regenerate,
and edit an earlier question): the thread's turns become the branch's, the new turn sees only the turns
before the branch point, and later turns go on from the branch."""

from __future__ import annotations

from pathlib import Path

from qsm.graph import run
from qsm.graph.runner import history
from qsm.graph.turn_history import thread_turns, turn_starts
from tests.graph.test_conversation import CAPITAL, LIVE, PARIS, PEOPLE, _drafts, _fakes
from tests.helpers import fake_runtime

SPAIN = "What is the capital of Spain?"


def test_editing_turn_one_branches_and_the_follow_up_sees_the_edit(tmp_path: Path) -> None:
    fakes = _fakes(5)
    with fake_runtime(tmp_path, fakes) as rt:
        run(None, CAPITAL, runtime=rt, thread_id="T")
        run(None, PEOPLE, runtime=rt, thread_id="T")
        starts = turn_starts("T", rt)
        assert len(starts) == 2 and all(starts) and starts[0] != starts[1]
        checkpoints = len(history("T", rt))

        edited = run(None, SPAIN, runtime=rt, thread_id="T", from_checkpoint=starts[0])
        turns = thread_turns("T", rt)
        assert [t.question for t in turns] == [SPAIN], "turn 2 of the old branch is not on the new one"
        assert edited.status == "ok" and turns[0].answer == edited.text
        # the edited turn was asked with nothing before it (turn 1 had nothing earlier)
        assert len(fakes["QSM"].calls[2].messages) == 2
        assert len(history("T", rt)) > checkpoints, "the old branch stays in the history"

        # a next turn goes on from the new branch
        run(None, PEOPLE, runtime=rt, thread_id="T")
        assert [t.question for t in thread_turns("T", rt)] == [SPAIN, PEOPLE]
        follow_up = _drafts(fakes["WeQ"])[-1].messages
        assert SPAIN in follow_up[1]["content"] and CAPITAL not in str(follow_up)


def test_regenerating_the_last_turn_keeps_the_turns_before_it(tmp_path: Path) -> None:
    fakes = _fakes(4)
    with fake_runtime(tmp_path, fakes) as rt:
        run(None, CAPITAL, runtime=rt, thread_id="T")
        run(None, PEOPLE, runtime=rt, thread_id="T")
        before = turn_starts("T", rt)
        again = run(None, PEOPLE, runtime=rt, thread_id="T", from_checkpoint=before[-1])
        turns = thread_turns("T", rt)
        assert [t.question for t in turns] == [CAPITAL, PEOPLE]
        assert again.text == LIVE and turns[0].answer == PARIS, "the regenerated turn saw turn 1"
        after = turn_starts("T", rt)
        assert after[0] == before[0] and after[1] != before[1], "turn 1 is shared, turn 2 is new"


def test_a_branch_stopped_before_its_graph_started_resumes_as_that_branch(tmp_path: Path) -> None:
    import threading

    from qsm.graph.runner import resume, stream

    questions = [f"Tell me about topic number {i} in some detail please." for i in range(3)]
    fakes = _fakes(5)
    with fake_runtime(tmp_path, fakes, runtime={"history_tokens": 60}) as rt:  # turn 3 needs WeQ's summary
        for q in questions:
            run(None, q, runtime=rt, thread_id="T")
        stopped = threading.Event()
        stopped.set()  # Stop lands while WeQ summarises the earlier turns: before the graph starts
        events = list(
            stream(
                None,
                SPAIN,
                runtime=rt,
                thread_id="T",
                cancel=stopped,
                from_checkpoint=turn_starts("T", rt)[2],
            )
        )
        assert events[-1].result.status == "interrupted"
        assert [t.question for t in thread_turns("T", rt)] == questions, "nothing of the branch stored yet"
        resumed = resume("T", runtime=rt)
        assert resumed.status == "ok"
        assert [t.question for t in thread_turns("T", rt)] == [*questions[:2], SPAIN], (
            "the branch, not a 4th turn"
        )
