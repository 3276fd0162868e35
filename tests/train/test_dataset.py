"""Datasets on disk: splits, card and stats; teacher traces through ModelPool with Ref-style rejection."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from qsm.agents import FakeChatModel
from qsm.agents.fake import FakeCall
from qsm.agents.settings import AgentSettings
from qsm.train import (
    DataSettings,
    TrainingError,
    TrainLayout,
    TrainSettings,
    build_dataset,
    load_split,
    make_datasets,
    read_examples,
    seed_examples,
    teacher_traces,
)
from qsm.train.teacher import open_teacher


def test_build_writes_disjoint_splits_card_and_stats(tmp_path: Path) -> None:
    layout = TrainLayout(tmp_path)
    report = build_dataset("SOM", DataSettings(examples_per_role=120, seed=1), layout)
    splits = {name: load_split(layout, "SOM", name) for name in ("train", "val", "test")}
    assert {k: len(v) for k, v in splits.items()} == report.splits
    assert sum(report.splits.values()) == 120 and report.rejected_seed == 0
    ids = [{e.id for e in items} for items in splits.values()]
    assert not (ids[0] & ids[2]) and not (ids[1] & ids[2])
    card = layout.card("SOM").read_text()
    assert "Teacher: none configured" in card and "| test | " in card and "SOM.budget" in card
    assert json.loads(layout.stats("SOM").read_text())["splits"] == report.splits


def test_existing_datasets_are_kept_unless_forced(tmp_path: Path) -> None:
    layout, train = TrainLayout(tmp_path), TrainSettings(data=DataSettings(examples_per_role=40))
    first = make_datasets(["Ref"], train, layout)
    assert first[0] is not None
    before = layout.split("Ref", "train").read_text()
    again = make_datasets(
        ["Ref"], train.model_copy(update={"data": DataSettings(examples_per_role=50)}), layout
    )
    assert again == [None] and layout.split("Ref", "train").read_text() == before
    forced = make_datasets(
        ["Ref"], train.model_copy(update={"data": DataSettings(examples_per_role=50)}), layout, force=True
    )
    assert forced[0] is not None and sum(forced[0].splits.values()) == 50


def test_teacher_replies_are_filtered_like_ref_would(small_sets: dict[str, list]) -> None:
    tasks = [e for e in small_sets["QSM"] if e.task == "QSM.plan"][:4]
    flipped = {"WeQ": "SOM", "SOM": "WeQ"}

    def replies(example) -> list[str]:
        data = json.loads(example.target)
        new_goal = json.dumps({**data, "goal": "Another goal"})
        wrong = json.dumps({**data, "route_to": flipped[data["route_to"]]})
        return [new_goal, "not json at all", wrong, example.target]

    queue = [r for e in tasks for r in replies(e)]
    settings = AgentSettings.model_validate({"model": {"backend": "fake", "fake_replies": queue}})
    model, pool = open_teacher(settings)
    try:
        accepted, stats = teacher_traces(model, tasks, settings, samples=4)
    finally:
        pool.close()
    assert stats.as_dict() == {
        "tasks": 4,
        "replies": 16,
        "call_errors": 0,
        "rejected_format": 4,
        "rejected_judgement": 4,
        "duplicates": 4,
        "accepted": 4,
    }
    assert [json.loads(e.target)["goal"] for e in accepted] == ["Another goal"] * 4
    assert all(e.source == "teacher" for e in accepted)
    assert [e.gold for e in accepted] == [t.gold for t in tasks]
    assert len({e.id for e in accepted} | {t.id for t in tasks}) == 8


def test_teacher_traces_go_to_train_only_and_the_card_counts_them(tmp_path: Path) -> None:
    layout = TrainLayout(tmp_path)
    data = DataSettings(examples_per_role=60, seed=2, teacher_tasks=5, teacher_samples=1)
    by_prompt = {e.messages[-1]["content"]: e for e in seed_examples("Ref", 2, 60)}

    def rephrased(call: FakeCall) -> str:
        example = by_prompt[call.messages[-1]["content"]]
        data = json.loads(example.target)
        if example.task == "Ref.verify":
            data["reasons"] = ["Checked by the teacher."]
        else:
            data["instruction"] += " Keep it short."
        return json.dumps(data)

    teacher = FakeChatModel([rephrased] * 5, auto=False)
    report = build_dataset(
        "Ref", data, layout, teacher=teacher, teacher_settings=AgentSettings(), teacher_name="fake teacher"
    )
    assert report.teacher_stats["tasks"] == 5 and report.teacher_stats["accepted"] == 5
    assert len(teacher.calls) == 5 and all(c.json_schema is not None for c in teacher.calls)
    train = read_examples(layout.split("Ref", "train"))
    assert sum(e.source == "teacher" for e in train) == 5 and report.sources == {
        "seed": len(train) - 5,
        "teacher": 5,
    }
    assert all(e.source == "seed" for e in load_split(layout, "Ref", "test"))
    card = layout.card("Ref").read_text()
    assert "Teacher: fake teacher" in card and "5 accepted" in card


def test_unreadable_dataset_lines_are_reported_with_their_number(tmp_path: Path) -> None:
    layout = TrainLayout(tmp_path)
    build_dataset("WeQ", DataSettings(examples_per_role=20), layout)
    path = layout.split("WeQ", "val")
    path.write_text(path.read_text() + "{broken\n")
    with pytest.raises(TrainingError, match=r"val\.jsonl:\d+ is not a valid example") as err:
        load_split(layout, "WeQ", "val")
    assert "--force" in err.value.hint
    with pytest.raises(TrainingError, match="no dataset file"):
        load_split(layout, "QSM", "train")


def test_an_example_with_an_unknown_chat_role_is_refused(tmp_path: Path) -> None:
    layout = TrainLayout(tmp_path)
    build_dataset("WeQ", DataSettings(examples_per_role=20), layout)
    path = layout.split("WeQ", "val")
    first = json.loads(path.read_text().splitlines()[0])
    assert [m["role"] for m in read_examples(path)[0].chat] == ["system", "user"]
    first["messages"][0]["role"] = "narrator"
    path.write_text(json.dumps(first) + "\n")
    with pytest.raises(TrainingError, match=r"val\.jsonl:1 is not a valid example"):
        read_examples(path)
