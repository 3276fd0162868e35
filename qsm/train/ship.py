"""``qsm train ship``: copy trained role adapters into the package (``qsm/adapters/<role>/adapter.gguf``) with a
card per role (``CARD.md`` for people, ``card.json`` for tests and tools): the data (sizes, source, splits),
the training run (steps, seed, rank, threads, time), the held-out metrics base vs adapter from ``qsm eval``
and the exact commands that reproduce it."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

from qsm.agents.locate import resolve_model_path
from qsm.agents.shipped import ADAPTER_FILE
from qsm.ids import file_sha256
from qsm.train.errors import TrainingError
from qsm.train.evaluate import judgement_metrics
from qsm.train.example import RoleName
from qsm.train.settings import TrainLayout
from qsm.train.trainer import read_report

__all__ = ["MAX_ADAPTER_BYTES", "ship_roles"]

MAX_ADAPTER_BYTES = 12 * 1024 * 1024
_PURPOSE = {
    "QSM": "plans each request and routes it: general requests (facts, arithmetic, units, definitions, "
    "how-to, stated formats, notes, multi-step) to WeQ, budget, cost and capacity questions to SOM; merges "
    "candidate answers",
    "WeQ": "answers directly and briefly, in the format the request states, citing the note [n] that holds "
    "a fact; revises after Ref's diagnosis",
    "SOM": "judges a plan's complexity and the agents' budget weights; answers resource, cost and capacity "
    "questions",
    "Ref": "accepts right answers and rejects or sends back wrong ones (wrong number or entity, junk "
    "appended, off-topic, wrong note cited, broken format); diagnoses what to fix",
}


def ship_roles(
    roles: list[RoleName], layout: TrainLayout, out_dir: Path, *, base: Path | None
) -> dict[str, Path]:
    """Copy each role's exported adapter into ``out_dir/<role>/`` and write its cards; refuses adapters over
    12 MB and roles without a training report, a dataset or an evaluation."""
    evaluation = _read_json(layout.eval_json, "run `qsm eval` first")
    base_file = resolve_model_path(base)
    base_sha = file_sha256(base_file)
    shipped: dict[str, Path] = {}
    for role in roles:
        gguf = layout.adapter_gguf(role)
        if not gguf.is_file():
            raise TrainingError(f"no exported {role} adapter at {gguf}", hint="run `qsm train lora` first")
        size = gguf.stat().st_size
        if size > MAX_ADAPTER_BYTES:
            raise TrainingError(
                f"the {role} adapter is {size / 2**20:.1f} MB, over the 12 MB a shipped adapter may take",
                hint="train with a smaller --rank",
            )
        report = read_report(layout.adapter(role))
        if report is None:
            raise TrainingError(f"no training report for {role}", hint="run `qsm train lora` first")
        result = evaluation.get("roles", {}).get(role)
        if result is None:
            raise TrainingError(
                f"{layout.eval_json} has no {role} results", hint=f"run `qsm eval --role {role}`"
            )
        stats = _read_json(layout.stats(role), "run `qsm train data` first")
        rejection = layout.rejection(role)
        sampled = json.loads(rejection.read_text(encoding="utf-8")) if rejection.is_file() else None
        folder = out_dir / role.lower()
        folder.mkdir(parents=True, exist_ok=True)
        target = folder / ADAPTER_FILE
        shutil.copyfile(gguf, target)
        meta = {
            "role": role,
            "adapter_file": ADAPTER_FILE,
            "adapter_bytes": size,
            "adapter_sha256": file_sha256(target),
            "base": {"file": base_file.name, "sha256": base_sha},
            "data": {
                "seed": stats["seed"],
                "generated": stats["generated"],
                "splits": stats["splits"],
                "by_task": stats["by_task"],
                "categories": sorted({c for split in stats["by_category"].values() for c in split}),
                "teacher": stats["teacher"],
                "source": f"qsm.train seed generators (seed {stats['seed']}); nothing from qsm/evals",
                "rejection_sampling": sampled,
            },
            "training": {
                **{k: report.settings[k] for k in ("rank", "alpha", "learning_rate", "batch_size", "seed")},
                "target_modules": report.settings["target_modules"],
                "threads": report.settings["threads"],
                "decision_weight": report.settings.get("decision_weight", 1.0),
                "steps": report.steps,
                "epochs": report.epochs,
                "examples": report.examples,
                "seconds": report.seconds,
                "train_tokens": report.train_tokens,
                "device": report.device,
                "precision": report.precision,
                "val_loss_before": _round(report.val_loss_before),
                "val_loss": report.val_loss,
                "final_train_loss": report.final_train_loss,
                "versions": report.versions,
            },
            "eval": {
                "examples": result["examples"],
                "limit": evaluation.get("limit"),
                "sampling": evaluation.get("sampling", {}),
                "base": _scores(result["base"]),
                "adapter": _scores(result["adapter"]),
                "beats_base": result["beats_base"],
            },
        }
        meta["commands"] = _commands(meta, roles)
        (folder / "card.json").write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
        (folder / "CARD.md").write_text(_card(meta), encoding="utf-8")
        shipped[role] = target
    return shipped


def _commands(meta: dict[str, Any], roles: list[RoleName]) -> list[str]:
    """The commands that rebuild this adapter from scratch, with the settings it was trained with."""
    data, train = meta["data"], meta["training"]
    names = ",".join(roles)
    lr = f"{train['learning_rate']:g}"
    limit = f" --limit {meta['eval']['limit']}" if meta["eval"]["limit"] else ""
    return [
        "export QSM_TRAIN__DIR=/tmp/qsm-adapters    # any folder outside the checkout",
        f"qsm train data --role all --seed {data['seed']} --examples {data['generated']} --force",
        *_sampling_commands(data.get("rejection_sampling")),
        f"qsm train lora --role {meta['role']} --rank {train['rank']} --alpha {train['alpha']:g} --lr {lr} "
        f"--batch-size {train['batch_size']} --max-steps {train['steps']} --seed {train['seed']} "
        f"--threads {train['threads']}"
        + (f" --decision-weight {train['decision_weight']:g}" if train["decision_weight"] != 1.0 else ""),
        f"qsm eval --role {names}{limit} --threads 1",
        f"qsm train ship --role {names}    # copies adapters and writes these cards into qsm/adapters/",
    ]


def _sampling_commands(sampled: dict[str, Any] | None) -> list[str]:
    if not sampled:
        return []
    given = sampled["settings"]
    return [
        f"qsm train notes-rs --prompts {given['prompts']} --samples {given['samples']} --keep {given['keep']} "
        f"--temperature {given['temperature']:g} --threads 1    # samples from the adapter served then"
    ]


def _sampling_lines(sampled: dict[str, Any] | None) -> list[str]:
    """The card's account of the rejection-sampled examples (seed 000's third stage), if any."""
    if not sampled:
        return []
    given, counts, run = sampled["settings"], sampled["counts"], sampled["rejection"]
    return [
        f"- Rejection-sampled SFT (`qsm train notes-rs`): {given['model']} answered {run['prompts']} train "
        f"prompts of the team's pasted-notes request {given['samples']} times each (greedy, then temperature "
        f"{given['temperature']:g}); {run['accepted']} distinct answers passed Ref's checks and stated the "
        f"gold fact citing the gold note (at most {given['keep']} kept per prompt; {run['gold_fallback']} "
        f"prompts took the gold answer instead). Added: train +{counts['train_added']}, validation "
        f"+{counts['val_added']}, test +{counts['test_added']} (held-out groups get gold answers), for train "
        f"{counts['train']}, validation {counts['val']}, test {counts['test']}.",
    ]


def _scores(variant: dict[str, Any]) -> dict[str, Any]:
    tasks = {}
    for task, rates in variant["tasks"].items():
        tasks[task] = {k: v for k, v in rates.items() if k != "by_category"}
        tasks[task]["by_category"] = rates.get("by_category", {})
        forced = variant.get("constrained", {}).get("tasks", {}).get(task)
        if forced:
            tasks[task]["with_grammar"] = {m: forced[m] for m in judgement_metrics(forced)}
    return {"format_valid": variant["format_valid"], "seconds": variant["seconds"], "tasks": tasks}


def _card(meta: dict[str, Any]) -> str:
    role, data, train, ev = meta["role"], meta["data"], meta["training"], meta["eval"]
    splits = data["splits"]
    lines = [
        f"# {role} adapter (shipped with qsm)",
        "",
        f"A LoRA adapter for the bundled {meta['base']['file']} that {_PURPOSE[role]}. qsm serves it by "
        f"default whenever the {role} agent runs the bundled base; it is never applied to another GGUF.",
        "",
        f"- file: `{meta['adapter_file']}`, {meta['adapter_bytes'] / 2**20:.1f} MB, sha256 "
        f"`{meta['adapter_sha256'][:16]}…`",
        f"- base: `{meta['base']['file']}`, sha256 `{meta['base']['sha256'][:16]}…`",
        "",
        "## Data",
        "",
        f"- Source: {data['source']}; teacher: {data['teacher'] or 'none'}. Prompts are rendered by the graph's "
        "own prompt functions with the agents' system prompts, so training sees exactly what runs see.",
        f"- Generated {data['generated']} examples; split by group (near-duplicates stay on one side): "
        f"train {splits['train']}, validation {splits['val']}, held-out test {splits['test']}.",
        "- Tasks (train / val / test): "
        + "; ".join(
            f"{task} {data['by_task']['train'].get(task, 0)} / {data['by_task']['val'].get(task, 0)} / "
            f"{data['by_task']['test'].get(task, 0)}"
            for task in data["by_task"]["train"]
        ),
        f"- Categories ({len(data['categories'])}): {', '.join(data['categories'])}.",
        *_sampling_lines(data.get("rejection_sampling")),
        "",
        "## Training",
        "",
        f"PEFT LoRA SFT on the reply tokens only: rank {train['rank']}, alpha {train['alpha']}, on "
        f"{', '.join(train['target_modules'])}; learning rate {train['learning_rate']}, batch "
        f"{train['batch_size']}, "
        + (
            f"decision tokens weighted {train['decision_weight']:g}x in the loss, "
            if train["decision_weight"] != 1.0
            else ""
        )
        + f"{train['steps']} steps "
        f"({train['steps'] * train['batch_size'] / train['examples']:.1f} passes over {train['examples']} "
        f"examples), seed {train['seed']}, {train['threads']} torch thread on the {train['device']} "
        f"({train['precision']}): {train['seconds'] / 60:.1f} minutes of wall time, "
        f"{train['train_tokens']} tokens. Validation loss {train['val_loss_before']} before, "
        f"{', '.join(map(str, train['val_loss']))} after each pass. Versions: "
        + ", ".join(f"{k} {v}" for k, v in train["versions"].items())
        + ".",
        "",
        "## Held-out evaluation",
        "",
        f"`qsm eval` on {ev['examples']} held-out test examples, through llama.cpp as served, greedy, no "
        'grammar ("with grammar": the same prompts decoded under the reply\'s JSON schema, as runs call them).',
        "",
        "| task | n | format valid base → adapter | judgement base → adapter | with grammar base → adapter |",
        "|---|---|---|---|---|",
    ]
    for task, base in ev["base"]["tasks"].items():
        tuned = ev["adapter"]["tasks"][task]
        metrics = judgement_metrics(base)
        judged = ", ".join(f"{m} {base[m]:.2f} → {tuned[m]:.2f}" for m in metrics if m != "with_grammar")
        forced = base.get("with_grammar")
        grammar = (
            ", ".join(f"{m} {v:.2f} → {tuned['with_grammar'][m]:.2f}" for m, v in forced.items())
            if forced
            else "-"
        )
        lines.append(
            f"| {task} | {base['n']} | {base['format_valid']:.2f} → {tuned['format_valid']:.2f} | {judged} | "
            f"{grammar} |"
        )
    lines += [
        "",
        "## Reproduce",
        "",
        "```bash",
        *meta["commands"],
        "```",
        "",
        "## Use, replace, turn off",
        "",
        "```toml",
        "[defaults.model]",
        "shipped_adapter = false                 # every agent runs the plain base",
        f"[agents.{role}.model]",
        f'adapter = "~/adapters/{role.lower()}-lora.gguf"   # your own adapter instead of this one',
        "```",
        "",
    ]
    return "\n".join(lines)


def _read_json(path: Path, hint: str) -> dict[str, Any]:
    if not path.is_file():
        raise TrainingError(f"{path} does not exist", hint=hint)
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 4)
