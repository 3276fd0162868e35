"""What the ledger hands out: receipts, batch views, status, proof files and verification results."""

from __future__ import annotations

import enum
from typing import Annotated, Any, Final, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

__all__ = [
    "EMBEDDED_CHAIN_ID",
    "ID_COVERS",
    "LEGACY_PROOF_FORMATS",
    "PROOF_FORMAT",
    "AnchorInfo",
    "BatchInfo",
    "BatchState",
    "Hex32",
    "LeafValue",
    "LedgerBackend",
    "LedgerReceipt",
    "LedgerStatus",
    "OutputKind",
    "ProofFile",
    "TickReport",
    "VerifyResult",
    "VerifyStatus",
]

PROOF_FORMAT: Final = "qsm-ledger-proof/2"
LEGACY_PROOF_FORMATS: Final = ("qsm-ledger-proof/1",)
ID_COVERS: Final = (
    "content_id = '<kind>:' + sha256(canonical JSON of `content`: sorted keys, no spaces, UTF-8); `content` is "
    "the message type, its payload (for a FinalAnswer: text, status, citations, note, ...) and its parents' "
    "ids; not the time it was made, its cost or its channel"
)
EMBEDDED_CHAIN_ID: Final = 131277322940537
"""The chain id of the embedded chain (eth-tester's): an ``embedded`` proof names this chain and no other."""

Hex32 = Annotated[str, StringConstraints(pattern=r"^0x[0-9a-f]{64}$")]
HexAddress = Annotated[str, StringConstraints(pattern=r"^0x[0-9a-fA-F]{40}$")]
OutputKind = Literal["final_answer", "message"]
"""What a recorded output is: a run's final answer, or (with ``ledger.anchor_messages``) a channel message."""
BatchState = Literal["sealed", "signed", "broadcast", "mined", "final", "failed"]
"""Where a batch stands in the anchoring state machine (:data:`qsm.chain.outbox_schema.TRANSITIONS`)."""
LedgerBackend = Literal["embedded", "rpc", "fake"]
"""Which chain a ledger anchors on: the embedded one, a node over JSON-RPC, or the in-memory fake."""


def hex32(value: bytes) -> str:
    return "0x" + value.hex()


class LedgerReceipt(BaseModel):
    """Returned by ``record``: the output is durably queued for anchoring."""

    model_config = ConfigDict(frozen=True)

    content_id: str
    kind: OutputKind
    leaf_hash: Hex32 | None = Field(None, description="the Merkle leaf; None when the ledger is disabled")
    recorded_at: float
    state: Literal["pending", "batched", "disabled"]
    batch_id: int | None = None
    user: str | None = Field(None, description="the user whose run recorded it (None: recorded without one)")


class BatchInfo(BaseModel):
    """One anchored (or to-be-anchored) batch, for `qsm ledger status` and the UI's ledger explorer."""

    batch_id: int
    state: BatchState
    root: Hex32
    leaf_count: int
    sealed_at: float
    chain_id: int | None
    contract: str | None
    nonce: int | None
    tx_hash: Hex32 | None = Field(None, description="the mined transaction")
    tx_hashes: list[Hex32] = Field(default_factory=list, description="every signed tx (fee bumps included)")
    block_number: int | None
    finalized_block: int | None
    reorgs: int
    last_error: str | None


class LedgerStatus(BaseModel):
    backend: LedgerBackend
    enabled: bool
    chain_id: int | None
    contract: str | None
    signer: str | None
    outputs: dict[str, int]
    batches: dict[str, int]
    oldest_pending_age_s: float | None
    last_error: str | None
    recent: list[BatchInfo]


class TickReport(BaseModel):
    sealed: int = 0
    advanced: int = 0
    skipped: str | None = Field(None, description="why nothing was done with the chain, if so")
    error: str | None = None
    hint: str | None = Field(None, description="what to do about ``error``")


class LeafValue(BaseModel):
    model_config = ConfigDict(extra="forbid")

    digest: Hex32 = Field(description="sha256 digest inside the content id")
    salt: Hex32 = Field(description="random salt; hides the digest from anyone holding only sibling hashes")


class AnchorInfo(BaseModel):
    """Where the root is anchored. ``qsm ledger verify`` checks every field against the chain."""

    model_config = ConfigDict(extra="forbid")

    backend: Literal["embedded", "rpc", "fake"] = Field(
        description="embedded: the chain of the data dir (chain id EMBEDDED_CHAIN_ID); rpc: any node of chain_id"
    )
    chain_id: int
    contract: HexAddress = Field(description="the AnchorRegistry holding the root")
    tx_hash: Hex32 = Field(description="the transaction whose Anchored event recorded the root")
    block_number: int = Field(description="its block; the registry stores the same number for the root")
    submitter: HexAddress = Field(description="who anchored it (registry slot and event)")
    final: bool = Field(description="final when this proof was written: then finalized_block is set")
    finalized_block: int | None = Field(None, description="a final block at or after block_number")


class ProofFile(BaseModel):
    """Everything needed to check an output against the chain: the output itself (``content``), its id,
    leaf value, Merkle path, root, batch and anchor. ``qsm ledger verify`` re-derives the id from
    ``content`` and checks every other field locally or against the chain.

    ``standard`` holds the same proof in the shape OpenZeppelin's ``StandardMerkleTree.verify(root,
    leafEncoding, value, proof)`` takes.
    """

    model_config = ConfigDict(extra="forbid")

    format: Literal["qsm-ledger-proof/2"] = PROOF_FORMAT
    content_id: str
    content: dict[str, Any] | None = Field(
        None, description="what the id covers (see `covers`); None for outputs recorded without it"
    )
    covers: str = Field(ID_COVERS, description="what the id covers; verify requires this exact text")
    kind: OutputKind = Field(description="final_answer exactly when the id's prefix is 'final'")
    leaf: LeafValue
    leaf_hash: Hex32
    proof: list[Hex32]
    root: Hex32
    batch_id: int = Field(
        description="the submitter's batch number, as its Anchored event states it (this ledger's own batch "
        "number, unless it adopted an anchor someone else made first)"
    )
    leaf_count: int = Field(description="leaves in the batch, as the registry stores it")
    anchor: AnchorInfo | None = Field(None, description="None while the batch is not yet mined")

    @property
    def standard(self) -> dict[str, Any]:
        return {
            "root": self.root,
            "leafEncoding": ["bytes32", "bytes32"],
            "value": [self.leaf.digest, self.leaf.salt],
            "proof": list(self.proof),
        }


class VerifyStatus(enum.StrEnum):
    VERIFIED = "verified"
    NOT_FINAL = "not_final"
    NOT_ANCHORED = "not_anchored"
    TAMPERED = "tampered"
    WRONG_CHAIN = "wrong_chain"

    @property
    def exit_code(self) -> int:
        """`qsm ledger verify` exit status."""
        return {"verified": 0, "not_final": 10, "not_anchored": 11, "tampered": 12, "wrong_chain": 13}[
            self.value
        ]


class VerifyResult(BaseModel):
    status: VerifyStatus
    message: str
    content_id: str
    root: str
    chain_id: int | None = None
    anchored_block: int | None = None
    finalized_block: int | None = None
    submitter: str | None = None
    field: str | None = Field(None, description="the proof field that the content or the chain contradicts")
    notes: list[str] = Field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.status is VerifyStatus.VERIFIED
