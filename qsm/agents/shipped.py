"""The role adapters that ship with qsm: one LoRA GGUF per role, trained on the bundled base.

A fresh install serves each of QSM, WeQ, SOM and Ref with its shipped adapter on the shared bundled
SmolLM2-135M-Instruct. :func:`resolve_adapter` is the one rule for which adapter an agent runs, used by the
model pool, ``qsm agents`` and the app's Settings page:

1. ``model.adapter`` set: that file (custom), on whatever base the agent runs.
2. otherwise, on the llama backend with the bundled base and ``model.shipped_adapter`` on: the shipped
   adapter of the agent's role (its name, or the role named by ``shipped_adapter``).
3. otherwise none: an adapter trained for the bundled base is never applied to another GGUF.
"""

from __future__ import annotations

import importlib.resources
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from qsm.agents.locate import bundled_model_path
from qsm.agents.settings import ModelSettings
from qsm.errors import ModelNotFoundError

__all__ = [
    "ADAPTER_FILE",
    "SHIPPED_ROLES",
    "AdapterChoice",
    "AdapterSource",
    "resolve_adapter",
    "shipped_adapter_path",
    "shipped_dir",
]

SHIPPED_ROLES = ("QSM", "WeQ", "SOM", "Ref")
AdapterSource = Literal["shipped", "custom", "none"]
ADAPTER_FILE = "adapter.gguf"


@dataclass(frozen=True)
class AdapterChoice:
    """Which adapter an agent runs: ``source`` shipped / custom / none, its ``path``, and why."""

    source: AdapterSource
    path: Path | None
    reason: str

    def describe(self) -> str:
        return f"{self.source}: {self.path}" if self.path else f"none ({self.reason})"


def shipped_dir() -> Path:
    """``qsm/adapters``: one folder per role with ``adapter.gguf`` and its ``CARD.md``."""
    return Path(str(importlib.resources.files("qsm"))) / "adapters"


def shipped_adapter_path(role: str) -> Path | None:
    """The shipped adapter file of ``role`` (case-insensitive), or None if there is none."""
    match = next((r for r in SHIPPED_ROLES if r.lower() == role.lower()), None)
    if match is None:
        return None
    path = shipped_dir() / match.lower() / ADAPTER_FILE
    return path if path.is_file() else None


def resolve_adapter(agent: str, model: ModelSettings) -> AdapterChoice:
    """The adapter ``agent`` runs with ``model`` (see the module docstring for the rule)."""
    if model.adapter is not None:
        return AdapterChoice(
            "custom", Path(os.path.expandvars(str(model.adapter))).expanduser(), "model.adapter"
        )
    if model.backend != "llama":
        return AdapterChoice("none", None, f"the {model.backend} backend serves its own weights")
    if model.shipped_adapter is False:
        return AdapterChoice("none", None, "shipped adapters are off (model.shipped_adapter = false)")
    role = agent if model.shipped_adapter is True else model.shipped_adapter
    if not any(r.lower() == role.lower() for r in SHIPPED_ROLES):
        return AdapterChoice("none", None, f"no shipped adapter for {role!r} (set shipped_adapter to a role)")
    if model.path is not None and not _is_bundled(model.path):
        return AdapterChoice("none", None, "the base is not the bundled model the adapters were trained on")
    path = shipped_adapter_path(role)
    if path is None:
        return AdapterChoice("none", None, f"the shipped {role} adapter is not installed")
    return AdapterChoice("shipped", path, f"trained for {role} on the bundled base")


def _is_bundled(path: Path) -> bool:
    given = Path(os.path.expandvars(str(path))).expanduser()
    try:
        return given.resolve() == bundled_model_path().resolve()
    except (ModelNotFoundError, OSError):
        return False
