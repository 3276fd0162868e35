"""What every CLI command gets: the loaded settings and a helper to report errors uniformly."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

if TYPE_CHECKING:
    from qsm.settings import QsmSettings

__all__ = ["CliContext", "pass_cli"]


@dataclass
class CliContext:
    config: Path | None
    overrides: dict[str, Any]
    _settings: QsmSettings | None = None

    @property
    def settings(self) -> QsmSettings:
        """Loaded on first use so that `qsm --help` never touches config files."""
        if self._settings is None:
            from qsm.settings import load_settings  # pydantic-settings: only for commands that need it

            self._settings = load_settings(self.config, self.overrides)
        return self._settings


pass_cli = click.make_pass_decorator(CliContext)
