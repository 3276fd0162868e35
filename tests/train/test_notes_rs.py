"""WeQ's rejection-sampled note data (:mod:`qsm.train.notes_rs`) on fake models: the team's own prompt, the
acceptance rule (the gold note cited and the gold fact stated), held-out groups never trained on, and the
`qsm train notes-rs` command."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from qsm.agents import FakeChatModel
from qsm.agents.fake import FakeCall
from qsm.agents.settings import Sampling
from qsm.cli.main import cli
from qsm.graph import Workflow, run
from qsm.store.embedder import make_embedder
from qsm.store.settings import MemorySettings
from qsm.train import TrainingError, make_datasets, read_examples
from qsm.train.notes_rs import (
    CATEGORY,
    NoteTask,
    accept,
    build_notes_rs,
    held_out_groups,
    note_tasks,
    rejection_sample,
    split_tasks,
)
from qsm.train.settings import DataSettings, TrainLayout, TrainSettings
from tests.helpers import fake_runtime, team_fakes

SHIPPED = {"router": "student", "tools": True, "ref_judge": "checks"}


@pytest.fixture(scope="module")
def tasks() -> list[NoteTask]:
    return note_tasks(5, 12, None)


def _wrong_note(task: NoteTask) -> int:
    return next(n for n in task.analysis.notes.notes if n != task.example.gold["cite"])  # type: ignore[union-attr]


def _without_cite(text: str) -> str:
    return re.sub(r"\s*\[\d+\]", "", text)


def test_accept_keeps_only_the_gold_fact_citing_the_gold_note(tasks: list[NoteTask]) -> None:
    task = tasks[0]
    gold, cite = task.example.gold, task.example.gold["cite"]
    assert accept(task, task.example.target) == (task.example.target, "")
    bare = _without_cite(task.example.target)
    text, reason = accept(task, bare)  # the team cites the note that fits when the reply cites none
    assert reason == "" and text.endswith(f"[{cite}]")
    wrong = _wrong_note(task)
    cited, reason = accept(task, f"{bare.rstrip('.')} [{wrong}].")  # shown one note, it cites that one
    assert reason == "" and cited == f"{bare.rstrip('.')} [{cite}]."
    other = _without_cite(tasks[1].example.target)  # another request's fact: the note does not support it
    _, reason = accept(task, f"{other} [{cite}]")
    assert reason
    shaped, _ = accept(task, f"{bare} [{wrong}]")  # the team keeps the first sentence only, then cites
    assert shaped == f"{bare} [{cite}]"
    _, reason = accept(task, f"The note does not say [{cite}].")
    assert reason and gold["answer"] not in "The note does not say"


def test_note_prompts_are_the_teams_draft_prompt(tmp_path: Path) -> None:
    embedder = make_embedder(MemorySettings(embedder="minilm"))
    for index, task in enumerate(note_tasks(11, 3, embedder)):
        fakes = team_fakes(QSM=[], SOM=[], WeQ=[task.example.target], Ref=[])
        with fake_runtime(tmp_path / str(index), fakes, runtime=SHIPPED, embedder="minilm") as rt:
            result = run(Workflow.default(), task.request, runtime=rt)
        assert fakes["WeQ"].calls[0].messages == task.example.chat
        assert result.text == task.example.target


def _scripted(replies: dict[str, list[str]]) -> FakeChatModel:
    """A fake that answers each prompt (by its last message) with the next of that prompt's replies."""
    queues = {prompt: list(texts) for prompt, texts in replies.items()}

    def answer(call: FakeCall) -> str:
        return queues[call.messages[-1]["content"]].pop(0)

    model = FakeChatModel(auto=False)
    model.enqueue(*([answer] * sum(map(len, replies.values()))))
    return model


def test_rejection_sampling_keeps_distinct_accepted_answers_else_the_gold(tasks: list[NoteTask]) -> None:
    first, second = tasks[0], tasks[1]
    gold, bare = first.example.target, _without_cite(first.example.target)
    wrong = (
        f"{_without_cite(first.example.target).rstrip('.')} [{second.example.gold['cite']}]."  # not its fact
    )
    model = _scripted(
        {
            first.example.messages[-1]["content"]: ["I do not know.", gold, gold, bare],
            second.example.messages[-1]["content"]: [wrong, "No idea.", wrong, "Maybe."],
        }
    )
    out, stats = rejection_sample(model, [first, second], samples=4, sampling=Sampling(), keep=2)
    assert (stats.samples, stats.accepted, stats.duplicates) == (8, 2, 1)
    assert stats.rejected_gold + stats.rejected_checks == 5 and stats.gold_fallback == 1
    assert stats.prompts_with_accepted == 1 and stats.acceptance_rate == 0.375
    assert [(e.source, e.target) for e in out] == [
        ("rejection", gold),
        ("rejection", f"{bare} [{first.example.gold['cite']}]"),  # cited by the team's rule
        ("seed", second.example.target),
    ]
    assert out[0].messages == first.example.messages and out[0].category == CATEGORY
    temperatures = [c.sampling.temperature for c in model.calls[:4]]
    assert temperatures == [0.0, 0.8, 0.8, 0.8]  # sample 0 greedy, as the team's first candidate


def test_held_out_groups_are_never_trained_on(tasks: list[NoteTask], tmp_path: Path) -> None:
    data = DataSettings(seed=5)
    held = {tasks[0].example.group, tasks[1].example.group}
    splits = split_tasks(tasks, data, held)
    train_groups = {t.example.group for t in splits["train"]}
    assert not train_groups & held
    assert not train_groups & {t.example.group for name in ("val", "test") for t in splits[name]}
    assert sorted(t.request for s in splits.values() for t in s) == sorted(t.request for t in tasks)


def _layout(tmp_path: Path) -> tuple[TrainLayout, TrainSettings]:
    train = TrainSettings.model_validate({"data": {"seed": 4, "examples_per_role": 60}})
    layout = TrainLayout(tmp_path / "train")
    make_datasets(["WeQ"], train, layout)
    return layout, train


def _gold_replies(call: FakeCall) -> str:
    """The last line of the note the prompt shows, as ``Note [n]: fact`` → ``fact [n]``."""
    found = re.search(r"Note \[(\d+)\]: (.+)", call.messages[-1]["content"])
    assert found is not None
    return f"{found.group(2)} [{found.group(1)}]"


def test_build_adds_note_examples_to_weq_and_runs_again(tmp_path: Path) -> None:
    layout, train = _layout(tmp_path)
    before = {s: len(read_examples(layout.split("WeQ", s))) for s in ("train", "val", "test")}
    held = held_out_groups(layout)
    model = FakeChatModel(auto=False)
    model.enqueue(*([_gold_replies] * 10_000))
    kwargs = {"prompts": 20, "samples": 2, "keep": 1, "temperature": 0.8, "sampling": Sampling()}
    report = build_notes_rs(layout, train.data, model, None, settings={"x": 1}, **kwargs)  # type: ignore[arg-type]
    counts = report["counts"]
    splits = {s: read_examples(layout.split("WeQ", s)) for s in ("train", "val", "test")}
    added = [e for e in splits["train"] if e.category == CATEGORY]
    assert counts["train"] == before["train"] + counts["train_added"] == len(splits["train"])
    assert added and all(e.source == "rejection" for e in added)
    assert not {e.group for e in added} & (held | {e.group for s in ("val", "test") for e in splits[s]})
    assert sum(counts[f"{s}_added"] for s in ("train", "val", "test")) == report["rejection"][
        "prompts"
    ] + sum(1 for s in ("val", "test") for e in splits[s] if e.category == CATEGORY)
    record = json.loads(layout.rejection("WeQ").read_text())
    assert record["settings"] == {"x": 1} and record["rejection"]["acceptance_rate"] == 1.0
    build_notes_rs(layout, train.data, model, None, settings={"x": 1}, **kwargs)  # type: ignore[arg-type]
    again = {s: read_examples(layout.split("WeQ", s)) for s in ("train", "val", "test")}
    assert [e.id for e in again["train"]] == [e.id for e in splits["train"]]  # replaced, not doubled


def test_cli_needs_the_dataset_and_valid_numbers(tmp_path: Path) -> None:
    def invoke(*args: str) -> Result:
        return CliRunner().invoke(
            cli, ["--data-dir", str(tmp_path / "data"), "train", "notes-rs", *args], catch_exceptions=False
        )

    missing = invoke()
    assert missing.exit_code == TrainingError.exit_code and "qsm train data --role WeQ" in missing.output
    bad = invoke("--samples", "0")
    assert bad.exit_code == TrainingError.exit_code and "at least 1" in bad.output
    assert "Traceback" not in missing.output + bad.output
