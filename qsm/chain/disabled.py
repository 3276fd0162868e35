"""What :func:`~qsm.chain.ledger.open_ledger` returns when ``ledger.enabled`` is false."""

from __future__ import annotations

import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from qsm.chain.models import (
    BatchInfo,
    LedgerReceipt,
    LedgerStatus,
    OutputKind,
    ProofFile,
    TickReport,
    VerifyResult,
)
from qsm.chain.proofs import verify_proof
from qsm.chain.settings import LedgerSettings
from qsm.errors import LedgerError

__all__ = ["DisabledLedger"]


class DisabledLedger:
    """Records nothing (receipts say ``disabled``), anchors nothing, but can still verify proof files."""

    def __init__(self, settings: LedgerSettings, data_dir: Path) -> None:
        self.settings, self.data_dir = settings, Path(data_dir)

    anchor_messages = False

    def record(
        self,
        content_id: str,
        kind: OutputKind = "final_answer",
        content: Mapping[str, Any] | None = None,
        user: str | None = None,
    ) -> LedgerReceipt:
        return LedgerReceipt(
            content_id=content_id, kind=kind, recorded_at=time.time(), state="disabled", user=user
        )

    def receipt(self, content_id: str) -> LedgerReceipt | None:
        return None  # nothing is recorded

    def tick(self) -> TickReport:
        return TickReport(skipped="ledger disabled")

    def start_background(self, interval_s: float = 1.0) -> None:
        return None

    def stop_background(self) -> None:
        return None

    def anchor_now(self, timeout_s: float | None = None) -> list[BatchInfo]:
        raise LedgerError(
            "the ledger is disabled", hint="set ledger.enabled = true (QSM_LEDGER__ENABLED=true)"
        )

    def status(self) -> LedgerStatus:
        return LedgerStatus(
            backend=self.settings.backend,
            enabled=False,
            chain_id=None,
            contract=None,
            signer=None,
            outputs={},
            batches={},
            oldest_pending_age_s=None,
            last_error=None,
            recent=[],
        )

    def batches(self, limit: int = 50) -> list[BatchInfo]:
        return []

    def proof(self, content_id: str) -> ProofFile:
        raise LedgerError(
            f"the ledger is disabled, so {content_id} was not recorded", hint="set ledger.enabled = true"
        )

    def verify(self, proof: ProofFile) -> VerifyResult:
        rpc_url = self.settings.rpc_url if self.settings.backend == "rpc" else None
        return verify_proof(proof, rpc_url, self.data_dir, confirmations=self.settings.confirmations)

    def close(self) -> None:
        return None
