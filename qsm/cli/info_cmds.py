"""`qsm graph` (topology, or a thread's traffic) and `qsm agents` (effective per-agent config).

Both import qsm.graph (LangGraph) when they run, so that their --help stays fast.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from qsm.agents.settings import ModelSettings
from qsm.agents.shipped import resolve_adapter
from qsm.cli.context import CliContext, pass_cli
from qsm.errors import QsmError

if TYPE_CHECKING:
    from qsm.graph import Workflow

__all__ = ["agents_cmd", "graph_cmd"]


def _workflow(spec: Path | None, data_dir: Path) -> Workflow:
    """SPEC as `qsm run` reads it (a YAML file or a library name), or the built-in team."""
    from qsm.cli.run_cmds import workflow_from_arg
    from qsm.graph import Workflow

    return workflow_from_arg(spec, data_dir) if spec else Workflow.default()


@click.command("graph")
@click.argument("spec", type=click.Path(path_type=Path), required=False)
@click.option(
    "--format", "fmt", type=click.Choice(["text", "mermaid", "json"]), default="text", show_default=True
)
@click.option("--thread", "thread_id", help="Show this thread's traffic (message DAG) instead.")
@pass_cli
def graph_cmd(cli_ctx: CliContext, spec: Path | None, fmt: str, thread_id: str | None) -> None:
    """Print the topology of the default workflow (or SPEC) with live channel strengths.

    SPEC is a YAML file or the name of a workflow of the library (`qsm workflows` lists them)."""
    from qsm.graph import Runtime, load_result
    from qsm.graph.export import as_json, mermaid, topology_text, traffic_graph

    with Runtime(cli_ctx.settings) as runtime:
        if thread_id:
            loaded = load_result(thread_id, runtime)
            if loaded is None:
                raise QsmError(f"no thread {thread_id!r}", hint="`qsm threads` lists them")
            result, workflow = loaded
            trace = result.trace
            channels = runtime.channel_book(workflow).channels()
            if fmt == "mermaid":
                click.echo(mermaid(workflow, channels, trace))
            else:
                dag = traffic_graph(trace)
                click.echo(
                    json.dumps(
                        {
                            "nodes": [{"id": n, **d} for n, d in dag.nodes(data=True)],
                            "edges": [list(e) for e in dag.edges],
                        },
                        indent=2,
                    )
                )
            return
        workflow = _workflow(spec, cli_ctx.settings.data_dir)
        channels = runtime.channel_book(workflow).channels()
    if fmt == "mermaid":
        click.echo(mermaid(workflow, channels))
    elif fmt == "json":
        click.echo(json.dumps(as_json(workflow, channels), indent=2))
    else:
        click.echo(topology_text(workflow, channels))


@click.command("agents")
@click.argument("spec", type=click.Path(path_type=Path), required=False)
@click.option("--json", "as_json_flag", is_flag=True)
@pass_cli
def agents_cmd(cli_ctx: CliContext, spec: Path | None, as_json_flag: bool) -> None:
    """Show each agent's effective configuration (config file + env + spec overrides).

    SPEC is a YAML file or the name of a workflow of the library (`qsm workflows` lists them)."""
    from qsm.agents.locate import resolve_model_path
    from qsm.graph import Runtime
    from qsm.redact import redact_url

    workflow = _workflow(spec, cli_ctx.settings.data_dir)
    settings = cli_ctx.settings
    rows: dict[str, dict[str, Any]] = {}
    with Runtime(settings, persist=False) as runtime:
        for agent in workflow.agents:
            eff = runtime.agent_settings(agent)
            model = eff.model
            if model.backend == "llama":
                try:
                    where = str(resolve_model_path(model.path))
                except QsmError as err:
                    where = f"MISSING ({err.message})"
            else:
                where = redact_url(model.url) or "(fake)"
            rows[agent.name] = {
                "role": agent.role,
                "backend": model.backend,
                "model": where,
                "adapter": _adapter_row(agent.name, model),
                "n_ctx": model.n_ctx,
                "n_threads": model.n_threads,
                "sampling": eff.sampling.model_dump(),
                "system_prompt": (agent.system_prompt or eff.system_prompt or "(role default)"),
            }
    if as_json_flag:
        click.echo(json.dumps(rows, indent=2))
        return
    click.echo(f"data dir: {settings.data_dir}")
    for name, row in rows.items():
        s = row["sampling"]
        click.secho(f"{name} ({row['role']})", bold=True)
        click.echo(f"  model   {row['backend']}: {row['model']}")
        adapter = row["adapter"]
        click.echo(f"  adapter {adapter['source']}: {adapter['path'] or adapter['reason']}")
        click.echo(f"  context {row['n_ctx']} tokens, {row['n_threads']} thread(s)")
        click.echo(
            f"  sample  temperature {s['temperature']}, top_p {s['top_p']}, max_tokens {s['max_tokens']}"
        )
        click.echo(f"  prompt  {str(row['system_prompt'])[:90]}")


def _adapter_row(agent: str, model: ModelSettings) -> dict[str, str | None]:
    """Which LoRA adapter the agent runs: shipped (bundled base), custom (model.adapter) or none, and why."""
    choice = resolve_adapter(agent, model)
    return {
        "source": choice.source,
        "path": str(choice.path) if choice.path else None,
        "reason": choice.reason,
    }
