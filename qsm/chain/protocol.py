"""The ledger as other packages see it (the graph records FinalAnswers; the UI shows and verifies)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol, runtime_checkable

from qsm.chain.models import (
    BatchInfo,
    LedgerReceipt,
    LedgerStatus,
    OutputKind,
    ProofFile,
    TickReport,
    VerifyResult,
)

__all__ = ["LedgerProtocol"]


@runtime_checkable
class LedgerProtocol(Protocol):
    """Implemented by :class:`~qsm.chain.ledger.Ledger` (real chain) and :class:`~qsm.chain.fake.FakeLedger`."""

    @property
    def anchor_messages(self) -> bool:
        """Whether channel messages are to be recorded too (``ledger.anchor_messages``)."""
        ...

    def record(
        self,
        content_id: str,
        kind: OutputKind = "final_answer",
        content: Mapping[str, Any] | None = None,
        user: str | None = None,
    ) -> LedgerReceipt:
        """Queue an output for anchoring; durable before it returns. Recording an id twice is a no-op.
        ``content`` is what the id covers (``Envelope.hashed_content()``): proofs then carry the output;
        ``user`` is the user whose run made it (the receipt carries it; an API shows a record only to them)."""
        ...

    def receipt(self, content_id: str) -> LedgerReceipt | None:
        """The record of ``content_id`` as it stands now (state, batch, user); None if it was never recorded."""
        ...

    def tick(self) -> TickReport:
        """Seal/sign/broadcast/poll as the batching policy says. Cheap when idle; never raises for chain
        trouble (it is reported in the result and in ``status().last_error``)."""
        ...

    def start_background(self, interval_s: float = 1.0) -> None:
        """Call ``tick`` every ``interval_s`` from a daemon thread, so chain I/O stays off the caller's thread."""
        ...

    def stop_background(self) -> None: ...

    def anchor_now(self, timeout_s: float | None = None) -> list[BatchInfo]:
        """Seal everything pending and push it until mined (or LedgerError)."""
        ...

    def status(self) -> LedgerStatus: ...

    def batches(self, limit: int = 50) -> list[BatchInfo]:
        """Newest first."""
        ...

    def proof(self, content_id: str) -> ProofFile: ...

    def verify(self, proof: ProofFile) -> VerifyResult:
        """Check a proof against this ledger's chain."""
        ...

    def close(self) -> None: ...
