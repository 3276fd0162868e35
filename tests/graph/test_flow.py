"""Python nodes, routes, bounded loops, joins and approvals in pipelines (fake models)."""

from __future__ import annotations

import pytest

from qsm.agents import FakeChatModel
from qsm.agents.messages import Draft, Note
from qsm.errors import SpecError
from qsm.graph import Workflow, resume, run
from qsm.graph.flow import Node, Route
from qsm.graph.workflow_files import EXAMPLES_DIR
from tests.helpers import fake_runtime

EXAMPLE = EXAMPLES_DIR / "draft-check-loop.yaml"
LONG = " ".join(["word"] * 90)  # 90 words: the check scores 40/90 = 0.44, below the approval's 0.5
MEDIUM = " ".join(["word"] * 60)  # 0.67: revised without asking
SHORT = "A Merkle tree hashes pairs of hashes up to one root."


def test_example_loop_asks_the_user_and_resumes(tmp_path) -> None:
    wf = Workflow.from_yaml(EXAMPLE)
    writer = FakeChatModel([LONG, SHORT], auto=False)
    with fake_runtime(tmp_path, {"writer": writer}) as rt:
        waiting = run(wf, wf.prompt, runtime=rt, thread_id="loop1")
        assert waiting.status == "waiting" and waiting.final is None
        assert "accept the answer" in (waiting.question or "").lower() and waiting.choices == ["yes", "no"]
        assert rt.runs.thread("loop1").status == "waiting"
        assert len(writer.calls) == 1
        # still waiting without an answer; the answer "no" rejects the long draft: back to the writer
        assert resume("loop1", runtime=rt).status == "waiting"
        done = resume("loop1", runtime=rt, answer="no")
    assert done.status == "ok" and done.text == SHORT
    assert len(writer.calls) == 2
    verdicts = [e.message() for e in done.trace if e.type == "Verdict"]
    assert [v.decision for v in verdicts] == ["reject", "accept"]
    assert "the user answered 'no'" in verdicts[0].reasons
    assert [e.target for e in done.trace if e.type == "Verdict"] == ["writer", "publish"]
    revise_prompt = writer.calls[1].messages[1]["content"]
    assert "From check" in revise_prompt


def test_loop_stops_at_its_maximum(tmp_path) -> None:
    wf = Workflow.from_yaml(EXAMPLE)
    writer = FakeChatModel([MEDIUM, MEDIUM, MEDIUM, MEDIUM], auto=False)
    with fake_runtime(tmp_path, {"writer": writer}) as rt:
        result = run(wf, wf.prompt, runtime=rt)
    assert len(writer.calls) == 3  # max_rounds: 3, then publish
    assert result.status == "ok" and result.text.startswith(MEDIUM) and "(unverified: 60 words" in result.text


def test_loop_without_maximum_is_refused_at_load() -> None:
    text = EXAMPLE.read_text().replace("max_rounds: 3, then: publish", "")
    with pytest.raises(SpecError, match=r"loop writer -> check -> writer has no declared maximum") as err:
        Workflow.from_yaml(text)
    assert "source: check" in err.value.hint and "max_rounds" in err.value.hint


def test_module_not_allowed_is_refused_before_import() -> None:
    import sys

    text = EXAMPLE.read_text().replace(
        "qsm.graph.flow_examples:check_length", "tests.graph.not_imported_nodes:check"
    )
    with pytest.raises(SpecError, match=r"module 'tests\.graph\.not_imported_nodes' is not allowed"):
        Workflow.from_yaml(text, allowed_modules=["somewhere.else"])
    assert "tests.graph.not_imported_nodes" not in sys.modules


def first_words(draft: Draft) -> Note:
    return Note(text=" ".join(draft.text.split()[:3]), author="trim")


def shout(draft: Draft) -> Note:
    return Note(text=draft.text.upper(), author="shout")


def join(notes: list[Note]) -> Note:
    return Note(text=" | ".join(sorted(n.text for n in notes)), author="join")


def test_python_api_parallel_branches_join(tmp_path) -> None:
    wf = Workflow(
        name="branches",
        kind="pipeline",
        agents=[{"name": "writer", "role": "communicator"}],
        nodes=[Node(name="trim", fn=first_words), Node(name="shout", fn=shout), Node(name="join", fn=join)],
        channels=[
            {"source": "user", "target": "writer", "type": "UserRequest"},
            {"source": "writer", "target": "trim", "type": "Draft"},
            {"source": "writer", "target": "shout", "type": "Draft"},
            {"source": "trim", "target": "join", "type": "Note"},
            {"source": "shout", "target": "join", "type": "Note"},
            {"source": "join", "target": "user", "type": "Note"},
        ],
    ).check()
    with fake_runtime(tmp_path, {"writer": FakeChatModel(["one two three four"], auto=False)}) as rt:
        result = run(wf, "go", runtime=rt)
    assert result.text == "ONE TWO THREE FOUR | one two three"
    joined = next(e for e in result.trace if e.type == "Note" and e.source == "join")
    assert len(joined.parents) == 2


def test_node_types_are_checked_like_channels() -> None:
    with pytest.raises(SpecError, match="trim produces Note"):
        Workflow(
            name="bad",
            kind="pipeline",
            agents=[{"name": "writer", "role": "communicator"}],
            nodes=[Node(name="trim", fn=first_words)],
            channels=[
                {"source": "user", "target": "writer", "type": "UserRequest"},
                {"source": "writer", "target": "trim", "type": "Draft"},
                {"source": "trim", "target": "user", "type": "Draft"},
            ],
        ).check()

    def untyped(draft):  # type: ignore[no-untyped-def]
        return draft

    with pytest.raises(SpecError, match="parameter 'draft' has no message type hint"):
        Node(name="n", fn=untyped).signature()


def test_route_choosing_an_unknown_target_stops_with_a_clear_error(tmp_path) -> None:
    wf = Workflow(
        name="badroute",
        kind="pipeline",
        agents=[{"name": "writer", "role": "communicator"}],
        nodes=[Node(name="trim", fn=first_words)],
        routes=[Route(source="writer", fn=lambda draft: "nowhere")],
        channels=[
            {"source": "user", "target": "writer", "type": "UserRequest"},
            {"source": "writer", "target": "trim", "type": "Draft"},
            {"source": "trim", "target": "user", "type": "Note"},
        ],
    ).check()
    with fake_runtime(tmp_path, {"writer": FakeChatModel(["text"], auto=False)}) as rt:
        with pytest.raises(SpecError, match="chose 'nowhere'"):
            run(wf, "go", runtime=rt, thread_id="bad1")
        assert rt.runs.thread("bad1").status == "error"


REF_ASKS = """
name: ref-asks
kind: pipeline
agents:
  writer: {role: communicator}
  Ref: {role: reflector}
nodes:
  publish: qsm.graph.flow_examples:publish
channels:
  - "user -> writer: UserRequest"
  - "writer -> Ref: Draft"
  - "writer -> publish: Draft"
  - "Ref -> publish: Verdict"
  - "publish -> user: Note"
approvals:
  - {agent: Ref, below: 0.8}
"""
ACCEPT_LOW = '{"decision": "accept", "confidence": "low", "reasons": ["probably right"]}'
ACCEPT_HIGH = '{"decision": "accept", "confidence": "high", "reasons": ["right"]}'


@pytest.mark.parametrize(("answer", "accepted"), [("yes", True), ("no", False)])
def test_ref_asks_the_user_below_a_confidence_and_is_not_called_again(tmp_path, answer, accepted) -> None:
    wf = Workflow.from_yaml(REF_ASKS)
    ref = FakeChatModel([ACCEPT_LOW], auto=False)
    fakes = {"writer": FakeChatModel([SHORT], auto=False), "Ref": ref}
    with fake_runtime(tmp_path, fakes) as rt:
        waiting = run(wf, "Explain Merkle trees.", runtime=rt, thread_id="ref1")
        assert waiting.status == "waiting" and "Ref says accept" in (waiting.question or "")
        done = resume("ref1", runtime=rt, answer=answer)
    assert len(ref.calls) == 1  # the approval step asks; Ref's model call is not made again
    assert done.status == "ok"
    assert (done.text == SHORT) is accepted and ("unverified" in done.text) is not accepted


def test_ref_above_the_confidence_does_not_ask(tmp_path) -> None:
    wf = Workflow.from_yaml(REF_ASKS)
    fakes = {"writer": FakeChatModel([SHORT], auto=False), "Ref": FakeChatModel([ACCEPT_HIGH], auto=False)}
    with fake_runtime(tmp_path, fakes) as rt:
        result = run(wf, "Explain Merkle trees.", runtime=rt)
    assert result.status == "ok" and result.text == SHORT


def confirm(draft: Draft) -> Note:
    from qsm.graph import ask_user

    reply = ask_user(f"Send {draft.text!r}?", choices=["yes", "no"])
    return Note(text=draft.text if reply == "yes" else "Not sent.", author="confirm")


def test_a_python_node_asks_the_user(tmp_path) -> None:
    wf = Workflow(
        name="confirm",
        kind="pipeline",
        agents=[{"name": "writer", "role": "communicator"}],
        nodes=[Node(name="confirm", fn=confirm)],
        channels=[
            {"source": "user", "target": "writer", "type": "UserRequest"},
            {"source": "writer", "target": "confirm", "type": "Draft"},
            {"source": "confirm", "target": "user", "type": "Note"},
        ],
    )
    with fake_runtime(tmp_path, {"writer": FakeChatModel(["hello"], auto=False)}) as rt:
        waiting = run(wf, "greet", runtime=rt, thread_id="c1")
        assert waiting.question == "Send 'hello'?" and waiting.choices == ["yes", "no"]
        assert resume("c1", runtime=rt, answer="no").text == "Not sent."


def test_the_editor_check_shows_flow_problems_at_their_lines_and_imports_nothing() -> None:
    import sys

    from qsm.graph.library import check_spec

    text = EXAMPLE.read_text()
    lines = text.splitlines()
    bad = text.replace("qsm.graph.flow_examples:publish", "tests.graph.never_imported:publish").replace(
        "max_rounds: 3, then: publish", ""
    )
    issues = check_spec(bad).issues
    fn_line = next(i for i, line in enumerate(lines, 1) if line.strip().startswith("publish: qsm"))
    assert any("is not allowed" in i.message and i.line == fn_line for i in issues), issues
    assert "tests.graph.never_imported" not in sys.modules
    good = check_spec(text.replace("max_rounds: 3, then: publish", ""))
    loop_line = next(i for i, line in enumerate(lines, 1) if "check -> writer: Verdict" in line)
    assert [(i.line, "no declared maximum" in i.message) for i in good.issues] == [(loop_line, True)]


def broken(draft: Draft) -> Note:
    raise ValueError("no notes today")


def test_a_failing_node_function_stops_the_run_with_a_clear_error(tmp_path) -> None:
    from qsm.errors import QsmError

    wf = Workflow(
        name="broken",
        kind="pipeline",
        agents=[{"name": "writer", "role": "communicator"}],
        nodes=[Node(name="broken", fn=broken)],
        channels=[
            {"source": "user", "target": "writer", "type": "UserRequest"},
            {"source": "writer", "target": "broken", "type": "Draft"},
            {"source": "broken", "target": "user", "type": "Note"},
        ],
    )
    with fake_runtime(tmp_path, {"writer": FakeChatModel(["text"], auto=False)}) as rt:
        with pytest.raises(QsmError, match=r"node broken \(.*:broken\) raised ValueError: no notes today"):
            run(wf, "go", runtime=rt, thread_id="b1")
        assert rt.runs.thread("b1").status == "error"


def test_team_ref_asks_below_a_confidence_for_each_candidate(tmp_path) -> None:
    from tests.helpers import PLAN, team_fakes

    spec = Workflow.default().model_dump(mode="json", exclude_defaults=True)
    wf = Workflow.model_validate(
        {**spec, "name": "asking-team", "approvals": [{"agent": "Ref", "below": 0.9}]}
    )
    fakes = team_fakes(
        QSM=[PLAN, "Cats are small carnivores."], WeQ=["Cats are small carnivores.", "Cats purr."]
    )
    with fake_runtime(tmp_path, fakes, runtime={"ref_judge": "checks", "fan_out": 2}) as rt:
        waiting = run(wf, "Tell me about cats.", runtime=rt, thread_id="team1")
        assert waiting.status == "waiting" and "Ref says accept" in (waiting.question or "")
        again = resume("team1", runtime=rt, answer="no")  # the other candidate's question
        assert again.status == "waiting"
        done = resume("team1", runtime=rt, answer="yes")
    assert done.status == "ok"
    verdicts = sorted((e.message() for e in done.trace if e.type == "Verdict"), key=lambda v: v.decision)
    assert [v.decision for v in verdicts] == ["accept", "reject"]
    assert all(any("the user answered" in r for r in v.reasons) for v in verdicts)


def test_team_approvals_name_the_reflector() -> None:
    spec = Workflow.default().model_dump(mode="json", exclude_defaults=True)
    with pytest.raises(SpecError, match="only the reflector's verdicts"):
        Workflow.model_validate({**spec, "approvals": [{"agent": "WeQ"}]}).check()


def test_two_lambdas_in_one_function_stay_apart() -> None:
    first = Route(source="a", fn=lambda message: "x")
    second = Route(source="b", fn=lambda message: "y")
    assert first.fn != second.fn
    note = Note(text="t")
    assert first.choose(note, 1, ["x", "y"]) == "x" and second.choose(note, 1, ["x", "y"]) == "y"


def test_routed_and_unrouted_answers_to_the_user_are_refused() -> None:
    with pytest.raises(SpecError, match="both answer the user"):
        Workflow(
            name="twice",
            kind="pipeline",
            agents=[{"name": "writer", "role": "communicator"}],
            nodes=[Node(name="trim", fn=first_words)],
            routes=[Route(source="trim", fn=lambda note: "user")],
            channels=[
                {"source": "user", "target": "writer", "type": "UserRequest"},
                {"source": "writer", "target": "trim", "type": "Draft"},
                {"source": "writer", "target": "user", "type": "Draft"},
                {"source": "trim", "target": "user", "type": "Note"},
            ],
        ).check()
