"""Role datasets: seed tasks -> Ref-style filter -> group splits -> teacher traces for train -> files and
a dataset card per role under ``<train dir>/data/<role>/``."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable

from qsm.agents import ChatModel
from qsm.agents.settings import AgentSettings
from qsm.train.card import render_card
from qsm.train.example import Example, RoleName, Split, read_examples, write_examples
from qsm.train.judge import judge
from qsm.train.report import DatasetReport
from qsm.train.seed_common import Seeds, split_by_group
from qsm.train.seed_qsm import qsm_examples
from qsm.train.seed_ref import ref_examples
from qsm.train.seed_som import som_examples
from qsm.train.seed_weq import weq_examples
from qsm.train.settings import DataSettings, TrainLayout
from qsm.train.teacher import TeacherStats, teacher_traces

__all__ = ["GENERATORS", "DatasetReport", "build_dataset", "load_split", "seed_examples"]

GENERATORS: dict[RoleName, Callable[[Seeds, int], list[Example]]] = {
    "QSM": qsm_examples,
    "WeQ": weq_examples,
    "SOM": som_examples,
    "Ref": ref_examples,
}
SPLITS: tuple[Split, ...] = ("train", "val", "test")


def seed_examples(role: RoleName, seed: int, count: int) -> list[Example]:
    """The role's seed tasks with gold answers; the same (role, seed, count) always gives the same list."""
    return GENERATORS[role](Seeds(seed, role), count)


def build_dataset(
    role: RoleName,
    settings: DataSettings,
    layout: TrainLayout,
    *,
    teacher: ChatModel | None = None,
    teacher_settings: AgentSettings | None = None,
    teacher_name: str | None = None,
) -> DatasetReport:
    generated = seed_examples(role, settings.seed, settings.examples_per_role)
    kept = [e for e in generated if judge(e, e.target).passed]  # a generator bug must not become data
    splits = split_by_group(kept, test=settings.test_fraction, val=settings.val_fraction, seed=settings.seed)
    stats = TeacherStats()
    if teacher is not None:
        tasks = splits["train"][: settings.teacher_tasks] if settings.teacher_tasks else splits["train"]
        traces, stats = teacher_traces(
            teacher, tasks, teacher_settings or AgentSettings(), samples=settings.teacher_samples
        )
        splits["train"] = splits["train"] + traces
    for name in SPLITS:
        write_examples(layout.split(role, name), splits[name])
    report = DatasetReport(
        role=role,
        seed=settings.seed,
        generated=len(generated),
        rejected_seed=len(generated) - len(kept),
        splits={name: len(splits[name]) for name in SPLITS},
        by_task={name: dict(Counter(e.task for e in splits[name])) for name in SPLITS},
        by_category={
            name: dict(sorted(Counter(e.category for e in splits[name]).items())) for name in SPLITS
        },
        sources=dict(Counter(e.source for e in splits["train"])),
        teacher=teacher_name,
        teacher_stats=stats.as_dict() if teacher is not None else {},
    )
    layout.stats(role).write_text(json.dumps(report.as_dict(), indent=2) + "\n", encoding="utf-8")
    layout.card(role).write_text(render_card(report, splits), encoding="utf-8")
    return report


def load_split(layout: TrainLayout, role: RoleName, split: Split) -> list[Example]:
    return read_examples(layout.split(role, split))
