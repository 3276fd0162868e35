"""Training benchmark: the whole fine-tuning pipeline for the four agents, measured on this machine.

* datasets: seed tasks per role (no teacher reachable here), Ref-style filtered, group splits;
* LoRA SFT per role with PEFT on the bundled base loaded from its GGUF: wall time, tokens/s, device, loss;
* export to GGUF LoRA (llama.cpp's convert_lora_to_gguf) and evaluation through the serving path, base vs
  adapter on each role's held-out set (goal: every adapter beats its base on format validity and at least
  one judgement metric); the eval report is also written to results/training_eval.json;
* parity: the served adapter (Q4_1 base + GGUF LoRA) against the PEFT model, teacher-forced agreement;
* memory: one base + four adapters vs four merged models (LoRA folded in, convert_hf_to_gguf, quantized
  to the base's Q4_1 and to Q8_0), PSS/RSS in fresh subprocesses through qsm.agents.ModelPool, with one
  context per base and one per agent; plus how often each merged model still answers like base + adapter
  (re-quantizing to 4 bits can erase a small LoRA's change).

Run: python benchmarks/bench_training.py [--quick] [--keep DIR]. Writes benchmarks/results/training.json.
Needs the [train] extra and scripts/fetch_llama_tools.sh.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import RESULTS, write_result

from qsm.agents import bundled_model_path
from qsm.train import (
    ROLE_TASKS,
    ROLES,
    DataSettings,
    EvalSettings,
    Example,
    LoraSettings,
    PeftTrainer,
    RoleName,
    TrainLayout,
    TrainSettings,
    export_roles,
    load_split,
    make_datasets,
    run_eval,
    train_roles,
)
from qsm.train.memory import measure_serving_memory
from qsm.train.merge import merge_to_gguf
from qsm.train.parity import merged_agreement, served_parity


def settings(quick: bool, root: Path) -> TrainSettings:
    return TrainSettings(
        dir=root,
        data=DataSettings(examples_per_role=120 if quick else 600),
        lora=LoraSettings(max_steps=12 if quick else None),
        eval=EvalSettings(limit=16 if quick else None),
    )


def main_task_tests(layout: TrainLayout, role: RoleName, count: int) -> list[Example]:
    """Held-out examples of the role's main task, spread over the test split."""
    tests = [e for e in load_split(layout, role, "test") if e.task == ROLE_TASKS[role][0]]
    return tests[:: max(1, len(tests) // count)][:count]


def timed(fn: Any, *args: Any, **kwargs: Any) -> tuple[Any, float]:
    started = time.perf_counter()
    return fn(*args, **kwargs), round(time.perf_counter() - started, 2)


def role_summary(result: dict[str, Any]) -> dict[str, Any]:
    main = ROLE_TASKS[result["role"]][0]
    base, tuned = result["base"]["tasks"][main], result["adapter"]["tasks"][main]
    metric = result["beats_base"]["headline_metric"]
    out = {
        "format_valid": [result["base"]["format_valid"], result["adapter"]["format_valid"]],
        metric: [base[metric], tuned[metric]],
        "beats_base": result["beats_base"]["overall"],
    }
    if "constrained" in result["base"]:
        forced = [r["constrained"]["tasks"][main][metric] for r in (result["base"], result["adapter"])]
        out[f"{metric}_with_grammar"] = forced
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="120 examples per role, 12 steps, 16 eval items")
    parser.add_argument("--keep", type=Path, help="keep datasets, adapters and merged models in this folder")
    args = parser.parse_args()
    root = args.keep or Path(tempfile.mkdtemp(prefix="qsm-bench-training-"))
    train = settings(args.quick, root)
    layout, roles = TrainLayout(root), list(ROLES)
    try:
        datasets, data_s = timed(make_datasets, roles, train, layout, force=True, log=print)
        trainer = PeftTrainer(train.lora, log=print)
        reports, train_s = timed(train_roles, roles, layout, trainer, log=print)
        ggufs, export_s = timed(export_roles, roles, layout, train, log=print)
        evaluation, eval_s = timed(run_eval, roles, layout, train, log=print)
        (RESULTS / "training_eval.json").write_text(json.dumps(evaluation, indent=2) + "\n")
        parity = {}
        for role in roles:
            held_out = main_task_tests(layout, role, 4)
            parity[role] = served_parity(None, layout.adapter(role), ggufs[role], held_out)
            print(f"{role}: parity {parity[role]}")
        merged, merge_s = timed(
            lambda: {r: merge_to_gguf(None, layout.adapter(r), layout.merged(r)) for r in roles}
        )
        behaviour = {
            role: {
                label: merged_agreement(None, ggufs[role], path, main_task_tests(layout, role, 8))
                for label, path in merged[role].items()
            }
            for role in roles
        }
        print(f"merged models reproduce base+adapter greedy replies: {behaviour}")
        memory: dict[str, Any] = {"merged_reproduces_adapter": behaviour}
        for label in merged[roles[0]]:
            files = {r: merged[r][label] for r in roles}
            memory[f"vs_merged_{label}"] = {
                "one_context_per_base": measure_serving_memory(
                    bundled_model_path(), ggufs, files, instances=1
                ),
                "one_context_per_agent": measure_serving_memory(
                    bundled_model_path(), ggufs, files, instances=4
                ),
            }
    finally:
        if args.keep is None:
            shutil.rmtree(root, ignore_errors=True)
    per_role = {
        role: {
            "dataset": datasets[i].splits if datasets[i] else None,
            "teacher": None,
            "train_seconds": reports[role].seconds,
            "train_tokens_per_second": reports[role].tokens_per_second,
            "steps": reports[role].steps,
            "epochs": reports[role].epochs,
            "examples": reports[role].examples,
            "val_loss_before": reports[role].val_loss_before,
            "val_loss_after_each_epoch": reports[role].val_loss,
            "eval": role_summary(evaluation["roles"][role]),
            "parity": parity[role],
        }
        for i, role in enumerate(roles)
    }
    any_report = reports[roles[0]]
    data = {
        "quick": args.quick,
        "device": any_report.device,
        "precision": any_report.precision,
        "gpu_note": "no GPU machine was lent to this task: everything ran on the 2-core CPU (device auto)",
        "versions": any_report.versions,
        "lora": train.lora.model_dump(),
        "phases_seconds": {
            "data": data_s,
            "train": train_s,
            "export": export_s,
            "eval": eval_s,
            "merge": merge_s,
        },
        "goal": "every adapter beats its base on format validity and at least one judgement metric",
        "all_beat_base": evaluation["all_beat_base"],
        "roles": per_role,
        "memory": memory,
        "eval_report": "benchmarks/results/training_eval.json",
    }
    q4, q8 = memory["vs_merged_q4_1"], memory["vs_merged_q8_0"]
    seconds = [p["train_seconds"] for p in per_role.values()]
    formats = ", ".join(
        f"{r} {per_role[r]['eval']['format_valid'][0]:.2f}->{per_role[r]['eval']['format_valid'][1]:.2f}"
        for r in roles
    )
    summary = (
        f"training ({data['device']}): adapters beat base in "
        f"{sum(p['eval']['beats_base'] for p in per_role.values())}/4 roles (format {formats}); train "
        f"{min(seconds):.0f}-{max(seconds):.0f} s/role; PSS base+4 adapters "
        f"{q4['one_context_per_base']['base_plus_adapters']['pss_mb']:.0f} MB vs 4 merged Q4_1 "
        f"{q4['one_context_per_base']['merged_models']['pss_mb']:.0f} MB / Q8_0 "
        f"{q8['one_context_per_base']['merged_models']['pss_mb']:.0f} MB"
    )
    write_result("training", data, summary)


if __name__ == "__main__":
    main()
