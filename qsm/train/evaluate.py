"""``qsm eval``: each role's held-out test set through the serving path, base vs adapter, no grammar.

Both variants run greedily with the agents' other sampling defaults. Scores per task: strict format
validity, what lenient parsing and schema repair would recover, and every judgement metric (a reply
that cannot be parsed counts as wrong); a role's adapter "beats" the base when its format validity is
higher and at least one judgement metric of the role's main task is higher. JSON tasks are also run
once more with the grammar on (``constrained``), as the graph calls them, so that the judgement of both
models is compared when neither can fail the format.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from qsm.agents import ChatModel, Sampling
from qsm.agents.backend import ModelRequest
from qsm.agents.structured import schema_of
from qsm.train.example import REPLY_TYPES, ROLE_TASKS, Example, RoleName
from qsm.train.judge import HEADLINE, Judgement, judge

__all__ = ["RoleEval", "eval_sampling", "evaluate_role", "judgement_metrics", "score"]

SAMPLES_KEPT = 3
_NOT_JUDGEMENT = ("n", "format_valid", "format_lenient", "by_category")


@dataclass
class RoleEval:
    role: RoleName
    examples: int
    base: dict[str, Any]
    adapter: dict[str, Any]
    beats_base: dict[str, Any] = field(default_factory=dict)
    samples: list[dict[str, str]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def judgement_metrics(task_scores: dict[str, Any]) -> list[str]:
    """The judgement metrics among one task's scores (everything but counts and format rates)."""
    return [m for m in task_scores if m not in _NOT_JUDGEMENT]


def eval_sampling(max_tokens: int, repeat_penalty: float) -> Sampling:
    return Sampling(temperature=0.0, max_tokens=max_tokens, repeat_penalty=repeat_penalty, seed=0)


def score(examples: list[Example], judgements: list[Judgement], seconds: float) -> dict[str, Any]:
    """Rates per task (and over the role) from the judgements of ``examples``' replies."""
    by_task: dict[str, list[tuple[Example, Judgement]]] = defaultdict(list)
    for example, verdict in zip(examples, judgements, strict=True):
        by_task[example.task].append((example, verdict))
    tasks: dict[str, dict[str, Any]] = {}
    for task, pairs in sorted(by_task.items()):
        n = len(pairs)
        rates: dict[str, Any] = {
            "n": n,
            "format_valid": _rate(sum(j.format_valid for _, j in pairs), n),
            "format_lenient": _rate(sum(j.format_lenient for _, j in pairs), n),
        }
        for metric in pairs[0][1].metrics:
            rates[metric] = _rate(sum(j.metrics[metric] for _, j in pairs), n)
        by_category: dict[str, list[Judgement]] = defaultdict(list)
        for example, verdict in pairs:
            by_category[example.category].append(verdict)
        headline = HEADLINE[task]
        rates["by_category"] = {
            category: {"n": len(js), headline: _rate(sum(j.metrics[headline] for j in js), len(js))}
            for category, js in sorted(by_category.items())
        }
        tasks[task] = rates
    total = len(judgements)
    return {
        "format_valid": _rate(sum(j.format_valid for j in judgements), total),
        "format_lenient": _rate(sum(j.format_lenient for j in judgements), total),
        "seconds": round(seconds, 2),
        "tasks": tasks,
    }


def evaluate_role(
    role: RoleName,
    examples: list[Example],
    base: ChatModel,
    adapter: ChatModel,
    sampling: Sampling,
    progress: Callable[[str], None] | None = None,
) -> RoleEval:
    """Run every example through ``base`` and then ``adapter`` (so the adapter is switched once)."""
    results: dict[str, dict[str, Any]] = {}
    replies: dict[str, list[str]] = {}
    structured = [e for e in examples if e.task in REPLY_TYPES]
    for variant, model in (("base", base), ("adapter", adapter)):
        texts, seconds = _run(model, examples, sampling, role, constrained=False)
        results[variant] = score(
            examples, [judge(e, t) for e, t in zip(examples, texts, strict=True)], seconds
        )
        replies[variant] = texts
        if structured:  # decisions alone: both forced into the schema by the grammar, as runs call them
            forced, seconds = _run(model, structured, sampling, role, constrained=True)
            verdicts = [judge(e, t) for e, t in zip(structured, forced, strict=True)]
            results[variant]["constrained"] = score(structured, verdicts, seconds)
        if progress is not None:
            progress(f"{role} {variant}: format {results[variant]['format_valid']:.2f}")
    main = ROLE_TASKS[role][0]
    beats = {
        "format_valid": results["adapter"]["format_valid"] > results["base"]["format_valid"],
        "judgement_metrics_better": _better(results, main, constrained=False),
        "headline_metric": HEADLINE[main],
    }
    if structured and main in REPLY_TYPES:
        beats["constrained_judgement_metrics_better"] = _better(results, main, constrained=True)
    beats["overall"] = beats["format_valid"] and bool(beats["judgement_metrics_better"])
    samples = [
        {"task": e.task, "prompt": e.messages[-1]["content"], "base": b, "adapter": a, "gold": e.target}
        for e, b, a in list(zip(examples, replies["base"], replies["adapter"], strict=True))[:SAMPLES_KEPT]
    ]
    return RoleEval(role, len(examples), results["base"], results["adapter"], beats, samples)


def _run(
    model: ChatModel, examples: list[Example], sampling: Sampling, role: str, *, constrained: bool
) -> tuple[list[str], float]:
    started = time.perf_counter()
    texts = []
    for example in examples:
        schema = schema_of(REPLY_TYPES[example.task]) if constrained else None
        completion = model.complete(
            ModelRequest(example.chat, sampling, json_schema=schema, cache_key=f"eval-{role}")
        )
        texts.append(completion.text)
    return texts, time.perf_counter() - started


def _better(results: dict[str, dict[str, Any]], task: str, *, constrained: bool) -> list[str]:
    """Judgement metrics of ``task`` on which the adapter scores higher than the base."""
    pick = (lambda r: r.get("constrained", {}).get("tasks", {})) if constrained else (lambda r: r["tasks"])
    base, tuned = pick(results["base"]).get(task, {}), pick(results["adapter"]).get(task, {})
    return [m for m in judgement_metrics(base) if tuned.get(m, 0) > base.get(m, 0)]


def _rate(count: int, n: int) -> float:
    return round(count / n, 4) if n else 0.0
