"""When is a block final: the chain's ``finalized`` tag, or N confirmations where there is no such tag."""

from __future__ import annotations

from qsm.chain.client import ChainClient, UnsupportedTag
from qsm.chain.settings import Finality

__all__ = ["final_block"]


def final_block(client: ChainClient, finality: Finality, confirmations: int) -> tuple[int | None, bool]:
    """``(highest final block number or None if no block is final yet, whether the finalized tag was used)``.

    With ``finality="finalized"`` the node's ``finalized`` block is used if it has the tag (anvil, geth,
    eth-tester, public Sepolia nodes do); otherwise, and with ``"confirmations"``, a block is final once
    ``confirmations`` blocks (itself included) are on top of the chain.
    """
    if finality == "finalized":
        try:
            return client.block_number("finalized"), True  # None: the node has finalized nothing yet
        except UnsupportedTag:
            pass
    latest = client.block_number("latest")
    block = (latest or 0) - confirmations + 1
    return (block if block >= 0 else None), False
