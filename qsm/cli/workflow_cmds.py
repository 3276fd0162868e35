"""`qsm workflows`: the workflow library (list, check, show, add, remove).

Imports qsm.graph only when a command runs, so that `qsm workflows --help` stays fast.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from qsm.cli.context import CliContext, pass_cli
from qsm.errors import SpecError

if TYPE_CHECKING:
    from qsm.graph.library import WorkflowLibrary

__all__ = ["workflows_group"]


@click.group("workflows", invoke_without_command=True)
@click.pass_context
def workflows_group(ctx: click.Context) -> None:
    """Your workflows (<data_dir>/workflows/), the built-in team and the examples: list, check, show, add."""
    if ctx.invoked_subcommand is None:
        ctx.invoke(list_cmd)


def _library(cli_ctx: CliContext) -> WorkflowLibrary:
    from qsm.graph.library import WorkflowLibrary

    return WorkflowLibrary(cli_ctx.settings.data_dir)


@workflows_group.command("list")
@pass_cli
def list_cmd(cli_ctx: CliContext) -> None:
    """List every workflow: name, kind, agents, channels, where it comes from."""
    entries = _library(cli_ctx).entries()
    width = max(len(e.name) for e in entries)
    click.echo(f"{'NAME':<{width}}  {'KIND':<8}  {'CHANNELS':>8}  {'SOURCE':<8}  AGENTS")
    for e in entries:
        problems = f"  ({len(e.issues)} problem(s))" if e.issues else ""
        click.echo(
            f"{e.name:<{width}}  {e.kind:<8}  {e.channels:>8}  {e.source:<8}  {', '.join(e.agents)}{problems}"
        )


@workflows_group.command("check")
@click.argument("spec", type=click.Path(path_type=Path))
def check_cmd(spec: Path) -> None:
    """Check SPEC (a YAML file): every problem with its line and column; exit 2 if there is any."""
    from qsm.graph.library import check_spec
    from qsm.graph.spec_yaml import read_spec_text

    text = read_spec_text(spec)
    result = check_spec(text, str(spec))
    if not result.issues and result.workflow is not None:
        wf = result.workflow
        click.echo(
            f"{spec}: ok ({wf.kind} {wf.name!r}: {len(wf.agents)} agents, {len(wf.channels)} channels)"
        )
        return
    for issue in result.issues:
        where = f"{spec}:{issue.line}:{issue.column}" if issue.line is not None else str(spec)
        click.echo(f"{where}: error: {issue.message}")
        if issue.hint:
            click.echo(f"  hint: {issue.hint}")
    click.echo(f"{spec}: {len(result.issues)} problem(s)", err=True)
    raise SystemExit(SpecError.exit_code)


@workflows_group.command("show")
@click.argument("name")
@click.option("--mermaid", "as_mermaid", is_flag=True, help="Print a Mermaid flowchart instead of text.")
@click.option("--yaml", "as_yaml", is_flag=True, help="Print the spec itself.")
@pass_cli
def show_cmd(cli_ctx: CliContext, name: str, as_mermaid: bool, as_yaml: bool) -> None:
    """Print the topology of the workflow NAME (as text, --mermaid or --yaml)."""
    from qsm.graph.export import mermaid, topology_text

    library = _library(cli_ctx)
    if as_yaml:
        click.echo(library.text(name), nl=False)
        return
    workflow = library.load(name)
    click.echo(
        mermaid(workflow, workflow.channels) if as_mermaid else topology_text(workflow, workflow.channels)
    )


@workflows_group.command("add")
@click.argument("spec", type=click.Path(path_type=Path))
@click.option("--name", help="Save under this name (sets the spec's `name:`).")
@click.option("--replace", is_flag=True, help="Replace your workflow of the same name.")
@pass_cli
def add_cmd(cli_ctx: CliContext, spec: Path, name: str | None, replace: bool) -> None:
    """Check SPEC and copy it into the library (<data_dir>/workflows/)."""
    from qsm.graph.spec_yaml import read_spec_text

    path = _library(cli_ctx).save(read_spec_text(spec), name=name, replace=replace)
    click.echo(f'added {path.stem} ({path}); run it with: qsm run {path.stem} "..."')


@workflows_group.command("remove")
@click.argument("name")
@pass_cli
def remove_cmd(cli_ctx: CliContext, name: str) -> None:
    """Remove your workflow NAME from the library (built-in and examples are read-only)."""
    _library(cli_ctx).delete(name)
    click.echo(f"removed {name}")
