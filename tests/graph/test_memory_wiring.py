"""Runs use memory: WeQ recalls and cites notes, Ref learns from rejections, chats are kept per user."""

from __future__ import annotations

from qsm.agents import FakeChatModel, ModelPool
from qsm.graph import Runtime, Workflow, run
from qsm.graph.recall import LESSONS, curate
from qsm.store import FakeMemoryStore
from tests.helpers import REJECT, fake_runtime, settings, team_fakes


def _runtime(tmp, fakes, memory, **overrides) -> Runtime:
    return fake_runtime(tmp, fakes, memory=memory, **overrides)


def test_weq_recalls_and_cites_knowledge(tmp_path) -> None:
    memory = FakeMemoryStore()
    fact = memory.write("The capital of Freedonia is Sylvania City.", "/knowledge/geo", as_agent="user")
    memory.write("Bananas are yellow when ripe.", "/knowledge/food", as_agent="user")
    fakes = team_fakes(WeQ=["Sylvania City [1]"])
    with _runtime(tmp_path, fakes, memory, runtime={"recall_min_score": 0.1}) as rt:
        result = run(Workflow.default(), "What is the capital of Freedonia?", runtime=rt)
    prompt = fakes["WeQ"].calls[0].messages[-1]["content"]
    assert "Notes from memory" in prompt and "Sylvania City" in prompt
    assert result.final.citations and result.final.citations[0].entry_id == fact.id
    draft = next(e for e in result.trace if e.type == "Draft")
    assert draft.payload["citations"][0]["path"] == "/knowledge/geo"


def test_chat_remembered_per_user_and_recalled_next_time(tmp_path) -> None:
    memory = FakeMemoryStore()
    with _runtime(tmp_path, team_fakes(WeQ=["Your locker code is 4711."]), memory) as rt:
        first = run(Workflow.default(), "Remember: my locker code is 4711.", runtime=rt, user="ada")
    chats = memory.ls("/users/ada/chats").entries
    assert len(chats) == 1 and "4711" in chats[0].text and chats[0].provenance.parents == (first.final_id,)
    assert memory.ls("/users/bob/chats").entries == []
    fakes = team_fakes(WeQ=["4711"])
    with _runtime(tmp_path / "2", fakes, memory, runtime={"recall_min_score": 0.1}) as rt:
        run(Workflow.default(), "What is my locker code?", runtime=rt, user="ada")
    assert "4711" in fakes["WeQ"].calls[0].messages[-1]["content"]


def test_ref_writes_lessons_from_rejections_and_consults_them(tmp_path) -> None:
    memory = FakeMemoryStore()
    with _runtime(tmp_path, team_fakes(WeQ=["5"], Ref=[REJECT]), memory) as rt:
        result = run(Workflow.default(), "What is 2+2?", runtime=rt)
    lessons = memory.ls(LESSONS).entries
    assert len(lessons) == 1 and "'5'" in lessons[0].text and lessons[0].writer == "Ref"
    verdict = next(e for e in result.trace if e.type == "Verdict")
    assert verdict.id in lessons[0].provenance.parents
    assert memory.ls("/users/local/chats").entries == []  # rejected answers are not remembered as chats
    fakes = team_fakes(WeQ=["4"])
    with _runtime(tmp_path / "2", fakes, memory, runtime={"recall_min_score": 0.1}) as rt:
        run(Workflow.default(), "What is 2+2?", runtime=rt)
    assert "Lessons from past reviews" in fakes["Ref"].calls[0].messages[-1]["content"]


def test_curate_dedupes_and_summarises_with_refs_model(tmp_path) -> None:
    memory = FakeMemoryStore()
    for i in range(10):
        memory.write(f"Fact {i}: the sea is salty number {i}.", "/knowledge/sea", as_agent="user")
    memory.write("Fact 0: the sea is salty number 0.", "/knowledge/sea", as_agent="user", key="dup")
    ref = FakeChatModel(["The sea is salty (ten notes)."], auto=False)
    rt = Runtime(settings(tmp_path), models=ModelPool(overrides={"Ref": ref}), persist=False, memory=memory)
    report = curate(rt, "/knowledge/sea", summarise_over=5)
    assert report["summary"]["text"] == "The sea is salty (ten notes)."
    assert "Summarise" in ref.calls[0].messages[0]["content"]
    assert [r.operation for r in memory.curation_log()][-1] == "summarise"


def test_a_past_chat_needs_its_own_higher_similarity_to_be_recalled(tmp_path) -> None:
    """A past chat about another city misleads a draft more than knowledge does: chats have their own bar."""
    memory = FakeMemoryStore()
    with _runtime(tmp_path, team_fakes(WeQ=["Your locker code is 4711."]), memory) as rt:
        run(Workflow.default(), "Remember: my locker code is 4711.", runtime=rt, user="ada")
    memory.write("Locker codes are reset every year.", "/knowledge/office", as_agent="user")
    for bar, recalled in ((0.99, False), (0.1, True)):
        fakes = team_fakes(WeQ=["4711"])
        scores = {"recall_min_score": 0.1, "recall_chat_min_score": bar}
        with _runtime(tmp_path / str(bar), fakes, memory, runtime=scores) as rt:
            run(Workflow.default(), "What is my locker code?", runtime=rt, user="ada")
        prompt = fakes["WeQ"].calls[0].messages[-1]["content"]
        assert "reset every year" in prompt  # knowledge at the lower bar either way
        assert ("is 4711" in prompt) is recalled, prompt
