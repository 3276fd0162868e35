"""qsm's ledger: every FinalAnswer (optionally every channel message) becomes verifiable on an Ethereum chain.

Outputs are recorded durably in a SQLite outbox, sealed into Merkle batches (OpenZeppelin StandardMerkleTree
conventions) and anchored in an AnchorRegistry contract, on the in-process embedded chain or any JSON-RPC
chain. A proof file lets anyone check an output with only a chain endpoint.

    ledger = open_ledger(settings.ledger, data_dir)
    receipt = ledger.record(content_id)       # durable when it returns
    ledger.tick()                             # call often: batches, anchors, follows receipts to finality
    proof = ledger.proof(content_id)          # ProofFile; .model_dump_json() is the file
    verify_proof(proof, rpc_url)              # VerifyResult

Names are imported on first use (:mod:`qsm.lazy`): importing ``qsm.chain.settings`` loads no web3.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from qsm.lazy import lazy_exports

if TYPE_CHECKING:
    from qsm.chain.disabled import DisabledLedger
    from qsm.chain.fake import FakeLedger
    from qsm.chain.keys import create_keystore
    from qsm.chain.ledger import Ledger, open_ledger
    from qsm.chain.merkle import MerkleTree
    from qsm.chain.models import ProofFile, VerifyResult, VerifyStatus
    from qsm.chain.proofs import verify_proof
    from qsm.chain.protocol import LedgerProtocol
    from qsm.chain.settings import LedgerSettings

__all__ = [
    "DisabledLedger",
    "FakeLedger",
    "Ledger",
    "LedgerProtocol",
    "LedgerSettings",
    "MerkleTree",
    "ProofFile",
    "VerifyResult",
    "VerifyStatus",
    "create_keystore",
    "open_ledger",
    "verify_proof",
]

_EXPORTS = {
    "qsm.chain.disabled": ("DisabledLedger",),
    "qsm.chain.fake": ("FakeLedger",),
    "qsm.chain.keys": ("create_keystore",),
    "qsm.chain.ledger": ("Ledger", "open_ledger"),
    "qsm.chain.merkle": ("MerkleTree",),
    "qsm.chain.models": ("ProofFile", "VerifyResult", "VerifyStatus"),
    "qsm.chain.proofs": ("verify_proof",),
    "qsm.chain.protocol": ("LedgerProtocol",),
    "qsm.chain.settings": ("LedgerSettings",),
}
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
