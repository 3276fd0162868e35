"""A thread holds one run per turn: a new turn starts from a clean per-run state (its own budget, drafts,
answer, cost and trace), while resuming an interrupted turn keeps that turn's state, and time travel can
still reach the earlier turns (issue 13: the second turn returned the first one's answer, budget
exhausted)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from qsm.agents import FakeChatModel
from qsm.cli import cli
from qsm.graph import RunResult, Runtime, Workflow, history, resume, run
from qsm.graph.compile import compiled
from qsm.graph.state import RunState, new_run_input
from qsm.settings import load_settings
from tests.helpers import ACCEPT, BUDGET, PLAN, fake_runtime, team_fakes

FIRST, SECOND = "What is 2+2?", "How many legs does a spider have?"
FIRST_ANSWER, SECOND_ANSWER = "2 + 2 = 4", "A spider has eight legs."

PIPELINE = """
name: review
kind: pipeline
agents:
  writer: {role: communicator, system_prompt: "You write short explanations."}
  critic: {role: reflector}
  editor: {role: custom, produces: Note, system_prompt: "You edit text using the review."}
channels:
  - "user -> writer: UserRequest"
  - "user -> editor: UserRequest"
  - "writer -> critic: Draft"
  - {source: writer, target: editor, type: Draft, strength: 0.9}
  - {source: critic, target: editor, type: Verdict, strength: 0.3}
  - "editor -> user: Note"
"""


def _own_turn(result: RunResult, prompt: str, answer: str) -> None:
    """The result holds this turn only: its answer, verified, and a trace that starts at its request."""
    assert result.status == "ok" and result.text == answer, (result.status, result.text, result.errors)
    requests = [e for e in result.trace if e.type == "UserRequest"]
    assert len(requests) == 1 and requests[0].message().text == prompt
    assert result.trace[0].id == requests[0].id
    assert not result.errors
    assert result.cost is not None and not result.cost.exhausted


def _same_spend(turn: RunResult, alone: RunResult, carried: RunResult | None = None) -> None:
    """The turn spends what it would on a thread of its own; on a team thread its prompts also carry the
    turn before (``carried``: more prompt tokens, never that turn's spend on top)."""
    assert turn.cost is not None and alone.cost is not None
    assert turn.cost.calls == alone.cost.calls
    if carried is None:
        assert turn.cost.tokens == alone.cost.tokens
    else:
        assert carried.cost is not None
        assert alone.cost.tokens < turn.cost.tokens < alone.cost.tokens + carried.cost.tokens
    assert turn.cost.by_agent.keys() == alone.cost.by_agent.keys()


def test_new_run_input_resets_every_key_of_the_run_state() -> None:
    """A key added to RunState without a reset here would leak from one turn into the next."""
    assert set(new_run_input("team", {"id": "r"})) == set(RunState.__annotations__)


def test_second_turn_on_a_team_thread_is_its_own_run(tmp_path: Path) -> None:
    fakes = team_fakes(
        QSM=[PLAN] * 3, SOM=[BUDGET] * 3, WeQ=[FIRST_ANSWER, SECOND_ANSWER, SECOND_ANSWER], Ref=[ACCEPT] * 3
    )
    with fake_runtime(tmp_path, fakes) as rt:
        first = run(None, FIRST, runtime=rt, thread_id="T")
        second = run(None, SECOND, runtime=rt, thread_id="T")
        alone = run(None, SECOND, runtime=rt, thread_id="U")  # the same turn on a thread of its own
        checkpoints = history("T", rt)
        ends = [c for c in checkpoints if not c.next]
        earlier = resume("T", runtime=rt, checkpoint_id=ends[1].checkpoint_id)
        thread = rt.runs.thread("T")
    _own_turn(first, FIRST, FIRST_ANSWER)
    _own_turn(second, SECOND, SECOND_ANSWER)
    assert not {e.id for e in first.trace} & {e.id for e in second.trace}
    assert [e.type for e in second.trace] == [e.type for e in alone.trace]
    _same_spend(second, alone, carried=first)  # not the two turns' sum
    assert thread is not None and thread.status == "ok" and thread.final_id == second.final_id
    # the thread's history still holds the first turn: time travel reaches its end, answer and all
    assert len(ends) == 2 and earlier.text == FIRST_ANSWER and earlier.final_id == first.final_id


def test_second_turn_on_a_pipeline_thread_is_its_own_run(tmp_path: Path) -> None:
    wf = Workflow.from_yaml(PIPELINE)
    fakes = {
        "writer": FakeChatModel(["Merkle trees hash pairs.", "Bloom filters answer maybe."] * 2, auto=False),
        "critic": FakeChatModel([ACCEPT] * 4, auto=False),
        "editor": FakeChatModel(["Merkle: pairwise hashes.", "Bloom: no false negatives."] * 2, auto=False),
    }
    with fake_runtime(tmp_path, fakes) as rt:
        first = run(wf, "Explain Merkle trees.", runtime=rt, thread_id="P")
        second = run(wf, "Explain Bloom filters.", runtime=rt, thread_id="P")
        fresh_first = run(wf, "Explain Merkle trees.", runtime=rt, thread_id="Q")
        alone = run(wf, "Explain Bloom filters.", runtime=rt, thread_id="R")
    _own_turn(first, "Explain Merkle trees.", "Merkle: pairwise hashes.")
    _own_turn(second, "Explain Bloom filters.", "Bloom: no false negatives.")
    _own_turn(fresh_first, "Explain Merkle trees.", "Merkle: pairwise hashes.")
    assert not {e.id for e in first.trace} & {e.id for e in second.trace}
    assert [e.type for e in second.trace] == [e.type for e in alone.trace]
    _same_spend(second, alone)
    # the editor's inbox of the second turn holds the second turn's writer draft, not the first's
    editor_second = fakes["editor"].calls[1].messages[1]["content"]
    assert "Bloom filters answer maybe." in editor_second and "Merkle" not in editor_second


def test_interrupted_second_turn_resumes_its_own_state(tmp_path: Path) -> None:
    """Turn 2 stops while WeQ drafts; resuming it keeps turn 2's plan and budget (no new ones) and ends
    with turn 2's answer and spend, none of turn 1's."""
    fakes = team_fakes(
        QSM=[PLAN, PLAN],
        SOM=[BUDGET, BUDGET],
        WeQ=[FIRST_ANSWER, KeyboardInterrupt()],
        Ref=[ACCEPT],
    )
    with fake_runtime(tmp_path, fakes) as rt:
        first = run(None, FIRST, runtime=rt, thread_id="T")
        with pytest.raises(KeyboardInterrupt):
            run(None, SECOND, runtime=rt, thread_id="T")
        stopped = rt.runs.thread("T")
        assert stopped is not None and stopped.status == "interrupted" and stopped.final_id is None
        fakes["WeQ"].enqueue(SECOND_ANSWER)
        fakes["Ref"].enqueue(ACCEPT)
        resumed = resume("T", runtime=rt)
    _own_turn(first, FIRST, FIRST_ANSWER)
    _own_turn(resumed, SECOND, SECOND_ANSWER)
    assert (len(fakes["QSM"].calls), len(fakes["SOM"].calls)) == (2, 2), "plan and budget must not run again"
    kinds = [e.type for e in resumed.trace]
    assert kinds.count("Plan") == 1 and kinds.count("Budget") == 1 and kinds.count("Draft") == 1
    assert resumed.cost is not None and first.cost is not None
    assert resumed.cost.calls == first.cost.calls  # one turn's calls (QSM, SOM, WeQ, Ref), not both turns'


def test_qsm_ask_thread_continues_with_a_new_turn(tmp_path: Path) -> None:
    """The command-line path of the bug: ``qsm ask Q --thread T`` after a first run on T."""
    cfg = tmp_path / "fake.toml"
    cfg.write_text(
        f'data_dir = "{tmp_path / "d"}"\n[defaults.model]\nbackend = "fake"\n'
        "[memory]\nenabled = false\n[ledger]\nenabled = false\n"
        '[runtime]\nrouter = "llm"\ntools = false\nref_judge = "checks+model"\n'  # every step a model call
    )
    turns = []
    for prompt in ("What is the capital of France?", "How many people live there?"):
        out = CliRunner().invoke(cli, ["--config", str(cfg), "ask", prompt, "--thread", "T", "--json"])
        assert out.exit_code == 0, out.output
        turns.append(json.loads(out.stdout))
    first, second = turns
    assert second["status"] == "ok" and not second["cost"]["exhausted"]
    assert "How many people live there?" in second["final"]["text"]  # the fake model echoes the request
    assert second["trace"][0]["id"] != first["trace"][0]["id"] and len(second["trace"]) == len(first["trace"])
    assert second["cost"]["calls"] == first["cost"]["calls"]
    # the second turn carries the first (its question and answer), which QSM's and WeQ's prompts are built from
    with Runtime(load_settings(cfg), memory=None, ledger=None) as runtime:
        values = compiled(runtime, Workflow.default()).get_state({"configurable": {"thread_id": "T"}}).values
    carried = values["conversation"]["turns"]
    assert [(t["question"], t["answer"]) for t in carried] == [
        ("What is the capital of France?", first["final"]["text"])
    ]
