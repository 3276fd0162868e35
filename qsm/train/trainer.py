"""The trainer protocol: turn a role's train/val examples into a PEFT adapter folder."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from qsm.train.example import Example, RoleName

__all__ = ["TrainReport", "Trainer", "read_report"]

REPORT_FILE = "train_report.json"


@dataclass
class TrainReport:
    """What a training run did; saved as ``train_report.json`` in the adapter folder."""

    role: str
    adapter_dir: str
    examples: int
    skipped_too_long: int
    steps: int
    epochs: int
    seconds: float
    train_tokens: int
    tokens_per_second: float
    device: str
    precision: str
    final_train_loss: float | None = None
    val_loss_before: float | None = None
    val_loss: list[float] = field(default_factory=list)
    loss_curve: list[tuple[int, float]] = field(default_factory=list)
    settings: dict[str, Any] = field(default_factory=dict)
    versions: dict[str, str] = field(default_factory=dict)
    fake: bool = False

    def save(self) -> Path:
        path = Path(self.adapter_dir) / REPORT_FILE
        path.write_text(json.dumps(asdict(self), indent=2) + "\n", encoding="utf-8")
        return path


def read_report(adapter_dir: Path) -> TrainReport | None:
    path = adapter_dir / REPORT_FILE
    if not path.is_file():
        return None
    data = json.loads(path.read_text(encoding="utf-8"))
    data["loss_curve"] = [tuple(p) for p in data.get("loss_curve", [])]
    return TrainReport(**data)


@runtime_checkable
class Trainer(Protocol):
    """:class:`qsm.train.PeftTrainer` (real, torch) or :class:`qsm.train.FakeTrainer` (records calls)."""

    def train(self, role: RoleName, train: list[Example], val: list[Example], out_dir: Path) -> TrainReport:
        """Fine-tune on ``train`` (watching ``val``), write the adapter into ``out_dir``."""
        ...
