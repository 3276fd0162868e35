"""Building and signing the two transactions the ledger sends: deploy the registry, anchor a root."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from qsm.chain.contract import anchor_calldata, load_artifact
from qsm.chain.fees import Fees
from qsm.chain.outbox_schema import BatchRow
from qsm.chain.session import ChainSession

if TYPE_CHECKING:
    from web3.types import TxParams

__all__ = ["signed_tx", "tx_fields"]


def tx_fields(batch: BatchRow, registry: str | None) -> TxParams:
    """``to``/``data`` of a batch's transaction (a deploy has no ``to``)."""
    if batch.purpose == "deploy":
        return {"data": load_artifact().bytecode}
    if batch.root is None or registry is None:
        raise ValueError(f"batch {batch.id} has no root or no registry to anchor it in")
    return {"to": registry, "data": anchor_calldata(batch.root, batch.id, batch.leaf_count)}


def signed_tx(session: ChainSession, fields: TxParams, nonce: int, gas: int, fees: Fees) -> dict[str, Any]:
    """Sign an EIP-1559 transaction; returns the outbox ``txs`` row values (raw bytes and hash included)."""
    tx = {
        "type": 2,
        "chainId": session.chain_id,
        "nonce": nonce,
        "value": 0,
        "gas": gas,
        "maxFeePerGas": fees.max_fee,
        "maxPriorityFeePerGas": fees.priority_fee,
        **fields,
    }
    raw, tx_hash = session.signer.sign(tx)
    return {
        "chain_id": session.chain_id,
        "sender": session.signer.address,
        "nonce": nonce,
        "tx_hash": tx_hash,
        "raw": raw,
        "gas": gas,
        "max_fee": fees.max_fee,
        "priority_fee": fees.priority_fee,
    }
