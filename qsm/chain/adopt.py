"""Anchors made by someone else: a root copied from our pending tx can be anchored first by another
account. That anchor proves the same thing, so the ledger adopts it instead of sending a tx that would
revert (and drops it again if a reorg removes it)."""

from __future__ import annotations

from dataclasses import dataclass

from qsm.chain.client import ChainClient
from qsm.chain.contract import ANCHORED_TOPIC, anchor_of_calldata, decode_anchor_of, decode_anchored_log
from qsm.errors import LedgerError

__all__ = ["ExistingAnchor", "existing_anchor"]


@dataclass(frozen=True)
class ExistingAnchor:
    submitter: str
    tx_hash: bytes
    block_number: int
    block_hash: bytes
    batch_id: int  # as the submitter numbered it (the event's batchId)


def existing_anchor(client: ChainClient, registry: str, root: bytes) -> ExistingAnchor | None:
    """Where ``root`` is anchored in the registry now (any submitter), or None."""
    record = decode_anchor_of(root, client.call(registry, anchor_of_calldata(root)))
    if not record.exists:
        return None
    logs = client.get_logs(registry, [ANCHORED_TOPIC, root], record.block_number, record.block_number)
    if not logs:
        raise LedgerError(
            f"root 0x{root.hex()} is anchored in block {record.block_number} but the node returns no event for it",
            hint="the node may prune logs; retry later or use a node that keeps them",
        )
    event = logs[0]
    decoded = decode_anchored_log(event)
    return ExistingAnchor(
        submitter=record.submitter,
        tx_hash=bytes(event["transactionHash"]),
        block_number=int(event["blockNumber"]),
        block_hash=bytes(event["blockHash"]),
        batch_id=decoded.batch_id if decoded is not None and decoded.batch_id is not None else 0,
    )
