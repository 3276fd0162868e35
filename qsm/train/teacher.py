"""Teacher traces: a bigger model answers the seed tasks with the agents' own prompts; Ref-style rejection
sampling keeps a reply only if it is valid for the role's schema and agrees with the task's gold label."""

from __future__ import annotations

from dataclasses import asdict, dataclass

from qsm.agents import ChatModel, ModelPool
from qsm.agents.backend import ModelRequest
from qsm.agents.settings import AgentSettings
from qsm.agents.structured import schema_of
from qsm.errors import ModelCallError
from qsm.train.example import REPLY_TYPES, Example, example_id
from qsm.train.judge import judge
from qsm.train.seed_common import reply_json

__all__ = ["TeacherStats", "describe_teacher", "open_teacher", "teacher_traces"]


@dataclass
class TeacherStats:
    tasks: int = 0
    replies: int = 0
    call_errors: int = 0
    rejected_format: int = 0
    rejected_judgement: int = 0
    duplicates: int = 0
    accepted: int = 0

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


def describe_teacher(settings: AgentSettings) -> str:
    model = settings.model
    if model.backend == "openai":
        return f"openai-compatible {model.name or 'model'} at {model.url}"
    if model.backend == "fake":
        return "fake (scripted replies)"
    return f"llama.cpp {model.path or 'bundled SmolLM2-135M-Instruct'}"


def open_teacher(settings: AgentSettings) -> tuple[ChatModel, ModelPool]:
    """The teacher's model through the same pool the agents use (close the pool when done)."""
    pool = ModelPool()
    return pool.model_for("teacher", settings), pool


def teacher_traces(
    model: ChatModel, tasks: list[Example], settings: AgentSettings, *, samples: int
) -> tuple[list[Example], TeacherStats]:
    """Up to ``samples`` teacher replies per task; the accepted ones become new train examples."""
    stats = TeacherStats()
    accepted: list[Example] = []
    for task in tasks:
        stats.tasks += 1
        reply_type = REPLY_TYPES.get(task.task)
        seen = {task.target}
        for sample in range(samples):
            sampling = settings.sampling
            if sampling.seed is not None:
                sampling = sampling.model_copy(update={"seed": sampling.seed + sample})
            try:
                completion = model.complete(
                    ModelRequest(
                        task.chat,
                        sampling,
                        json_schema=schema_of(reply_type) if reply_type else None,
                        cache_key="teacher",
                    )
                )
            except ModelCallError:
                stats.call_errors += 1
                continue
            stats.replies += 1
            text = completion.text.strip()
            verdict = judge(task, text)
            if not verdict.format_valid:
                stats.rejected_format += 1
                continue
            if not verdict.passed:
                stats.rejected_judgement += 1
                continue
            if reply_type is not None:  # the same one-line JSON layout as the seed targets
                text = reply_json(reply_type.model_validate_json(text))
            if text in seen:
                stats.duplicates += 1
                continue
            seen.add(text)
            stats.accepted += 1
            eid = example_id(task.task, task.messages, text)
            accepted.append(task.model_copy(update={"id": eid, "target": text, "source": "teacher"}))
    return accepted, stats
