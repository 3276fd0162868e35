"""The anchoring worker: moves outbox batches through sign -> broadcast -> mined -> final.

It never signs blindly: a batch gets a new nonce only when it is ``sealed`` (never signed, or its nonce was
provably used by someone else, or its tx reverted). Whenever the node answers 'already known', 'nonce too
low' or 'replacement transaction underpriced', the worker looks up the receipts of *every* tx hash recorded
for that batch. It resumes from whatever state it finds after a crash: a stored raw tx is simply sent
again. Call it holding the data dir's worker lock (``ledger/worker.lock``, a
:class:`qsm.filelock.ProcessLock`).

``python -m qsm.chain [--data-dir DIR] [--interval S]`` runs it as a standalone loop.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path

from qsm.chain import faults
from qsm.chain.adopt import existing_anchor
from qsm.chain.client import ChainClient, Receipt
from qsm.chain.contract import load_artifact
from qsm.chain.embedded import EmbeddedChain
from qsm.chain.finality import final_block
from qsm.chain.outbox import Outbox
from qsm.chain.outbox_schema import OPEN_STATES, BatchRow
from qsm.chain.session import ChainSession, open_client, open_session
from qsm.chain.settings import LedgerSettings
from qsm.chain.steps import TxSteps
from qsm.errors import LedgerError

__all__ = ["AnchorWorker"]

log = logging.getLogger(__name__)


class AnchorWorker(TxSteps):
    """Drives the outbox against one chain. Not thread-safe; the Ledger serialises calls."""

    def __init__(self, outbox: Outbox, settings: LedgerSettings, ledger_dir: Path) -> None:
        super().__init__()
        self.outbox = outbox
        self.settings = settings
        self.ledger_dir = ledger_dir
        self._client: ChainClient | None = None
        self._session: ChainSession | None = None
        self._checked_registries: set[str] = set()
        self._warned_no_finalized = False

    def close(self) -> None:
        if isinstance(self._client, EmbeddedChain):
            self._client.close()
        self._client = self._session = None

    def session(self) -> ChainSession:
        """The connected chain (opened on first use; a failed attempt is retried on the next call)."""
        if self._session is None:
            if self._client is None:
                self._client = open_client(self.settings, self.ledger_dir)
            self._session = open_session(self.settings, self.ledger_dir, self._client)
        return self._session

    # -- sealing -------------------------------------------------------------------------------
    def seal_due(self, now: float) -> list[BatchRow]:
        """Seal batches as the policy says (size or age), keeping at most ``max_open_batches`` unmined."""
        sealed: list[BatchRow] = []
        while len(self.outbox.batches(("sealed", "signed", "broadcast"))) < self.settings.max_open_batches:
            count, oldest = self.outbox.pending_summary()
            old_enough = oldest is not None and now - oldest >= self.settings.batch_max_age_s
            if count == 0 or (count < self.settings.batch_max_leaves and not old_enough):
                break
            sealed.append(self._seal())
        return sealed

    def seal_all(self) -> list[BatchRow]:
        """Seal every pending output now (in batches of at most ``batch_max_leaves``)."""
        sealed: list[BatchRow] = []
        while self.outbox.pending_summary()[0]:
            sealed.append(self._seal())
        return sealed

    def _seal(self) -> BatchRow:
        batch = self.outbox.seal(self.settings.batch_max_leaves)
        assert batch is not None
        faults.crash_point("sealed")
        return batch

    # -- advancing -----------------------------------------------------------------------------
    def advance_all(self) -> list[BatchRow]:
        """Push every open batch of the connected chain as far as it can go now."""
        session = self.session()
        if isinstance(session.client, EmbeddedChain):
            session.client.sync()
        registry = self._registry(session)
        if registry is None:
            return []
        out = []
        for batch in self.outbox.batches(OPEN_STATES):
            if batch.chain_id in (None, session.chain_id):
                out.append(self._advance_guarded(session, batch, registry))
        return out

    def _advance_guarded(self, session: ChainSession, batch: BatchRow, registry: str | None) -> BatchRow:
        try:
            advanced = self._advance(session, batch, registry)
        except LedgerError as err:
            self.outbox.set_error(batch.id, err.message)
            raise
        if advanced.state != batch.state and advanced.last_error:  # progress clears an old error
            self.outbox.set_error(batch.id, None)
            advanced = self.outbox.batch(batch.id)
        return advanced

    def _advance(self, session: ChainSession, batch: BatchRow, registry: str | None) -> BatchRow:
        if batch.state == "sealed":
            batch = self._sign(session, batch, registry)
        if batch.state == "signed":
            batch = self._send(session, batch, self.outbox.txs(batch.id)[-1])
        if batch.state in ("signed", "broadcast", "mined"):
            batch = self._check(session, batch)
        return batch

    def _registry(self, session: ChainSession) -> str | None:
        """The AnchorRegistry address on this chain; deploys it (as an outbox job) when none is known."""
        if self.settings.contract_address:
            return self._checked(session, self.settings.contract_address)
        deploys = [
            b for b in self.outbox.batches(None, purpose="deploy") if b.chain_id in (None, session.chain_id)
        ]
        live = [b for b in deploys if b.state != "failed"]
        if not live and deploys:  # never burn fees on endless redeploys: a person has to look
            raise LedgerError(
                f"deploying the AnchorRegistry on chain {session.chain_id} failed: {deploys[-1].last_error}",
                hint="set ledger.contract_address to a deployed registry (or check the chain and account)",
            )
        deploy = live[0] if live else self.outbox.create_deploy()
        if deploy.state != "final":
            deploy = self._advance_guarded(session, deploy, None)
        if deploy.state in ("mined", "final") and deploy.contract_address:
            return self._checked(session, deploy.contract_address)
        return None

    def _checked(self, session: ChainSession, address: str) -> str:
        if address not in self._checked_registries:
            if session.client.code(address) != load_artifact().deployed_bytecode:
                raise LedgerError(
                    f"no AnchorRegistry at {address} on chain {session.chain_id} (the chain was reset?)",
                    hint="set ledger.contract_address to a deployed registry, or leave it empty to deploy one",
                )
            self._checked_registries.add(address)
        return address

    def _check_adopted(self, client: ChainClient, batch: BatchRow) -> BatchRow:
        assert batch.root is not None and batch.contract_address is not None
        found = existing_anchor(client, batch.contract_address, batch.root)
        if found is None:
            log.warning("batch %s: the anchor it adopted was reorganised away", batch.id)
            return self.outbox.transition(batch.id, "unadopt", "adopted anchor vanished")
        if found.block_hash != batch.block_hash:
            batch = self._mined(
                batch, found.tx_hash, found.block_number, found.block_hash, batch.contract_address
            )
        return self._maybe_finalize(client, batch)

    def _mined(
        self, batch: BatchRow, tx_hash: bytes, block_number: int, block_hash: bytes, contract: str | None
    ) -> BatchRow:
        batch = self.outbox.transition(
            batch.id,
            "mine",
            tx_hash=tx_hash,
            block_number=block_number,
            block_hash=block_hash,
            contract_address=contract,
        )
        faults.crash_point("mined")
        return batch

    # -- receipts, reorgs, finality ------------------------------------------------------------
    def _find_receipt(self, client: ChainClient, batch: BatchRow) -> Receipt | None:
        for tx in reversed(self.outbox.txs(batch.id)):
            if (receipt := client.receipt(tx.tx_hash)) is not None:
                return receipt
        return None

    def _check(self, session: ChainSession, batch: BatchRow) -> BatchRow:
        client = session.client
        txs = self.outbox.txs(batch.id)
        if not txs:  # mined without a tx of ours: an adopted anchor
            return self._check_adopted(client, batch)
        receipt = self._find_receipt(client, batch)
        if receipt is not None:
            if receipt.status != 1:
                return self._reverted(batch, receipt)
            if batch.state != "mined" or batch.block_hash != receipt.block_hash:
                contract = receipt.contract_address if batch.purpose == "deploy" else batch.contract_address
                batch = self._mined(
                    batch, receipt.tx_hash, receipt.block_number, receipt.block_hash, contract
                )
            return self._maybe_finalize(client, batch)
        if batch.state == "mined":
            batch = self.outbox.transition(
                batch.id, "reorg", reorgs=batch.reorgs + 1, note="receipt vanished"
            )
            log.warning("batch %s: its block was reorganised away; sending its tx again", batch.id)
            faults.crash_point("reorged")
            return self._send(session, batch, txs[-1])
        if self._nonce_used_elsewhere(client, batch):
            log.warning("batch %s: nonce %s was used by another tx; signing again", batch.id, batch.nonce)
            return self.outbox.drop_txs(batch.id, "orphan")
        now, fee = time.time(), self.settings.fees
        last = txs[-1]
        if (
            last.sent_at is not None
            and now - last.signed_at >= fee.bump_after_s
            and len(txs) <= fee.max_bumps
        ):
            return self._bump(session, batch, last)
        # after a restart the node may have lost it (restarted, pool evicted): send once right away
        if (
            batch.id not in self._sent_this_session
            or last.sent_at is None
            or now - last.sent_at >= fee.rebroadcast_after_s
        ):
            return self._send(session, batch, last)
        return batch

    def _nonce_used_elsewhere(self, client: ChainClient, batch: BatchRow) -> bool:
        """True if the account's nonce *at the finalized block* is past this batch's nonce and still none of
        the batch's hashes has a receipt: then a foreign tx took the nonce for good."""
        assert batch.sender is not None and batch.nonce is not None
        if client.nonce(batch.sender, "latest") <= batch.nonce:
            return False
        final_block = self._final_block(client)
        if final_block is None or client.nonce(batch.sender, final_block) <= batch.nonce:
            return False
        return self._find_receipt(client, batch) is None

    def _final_block(self, client: ChainClient) -> int | None:
        block, tagged = final_block(client, self.settings.finality, self.settings.confirmations)
        if not tagged and self.settings.finality == "finalized" and not self._warned_no_finalized:
            log.warning(
                "%s has no 'finalized' tag; using %d confirmations", client.label, self.settings.confirmations
            )
            self._warned_no_finalized = True
        return block

    def _maybe_finalize(self, client: ChainClient, batch: BatchRow) -> BatchRow:
        assert batch.block_number is not None
        final_block = self._final_block(client)
        if final_block is None or final_block < batch.block_number:
            return batch
        if client.block_hash(batch.block_number) != batch.block_hash:
            return batch  # reorg in progress: the next check sees the new receipt (or none)
        batch = self.outbox.transition(batch.id, "finalize", finalized_block=final_block)
        faults.crash_point("final")
        return batch
