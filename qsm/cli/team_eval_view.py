"""``qsm eval --team``: run the team evaluation and print it as a table per category."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from qsm.settings import QsmSettings

__all__ = ["print_team_eval", "team_eval"]


def team_eval(
    settings: QsmSettings,
    *,
    limit: int | None,
    categories: list[str] | None,
    out: Path | None,
    as_json: bool,
) -> dict[str, Any]:
    from qsm.errors import SpecError
    from qsm.train.team_eval import run_team_eval

    try:
        report = run_team_eval(
            settings,
            limit_per_category=limit,
            categories=categories,
            log=(lambda _m: None) if as_json else click.echo,
        )
    except ValueError as err:  # an unknown category or a negative limit
        raise SpecError(
            str(err), hint="categories: arithmetic facts notes resource format multistep"
        ) from None
    path = out or settings.data_dir / "train" / "team_eval.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(report, indent=2) + "\n")
    if as_json:
        click.echo(json.dumps(report, indent=2))
    else:
        print_team_eval(report)
        click.echo(f"report: {path}")
    return report


def print_team_eval(report: dict[str, Any]) -> None:
    systems = report["systems"]
    names = list(systems)
    categories = list(next(iter(systems.values()))["categories"])
    click.echo(f"\n{'category':<11}" + "".join(f"{n:>22}" for n in names))
    for category in [*categories, "overall"]:
        cells = []
        for name in names:
            s = systems[name]["overall"] if category == "overall" else systems[name]["categories"][category]
            cells.append(
                f"{s['correct']:>3}/{s['n']:<3} {s['median_seconds']:>5.1f}s {s['mean_tokens']:>6.0f}t"
            )
        click.echo(f"{category:<11}" + "".join(f"{c:>22}" for c in cells))
    vs = report.get("team_vs_base")
    if vs:
        click.echo(
            f"\nteam vs base: {vs['accuracy_points']:+.1f} points overall, worst category "
            f"{vs['worst_category_points']:+.1f}; median latency x{vs['median_latency_ratio']:.2f}"
        )
    ref = report["ref_verdicts"]
    click.echo(
        f"Ref on {ref['drafts']} held-out drafts: accuracy {ref['accuracy']:.2f}, false accepts "
        f"{ref['false_accept_rate']:.2f}, false rejects {ref['false_reject_rate']:.2f}"
    )
