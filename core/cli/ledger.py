"""`qsm ledger ...` (filled in by the ledger work)."""

from __future__ import annotations

import click

__all__ = ["ledger_group"]


@click.group("ledger")
def ledger_group() -> None:
    """Anchor outputs on an Ethereum chain and verify proofs."""
