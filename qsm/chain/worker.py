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
from typing import Any

from qsm.chain import faults
from qsm.chain.adopt import existing_anchor
from qsm.chain.client import ChainClient, Receipt
from qsm.chain.contract import anchor_of_calldata, decode_anchor_of, load_artifact
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
        self._reconciled: set[str] = set()
        self._warned_no_finalized = False

    def close(self) -> None:
        if isinstance(self._client, EmbeddedChain):
            self._client.close()
        self._client = self._session = None
        self._checked_registries.clear()
        self._reconciled.clear()

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
        """The AnchorRegistry address on this chain; deploys it (as an outbox job) when none is known.

        When the chain no longer has the registry the ledger deployed (the embedded chain's file was
        deleted or replaced, or it holds an older version of the contract), the embedded chain is
        recovered at once: the deploy and every batch anchored there go back to ``sealed`` and are
        deployed and anchored again. On an RPC chain that costs fees, so a person decides
        (`qsm ledger redeploy`)."""
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
        lost = (
            deploy.state in ("mined", "final")
            and deploy.contract_address is not None
            and not self._present(session, deploy.contract_address)
        )
        if lost:
            if not isinstance(session.client, EmbeddedChain):
                raise _registry_gone(session, str(deploy.contract_address), self.outbox)
            self.reanchor_lost(session)
            deploy = self.outbox.batch(deploy.id)
        if deploy.state != "final":
            deploy = self._advance_guarded(session, deploy, None)
        if deploy.state in ("mined", "final") and deploy.contract_address:
            address = self._checked(session, deploy.contract_address)
            if isinstance(session.client, EmbeddedChain) and address not in self._reconciled:
                self._reconcile(session, address)
            return address
        return None

    def _present(self, session: ChainSession, address: str) -> bool:
        """Whether ``address`` holds this version's AnchorRegistry on the session's chain."""
        if address in self._checked_registries:
            return True
        if session.client.code(address) != load_artifact().deployed_bytecode:
            return False
        self._checked_registries.add(address)
        return True

    def _checked(self, session: ChainSession, address: str) -> str:
        if not self._present(session, address):
            raise LedgerError(
                f"ledger.contract_address {address} holds no AnchorRegistry of this qsm version on chain "
                f"{session.chain_id} (the chain was reset, or it is an older version of the contract)",
                hint="point ledger.contract_address at a current registry on this chain, or unset it so that "
                "the ledger deploys its own (then run `qsm ledger redeploy` to anchor earlier batches there)",
            )
        return address

    def reanchor_lost(self, session: ChainSession) -> list[BatchRow]:
        """Send every batch (and deploy) whose registry this chain lacks back to ``sealed``; returns them.
        ``ledger.contract_address``, when set, is never touched."""
        batches = [
            b
            for b in self.outbox.batches(("signed", "broadcast", "mined", "final"), purpose=None)
            if b.chain_id == session.chain_id and b.contract_address is not None
        ]
        lost = {a for a in {b.contract_address for b in batches} if a and not self._present(session, a)}
        lost.discard(self.settings.contract_address or "")
        moved = []
        for batch in batches:
            if batch.contract_address in lost:
                note = f"chain {session.chain_id} has no AnchorRegistry at {batch.contract_address} any more"
                moved.append(self.outbox.reanchor(batch.id, note))
        if moved:
            log.warning(
                "ledger: chain %s lost the registry %s; deploying it again and re-anchoring %d batch(es)",
                session.chain_id,
                ", ".join(sorted(lost)),
                sum(b.purpose == "anchor" for b in moved),
            )
        return moved

    def _reconcile(self, session: ChainSession, registry: str) -> None:
        """Embedded chain, once per session: if the newest anchor the outbox knows is not in the registry
        (the chain file was replaced by another or an older one), anchor every missing batch again."""
        self._reconciled.add(registry)
        anchored = [
            b
            for b in self.outbox.batches(("mined", "final"))
            if b.chain_id == session.chain_id and b.contract_address == registry
        ]
        if not anchored or self._on_chain(session, registry, anchored[-1]):
            return
        missing = [b for b in anchored if not self._on_chain(session, registry, b)]
        for batch in missing:
            self.outbox.reanchor(batch.id, f"its root is not in the registry at {registry} (chain replaced?)")
        log.warning(
            "ledger: %d anchored batch(es) are missing from the embedded chain; re-anchoring", len(missing)
        )

    @staticmethod
    def _on_chain(session: ChainSession, registry: str, batch: BatchRow) -> bool:
        assert batch.root is not None
        record = decode_anchor_of(batch.root, session.client.call(registry, anchor_of_calldata(batch.root)))
        return record.exists and record.block_number == batch.block_number

    def _check_adopted(self, client: ChainClient, batch: BatchRow) -> BatchRow:
        assert batch.root is not None and batch.contract_address is not None
        found = existing_anchor(client, batch.contract_address, batch.root)
        if found is None:
            log.warning("batch %s: the anchor it adopted was reorganised away", batch.id)
            return self.outbox.transition(batch.id, "unadopt", "adopted anchor vanished", event_batch_id=None)
        if found.block_hash != batch.block_hash:
            batch = self._mined(
                batch,
                found.tx_hash,
                found.block_number,
                found.block_hash,
                batch.contract_address,
                event_batch_id=found.batch_id,
            )
        return self._maybe_finalize(client, batch)

    def _mined(
        self,
        batch: BatchRow,
        tx_hash: bytes,
        block_number: int,
        block_hash: bytes,
        contract: str | None,
        **extra: Any,
    ) -> BatchRow:
        batch = self.outbox.transition(
            batch.id,
            "mine",
            tx_hash=tx_hash,
            block_number=block_number,
            block_hash=block_hash,
            contract_address=contract,
            **extra,
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


def _registry_gone(session: ChainSession, address: str, outbox: Outbox) -> LedgerError:
    count = sum(
        1
        for b in outbox.batches(("signed", "broadcast", "mined", "final"))
        if b.chain_id == session.chain_id and b.contract_address == address
    )
    return LedgerError(
        f"chain {session.chain_id} has no AnchorRegistry of this qsm version at {address}, where this ledger "
        "deployed it (the chain was reset, the node is another chain with the same id, or the registry is an "
        "older version of the contract)",
        hint=f"run `qsm ledger redeploy` to deploy a new registry on this chain and anchor the {count} "
        "batch(es) recorded there again (this costs gas); or point ledger.rpc_url back at the node that has it",
    )
