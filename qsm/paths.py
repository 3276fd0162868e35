"""Where qsm keeps its files: one data directory per user (or per ``--data-dir``/``QSM_DATA_DIR``)."""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["default_data_dir"]


def default_data_dir() -> Path:
    """``$QSM_DATA_DIR``, else ``$XDG_DATA_HOME/qsm``, else ``~/.local/share/qsm``."""
    if explicit := os.environ.get("QSM_DATA_DIR"):
        return Path(explicit).expanduser()
    base = os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share"
    return Path(base).expanduser() / "qsm"
