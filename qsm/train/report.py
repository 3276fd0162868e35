"""What building one role's dataset produced: the counts the card and the CLI show."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from qsm.train.example import RoleName

__all__ = ["DatasetReport"]


@dataclass
class DatasetReport:
    """Counts for one role's dataset, written into its card and printed by ``qsm train data``."""

    role: RoleName
    seed: int
    generated: int
    rejected_seed: int
    splits: dict[str, int]
    by_task: dict[str, dict[str, int]]
    by_category: dict[str, dict[str, int]]
    sources: dict[str, int]
    teacher: str | None
    teacher_stats: dict[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)
