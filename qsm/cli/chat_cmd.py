"""`qsm chat`: an interactive conversation with the team. Each line is a turn on one thread (the earlier turns
reach QSM and WeQ); answers stream as they are written; Ctrl-C stops the running turn, not the chat.

Commands inside: /new, /resume, /history, /thread, /help, /quit.
"""

from __future__ import annotations

import signal
import sys
import threading
from collections.abc import Callable, Iterator
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from qsm.cli.context import CliContext, pass_cli
from qsm.cli.render import EventPrinter
from qsm.cli.terminal import terminal_safe
from qsm.errors import QsmError

if TYPE_CHECKING:
    from qsm.graph import Conversation, RunEvent, RunResult

__all__ = ["chat_cmd"]

HELP = """\
  /new       start a new conversation (a new thread)
  /resume    finish the turn that was stopped (Ctrl-C) or cut off
  /history   the turns so far
  /thread    this conversation's thread id (qsm chat --thread ID comes back to it)
  /quit      leave (Ctrl-D too)
  Ctrl-C     stop the answer at the next token; the turn stays resumable"""


@click.command("chat")
@click.option("--thread", "thread_id", help="Continue this thread (default: a new conversation).")
@click.option("--user", default="local", show_default=True, help="Who is talking (memory is per user).")
@click.option("--spec", type=click.Path(path_type=Path), help="Workflow spec (YAML); default: the team.")
@click.option("--fan-out", type=int, help="Candidate drafts in parallel (superposition).")
@click.option("--backend", type=click.Choice(["llama", "openai", "fake"]), help="Backend for every agent.")
@click.option("--model", "model_path", type=click.Path(path_type=Path), help="GGUF for every agent.")
@click.option("--url", help="OpenAI-compatible server URL (with --backend openai).")
@click.option("--temperature", type=float, help="Sampling temperature for every agent.")
@click.option("--trace", is_flag=True, help="Show every channel message too.")
@click.option("--show-thinking", is_flag=True, help="Stream <think> text too.")
@pass_cli
def chat_cmd(cli_ctx: CliContext, thread_id: str | None, spec: Path | None, **kw: Any) -> None:
    """Talk with the team: a conversation whose earlier turns reach the agents, answers streamed as they
    are written. Type /help inside for its commands; Ctrl-C stops an answer, not the chat."""
    from qsm.cli.run_cmds import _overrides
    from qsm.graph import Conversation, Runtime, Workflow

    workflow = Workflow.from_yaml(spec) if spec else Workflow.default()
    settings = cli_ctx.settings.with_overrides(_overrides(workflow, kw))
    printer = _Printer(trace=kw["trace"], thinking=kw["show_thinking"])
    with Runtime(settings) as runtime:
        chat = Conversation(thread_id, user=kw["user"], workflow=workflow, runtime=runtime)
        turns = len(chat.history()) if thread_id else 0
        again = f", {turns} earlier turn{'s' * (turns != 1)}" if turns else ""
        click.secho(f"qsm chat · thread {chat.thread_id}{again} · /help for commands", fg="bright_black")
        while True:
            line = _read()
            if line is None:
                break
            if not line.strip():
                continue
            if line.startswith("/"):
                if not _command(chat, line.strip(), printer):
                    break
                continue
            printer.play(partial(_ask, chat, line), chat=chat)


def _ask(chat: Conversation, line: str, cancel: threading.Event) -> Iterator[RunEvent]:
    return chat.stream(line, cancel=cancel)


def _read() -> str | None:
    """The next line, or None to leave (Ctrl-D). Ctrl-C at the prompt clears the line."""
    while True:
        try:
            return input(click.style("you › ", fg="green", bold=True) if sys.stdout.isatty() else "you › ")
        except EOFError:
            click.echo()
            return None
        except KeyboardInterrupt:
            click.echo("\n(/quit leaves)")


def _command(chat: Conversation, line: str, printer: _Printer) -> bool:
    """Run a /command; False when the chat ends."""
    name = line.split()[0].lower()
    if name in ("/quit", "/exit", "/q"):
        return False
    if name == "/help":
        click.echo(HELP)
    elif name == "/new":
        click.secho(f"new conversation · thread {chat.new()}", fg="bright_black")
    elif name == "/thread":
        click.echo(chat.thread_id)
    elif name == "/history":
        _show_history(chat)
    elif name == "/resume":
        if chat.runtime.runs.thread(chat.thread_id) is None:
            click.secho("nothing to resume: this conversation has no turns yet", fg="yellow")
        else:
            printer.play(lambda cancel: chat.stream_resume(cancel=cancel), resuming=True, chat=chat)
    else:
        click.secho(f"unknown command {name}; /help lists them", fg="yellow")
    return True


def _show_history(chat: Conversation) -> None:
    turns = chat.history()
    if not turns:
        click.secho("no turns yet", fg="bright_black")
    for i, turn in enumerate(turns, 1):
        click.secho(f"{i}. you: ", fg="green", bold=True, nl=False)
        click.echo(terminal_safe(turn.question))
        answer = turn.answer if turn.answer is not None else f"(no answer: {turn.status})"
        click.secho("   qsm: ", fg="cyan", bold=True, nl=False)
        click.echo(terminal_safe(answer))


class _Printer:
    """Streams a turn's steps and tokens (channel messages with --trace), then its answer in short."""

    def __init__(self, *, trace: bool, thinking: bool) -> None:
        self.trace, self.thinking = trace, thinking

    def play(
        self,
        start: Callable[[threading.Event], Iterator[RunEvent]],
        *,
        resuming: bool = False,
        chat: Conversation | None = None,
    ) -> None:
        """Show the run ``start(cancel)`` streams. The first Ctrl-C sets ``cancel``: the run stops at its
        next token and ends interrupted (resumable); a second one stops it at once. A run that asks the
        user (status ``waiting``) gets the next line typed as its answer and goes on (in ``chat``)."""
        printer = EventPrinter(tokens=True, trace=self.trace, thinking=self.thinking)
        result: RunResult | None = None
        cancel = threading.Event()
        events = start(cancel)
        previous = signal.signal(signal.SIGINT, _stopping(cancel))
        try:
            for event in events:
                printer(event)
                if event.type == "done":
                    if resuming and not event.resumed and event.result.status != "waiting":
                        printer.finish()
                        click.secho("nothing to resume: the last turn has finished", fg="yellow")
                        return
                    result = event.result
        except KeyboardInterrupt:  # the second Ctrl-C
            signal.signal(signal.SIGINT, signal.SIG_IGN)  # one more must not end the chat here
            close = getattr(events, "close", None)
            if close is not None:  # stop the run now, marked interrupted
                close()
            result = None
        except QsmError as err:
            printer.finish()
            click.secho(f"error: {err.message}", fg="red")
            if err.hint:
                click.echo(f"  hint: {err.hint}")
            return
        finally:
            signal.signal(signal.SIGINT, previous)
        printer.finish()
        if result is not None and result.status == "waiting" and chat is not None:
            reply = _read_answer(result)
            if reply is None:
                click.secho("the turn waits for your answer: /resume asks again", fg="yellow")
                return
            self.play(lambda cancel: chat.stream_resume(cancel=cancel, answer=reply), chat=chat)
            return
        if result is None or result.status == "interrupted":
            click.secho("stopped. /resume finishes this turn; or ask something else", fg="yellow")
        else:
            _answer(result)


def _read_answer(result: RunResult) -> str | None:
    """The user's answer to the question of a waiting turn; None (Ctrl-D, an empty line) leaves it waiting."""
    choices = f" [{'/'.join(result.choices)}]" if result.choices else ""
    click.secho(f"? {terminal_safe(result.question or '')}{choices}", fg="cyan", bold=True)
    try:
        reply = input("answer › ")
    except (EOFError, KeyboardInterrupt):
        click.echo()
        return None
    return reply.strip() or None


def _stopping(cancel: threading.Event) -> Callable[[int, object], None]:
    """Ctrl-C during a turn: the first sets the run's stop signal (the run stops at its next token, its
    finished steps kept for /resume); a second stops the run where it is."""

    def on_sigint(signum: int, frame: object) -> None:
        if cancel.is_set():
            raise KeyboardInterrupt
        cancel.set()
        click.secho("\nstopping at the next token… (Ctrl-C again stops at once)", fg="yellow")

    return on_sigint


def _answer(result: RunResult) -> None:
    final = result.final
    if final is None:
        click.secho(f"no answer (status {result.status}); /resume continues this turn", fg="red")
        return
    colour = {"ok": "green", "rejected": "yellow"}.get(final.status, "red")
    click.secho("qsm › ", fg=colour, bold=True, nl=False)
    click.echo(terminal_safe(result.text) or "(empty)")
    for i, cite in enumerate(final.citations, 1):
        click.secho(terminal_safe(f"  [{i}] {cite.path}: {cite.quote[:100]!r}"), fg="blue")
    cost = result.cost
    spend = f" · {cost.calls} calls, {cost.tokens} tokens, {cost.seconds:.1f} s" if cost else ""
    click.secho(f"  [{final.status}{spend}]", fg="bright_black")
