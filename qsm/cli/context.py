"""What every CLI command gets: the loaded settings and a helper to report errors uniformly."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click

from qsm.settings import QsmSettings, load_settings

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
            self._settings = load_settings(self.config, self.overrides)
        return self._settings


pass_cli = click.make_pass_decorator(CliContext)
