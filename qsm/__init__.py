"""qsm: a local-first team of four specialised language models (QSM, WeQ, SOM, Ref).

The scripting surface is small::

    from qsm import Workflow, Agent, Channel, run, stream, Conversation

Names are imported lazily so that ``import qsm.ids`` (used by every subpackage) stays cheap and free
of import cycles.
"""

from __future__ import annotations

import importlib
from typing import Any

__all__ = [
    "Agent",
    "Channel",
    "Conversation",
    "QsmError",
    "QsmSettings",
    "RunResult",
    "Workflow",
    "load_settings",
    "resume",
    "run",
    "stream",
]

__version__ = "0.1.0"

_LAZY = {
    "Agent": "qsm.graph",
    "Channel": "qsm.graph",
    "Conversation": "qsm.graph",
    "Workflow": "qsm.graph",
    "RunResult": "qsm.graph",
    "run": "qsm.graph",
    "stream": "qsm.graph",
    "resume": "qsm.graph",
    "QsmError": "qsm.errors",
    "QsmSettings": "qsm.settings",
    "load_settings": "qsm.settings",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'qsm' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)


def __dir__() -> list[str]:
    return sorted(__all__)
