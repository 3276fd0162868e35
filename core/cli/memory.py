"""`qsm memory ...` (filled in by the memory work)."""

from __future__ import annotations

import click

__all__ = ["memory_group"]


@click.group("memory")
def memory_group() -> None:
    """Browse and fill the dynamic-directory memory."""
