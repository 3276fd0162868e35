"""Each training stage of a role on its held-out split in one run: the base, the SFT adapter (cold start)
and the SFT+GRPO adapter, served by llama.cpp exactly as ``qsm eval`` serves them (greedy, no grammar),
scored by their decisions (accuracy, false accepts, false rejects)."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from qsm.agents import ChatModel, LlamaBase, LlamaCppModel
from qsm.agents.backend import ModelRequest
from qsm.agents.locate import resolve_model_path
from qsm.train.dataset import load_split
from qsm.train.evaluate import eval_sampling
from qsm.train.example import Example, RoleName
from qsm.train.grpo import GRPO_ROLES, stage_name
from qsm.train.pipeline import spread
from qsm.train.rewards import decision_rates
from qsm.train.settings import TrainLayout, TrainSettings

__all__ = ["compare_stages", "stage_adapters"]

Log = Callable[[str], None]
ModelFor = Callable[[Path | None], ChatModel]


def stage_adapters(role: RoleName, layout: TrainLayout) -> dict[str, Path | None]:
    """The stages that exist for ``role``: ``base`` always, ``sft`` and ``sft+grpo`` where exported."""
    stages: dict[str, Path | None] = {"base": None}
    for name, gguf in (
        ("sft", layout.adapter_gguf(role)),
        ("sft+grpo", layout.adapter_gguf(stage_name(role))),
    ):
        if gguf.is_file():
            stages[name] = gguf
    return stages


def compare_stages(
    role: RoleName,
    layout: TrainLayout,
    train: TrainSettings,
    *,
    model_for: ModelFor | None = None,
    log: Log = lambda _m: None,
) -> dict[str, Any]:
    """Decision rates of every stage of ``role`` on the held-out examples of its verifiable task."""
    task = GRPO_ROLES.get(role)
    if task is None:
        return {"role": role, "stages": {}}
    examples = spread([e for e in load_split(layout, role, "test") if e.task == task], train.eval.limit)
    sampling = eval_sampling(train.eval.max_tokens, train.eval.repeat_penalty)
    owned = None
    if model_for is None:
        owned = LlamaBase(
            resolve_model_path(train.base), n_ctx=train.eval.n_ctx, n_threads=train.eval.n_threads,
            max_instances=1,
        )  # fmt: skip
        base = owned
        model_for = lambda gguf: LlamaCppModel(base, adapter=gguf)  # noqa: E731
    results: dict[str, Any] = {}
    try:
        for stage, gguf in stage_adapters(role, layout).items():
            started = time.perf_counter()
            replies = _replies(model_for(gguf), examples, sampling, role)
            rates = decision_rates(replies, [e.gold["decision"] for e in examples])
            results[stage] = {**rates, "adapter": str(gguf) if gguf else None,
                              "seconds": round(time.perf_counter() - started, 1)}  # fmt: skip
            log(f"{role} {stage}: decision accuracy {rates['decision_accuracy']:.2f}, "
                f"false accept {rates['false_accept']:.2f}, false reject {rates['false_reject']:.2f}")  # fmt: skip
    finally:
        if owned is not None:
            owned.close()
    return {
        "role": role,
        "task": task,
        "split": "test",
        "examples": len(examples),
        "serving_path": "qsm.agents.LlamaCppModel (llama.cpp), greedy, no grammar, as `qsm eval`",
        "sampling": sampling.model_dump(),
        "stages": results,
    }


def _replies(model: ChatModel, examples: list[Example], sampling: Any, role: str) -> list[str]:
    return [model.complete(ModelRequest(e.chat, sampling, cache_key=f"stages-{role}")).text for e in examples]
