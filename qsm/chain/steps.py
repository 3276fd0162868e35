"""Signing, sending, fee bumps and adopting anchors: the transaction steps of the anchoring worker."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from qsm.chain import faults
from qsm.chain.adopt import existing_anchor
from qsm.chain.client import ChainClient, Receipt, SendOutcome
from qsm.chain.fees import Fees, bumped_fees, initial_fees
from qsm.chain.outbox import MAX_REVERTS, Outbox
from qsm.chain.outbox_schema import BatchRow, TxRow
from qsm.chain.session import ChainSession
from qsm.chain.settings import LedgerSettings
from qsm.chain.txbuild import signed_tx, tx_fields
from qsm.errors import LedgerError

if TYPE_CHECKING:
    from web3.types import TxParams

__all__ = ["TxSteps"]

log = logging.getLogger("qsm.chain.worker")


class TxSteps:
    """Base of :class:`~qsm.chain.worker.AnchorWorker`: every step that creates or sends a transaction,
    each ending in one outbox transition (and a crash point right after it)."""

    outbox: Outbox
    settings: LedgerSettings

    def __init__(self) -> None:
        self._gas_limits: dict[str, int] = {}
        self._sent_this_session: set[int] = set()  # batches whose tx this process has sent at least once

    # -- signing and sending -------------------------------------------------------------------
    def _sign(self, session: ChainSession, batch: BatchRow, registry: str | None) -> BatchRow:
        client, sender = session.client, session.signer.address
        fields = tx_fields(batch, registry)
        if registry is not None and (adopted := self._adopt(session, batch, registry)) is not None:
            return adopted
        nonce = max(client.nonce(sender, "pending"), self.outbox.next_nonce(session.chain_id, sender) or 0)
        fees = initial_fees(client, self.settings.fees)
        gas = self._gas_limit(client, batch.purpose, {"from": sender, **fields})
        balance = client.balance(sender)
        if balance < gas * fees.max_fee:
            raise LedgerError(
                f"the ledger account {sender} has {balance / 1e18:.6f} ETH on chain {session.chain_id}; "
                f"anchoring needs up to {gas * fees.max_fee / 1e18:.6f}",
                hint="send it some ETH (testnet faucet for Sepolia); queued outputs anchor once it is funded",
            )
        tx = signed_tx(session, fields, nonce, gas, fees)
        batch = self.outbox.store_signed(
            batch.id,
            "sign",
            tx,
            chain_id=session.chain_id,
            sender=sender,
            nonce=nonce,
            contract_address=registry,
        )
        faults.crash_point("signed")
        return batch

    def _gas_limit(self, client: ChainClient, purpose: str, tx: TxParams) -> int:
        """Estimated once per purpose and session (an anchor writes one new storage slot, so it costs the
        same for every root, first or not), with a 25 % margin."""
        if purpose not in self._gas_limits:
            self._gas_limits[purpose] = int(client.estimate_gas(tx) * 1.25) + 10_000
        return self._gas_limits[purpose]

    def _adopt(self, session: ChainSession, batch: BatchRow, registry: str) -> BatchRow | None:
        assert batch.root is not None
        found = existing_anchor(session.client, registry, batch.root)
        if found is None:
            return None
        note = f"root already anchored by {found.submitter} in block {found.block_number}"
        log.warning("batch %s: %s; adopting that anchor", batch.id, note)
        batch = self.outbox.transition(
            batch.id,
            "adopt",
            note,
            chain_id=session.chain_id,
            sender=found.submitter,
            contract_address=registry,
            tx_hash=found.tx_hash,
            block_number=found.block_number,
            block_hash=found.block_hash,
            event_batch_id=found.batch_id,
        )
        faults.crash_point("mined")
        return batch

    def _send(self, session: ChainSession, batch: BatchRow, tx: TxRow) -> BatchRow:
        outcome = session.client.send_raw(tx.raw)
        self._sent_this_session.add(batch.id)
        faults.crash_point("sent")
        if outcome is not SendOutcome.ACCEPTED:
            log.info(
                "batch %s: node says %s for %s; checking receipts", batch.id, outcome.value, tx.tx_hash.hex()
            )
        batch = self.outbox.mark_sent(tx.id, batch.id)
        faults.crash_point("broadcast")
        return batch

    def _bump(self, session: ChainSession, batch: BatchRow, last: TxRow) -> BatchRow:
        fees = bumped_fees(session.client, self.settings.fees, Fees(last.max_fee, last.priority_fee))
        if fees is None:
            self.outbox.set_error(batch.id, "fee bump would pass ledger.fees.max_fee_gwei; waiting")
            return self.outbox.batch(batch.id)
        registry = batch.contract_address
        tx = signed_tx(session, tx_fields(batch, registry), last.nonce, last.gas, fees)
        batch = self.outbox.store_signed(batch.id, "bump", tx)
        faults.crash_point("bumped")
        log.info("batch %s: fee bump to %.3f gwei (nonce %s)", batch.id, fees.max_fee / 1e9, last.nonce)
        return self._send(session, batch, self.outbox.txs(batch.id)[-1])

    def _reverted(self, batch: BatchRow, receipt: Receipt) -> BatchRow:
        self._gas_limits.pop(batch.purpose, None)  # estimate again: the chain's costs may have changed
        reverts = batch.reverts + 1
        event = "fail" if reverts >= MAX_REVERTS else "revert"
        note = f"tx 0x{receipt.tx_hash.hex()} reverted in block {receipt.block_number}"
        log.warning("batch %s: %s", batch.id, note)
        return self.outbox.drop_txs(batch.id, event, state="reverted", reverts=reverts, last_error=note)
