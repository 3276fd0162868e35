"""A click group that imports a subcommand's module only when that subcommand runs.

The group knows each lazy subcommand's name, where it lives (``"module:attribute"``) and its help text, so
``qsm --help`` lists every command without importing any of them (click's lazy-loading pattern). A
subcommand's module in turn imports its heavy libraries (LangGraph, Chroma, web3) inside the command
function, so ``qsm ask --help`` stays cheap too.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import click

__all__ = ["LazyCommand", "LazyGroup"]


@dataclass(frozen=True)
class LazyCommand:
    """Where a subcommand lives and the help line the group shows for it before importing it."""

    target: str
    """``"package.module:attribute"``, the click command object."""
    help: str
    """The command's help text (its docstring's first sentence is enough: that is all the list shows)."""

    def placeholder(self, name: str) -> click.Command:
        """A command that only carries the help text, for the group's command list."""
        return click.Command(name, help=self.help)

    def load(self) -> click.Command:
        module_name, _, attribute = self.target.partition(":")
        command = getattr(importlib.import_module(module_name), attribute)
        if not isinstance(command, click.Command):
            raise TypeError(f"{self.target} is {type(command).__name__}, not a click command")
        return command


class LazyGroup(click.Group):
    """A :class:`click.Group` whose ``lazy_commands`` are imported on first use."""

    def __init__(
        self, *args: Any, lazy_commands: Mapping[str, LazyCommand] | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.lazy_commands: dict[str, LazyCommand] = dict(lazy_commands or {})

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*self.commands, *self.lazy_commands})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands and cmd_name in self.lazy_commands:
            self.add_command(self.lazy_commands[cmd_name].load(), cmd_name)
        return self.commands.get(cmd_name)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """click's own layout, with the stored help of commands not imported yet."""
        shown: list[tuple[str, click.Command]] = []
        for name in self.list_commands(ctx):
            command = self.commands.get(name)
            if command is None:
                command = self.lazy_commands[name].placeholder(name)
            if not command.hidden:
                shown.append((name, command))
        if not shown:
            return
        limit = formatter.width - 6 - max(len(name) for name, _ in shown)
        with formatter.section("Commands"):
            formatter.write_dl([(name, command.get_short_help_str(limit)) for name, command in shown])
