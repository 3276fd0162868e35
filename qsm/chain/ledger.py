"""The real ledger: a durable outbox under ``<data_dir>/ledger`` anchored on the configured chain."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from qsm.chain import faults
from qsm.chain.disabled import DisabledLedger
from qsm.chain.models import (
    BatchInfo,
    LedgerReceipt,
    LedgerStatus,
    OutputKind,
    ProofFile,
    TickReport,
    VerifyResult,
    hex32,
)
from qsm.chain.outbox import Outbox
from qsm.chain.outbox_schema import OPEN_STATES, BatchRow, BatchState, OutputRow
from qsm.chain.proofs import build_proof, verify_proof
from qsm.chain.settings import LedgerSettings
from qsm.chain.worker import AnchorWorker
from qsm.errors import LedgerError
from qsm.filelock import ProcessLock

__all__ = ["DisabledLedger", "Ledger", "open_ledger"]

log = logging.getLogger(__name__)
_UNMINED: tuple[BatchState, ...] = ("sealed", "signed", "broadcast")
_LAST_ERROR = "last_error"
_MAX_BACKOFF_S = 60.0


def receipt_of(row: OutputRow) -> LedgerReceipt:
    return LedgerReceipt(
        content_id=row.content_id,
        kind=row.kind,
        leaf_hash=hex32(row.leaf),
        recorded_at=row.recorded_at,
        state=row.state,
        batch_id=row.batch_id,
        user=row.user,
    )


class Ledger:
    """Records outputs durably and anchors them in batches. Safe to share between threads; several
    processes may open the same data dir (one of them anchors at a time)."""

    def __init__(self, settings: LedgerSettings, data_dir: Path) -> None:
        self.settings = settings
        self.data_dir = Path(data_dir)
        self.dir = settings.ledger_dir(self.data_dir)
        self.outbox = Outbox(self.dir / "outbox.sqlite")
        self._worker = AnchorWorker(self.outbox, settings, self.dir)
        self._lock = ProcessLock(self.dir / "worker.lock")
        self._mutex = threading.RLock()
        self._last_chain_visit = 0.0
        self._retry_at = 0.0
        self._backoff_s = 0.0
        self._background: threading.Thread | None = None
        self._background_stop = threading.Event()
        self.last_error: str | None = None
        self.last_hint: str | None = None

    def __repr__(self) -> str:
        return f"Ledger({self.dir}, backend={self.settings.backend})"

    @property
    def anchor_messages(self) -> bool:
        return self.settings.anchor_messages

    def record(
        self,
        content_id: str,
        kind: OutputKind = "final_answer",
        content: Mapping[str, Any] | None = None,
        user: str | None = None,
    ) -> LedgerReceipt:
        row, new = self.outbox.record(content_id, kind, content, user)
        if new:
            faults.crash_point("recorded")
        return receipt_of(row)

    def receipt(self, content_id: str) -> LedgerReceipt | None:
        row = self.outbox.output(content_id)
        return receipt_of(row) if row is not None else None

    def tick(self) -> TickReport:
        if not self._mutex.acquire(blocking=False):
            return TickReport(skipped="another thread is ticking")
        try:
            return self._tick(time.time())
        finally:
            self._mutex.release()

    def _tick(self, now: float) -> TickReport:
        count, oldest = self.outbox.pending_summary()
        seal_due = count >= self.settings.batch_max_leaves or (
            oldest is not None and now - oldest >= self.settings.batch_max_age_s
        )
        if not seal_due and not self.outbox.batches(OPEN_STATES):
            return TickReport(skipped="idle")
        if now < self._retry_at:
            return TickReport(
                skipped=f"waiting {self._retry_at - now:.0f}s after an error",
                error=self.last_error,
                hint=self.last_hint,
            )
        if not seal_due and now - self._last_chain_visit < self.settings.poll_interval_s:
            return TickReport(skipped="polled recently")
        if not self._lock.acquire(0):
            return TickReport(skipped=f"process {self._lock.holder_pid()} is anchoring this data dir")
        sealed = []
        try:
            sealed = self._worker.seal_due(now)
            self._last_chain_visit = now
            advanced = self._worker.advance_all()
        except LedgerError as err:
            self._note_error(err)
            self._backoff_s = min(_MAX_BACKOFF_S, max(1.0, self._backoff_s * 2))
            self._retry_at = now + self._backoff_s
            return TickReport(sealed=len(sealed), error=err.message, hint=err.hint or None)
        finally:
            self._lock.release()
        self._clear_error()
        return TickReport(sealed=len(sealed), advanced=len(advanced))

    def start_background(self, interval_s: float = 1.0) -> None:
        """Tick every ``interval_s`` in a daemon thread (so chain I/O never blocks the caller's thread)."""
        if self._background is not None and self._background.is_alive():
            return
        stop = threading.Event()

        def loop() -> None:
            while not stop.wait(interval_s):
                try:
                    self.tick()
                except Exception:  # a bug or a broken disk: keep the thread, say what happened
                    log.exception("ledger: background tick failed")

        self._background_stop = stop
        self._background = threading.Thread(target=loop, name="qsm-ledger-ticker", daemon=True)
        self._background.start()

    def stop_background(self) -> None:
        if self._background is not None:
            self._background_stop.set()
            self._background.join(timeout=60)
            self._background = None

    def anchor_now(self, timeout_s: float | None = None) -> list[BatchInfo]:
        return self._anchoring(timeout_s, redeploy=False)

    def redeploy(self, timeout_s: float | None = None) -> list[BatchInfo]:
        """After the chain lost the registry this ledger deployed (a reset chain, or an older contract):
        deploy it again and anchor every batch recorded there again, until mined. The embedded chain does
        this by itself; on an RPC chain it costs gas, so it waits for this call (`qsm ledger redeploy`)."""
        return self._anchoring(timeout_s, redeploy=True)

    def _anchoring(self, timeout_s: float | None, *, redeploy: bool) -> list[BatchInfo]:
        timeout = timeout_s if timeout_s is not None else self.settings.anchor_timeout_s
        with self._mutex:
            if not self._lock.acquire(timeout_s=min(timeout, 30.0)):
                raise LedgerError(
                    f"process {self._lock.holder_pid()} is anchoring for {self.dir}",
                    hint="your outputs are queued and that process anchors them; or retry when it is done",
                )
            try:
                if redeploy and not self._worker.reanchor_lost(self._worker.session()):
                    raise LedgerError(
                        f"nothing to redeploy: chain {self._worker.session().chain_id} holds the registry of "
                        "every batch this ledger anchored there",
                        hint="`qsm ledger status` shows the batches; `qsm ledger anchor` anchors what is queued",
                    )
                return self._anchor_until_mined(timeout)
            except LedgerError as err:
                self._note_error(err)
                raise
            finally:
                self._lock.release()

    def _anchor_until_mined(self, timeout: float) -> list[BatchInfo]:
        touched = {b.id for b in self.outbox.batches(OPEN_STATES)}
        touched |= {b.id for b in self._worker.seal_all()}
        deadline = time.monotonic() + timeout
        while True:
            self._worker.advance_all()
            chain_id = self._worker.session().chain_id
            waiting = [b for b in self.outbox.batches(_UNMINED) if b.chain_id in (None, chain_id)]
            if not waiting:
                break
            if time.monotonic() > deadline:
                raise LedgerError(
                    f"{len(waiting)} batch(es) not mined within {timeout:.0f}s",
                    hint="they stay queued with their signed txs; `qsm ledger anchor` or later ticks finish them",
                )
            time.sleep(min(1.0, max(0.05, self.settings.poll_interval_s)))
        self._clear_error()
        return [self._info(self.outbox.batch(i)) for i in sorted(touched)]

    def _note_error(self, err: LedgerError) -> None:
        if err.message != self.last_error:
            log.warning("ledger: %s", err.message)
            self.outbox.set_meta(_LAST_ERROR, err.message)  # so that `qsm ledger status` elsewhere sees it
        self.last_error, self.last_hint = err.message, err.hint or None

    def _clear_error(self) -> None:
        if self.last_error is not None or self.outbox.meta(_LAST_ERROR) is not None:
            self.outbox.delete_meta(_LAST_ERROR)
        self.last_error = self.last_hint = None
        self._retry_at, self._backoff_s = 0.0, 0.0

    def status(self) -> LedgerStatus:
        counts = self.outbox.counts()
        count, oldest = self.outbox.pending_summary()
        recent = self.batches(limit=10)
        deploys = [b for b in self.outbox.batches(("mined", "final"), purpose="deploy")]
        contract = self.settings.contract_address or (deploys[-1].contract_address if deploys else None)
        latest = next((b for b in recent if b.chain_id is not None), None)
        return LedgerStatus(
            backend=self.settings.backend,
            enabled=self.settings.enabled,
            chain_id=latest.chain_id if latest else (deploys[-1].chain_id if deploys else None),
            contract=contract,
            signer=self.outbox.last_sender(),
            outputs=counts["outputs"],
            batches=counts["batches"],
            oldest_pending_age_s=(time.time() - oldest) if count and oldest else None,
            last_error=self.last_error
            or self.outbox.meta(_LAST_ERROR)
            or next((b.last_error for b in recent if b.last_error), None),
            recent=recent,
        )

    def batches(self, limit: int = 50) -> list[BatchInfo]:
        return [self._info(b) for b in self.outbox.batches(None, limit=limit)]

    def _info(self, batch: BatchRow) -> BatchInfo:
        return BatchInfo(
            batch_id=batch.id,
            state=batch.state,
            root=hex32(batch.root or b"\0" * 32),
            leaf_count=batch.leaf_count,
            sealed_at=batch.sealed_at,
            chain_id=batch.chain_id,
            contract=batch.contract_address,
            nonce=batch.nonce,
            tx_hash=hex32(batch.tx_hash) if batch.tx_hash else None,
            tx_hashes=[hex32(tx.tx_hash) for tx in self.outbox.txs(batch.id, live_only=False)],
            block_number=batch.block_number,
            finalized_block=batch.finalized_block,
            reorgs=batch.reorgs,
            last_error=batch.last_error,
        )

    def proof(self, content_id: str) -> ProofFile:
        return build_proof(self.outbox, content_id, self.settings.backend)

    def verify(self, proof: ProofFile) -> VerifyResult:
        rpc_url = self.settings.rpc_url if self.settings.backend == "rpc" else None
        return verify_proof(proof, rpc_url, self.data_dir, confirmations=self.settings.confirmations)

    def close(self) -> None:
        self.stop_background()
        with self._mutex:
            self._worker.close()
            self._lock.release()
            self.outbox.close()

    def __enter__(self) -> Ledger:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def open_ledger(settings: LedgerSettings, data_dir: Path) -> Ledger | DisabledLedger:
    """The ledger of ``data_dir`` (no chain connection is made until it is needed)."""
    if not settings.enabled:
        return DisabledLedger(settings, data_dir)
    return Ledger(settings, data_dir)
