"""`qsm feedback export`: the answers people rated in the app (thumbs up or down), as JSON lines for
training (one object per rating: thread, answer content id, rating 1 or -1, question, answer, workflow,
user, time). They are kept in <data_dir>/thread_notes.sqlite (see qsm.graph.thread_notes)."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from qsm.cli.context import CliContext, pass_cli

__all__ = ["feedback_group"]


@click.group("feedback")
def feedback_group() -> None:
    """Answers rated in the app (thumbs up or down): export them as JSON lines for training."""


@feedback_group.command("export")
@click.option("--out", type=click.Path(path_type=Path), help="Write to this file (default: standard output).")
@click.option("--thread", "thread_id", help="Only this thread's ratings.")
@pass_cli
def export_cmd(cli_ctx: CliContext, out: Path | None, thread_id: str | None) -> None:
    """Write every rating, oldest first, one JSON object a line."""
    from qsm.graph.thread_notes import FEEDBACK_FILE, ThreadNotes

    path = cli_ctx.settings.data_dir / FEEDBACK_FILE
    notes = ThreadNotes(path) if path.exists() else None
    rows = notes.feedback(thread_id) if notes is not None else []
    if notes is not None:
        notes.close()
    lines = "".join(row.model_dump_json() + "\n" for row in rows)
    if out is None:
        sys.stdout.write(lines)
    else:
        out.write_text(lines, encoding="utf-8")
        click.echo(f"{len(rows)} rating(s) written to {out}", err=True)
