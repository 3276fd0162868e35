"""Child process of the resume tests: runs ``qsm ARGS`` and SIGKILLs itself at a fixed point of the run.

``KILL_AT=recorded``: right after the run is recorded in the run store (the question is acknowledged),
before its graph stores anything. ``KILL_AT=input``: right after the graph stored its first checkpoint
(the run's input), before any step ran.

Usage: KILL_AT=<point> python kill_child.py --config CFG ask ...
"""

from __future__ import annotations

import os
import signal
import sys
from typing import Any

from langgraph.checkpoint.sqlite import SqliteSaver

from qsm.cli import main
from qsm.graph.checkpoint import RunStore


def _die() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


def _after(cls: type, name: str) -> None:
    original = getattr(cls, name)

    def wrapper(self: Any, *args: Any, **kwargs: Any) -> Any:
        out = original(self, *args, **kwargs)
        _die()
        return out

    setattr(cls, name, wrapper)


if __name__ == "__main__":
    point = os.environ["KILL_AT"]
    _after(*{"recorded": (RunStore, "start_thread"), "input": (SqliteSaver, "put")}[point])
    sys.argv = ["qsm", *sys.argv[1:]]
    main()
