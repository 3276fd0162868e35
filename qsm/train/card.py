"""The dataset card (markdown) written beside each role's splits."""

from __future__ import annotations

from qsm.train.example import ROLE_TASKS, Example, Split
from qsm.train.judge import HEADLINE
from qsm.train.report import DatasetReport

__all__ = ["render_card"]

_PURPOSE = {
    "QSM": "plan requests and route them (WeQ or SOM, memory needed or not); merge candidate answers",
    "WeQ": "answer from notes recalled from memory, citing them as [n]; revise after Ref's diagnosis",
    "SOM": "judge a plan's complexity and weight the agents' budget shares; answer cost questions",
    "Ref": "verdicts (accept / revise / reject) with reasons on right, partial and wrong answers; diagnoses",
}


def render_card(report: DatasetReport, splits: dict[Split, list[Example]]) -> str:
    role = report.role
    lines = [
        f"# Dataset card: {role}",
        "",
        f"Purpose: {_PURPOSE[role]}.",
        "",
        "## Source",
        f"- Seed generators (`qsm.train.seed_{role.lower()}`), generator seed {report.seed}: programmatic "
        "templates with gold labels; the prompts are rendered by the same functions the graph uses "
        "(`qsm.graph.prompts`) with the agents' system prompts (`qsm.agents.roles.ROLE_PROMPTS`).",
        f"- Tasks: {', '.join(ROLE_TASKS[role])}; judged by "
        + ", ".join(f"{t}: {HEADLINE[t]}" for t in ROLE_TASKS[role])
        + ".",
    ]
    if report.teacher:
        s = report.teacher_stats
        lines += [
            f"- Teacher: {report.teacher}. It answered {s.get('tasks', 0)} train tasks "
            f"({s.get('replies', 0)} replies, {s.get('call_errors', 0)} failed calls).",
            f"- Ref-style rejection sampling of teacher replies: {s.get('rejected_format', 0)} rejected "
            f"for format, {s.get('rejected_judgement', 0)} for disagreeing with the gold label, "
            f"{s.get('duplicates', 0)} duplicates of the seed answer, {s.get('accepted', 0)} accepted "
            "as extra train examples.",
        ]
    else:
        lines.append(
            "- Teacher: none configured. All targets are the seed generators' gold answers "
            "(configure one with `qsm train data --teacher-model PATH` or `--teacher-url URL`)."
        )
    lines += [
        f"- Seed examples generated: {report.generated}; rejected by the same checks "
        f"(schema + judgement against the gold label): {report.rejected_seed}.",
        "",
        "## Splits",
        "Split per task by group (a group holds near-duplicates, e.g. one entity and attribute), so no "
        "test prompt's group is trained on. The test split is the held-out evaluation set of `qsm eval`.",
        "",
        "| split | examples | by task | sources |",
        "|---|---|---|---|",
    ]
    for name, items in splits.items():
        tasks = ", ".join(f"{t} {n}" for t, n in report.by_task[name].items())
        sources = ", ".join(f"{s} {sum(1 for e in items if e.source == s)}" for s in ("seed", "teacher"))
        lines.append(f"| {name} | {len(items)} | {tasks} | {sources} |")
    lines += [
        "",
        "## Categories (train / val / test)",
        "",
        "| category | train | val | test |",
        "|---|---|---|---|",
    ]
    categories = sorted({c for split in report.by_category.values() for c in split})
    for category in categories:
        row = [str(report.by_category[name].get(category, 0)) for name in ("train", "val", "test")]
        lines.append(f"| {category} | {' | '.join(row)} |")
    lines += ["", "## Examples", ""]
    shown: set[str] = set()
    for item in splits["train"]:
        if item.task in shown:
            continue
        shown.add(item.task)
        lines += [f"### {item.task} ({item.category})", "", "```text", item.messages[-1]["content"], "```"]
        lines += ["", "Target:", "", "```text", item.target, "```", ""]
    lines += [
        "## Limits",
        "Templates give variety of wording and entities, not of the world: the data teaches the reply "
        "formats and the role's decisions on these task families, not general knowledge.",
        "",
    ]
    return "\n".join(lines)
