"""Shipped adapters benchmark: each role's adapter in qsm/adapters against the plain bundled base, on the
role's held-out test split, through llama.cpp as served (greedy, no grammar; JSON tasks also with grammar).

The held-out splits are rebuilt from the seed and size each card records (the generators are deterministic,
so they are the very splits the adapters never saw; their sizes are checked against the card). Writes
benchmarks/results/adapters.json (summary per role: data, training, base -> adapter) and
benchmarks/results/adapters_eval.json (the full `qsm eval` report).

Run: python benchmarks/bench_adapters.py [--limit N] [--threads 1]
     python benchmarks/bench_adapters.py --from-cards   # record the cards' own evaluation (the `qsm eval`
                                                        # of the ship step) without evaluating again
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import RESULTS, write_result

from qsm.agents import LlamaBase, LlamaCppModel, bundled_model_path
from qsm.agents.shipped import SHIPPED_ROLES, shipped_adapter_path, shipped_dir
from qsm.train import DataSettings, EvalSettings, TrainLayout, TrainSettings, make_datasets
from qsm.train.dataset import load_split
from qsm.train.evaluate import judgement_metrics
from qsm.train.example import ROLE_TASKS, RoleName
from qsm.train.judge import HEADLINE
from qsm.train.pipeline import run_eval


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, help="held-out examples per role (default: all)")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--from-cards", action="store_true", help="record the cards' evaluation, run nothing")
    args = parser.parse_args()
    roles: list[RoleName] = list(SHIPPED_ROLES)  # type: ignore[arg-type]
    cards = {
        r: json.loads((shipped_dir() / r.lower() / "card.json").read_text(encoding="utf-8")) for r in roles
    }
    if args.from_cards:
        summary = {r: _summary(c, _card_rates(c)) for r, c in cards.items()}
        _record(summary, cards, "qsm eval at ship time (card.json)", cards[roles[0]]["eval"].get("limit"))
        return
    data = {(c["data"]["seed"], c["data"]["generated"]) for c in cards.values()}
    if len(data) != 1:
        raise SystemExit(f"the cards disagree on the data seed and size: {sorted(data)}")
    seed, examples = data.pop()
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        layout = TrainLayout(Path(tmp))
        train = TrainSettings(
            data=DataSettings(seed=seed, examples_per_role=examples),
            eval=EvalSettings(limit=args.limit, n_threads=args.threads),
        )
        make_datasets(roles, train, layout)
        for role in roles:
            held_out = len(load_split(layout, role, "test"))
            if held_out != cards[role]["data"]["splits"]["test"]:
                raise SystemExit(
                    f"{role}: rebuilt test split has {held_out} examples, the card says otherwise"
                )
            layout.adapter_gguf(role).parent.mkdir(parents=True, exist_ok=True)
            layout.adapter_gguf(role).symlink_to(shipped_adapter_path(role))  # type: ignore[arg-type]
        base = LlamaBase(
            bundled_model_path(), n_ctx=train.eval.n_ctx, n_threads=args.threads, max_instances=1
        )

        def models(_role: RoleName, gguf: Path) -> tuple[LlamaCppModel, LlamaCppModel]:
            return LlamaCppModel(base), LlamaCppModel(base, adapter=gguf.resolve())

        try:
            report = run_eval(roles, layout, train, models=models, log=print)
        finally:
            base.close()
    (RESULTS / "adapters_eval.json").write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    summary = {r: _summary(cards[r], _report_rates(report["roles"][r])) for r in roles}
    _record(summary, cards, "benchmarks/bench_adapters.py", args.limit, time.perf_counter() - started)


def _report_rates(result: dict[str, Any]) -> dict[str, Any]:
    """Per task: n, format valid and each judgement metric as [base, adapter], from a `qsm eval` report."""
    base, tuned = result["base"], result["adapter"]
    tasks = {}
    for task, rates in base["tasks"].items():
        after = tuned["tasks"][task]
        tasks[task] = {
            "n": rates["n"],
            "format_valid": [rates["format_valid"], after["format_valid"]],
            **{m: [rates[m], after[m]] for m in judgement_metrics(rates)},
        }
        forced = base.get("constrained", {}).get("tasks", {}).get(task)
        if forced:
            tuned_forced = tuned["constrained"]["tasks"][task]
            tasks[task]["with_grammar"] = {m: [forced[m], tuned_forced[m]] for m in judgement_metrics(forced)}
    formats = [base["format_valid"], tuned["format_valid"]]
    return {"tasks": tasks, "format_valid": formats, "beats_base": result["beats_base"]["overall"]}


def _card_rates(card: dict[str, Any]) -> dict[str, Any]:
    """The same, from the evaluation a card holds."""
    before, after = card["eval"]["base"], card["eval"]["adapter"]
    tasks = {}
    for task, rates in before["tasks"].items():
        tuned = after["tasks"][task]
        metrics = [m for m in judgement_metrics(rates) if m not in ("with_grammar", "by_category")]
        tasks[task] = {
            "n": rates["n"],
            "format_valid": [rates["format_valid"], tuned["format_valid"]],
            **{m: [rates[m], tuned[m]] for m in metrics},
        }
        if "with_grammar" in rates:
            tasks[task]["with_grammar"] = {
                m: [v, tuned["with_grammar"][m]] for m, v in rates["with_grammar"].items()
            }
    formats = [before["format_valid"], after["format_valid"]]
    return {"tasks": tasks, "format_valid": formats, "beats_base": card["eval"]["beats_base"]["overall"]}


def _summary(card: dict[str, Any], rates: dict[str, Any]) -> dict[str, Any]:
    main_task = ROLE_TASKS[card["role"]][0]
    headline = HEADLINE[main_task]
    keys = ("rank", "alpha", "learning_rate", "steps", "seed", "threads", "decision_weight", "seconds")
    return {
        "adapter_bytes": card["adapter_bytes"],
        "adapter_sha256": card["adapter_sha256"],
        "data_splits": card["data"]["splits"],
        "training": {k: card["training"].get(k) for k in keys},
        "format_valid": rates["format_valid"],
        "headline": headline,
        "judgement": rates["tasks"][main_task][headline],
        "tasks": rates["tasks"],
        "beats_base": rates["beats_base"],
    }


def _record(
    summary: dict[str, Any], cards: dict[str, Any], source: str, limit: int | None, seconds: float = 0.0
) -> None:
    line = "shipped adapters vs base (held-out, no grammar): " + "; ".join(
        f"{r} format {s['format_valid'][0]:.2f}->{s['format_valid'][1]:.2f}, {s['headline']} "
        f"{s['judgement'][0]:.2f}->{s['judgement'][1]:.2f}"
        for r, s in summary.items()
    )
    first = next(iter(cards.values()))
    write_result(
        "adapters",
        {
            "what": "the LoRA adapters shipped in qsm/adapters vs the plain bundled base, per role",
            "evaluated_by": source,
            "limit": limit,
            "eval_seconds": round(seconds, 1),
            "data": {"seed": first["data"]["seed"], "examples_per_role": first["data"]["generated"]},
            "roles": summary,
        },
        line,
    )


if __name__ == "__main__":
    main()
