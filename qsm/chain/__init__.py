"""qsm's ledger: every FinalAnswer (optionally every channel message) becomes verifiable on an Ethereum chain.

Outputs are recorded durably in a SQLite outbox, sealed into Merkle batches (OpenZeppelin StandardMerkleTree
conventions) and anchored in an AnchorRegistry contract, on the in-process embedded chain or any JSON-RPC
chain. A proof file lets anyone check an output with only a chain endpoint.

    ledger = open_ledger(settings.ledger, data_dir)
    receipt = ledger.record(content_id)       # durable when it returns
    ledger.tick()                             # call often: batches, anchors, follows receipts to finality
    proof = ledger.proof(content_id)          # ProofFile; .model_dump_json() is the file
    verify_proof(proof, rpc_url)              # VerifyResult
"""

from qsm.chain.fake import FakeLedger
from qsm.chain.keys import create_keystore
from qsm.chain.ledger import DisabledLedger, Ledger, open_ledger
from qsm.chain.merkle import MerkleTree, leaf_hash
from qsm.chain.models import (
    AnchorInfo,
    BatchInfo,
    LedgerReceipt,
    LedgerStatus,
    ProofFile,
    TickReport,
    VerifyResult,
    VerifyStatus,
)
from qsm.chain.proofs import verify_proof
from qsm.chain.protocol import LedgerProtocol
from qsm.chain.settings import FeeSettings, LedgerSettings

__all__ = [
    "AnchorInfo",
    "BatchInfo",
    "DisabledLedger",
    "FakeLedger",
    "FeeSettings",
    "Ledger",
    "LedgerProtocol",
    "LedgerReceipt",
    "LedgerSettings",
    "LedgerStatus",
    "MerkleTree",
    "ProofFile",
    "TickReport",
    "VerifyResult",
    "VerifyStatus",
    "create_keystore",
    "leaf_hash",
    "open_ledger",
    "verify_proof",
]
