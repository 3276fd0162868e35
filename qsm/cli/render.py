"""Terminal rendering of a run's events: tokens under the speaking agent, one line per channel message."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import click

from qsm.cli.terminal import terminal_safe

if TYPE_CHECKING:
    from qsm.graph import RunEvent, RunResult

__all__ = ["EventPrinter", "print_result"]


class EventPrinter:
    def __init__(self, *, tokens: bool = True, trace: bool = True, thinking: bool = False) -> None:
        self.tokens, self.trace, self.thinking = tokens, trace, thinking
        self._open_line = False

    def _newline(self) -> None:
        if self._open_line:
            click.echo()
            self._open_line = False

    def __call__(self, event: RunEvent) -> None:
        if not (self.tokens or self.trace):
            return
        if event.type == "step":
            self._newline()
            cand = f" #{event.candidate}" if event.candidate is not None else ""
            step = (event.node or "").removeprefix(f"{event.agent}.")
            click.secho(f"[{event.agent} · {step}{cand}] ", fg="cyan", bold=True, nl=False)
            self._open_line = True
        elif event.type == "token" and self.tokens:
            if event.thinking and not self.thinking:
                return
            # model text: no escape sequences reach the terminal
            click.secho(terminal_safe(event.text), nl=False, dim=event.thinking)
            self._open_line = True
        elif event.type == "message" and self.trace:
            self._newline()
            env, cost = event.envelope, event.envelope.cost
            tokens = cost.prompt_tokens + cost.completion_tokens
            spend = f"  ({tokens} tok, {cost.seconds:.2f} s)" if tokens else ""
            click.secho(
                f"  ⟶ {env.source} -> {env.target} {env.type:<11} {env.id}{spend}",
                fg="bright_black",
            )
        elif event.type == "repair" or event.type == "budget":
            self._newline()
            text = (
                f"repaired JSON after {event.attempts} attempts" if event.type == "repair" else event.message
            )
            click.secho(f"  ! {event.agent}: {terminal_safe(text)}", fg="yellow")

    def finish(self) -> None:
        self._newline()


def print_result(result: RunResult, *, as_json: bool = False) -> None:
    if as_json:
        click.echo(json.dumps(result.model_dump(mode="json"), indent=2))
        return
    final = result.final
    if final is None:
        click.secho(
            f"no final answer (status {result.status}); resume with `qsm resume {result.thread_id}`", fg="red"
        )
        return
    colour = {"ok": "green", "rejected": "yellow"}.get(final.status, "red")
    score = f", score {final.score:.2f}" if final.score is not None else ""
    if final.status == "rejected":
        click.secho("\n━━ No verified answer: Ref rejected every candidate", fg=colour, bold=True)
        click.secho(
            f"Best attempt (not verified; candidate {final.chosen_candidate} of {final.candidates}{score}):",
            fg=colour,
        )
    else:
        click.secho(
            f"\n━━ Final answer [{final.status}; {final.collapse}, candidate {final.chosen_candidate} of "
            f"{final.candidates}{score}]",
            fg=colour,
            bold=True,
        )
    click.echo(terminal_safe(final.text) or "(empty)")
    for i, cite in enumerate(final.citations, 1):
        click.secho(terminal_safe(f"[{i}] {cite.path} {cite.entry_id}: {cite.quote[:100]!r}"), fg="blue")
    if final.note:
        click.secho(f"note: {terminal_safe(final.note)}", fg="yellow")
    click.secho(f"content id: {result.final_id}", fg="bright_black")
    if result.cost:
        c = result.cost
        credits = ", ".join(f"{k} {v:.2f}" for k, v in c.credits.items())
        click.secho(
            f"cost: {c.tokens}/{c.budget_tokens} tokens, {c.calls}/{c.budget_calls} calls, "
            f"{c.seconds:.1f}/{c.budget_seconds:.0f} s; credits: {credits}",
            fg="bright_black",
        )
    if result.receipt:
        click.secho(f"ledger: {json.dumps(result.receipt)}", fg="bright_black")
    for error in result.errors:  # e.g. the ledger failed: the answer above stands
        click.secho(f"warning: {terminal_safe(error)}", fg="yellow", err=True)
    click.secho(f"thread: {result.thread_id}", fg="bright_black")
