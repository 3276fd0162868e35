"""qsm.train: specialise the four agents. Role datasets (seed tasks, teacher traces, Ref-style rejection
sampling), LoRA SFT with PEFT on the base loaded from its GGUF, export to GGUF LoRA adapters served on one
shared base by llama.cpp, and evaluation of base vs adapter per role.

Names are imported on first use (:mod:`qsm.lazy`): ``qsm.train.settings`` loads without the datasets and
the graph; torch, transformers and peft (the ``[train]`` extra) are imported only where training needs them.
The judge is :func:`qsm.train.judge.judge` (a package attribute cannot share its module's name).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from qsm.lazy import lazy_exports

if TYPE_CHECKING:
    from qsm.train.dataset import build_dataset, load_split, seed_examples
    from qsm.train.errors import TRAIN_EXTRA_HINT, TrainingError, require_train_extra
    from qsm.train.evaluate import evaluate_role
    from qsm.train.example import ROLE_TASKS, ROLES, Example, RoleName, parse_role, read_examples
    from qsm.train.export import export_adapter, llama_tools_dir
    from qsm.train.fake import FakeTrainer
    from qsm.train.pipeline import (
        adapter_config_lines,
        export_roles,
        layout_for,
        make_datasets,
        run_eval,
        train_roles,
    )
    from qsm.train.settings import DataSettings, EvalSettings, LoraSettings, TrainLayout, TrainSettings
    from qsm.train.sft import PeftTrainer
    from qsm.train.teacher import teacher_traces
    from qsm.train.trainer import Trainer, read_report

__all__ = [
    "ROLES",
    "ROLE_TASKS",
    "TRAIN_EXTRA_HINT",
    "DataSettings",
    "EvalSettings",
    "Example",
    "FakeTrainer",
    "LoraSettings",
    "PeftTrainer",
    "RoleName",
    "TrainLayout",
    "TrainSettings",
    "Trainer",
    "TrainingError",
    "adapter_config_lines",
    "build_dataset",
    "evaluate_role",
    "export_adapter",
    "export_roles",
    "layout_for",
    "llama_tools_dir",
    "load_split",
    "make_datasets",
    "parse_role",
    "read_examples",
    "read_report",
    "require_train_extra",
    "run_eval",
    "seed_examples",
    "teacher_traces",
    "train_roles",
]

_EXPORTS = {
    "qsm.train.dataset": ("build_dataset", "load_split", "seed_examples"),
    "qsm.train.errors": ("TRAIN_EXTRA_HINT", "TrainingError", "require_train_extra"),
    "qsm.train.evaluate": ("evaluate_role",),
    "qsm.train.example": ("ROLE_TASKS", "ROLES", "Example", "RoleName", "parse_role", "read_examples"),
    "qsm.train.export": ("export_adapter", "llama_tools_dir"),
    "qsm.train.fake": ("FakeTrainer",),
    "qsm.train.pipeline": (
        "adapter_config_lines",
        "export_roles",
        "layout_for",
        "make_datasets",
        "run_eval",
        "train_roles",
    ),
    "qsm.train.settings": (
        "DataSettings",
        "EvalSettings",
        "LoraSettings",
        "TrainLayout",
        "TrainSettings",
    ),
    "qsm.train.sft": ("PeftTrainer",),
    "qsm.train.teacher": ("teacher_traces",),
    "qsm.train.trainer": ("Trainer", "read_report"),
}
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
