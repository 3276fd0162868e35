"""``qsm eval --team``: the team against one call of its own base model, on the public held-out team set
(:mod:`qsm.evals`), in one run.

Systems, each answering every request:
- ``base``: one greedy call of the bundled base model with a plain system prompt, no adapter;
- ``team_plain``: the default team with every agent on the base model without its adapter;
- ``team``: the default team as shipped (adapters, student router, tools, Ref's checks).

A team answer counts only when the team gives one: "no verified answer" endings score as wrong. Also
measured: Ref's verdicts on held-out drafts made from the set (each request's canonical answer, and a
plausible wrong one: a changed number, another entity, the wrong note cited, a broken format, junk
appended, or another request's answer).
"""

from __future__ import annotations

import hashlib
import statistics
import time
from collections.abc import Callable
from typing import Any

from qsm.agents.backend import ChatMessage, ModelRequest
from qsm.agents.pool import ModelPool
from qsm.agents.settings import AgentSettings, Sampling
from qsm.evals import CATEGORIES, load_team_set, score
from qsm.graph import Runtime, Workflow, run
from qsm.graph.team.candidate import judge_text
from qsm.graph.team.context import TeamContext
from qsm.settings import QsmSettings

__all__ = ["BASE_SYSTEM_PROMPT", "SYSTEMS", "run_team_eval", "wrong_draft"]

BASE_SYSTEM_PROMPT = "You are a helpful assistant. Answer the user's request."
SYSTEMS = ("base", "team_plain", "team")
Log = Callable[[str], None]
_JUNK = "The user is asking about the cost of a 17-day trip, which depends on many factors."


def _summary(rows: list[dict[str, Any]]) -> dict[str, Any]:
    secs = [r["seconds"] for r in rows]
    return {
        "n": len(rows),
        "correct": sum(r["correct"] for r in rows),
        "accuracy": round(sum(r["correct"] for r in rows) / max(1, len(rows)), 4),
        "mean_seconds": round(statistics.fmean(secs), 3) if secs else 0.0,
        "median_seconds": round(statistics.median(secs), 3) if secs else 0.0,
        "mean_tokens": round(statistics.fmean(r["tokens"] for r in rows), 1) if rows else 0.0,
        "mean_calls": round(statistics.fmean(r["calls"] for r in rows), 2) if rows else 0.0,
    }


def _base_answer(pool: ModelPool, agent: AgentSettings, text: str) -> dict[str, Any]:
    model = pool.model_for("base", agent)
    messages: list[ChatMessage] = [
        {"role": "system", "content": BASE_SYSTEM_PROMPT},
        {"role": "user", "content": text},
    ]
    start = time.perf_counter()
    done = model.complete(ModelRequest(messages, agent.sampling, cache_key="base"))
    return {
        "answer": done.text.strip(),
        "seconds": time.perf_counter() - start,
        "tokens": done.total_tokens,
        "calls": 1,
        "status": "ok",
    }


def _team_answer(runtime: Runtime, text: str) -> dict[str, Any]:
    start = time.perf_counter()
    result = run(Workflow.default(), text, runtime=runtime)
    final = result.final
    cost = result.cost
    return {
        "answer": final.text if final else "",
        "seconds": time.perf_counter() - start,
        "tokens": cost.tokens if cost else 0,
        "calls": cost.calls if cost else 0,
        "status": result.status,
    }


def _scored(item: dict[str, Any], out: dict[str, Any]) -> dict[str, Any]:
    answered = out["status"] in ("ok", "budget_exhausted")
    verdict = score(item, out["answer"]) if answered else None
    return {
        "id": item["id"],
        "category": item["category"],
        **out,
        "seconds": round(out["seconds"], 3),
        "correct": bool(verdict and verdict.correct),
        "reason": verdict.reason if verdict else "no verified answer",
    }


def base_settings(settings: QsmSettings) -> AgentSettings:
    """The base model as one call uses it: the bundled GGUF, no adapter, greedy."""
    agent = settings.agent("base")
    return agent.model_copy(
        update={
            "model": agent.model.model_copy(update={"adapter": None, "shipped_adapter": False}),
            "sampling": Sampling(temperature=0.0, max_tokens=agent.sampling.max_tokens, seed=0),
        }
    )


def plain_settings(settings: QsmSettings) -> QsmSettings:
    """The same team with every agent on the base model without its adapter."""
    data = settings.model_dump(mode="json")
    defaults = data.setdefault("defaults", {}).setdefault("model", {})
    defaults.update(adapter=None, shipped_adapter=False)
    for agent in (data.get("agents") or {}).values():
        model = agent.get("model") or {}
        model.pop("adapter", None)
        model.pop("shipped_adapter", None)
    return QsmSettings.model_validate(data)


def _adapters(settings: QsmSettings) -> dict[str, str]:
    """Which adapter each team agent ran (source, file, sha256 prefix): what the figures measured."""
    from qsm.agents.shipped import resolve_adapter

    out = {}
    for name in ("QSM", "WeQ", "SOM", "Ref"):
        choice = resolve_adapter(name, settings.agent(name).model)
        digest = (
            hashlib.sha256(choice.path.read_bytes()).hexdigest()[:12]
            if choice.path and choice.path.is_file()
            else ""
        )
        out[name] = f"{choice.source} {choice.path.name if choice.path else ''} {digest}".strip()
    return out


def wrong_draft(item: dict[str, Any], others: list[dict[str, Any]], index: int) -> tuple[str, str]:
    """A plausible wrong answer to ``item`` and what is wrong with it (kinds rotate by ``index``)."""
    gold, answer = item["gold"], item["gold"]["answer"]
    other = others[(index * 7 + 3) % len(others)]["gold"]["answer"]
    kinds = ["changed", "junk", "off_topic"]
    kind = kinds[index % len(kinds)]
    if item["checker"] == "cites" and index % 2 == 0:
        wrong = (gold["note"] % gold["notes"]) + 1
        return answer.replace(f"[{gold['note']}]", f"[{wrong}]"), "wrong note cited"
    if item["checker"].startswith("format_") and index % 2 == 0:
        return f"{answer} because that is what I think the answer should be here", "broken format"
    if kind == "junk":
        return f"{answer} {_JUNK}", "junk appended"
    if kind == "off_topic":
        return other, "another request's answer"
    if "number" in gold:
        n = gold["number"]
        changed = n + 1 if float(n).is_integer() else round(n * 1.1 + 1, 2)
        value = str(int(changed)) if float(changed).is_integer() else str(changed)
        old = str(int(n)) if float(n).is_integer() else str(n)
        return (answer.replace(old, value) if old in answer else value), "changed number"
    if "yes_no" in gold:
        flipped = "No" if gold["yes_no"] == "yes" else "Yes"
        return flipped + answer[3:] if answer[:3].lower() in ("yes", "no.") else flipped, "flipped yes/no"
    aliases = gold.get("aliases") or []
    swap = next((a for o in others for a in o["gold"].get("aliases", []) if a not in aliases), "Berlin")
    for alias in aliases:
        if alias.lower() in answer.lower():
            start = answer.lower().index(alias.lower())
            return answer[:start] + swap + answer[start + len(alias) :], "another entity"
    return f"{answer} {_JUNK}", "junk appended"


def _ref_eval(ctx: TeamContext, items: list[dict[str, Any]]) -> dict[str, Any]:
    rows = []
    for index, item in enumerate(items):
        same = [o for o in items if o["category"] == item["category"] and o["id"] != item["id"]] or items
        wrong, kind = wrong_draft(item, same, index)
        for text, good, what in ((item["gold"]["answer"], True, "canonical"), (wrong, False, kind)):
            if not good and score(item, text).correct:
                continue  # the perturbation happened to stay right; not a negative
            checks = judge_text(ctx, item["request"], text)
            accepted = all(c.passed for c in checks)
            rows.append({"id": item["id"], "good": good, "kind": what, "accepted": accepted,
                         "failed": [c.problem for c in checks if not c.passed]})  # fmt: skip
    goods = [r for r in rows if r["good"]]
    bads = [r for r in rows if not r["good"]]
    false_reject = sum(not r["accepted"] for r in goods) / max(1, len(goods))
    false_accept = sum(r["accepted"] for r in bads) / max(1, len(bads))
    accuracy = sum(r["accepted"] == r["good"] for r in rows) / max(1, len(rows))
    missed: dict[str, int] = {}
    for r in bads:
        if r["accepted"]:
            missed[r["kind"]] = missed.get(r["kind"], 0) + 1
    return {
        "drafts": len(rows),
        "accuracy": round(accuracy, 4),
        "false_accept_rate": round(false_accept, 4),
        "false_reject_rate": round(false_reject, 4),
        "false_accepts_by_kind": missed,
        "false_rejects": [r for r in goods if not r["accepted"]][:20],
    }


def run_team_eval(
    settings: QsmSettings,
    *,
    limit_per_category: int | None = None,
    categories: list[str] | None = None,
    systems: tuple[str, ...] = SYSTEMS,
    log: Log = lambda _m: None,
) -> dict[str, Any]:
    items = load_team_set(categories, limit_per_category)
    log(f"team set: {len(items)} requests ({', '.join(categories or CATEGORIES)})")
    pool = ModelPool()
    runtimes = {
        "team": Runtime(settings, models=pool, persist=False, memory=None, ledger=None),
        "team_plain": Runtime(
            plain_settings(settings), models=ModelPool(), persist=False, memory=None, ledger=None
        ),
    }
    base_agent = base_settings(settings)
    answer: dict[str, Callable[[str], dict[str, Any]]] = {
        "base": lambda text: _base_answer(pool, base_agent, text),
        "team_plain": lambda text: _team_answer(runtimes["team_plain"], text),
        "team": lambda text: _team_answer(runtimes["team"], text),
    }
    rows: dict[str, list[dict[str, Any]]] = {name: [] for name in systems}
    try:
        for name in systems:  # load and warm every model before anything is timed
            answer[name]("What is the capital of France?")
        for i, item in enumerate(items, 1):
            for name in systems:
                rows[name].append(_scored(item, answer[name](item["request"])))
            if i % 10 == 0 or i == len(items):
                log(
                    f"  {i}/{len(items)}: "
                    + ", ".join(f"{n} {sum(r['correct'] for r in rows[n])}" for n in systems)
                )
        ctx = TeamContext(Workflow.default(), runtimes["team"])
        ref = _ref_eval(ctx, items)
    finally:
        for rt in runtimes.values():
            rt.close()
        pool.close()
    report: dict[str, Any] = {
        "items": len(items),
        "adapters": {name: _adapters(rt.settings) for name, rt in runtimes.items()},
        "systems": {},
        "ref_verdicts": ref,
    }
    for name in systems:
        per_category = {
            c: _summary([r for r in rows[name] if r["category"] == c]) for c in (categories or CATEGORIES)
        }
        report["systems"][name] = {
            "overall": _summary(rows[name]),
            "categories": per_category,
            "rows": rows[name],
        }
    if "base" in systems and "team" in systems:
        base, team = report["systems"]["base"], report["systems"]["team"]
        report["team_vs_base"] = {
            "accuracy_points": round(100 * (team["overall"]["accuracy"] - base["overall"]["accuracy"]), 1),
            "worst_category_points": min(
                round(100 * (team["categories"][c]["accuracy"] - base["categories"][c]["accuracy"]), 1)
                for c in per_category
            ),
            "median_latency_ratio": round(
                team["overall"]["median_seconds"] / max(1e-9, base["overall"]["median_seconds"]), 3
            ),
            "mean_latency_ratio": round(
                team["overall"]["mean_seconds"] / max(1e-9, base["overall"]["mean_seconds"]), 3
            ),
        }
    return report
