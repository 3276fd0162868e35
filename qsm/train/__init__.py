"""qsm.train: specialise the four agents. Role datasets (seed tasks, teacher traces, Ref-style rejection
sampling), LoRA SFT with PEFT on the base loaded from its GGUF, export to GGUF LoRA adapters served on one
shared base by llama.cpp, and evaluation of base vs adapter per role.

torch, transformers and peft (the ``[train]`` extra) are imported only where training needs them.
"""

from qsm.train.dataset import DatasetReport, build_dataset, load_split, seed_examples
from qsm.train.errors import TRAIN_EXTRA_HINT, TrainingError, require_train_extra
from qsm.train.evaluate import RoleEval, evaluate_role
from qsm.train.example import ROLE_TASKS, ROLES, Example, RoleName, parse_role, read_examples, write_examples
from qsm.train.export import export_adapter, llama_tools_dir
from qsm.train.fake import FakeTrainer
from qsm.train.judge import Judgement, judge
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
from qsm.train.teacher import TeacherStats, teacher_traces
from qsm.train.trainer import Trainer, TrainReport, read_report

__all__ = [
    "ROLES",
    "ROLE_TASKS",
    "TRAIN_EXTRA_HINT",
    "DataSettings",
    "DatasetReport",
    "EvalSettings",
    "Example",
    "FakeTrainer",
    "Judgement",
    "LoraSettings",
    "PeftTrainer",
    "RoleEval",
    "RoleName",
    "TeacherStats",
    "TrainLayout",
    "TrainReport",
    "TrainSettings",
    "Trainer",
    "TrainingError",
    "adapter_config_lines",
    "build_dataset",
    "evaluate_role",
    "export_adapter",
    "export_roles",
    "judge",
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
    "write_examples",
]
