"""The `qsm` command: global options, error reporting, and the command groups."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from qsm.cli.context import CliContext
from qsm.cli.lazy_group import LazyCommand, LazyGroup
from qsm.errors import ConfigError, QsmError

__all__ = ["COMMANDS", "cli", "main"]

COMMANDS: dict[str, LazyCommand] = {
    name: LazyCommand(f"qsm.cli.{target}", help)
    for name, target, help in (
        ("ask", "run_cmds:ask_cmd", "Ask the team (QSM -> SOM -> WeQ -> Ref -> QSM) and stream the run."),
        (
            "run",
            "run_cmds:run_cmd",
            "Run the workflow in SPEC (YAML) on PROMPT (default: the spec's `prompt`).",
        ),
        (
            "resume",
            "run_cmds:resume_cmd",
            "Continue THREAD_ID from its last checkpoint (after a crash or kill), or time-travel with --from; a "
            "run waiting for you goes on with --answer (or the answer you type).",
        ),
        (
            "history",
            "run_cmds:history_cmd",
            "List THREAD_ID's checkpoints, newest first; `qsm resume THREAD --from ID` goes back to one.",
        ),
        (
            "chat",
            "chat_cmd:chat_cmd",
            "Talk with the team: a conversation whose earlier turns reach the agents, answers streamed as they "
            "are written.",
        ),
        ("threads", "run_cmds:threads_cmd", "List past runs (threads), newest first."),
        (
            "feedback",
            "feedback_cmd:feedback_group",
            "Answers rated in the app (thumbs up or down): export them as JSON lines for training.",
        ),
        (
            "trace",
            "run_cmds:trace_cmd",
            "Print every channel message of THREAD_ID with its content id and parents.",
        ),
        (
            "graph",
            "info_cmds:graph_cmd",
            "Print the topology of the default workflow (or SPEC) with live channel strengths.",
        ),
        (
            "agents",
            "info_cmds:agents_cmd",
            "Show each agent's effective configuration (config file + env + spec overrides).",
        ),
        (
            "workflows",
            "workflow_cmds:workflows_group",
            "Your workflows (<data_dir>/workflows/), the built-in team and the examples: list, check, show, add.",
        ),
        ("memory", "memory:memory_group", "Browse and fill the dynamic-directory memory."),
        ("ledger", "ledger:ledger_group", "Anchor outputs on an Ethereum chain and verify proofs."),
        (
            "ui",
            "ui_cmd:ui_cmd",
            "Open the app: chat, graph inspector, memory browser, ledger explorer, settings.",
        ),
        (
            "serve",
            "serve_cmd:serve_group",
            "Serve the team over HTTP: an OpenAI-compatible /v1/chat/completions (model = a workflow) and a runs "
            "API (threads, background runs, event streams, cancel, resume), each user seeing only their own.",
        ),
        (
            "bench",
            "bench_cmd:bench_cmd",
            "Run benchmarks (all, or NAMES such as core memory ledger); results go to benchmarks/results/.",
        ),
        (
            "train",
            "train_cmds:train_group",
            "Specialise the four agents: role datasets, LoRA adapters (PEFT), GGUF export for llama.cpp.",
        ),
        (
            "eval",
            "train_cmds:eval_cmd",
            "Score base vs adapter per role on its held-out set through llama.cpp (format validity without "
            "grammar, judgement accuracy); the JSON goes to <data_dir>/train/eval.json.",
        ),
    )
}
"""Every subcommand: its module is imported only when it runs; ``qsm --help`` shows the help kept here
(tests/cli/test_startup.py checks it against the commands' own help)."""


class _QsmGroup(LazyGroup):
    """Turns every :class:`QsmError` into a two-line message and its exit code (no traceback)."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        ctx.meta["qsm.args"] = list(args)
        return super().parse_args(ctx, args)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            _check_utf8(ctx.meta.get("qsm.args", ()))
            return super().invoke(ctx)
        except QsmError as err:
            click.secho(f"error: {err.message}", fg="red", err=True)
            if err.hint:
                click.echo(f"  hint: {err.hint}", err=True)
            ctx.exit(err.exit_code)


def _check_utf8(args: list[str]) -> None:
    """Refuse an argument that is not UTF-8 text (Python hands its bytes on as lone surrogates, which no
    database, model or file name can take)."""
    for arg in args:
        try:
            arg.encode("utf-8")
        except UnicodeEncodeError:
            shown = arg.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
            raise ConfigError(
                f"the argument '{shown}' is not UTF-8 text",
                hint="qsm reads arguments as UTF-8: use a UTF-8 locale (e.g. LANG=C.UTF-8) or re-encode the text",
            ) from None


@click.group(cls=_QsmGroup, lazy_commands=COMMANDS)
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


def main() -> None:
    cli(prog_name="qsm")


if __name__ == "__main__":  # pragma: no cover
    main()
