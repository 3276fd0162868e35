"""`qsm ask`, `qsm run SPEC`, `qsm resume`, `qsm threads`, `qsm trace`.

Each command imports qsm.graph (LangGraph) when it runs, so that `qsm ask --help` stays fast.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from qsm.cli.context import CliContext, pass_cli
from qsm.cli.render import EventPrinter, print_result
from qsm.cli.terminal import terminal_safe
from qsm.errors import BudgetExhausted, QsmError

if TYPE_CHECKING:
    from qsm.graph import RunResult, Workflow

__all__ = ["ask_cmd", "history_cmd", "resume_cmd", "run_cmd", "threads_cmd", "trace_cmd"]

EXIT_BUDGET = BudgetExhausted.exit_code
EXIT_WAITING = 3
"""`qsm ask/run/resume` exit status when the run waits for an answer nobody typed (no input)."""


def _ask_user(result: RunResult) -> str | None:
    """The user's answer to a waiting run's question, read at the prompt; None without input (EOF)."""
    choices = f" [{'/'.join(result.choices)}]" if result.choices else ""
    click.secho(f"\n? {terminal_safe(result.question or '')}{choices}", fg="cyan", bold=True)
    try:
        answer: str = click.prompt("answer", prompt_suffix="> ", default="", show_default=False)
    except (click.Abort, EOFError):
        return None
    return answer.strip() or None


def run_options(fn: Any, *, resuming: bool = False) -> Any:
    """The options of a run; ``resuming``: those `qsm resume` takes to override the run's own (a resumed
    run keeps its thread and user)."""
    options = [
        click.option("--thread", "thread_id", help="Thread id (default: a new one)."),
        click.option(
            "--user", default="local", show_default=True, help="Who is asking (memory is per user)."
        ),
        click.option("--fan-out", type=int, help="Candidate drafts in parallel (superposition)."),
        click.option("--repair-limit", type=int, help="Revise rounds Ref may ask for per candidate."),
        click.option(
            "--collapse", type=click.Choice(["ref_rank", "vote", "merge"]), help="How QSM collapses."
        ),
        click.option("--budget-tokens", type=int, help="Token cap for the run."),
        click.option("--budget-seconds", type=float, help="Time cap for the run."),
        click.option("--budget-calls", type=int, help="Model-call cap for the run."),
        click.option("--model", "model_path", type=click.Path(path_type=Path), help="GGUF for every agent."),
        click.option(
            "--agent-model", multiple=True, metavar="AGENT=GGUF", help="GGUF for one agent (repeatable)."
        ),
        click.option(
            "--backend", type=click.Choice(["llama", "openai", "fake"]), help="Backend for every agent."
        ),
        click.option("--url", help="OpenAI-compatible server URL (with --backend openai)."),
        click.option("--n-threads", type=int, help="llama.cpp threads per model instance."),
        click.option("--n-ctx", type=int, help="Context window per model instance."),
        click.option("--temperature", type=float, help="Sampling temperature for every agent."),
        click.option("--quiet", is_flag=True, help="Print only the final answer."),
        click.option("--json", "as_json", is_flag=True, help="Print the result as JSON."),
        click.option("--show-thinking", is_flag=True, help="Stream <think> text too."),
    ]
    if resuming:
        options = options[2:]
    for option in reversed(options):
        fn = option(fn)
    return fn


def _overrides(workflow: Workflow, kw: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    runtime = {k: kw[k] for k in ("fan_out", "repair_limit", "collapse") if kw.get(k) is not None}
    budget = {
        k: kw[f"budget_{k}"] for k in ("tokens", "seconds", "calls") if kw.get(f"budget_{k}") is not None
    }
    model: dict[str, Any] = {}
    for key, name in (
        ("model_path", "path"),
        ("backend", "backend"),
        ("url", "url"),
        ("n_threads", "n_threads"),
        ("n_ctx", "n_ctx"),
    ):
        if kw.get(key) is not None:
            model[name] = str(kw[key]) if key == "model_path" else kw[key]
    defaults: dict[str, Any] = {"model": model} if model else {}
    if kw.get("temperature") is not None:
        defaults["sampling"] = {"temperature": kw["temperature"]}
    agents: dict[str, Any] = {}
    for item in kw.get("agent_model") or ():
        name, sep, path = item.partition("=")
        if not sep or not path:
            raise click.BadParameter(f"{item!r} is not AGENT=GGUF", param_hint="--agent-model")
        agents[workflow.agent(name).name] = {"model": {"path": path}}
    for key, value in (("runtime", runtime), ("budget", budget), ("defaults", defaults), ("agents", agents)):
        if value:
            out[key] = value
    return out


def _execute(
    cli_ctx: CliContext,
    workflow: Workflow,
    prompt: str | None,
    kw: dict[str, Any],
    resume_thread: str | None = None,
    checkpoint_id: str | None = None,
    answer: str | None = None,
) -> None:
    """Run (or resume) and print it; a run that asks the user (status ``waiting``) gets the answer typed
    at the prompt and goes on, until it finishes."""
    from qsm.graph import Runtime, stream, stream_resume

    overrides = _overrides(workflow, kw)
    # a resumed run keeps its own settings; the flags given to `qsm resume` override them
    settings = cli_ctx.settings if resume_thread else cli_ctx.settings.with_overrides(overrides)
    printer = EventPrinter(
        tokens=not (kw.get("quiet") or kw.get("as_json")),
        trace=not (kw.get("quiet") or kw.get("as_json")),
        thinking=kw.get("show_thinking", False),
    )
    result: RunResult | None = None
    with Runtime(settings) as runtime:
        events = (
            stream_resume(
                resume_thread, runtime=runtime, checkpoint_id=checkpoint_id, options=overrides, answer=answer
            )
            if resume_thread
            else stream(
                workflow, prompt or "", runtime=runtime, thread_id=kw.get("thread_id"), user=kw["user"]
            )
        )
        while True:
            for event in events:
                printer(event)
                if event.type == "done":
                    result = event.result
            printer.finish()
            assert result is not None
            if result.status != "waiting" or kw.get("as_json"):
                break
            reply = _ask_user(result)
            if reply is None:
                break
            events = stream_resume(result.thread_id, runtime=runtime, answer=reply)
    assert result is not None
    if result.status == "waiting":
        click.echo(f"waiting for your answer: {terminal_safe(result.question or '')}")
        click.echo(f'answer it with: qsm resume {result.thread_id} --answer "..."')
        raise SystemExit(EXIT_WAITING)
    print_result(result, as_json=kw.get("as_json", False))
    if result.status == "budget_exhausted":
        raise SystemExit(EXIT_BUDGET)
    if result.final is None:
        raise SystemExit(1)


@click.command("ask")
@click.argument("prompt")
@run_options
@pass_cli
def ask_cmd(cli_ctx: CliContext, prompt: str, **kw: Any) -> None:
    """Ask the team (QSM -> SOM -> WeQ -> Ref -> QSM) and stream the run."""
    from qsm.graph import Workflow

    _execute(cli_ctx, Workflow.default(), prompt, kw)


def workflow_from_arg(spec: Path, data_dir: Path) -> Workflow:
    """The workflow a SPEC argument names: a YAML file (it exists, ends in .yaml/.yml or has a folder), or
    else a workflow of the library by name (`qsm workflows` lists them)."""
    from qsm.graph import Workflow

    if spec.exists() or spec.suffix in (".yaml", ".yml") or len(spec.parts) > 1:
        return Workflow.from_yaml(spec)
    return Workflow.load(str(spec), data_dir)


@click.command("run")
@click.argument("spec", type=click.Path(path_type=Path))
@click.argument("prompt", required=False)
@run_options
@pass_cli
def run_cmd(cli_ctx: CliContext, spec: Path, prompt: str | None, **kw: Any) -> None:
    """Run the workflow in SPEC (YAML) on PROMPT (default: the spec's `prompt`).

    SPEC is a YAML file or the name of a workflow of the library (`qsm workflows` lists them)."""
    workflow = workflow_from_arg(spec, cli_ctx.settings.data_dir)
    text = prompt or workflow.prompt
    if not text:
        raise QsmError(
            f"no prompt: give one after {spec} or set `prompt:` in the spec", hint='qsm run SPEC "..."'
        )
    _execute(cli_ctx, workflow, text, kw)


@click.command("resume")
@click.argument("thread_id")
@click.option("--from", "checkpoint_id", help="Re-run from this earlier checkpoint (see `qsm history`).")
@click.option("--answer", help="The answer to the question of a run that waits for you.")
@functools.partial(run_options, resuming=True)
@pass_cli
def resume_cmd(
    cli_ctx: CliContext, thread_id: str, checkpoint_id: str | None, answer: str | None, **kw: Any
) -> None:
    """Continue THREAD_ID from its last checkpoint (after a crash or kill), or time-travel with --from;
    a run waiting for you goes on with --answer (or the answer you type).

    The run keeps the fan-out, repair limit and budget it started with; these options override them."""
    from qsm.graph import Workflow

    _execute(
        cli_ctx,
        Workflow.default(),
        None,
        kw | {"user": "local"},
        resume_thread=thread_id,
        checkpoint_id=checkpoint_id,
        answer=answer,
    )


@click.command("history")
@click.argument("thread_id")
@pass_cli
def history_cmd(cli_ctx: CliContext, thread_id: str) -> None:
    """List THREAD_ID's checkpoints, newest first; `qsm resume THREAD --from ID` goes back to one."""
    from qsm.graph import Runtime, history

    with Runtime(cli_ctx.settings, memory=None, ledger=None) as runtime:
        rows = history(thread_id, runtime)
    for cp in rows:
        nxt = ",".join(cp.next) or "(done)"
        click.echo(
            f"{cp.checkpoint_id}  step {cp.step:>3}  {cp.messages:>3} msgs  next {nxt:<24} wrote {','.join(cp.wrote)}"
        )


@click.command("threads")
@click.option("--limit", default=20, show_default=True)
@pass_cli
def threads_cmd(cli_ctx: CliContext, limit: int) -> None:
    """List past runs (threads), newest first."""
    from qsm.graph import Runtime

    with Runtime(cli_ctx.settings) as runtime:
        rows = runtime.runs.threads(limit)
    if not rows:
        click.echo("no threads yet")
    for t in rows:
        click.echo(f"{t.thread_id}  {t.status:<17} {t.workflow:<10} {t.request[:60]!r}")


@click.command("trace")
@click.argument("thread_id")
@pass_cli
def trace_cmd(cli_ctx: CliContext, thread_id: str) -> None:
    """Print every channel message of THREAD_ID with its content id and parents."""
    from qsm.graph import Runtime, load_result

    with Runtime(cli_ctx.settings) as runtime:
        loaded = load_result(thread_id, runtime)
    if loaded is None:
        raise QsmError(f"no thread {thread_id!r}", hint="`qsm threads` lists them")
    for env in loaded[0].trace:
        parents = ", ".join(p[:18] for p in env.parents) or "-"
        click.echo(f"{env.source:>5} -> {env.target:<5} {env.type:<11} {env.id}  parents: {parents}")
