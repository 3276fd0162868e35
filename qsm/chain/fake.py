"""An in-memory ledger with the same surface as :class:`~qsm.chain.ledger.Ledger`, for other packages' tests.

Merkle trees and proofs are real; the "chain" is a counter of blocks. Set ``fail_with`` to make the chain
side fail (``tick`` reports it, ``anchor_now`` raises it) and ``finality_lag`` to keep anchors unfinal
until :meth:`FakeLedger.mine` has advanced that many blocks.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from eth_hash.auto import keccak

from qsm.chain.merkle import MerkleTree, leaf_hash
from qsm.chain.models import (
    AnchorInfo,
    BatchInfo,
    LeafValue,
    LedgerReceipt,
    LedgerStatus,
    OutputKind,
    ProofFile,
    TickReport,
    VerifyResult,
    VerifyStatus,
    hex32,
)
from qsm.chain.proofs import proof_problem
from qsm.errors import LedgerError
from qsm.ids import content_id as make_content_id
from qsm.ids import digest_of, is_content_id

__all__ = ["FakeLedger"]

_FAKE_CHAIN_ID = 1_337_000
_FAKE_CONTRACT = "0x" + "00" * 19 + "01"
_FAKE_SUBMITTER = "0x" + "00" * 19 + "02"


@dataclass
class _Output:
    content_id: str
    kind: OutputKind
    salt: bytes
    recorded_at: float
    batch_id: int | None = None
    content: dict[str, Any] | None = None
    user: str | None = None


@dataclass
class _Batch:
    id: int
    members: list[str]
    tree: MerkleTree
    sealed_at: float
    block: int | None = None
    reorgs: int = 0
    tx_hashes: list[str] = field(default_factory=list)


class FakeLedger:
    """In-memory :class:`~qsm.chain.protocol.LedgerProtocol` implementation."""

    def __init__(
        self,
        batch_max_leaves: int = 256,
        batch_max_age_s: float = 0.0,
        finality_lag: int = 0,
        anchor_messages: bool = False,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.batch_max_leaves, self.batch_max_age_s = batch_max_leaves, batch_max_age_s
        self.finality_lag, self.clock = finality_lag, clock
        self._anchor_messages = anchor_messages
        self.fail_with: LedgerError | None = None
        self.block = 0
        self._outputs: dict[str, _Output] = {}
        self._batches: list[_Batch] = []
        self._lock = threading.RLock()
        self.closed = False
        self.background = False

    @property
    def anchor_messages(self) -> bool:
        return self._anchor_messages

    def record(
        self,
        content_id: str,
        kind: OutputKind = "final_answer",
        content: Mapping[str, Any] | None = None,
        user: str | None = None,
    ) -> LedgerReceipt:
        if not isinstance(content_id, str) or not is_content_id(content_id):
            raise LedgerError(
                f"cannot record {content_id!r}: not a content id", hint="use qsm.ids.content_id()"
            )
        if content is not None and make_content_id(content_id.split(":", 1)[0], content) != content_id:
            raise LedgerError(f"cannot record {content_id}: the content given with it has another id")
        with self._lock:
            out = self._outputs.setdefault(
                content_id, _Output(content_id, kind, secrets.token_bytes(32), self.clock())
            )
            if content is not None and out.content is None:
                out.content = dict(content)
            if user is not None and out.user is None:
                out.user = user
            return self._receipt(out)

    def receipt(self, content_id: str) -> LedgerReceipt | None:
        with self._lock:
            out = self._outputs.get(content_id)
            return self._receipt(out) if out is not None else None

    def _receipt(self, out: _Output) -> LedgerReceipt:
        leaf = leaf_hash(digest_of(out.content_id), out.salt)
        state = "pending" if out.batch_id is None else "batched"
        return LedgerReceipt(
            content_id=out.content_id,
            kind=out.kind,
            leaf_hash=hex32(leaf),
            recorded_at=out.recorded_at,
            state=state,
            batch_id=out.batch_id,
            user=out.user,
        )

    def _pending(self) -> list[_Output]:
        return [o for o in self._outputs.values() if o.batch_id is None]

    def _seal(self, outputs: list[_Output]) -> None:
        batch_id = len(self._batches) + 1
        tree = MerkleTree([(digest_of(o.content_id), o.salt) for o in outputs])
        for o in outputs:
            o.batch_id = batch_id
        self._batches.append(_Batch(batch_id, [o.content_id for o in outputs], tree, self.clock()))

    def _anchor_sealed(self) -> int:
        if self.fail_with is not None:
            raise self.fail_with
        count = 0
        for batch in self._batches:
            if batch.block is None:
                self.block += 1
                batch.block = self.block
                batch.tx_hashes.append(hex32(keccak(batch.tree.root + self.block.to_bytes(8, "big"))))
                count += 1
        return count

    def tick(self) -> TickReport:
        with self._lock:
            pending, sealed = self._pending(), 0
            while pending and (
                len(pending) >= self.batch_max_leaves
                or self.clock() - pending[0].recorded_at >= self.batch_max_age_s
            ):
                self._seal(pending[: self.batch_max_leaves])
                pending, sealed = self._pending(), sealed + 1
            try:
                return TickReport(sealed=sealed, advanced=self._anchor_sealed())
            except LedgerError as err:
                return TickReport(sealed=sealed, error=err.message)

    def start_background(self, interval_s: float = 1.0) -> None:
        """Deterministic on purpose: nothing runs in the background; tests call ``tick``/``anchor_now``."""
        self.background = True

    def stop_background(self) -> None:
        self.background = False

    def anchor_now(self, timeout_s: float | None = None) -> list[BatchInfo]:
        with self._lock:
            while pending := self._pending():
                self._seal(pending[: self.batch_max_leaves])
            self._anchor_sealed()
            return self.batches()

    def mine(self, blocks: int = 1) -> None:
        """Advance the fake chain (anchors become final ``finality_lag`` blocks after their block)."""
        self.block += blocks

    def reorg(self, batch_id: int) -> None:
        """Drop a batch's anchor as a reorg would; the next tick anchors it again."""
        batch = self._batches[batch_id - 1]
        batch.block, batch.reorgs = None, batch.reorgs + 1

    def _final(self, batch: _Batch) -> bool:
        return batch.block is not None and self.block - batch.block >= self.finality_lag

    def _info(self, batch: _Batch) -> BatchInfo:
        state = "final" if self._final(batch) else ("mined" if batch.block is not None else "sealed")
        return BatchInfo(
            batch_id=batch.id,
            state=state,
            root=hex32(batch.tree.root),
            leaf_count=len(batch.members),
            sealed_at=batch.sealed_at,
            chain_id=_FAKE_CHAIN_ID,
            contract=_FAKE_CONTRACT,
            nonce=None,
            tx_hash=batch.tx_hashes[-1] if batch.block else None,
            tx_hashes=list(batch.tx_hashes),
            block_number=batch.block,
            finalized_block=self.block if self._final(batch) else None,
            reorgs=batch.reorgs,
            last_error=None,
        )

    def batches(self, limit: int = 50) -> list[BatchInfo]:
        with self._lock:
            return [self._info(b) for b in reversed(self._batches)][:limit]

    def status(self) -> LedgerStatus:
        with self._lock:
            pending = self._pending()
            infos = self.batches()
            states: dict[str, int] = {}
            for info in infos:
                states[info.state] = states.get(info.state, 0) + 1
            outputs = {"pending": len(pending), "batched": len(self._outputs) - len(pending)}
            age = self.clock() - pending[0].recorded_at if pending else None
            return LedgerStatus(
                backend="fake",
                enabled=True,
                chain_id=_FAKE_CHAIN_ID,
                contract=_FAKE_CONTRACT,
                signer=_FAKE_SUBMITTER,
                outputs={k: v for k, v in outputs.items() if v},
                batches=states,
                oldest_pending_age_s=age,
                last_error=self.fail_with.message if self.fail_with else None,
                recent=infos[:10],
            )

    def proof(self, content_id: str) -> ProofFile:
        with self._lock:
            out = self._outputs.get(content_id)
            if out is None or out.batch_id is None:
                raise LedgerError(f"{content_id} is not in an anchored batch", hint="call anchor_now() first")
            batch = self._batches[out.batch_id - 1]
            index = batch.members.index(content_id)
            anchor = None
            if batch.block is not None:
                anchor = AnchorInfo(
                    backend="fake",
                    chain_id=_FAKE_CHAIN_ID,
                    contract=_FAKE_CONTRACT,
                    tx_hash=batch.tx_hashes[-1],
                    block_number=batch.block,
                    submitter=_FAKE_SUBMITTER,
                    final=self._final(batch),
                    finalized_block=self.block if self._final(batch) else None,
                )
            return ProofFile(
                content_id=content_id,
                content=out.content,
                kind=out.kind,
                leaf=LeafValue(digest=hex32(digest_of(content_id)), salt=hex32(out.salt)),
                leaf_hash=hex32(batch.tree.leaf(index)),
                proof=[hex32(p) for p in batch.tree.proof(index)],
                root=hex32(batch.tree.root),
                batch_id=batch.id,
                leaf_count=len(batch.members),
                anchor=anchor,
            )

    def verify(self, proof: ProofFile) -> VerifyResult:
        def result(status: VerifyStatus, message: str) -> VerifyResult:
            return VerifyResult(status=status, message=message, content_id=proof.content_id, root=proof.root)

        if problem := proof_problem(proof, None):
            return result(VerifyStatus.TAMPERED, f"tampered or corrupt proof: {problem[0]}: {problem[1]}")
        with self._lock:
            batch = next((b for b in self._batches if hex32(b.tree.root) == proof.root), None)
            if batch is None or batch.block is None:
                return result(VerifyStatus.NOT_ANCHORED, "root not anchored on the fake chain")
            if not self._final(batch):
                return result(VerifyStatus.NOT_FINAL, f"anchored in fake block {batch.block}, not final yet")
            return result(VerifyStatus.VERIFIED, f"anchored in fake block {batch.block} (final)")

    def close(self) -> None:
        self.closed = True
