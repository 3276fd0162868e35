"""One training or evaluation example: the exact chat an agent sees at run time, the reply it should give,
and the gold labels its judgement is scored against."""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from typing_extensions import TypedDict

from qsm.agents.backend import ChatMessage, Role
from qsm.agents.roles import BudgetReply, DiagnosisReply, PlanReply, VerdictReply
from qsm.ids import content_id
from qsm.train.errors import TrainingError

__all__ = [
    "REPLY_TYPES",
    "ROLES",
    "ROLE_TASKS",
    "Example",
    "RoleName",
    "Split",
    "TaskKey",
    "Turn",
    "example_id",
    "parse_role",
    "read_examples",
    "write_examples",
]

RoleName = Literal["QSM", "WeQ", "SOM", "Ref"]
ROLES: tuple[RoleName, ...] = ("QSM", "WeQ", "SOM", "Ref")
TaskKey = Literal[
    "QSM.plan", "QSM.merge", "SOM.budget", "SOM.answer", "WeQ.draft", "Ref.verify", "Ref.diagnose"
]
Split = Literal["train", "val", "test"]

# Every prompt an agent's adapter serves, not only its main one: an adapter trained on QSM.plan alone would
# answer QSM.merge with plan JSON.
ROLE_TASKS: dict[RoleName, tuple[TaskKey, ...]] = {
    "QSM": ("QSM.plan", "QSM.merge"),
    "WeQ": ("WeQ.draft",),
    "SOM": ("SOM.budget", "SOM.answer"),
    "Ref": ("Ref.verify", "Ref.diagnose"),
}
REPLY_TYPES: dict[str, type[BaseModel]] = {
    "QSM.plan": PlanReply,
    "SOM.budget": BudgetReply,
    "Ref.verify": VerdictReply,
    "Ref.diagnose": DiagnosisReply,
}


class Turn(TypedDict):
    """One message of an example's prompt (a :class:`~qsm.agents.backend.ChatMessage` pydantic validates:
    an unknown role is refused when a dataset is read)."""

    role: Role
    content: str


class Example(BaseModel):
    """``messages`` = system + user, rendered by the same functions the graph uses; ``target`` = the
    assistant reply to learn; ``gold`` = labels for judging any reply (route, complexity, decision,
    expected fact and citation, ...); ``group`` keeps near-duplicates in one split."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str
    role: RoleName
    task: TaskKey
    category: str
    group: str
    messages: list[Turn]
    target: str = Field(min_length=1)
    gold: dict[str, Any]
    source: Literal["seed", "teacher", "rejection"] = "seed"

    @property
    def chat(self) -> list[ChatMessage]:
        """The messages as the model backends take them."""
        return [{"role": m["role"], "content": m["content"]} for m in self.messages]


def example_id(task: str, messages: list[Any], target: str) -> str:
    """An example's content id: its task, prompt and target (whoever wrote the target)."""
    return content_id("example", {"task": task, "messages": messages, "target": target})


def parse_role(value: str) -> RoleName:
    """``qsm`` / ``Ref`` / ``REF`` -> the agent name; raises :class:`TrainingError` otherwise."""
    for role in ROLES:
        if role.lower() == value.strip().lower():
            return role
    raise TrainingError(f"unknown role {value!r}", hint=f"use one of: {', '.join(ROLES)} (or all)")


def write_examples(path: Path, examples: Iterable[Example]) -> int:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    count = 0
    with tmp.open("w", encoding="utf-8") as fh:
        for example in examples:
            fh.write(example.model_dump_json() + "\n")
            count += 1
    tmp.replace(path)
    return count


def read_examples(path: Path) -> list[Example]:
    """Examples of one JSON-lines file; a bad line is reported with its number."""
    if not path.is_file():
        raise TrainingError(f"no dataset file {path}", hint="build the datasets first: `qsm train data`")
    examples = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            examples.append(Example.model_validate(json.loads(line)))
        except (json.JSONDecodeError, ValidationError) as exc:
            raise TrainingError(
                f"{path}:{number} is not a valid example: {str(exc).splitlines()[0]}",
                hint="rebuild the datasets with `qsm train data --force`",
            ) from None
    return examples
