"""Tools the tests allow by import path, and tools that misbehave."""

from __future__ import annotations

import time


def shout(text: str) -> str:
    """Say ``text`` in capitals.

    Args:
        text: what to say.
    """
    return text.upper()


def boom(x: int) -> int:
    """Always fails."""
    raise RuntimeError(f"boom {x}")


def hang(seconds: float) -> str:
    """Sleeps far past any time limit."""
    time.sleep(seconds)
    return "woke up"


def junk() -> object:
    """Returns something that is not JSON."""
    return object()


def flood() -> str:
    """Returns far too much text."""
    return "x" * 50_000
