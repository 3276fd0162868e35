"""The fake trainer: no torch, records what it was asked and writes an adapter folder's metadata only."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from qsm.train.example import Example, RoleName
from qsm.train.trainer import TrainReport

__all__ = ["FakeTrainer"]


@dataclass
class FakeTrainer:
    """Each call appends ``(role, train, val, out_dir)`` to ``calls`` and writes ``adapter_config.json`` (a
    valid PEFT LoRA config) and ``train_report.json`` (marked fake) into ``out_dir``; no weights."""

    rank: int = 4
    calls: list[tuple[RoleName, list[Example], list[Example], Path]] = field(default_factory=list)

    def train(self, role: RoleName, train: list[Example], val: list[Example], out_dir: Path) -> TrainReport:
        self.calls.append((role, list(train), list(val), out_dir))
        out_dir.mkdir(parents=True, exist_ok=True)
        config = {
            "peft_type": "LORA",
            "r": self.rank,
            "lora_alpha": 2 * self.rank,
            "target_modules": ["q_proj"],
        }
        (out_dir / "adapter_config.json").write_text(json.dumps(config), encoding="utf-8")
        tokens = sum(len(e.target.split()) for e in train)
        report = TrainReport(
            role=role,
            adapter_dir=str(out_dir),
            examples=len(train),
            skipped_too_long=0,
            steps=len(train),
            epochs=1,
            seconds=0.0,
            train_tokens=tokens,
            tokens_per_second=0.0,
            device="none",
            precision="none",
            fake=True,
        )
        report.save()
        return report
