"""The pipeline's steps for several roles at once, as ``qsm train`` / ``qsm eval`` and the benchmark run
them: datasets -> LoRA -> GGUF adapters -> evaluation, and the config lines that serve the adapters."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from qsm.agents import ChatModel, LlamaBase, LlamaCppModel
from qsm.agents.locate import resolve_model_path
from qsm.agents.settings import AgentSettings
from qsm.train.dataset import DatasetReport, build_dataset, load_split
from qsm.train.errors import TrainingError
from qsm.train.evaluate import eval_sampling, evaluate_role
from qsm.train.example import Example, RoleName
from qsm.train.export import export_adapter
from qsm.train.settings import TrainLayout, TrainSettings
from qsm.train.teacher import describe_teacher, open_teacher
from qsm.train.trainer import Trainer, TrainReport

__all__ = [
    "adapter_config_lines",
    "export_roles",
    "layout_for",
    "make_datasets",
    "run_eval",
    "spread",
    "train_roles",
]

Log = Callable[[str], None]
ModelsFor = Callable[[RoleName, Path], tuple[ChatModel, ChatModel]]


def layout_for(train: TrainSettings, data_dir: Path) -> TrainLayout:
    return TrainLayout((train.dir or data_dir / "train").expanduser())


def make_datasets(
    roles: list[RoleName],
    train: TrainSettings,
    layout: TrainLayout,
    *,
    force: bool = False,
    log: Log = lambda _m: None,
) -> list[DatasetReport | None]:
    """Build each role's dataset (None where one exists already and ``force`` is off)."""
    teacher_settings: AgentSettings | None = train.data.teacher
    teacher = pool = None
    if teacher_settings is not None:
        teacher, pool = open_teacher(teacher_settings)
    try:
        reports: list[DatasetReport | None] = []
        for role in roles:
            if layout.split(role, "test").is_file() and not force:
                log(f"{role}: dataset exists in {layout.dataset(role)} (use --force to rebuild)")
                reports.append(None)
                continue
            report = build_dataset(
                role,
                train.data,
                layout,
                teacher=teacher,
                teacher_settings=teacher_settings,
                teacher_name=describe_teacher(teacher_settings) if teacher_settings else None,
            )
            log(f"{role}: {report.splits} written to {layout.dataset(role)} (card: CARD.md)")
            reports.append(report)
        return reports
    finally:
        if pool is not None:
            pool.close()


def train_roles(
    roles: list[RoleName], layout: TrainLayout, trainer: Trainer, *, log: Log = lambda _m: None
) -> dict[str, TrainReport]:
    reports: dict[str, TrainReport] = {}
    for role in roles:
        train, val = load_split(layout, role, "train"), load_split(layout, role, "val")
        log(f"{role}: training on {len(train)} examples ({len(val)} for validation)")
        reports[role] = trainer.train(role, train, val, layout.adapter(role))
        log(f"{role}: adapter saved in {layout.adapter(role)} ({reports[role].seconds:.0f} s)")
    return reports


def export_roles(
    roles: list[RoleName], layout: TrainLayout, train: TrainSettings, *, log: Log = lambda _m: None
) -> dict[str, Path]:
    out: dict[str, Path] = {}
    for role in roles:
        out[role] = export_adapter(
            layout.adapter(role),
            layout.adapter_gguf(role),
            base=train.base,
            base_config_dir=layout.base_config,
            outtype=train.lora.export_type,
        )
        log(f"{role}: GGUF adapter {out[role]}")
    return out


def adapter_config_lines(layout: TrainLayout, roles: list[RoleName]) -> str:
    """The qsm.toml lines that serve each role's exported adapter on the shared base."""
    lines = []
    for role in roles:
        path = layout.adapter_gguf(role)
        if path.is_file():
            lines += [f"[agents.{role}.model]", f"adapter = {json.dumps(str(path))}", ""]
    return "\n".join(lines)


def spread(examples: list[Example], limit: int | None) -> list[Example]:
    """At most ``limit`` examples taken evenly across the list: the test split is ordered by task and
    category, so a prefix would hold only the first few of them."""
    if limit is None or limit >= len(examples):
        return examples
    return [examples[i * len(examples) // limit] for i in range(limit)]


def _llama_models(train: TrainSettings) -> tuple[ModelsFor, LlamaBase]:
    base = LlamaBase(
        resolve_model_path(train.base),
        n_ctx=train.eval.n_ctx,
        n_threads=train.eval.n_threads,
        max_instances=1,
    )
    return (lambda _role, gguf: (LlamaCppModel(base), LlamaCppModel(base, adapter=gguf))), base


def run_eval(
    roles: list[RoleName],
    layout: TrainLayout,
    train: TrainSettings,
    *,
    models: ModelsFor | None = None,
    log: Log = lambda _m: None,
) -> dict[str, Any]:
    """Evaluate base vs adapter per role on the held-out test split; writes ``eval.json``."""
    missing = [r for r in roles if not layout.adapter_gguf(r).is_file()]
    if missing:
        raise TrainingError(
            f"no GGUF adapter for {', '.join(missing)} in {layout.adapter_gguf(missing[0]).parent}",
            hint="train and export first: `qsm train lora --role all`",
        )
    owned = None
    if models is None:
        models, owned = _llama_models(train)
    sampling = eval_sampling(train.eval.max_tokens, train.eval.repeat_penalty)
    results = {}
    try:
        for role in roles:
            examples = spread(load_split(layout, role, "test"), train.eval.limit)
            base, adapter = models(role, layout.adapter_gguf(role))
            log(f"{role}: evaluating base and adapter on {len(examples)} held-out examples")
            results[role] = evaluate_role(role, examples, base, adapter, sampling, progress=log).as_dict()
    finally:
        if owned is not None:
            owned.close()
    report = {
        "base_model": str(train.base or "bundled SmolLM2-135M-Instruct Q4_1"),
        "serving_path": "qsm.agents.LlamaCppModel (llama.cpp, adapter switched per call), no grammar",
        "sampling": sampling.model_dump(),
        "limit": train.eval.limit,
        "roles": results,
        "all_beat_base": all(r["beats_base"]["overall"] for r in results.values()),
    }
    layout.eval_json.parent.mkdir(parents=True, exist_ok=True)
    layout.eval_json.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    return report
