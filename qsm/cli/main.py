"""The `qsm` command: global options, error reporting, and the command groups."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from qsm.cli.bench_cmd import bench_cmd
from qsm.cli.context import CliContext
from qsm.cli.info_cmds import agents_cmd, graph_cmd
from qsm.cli.ledger import ledger_group
from qsm.cli.memory import memory_group
from qsm.cli.run_cmds import ask_cmd, history_cmd, resume_cmd, run_cmd, threads_cmd, trace_cmd
from qsm.cli.train_cmds import eval_cmd, train_group
from qsm.cli.ui_cmd import ui_cmd
from qsm.errors import QsmError

__all__ = ["cli", "main"]


class _QsmGroup(click.Group):
    """Turns every :class:`QsmError` into a two-line message and its exit code (no traceback)."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except QsmError as err:
            click.secho(f"error: {err.message}", fg="red", err=True)
            if err.hint:
                click.echo(f"  hint: {err.hint}", err=True)
            ctx.exit(err.exit_code)


@click.group(cls=_QsmGroup)
@click.option("--config", type=click.Path(path_type=Path), help="TOML config file (default: ./qsm.toml).")
@click.option("--data-dir", type=click.Path(path_type=Path), help="Where qsm keeps memory, ledger, runs.")
@click.version_option(package_name="qsm-agents", prog_name="qsm")
@click.pass_context
def cli(ctx: click.Context, config: Path | None, data_dir: Path | None) -> None:
    """qsm: four local language models (QSM, WeQ, SOM, Ref) working as one team."""
    overrides: dict[str, Any] = {}
    if data_dir is not None:
        overrides["data_dir"] = str(data_dir)
    ctx.obj = CliContext(config=config, overrides=overrides)


for command in (
    ask_cmd,
    run_cmd,
    resume_cmd,
    history_cmd,
    threads_cmd,
    trace_cmd,
    graph_cmd,
    agents_cmd,
    memory_group,
    ledger_group,
    ui_cmd,
    bench_cmd,
    train_group,
    eval_cmd,
):
    cli.add_command(command)


def main() -> None:
    cli(prog_name="qsm")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
