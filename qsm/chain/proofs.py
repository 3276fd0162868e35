"""Proof files: written from the outbox, checked with nothing but the file and a chain endpoint.

Verification first checks the Merkle path locally (content id -> leaf -> root), then asks the chain's
AnchorRegistry (whose code must match the committed artifact) whether the root is anchored, and whether
that is so at the finalized block. The tx hash in the file is only a cross-check: after a reorg the same
root may have been anchored by a later transaction, and the registry's state is what counts.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from qsm.chain.client import ChainClient, connect_rpc
from qsm.chain.contract import anchor_of_calldata, decode_anchor_of, decode_anchored_log, load_artifact
from qsm.chain.finality import final_block
from qsm.chain.merkle import MerkleTree, leaf_hash, process_proof
from qsm.chain.models import AnchorInfo, LeafValue, ProofFile, VerifyResult, VerifyStatus, hex32
from qsm.chain.settings import Backend
from qsm.errors import LedgerError
from qsm.ids import digest_of, is_content_id

if TYPE_CHECKING:
    from qsm.chain.outbox import Outbox

__all__ = ["build_proof", "proof_problem", "verify_proof"]

DEFAULT_CONFIRMATIONS = 12


def build_proof(outbox: Outbox, content_id: str, backend: Backend) -> ProofFile:
    """The proof file of a recorded output (LedgerError if it is not yet in a batch)."""
    row = outbox.output(content_id)
    if row is None:
        raise LedgerError(
            f"{content_id} was never recorded in this ledger", hint="check the id and --data-dir"
        )
    if row.batch_id is None or row.leaf_index is None:
        raise LedgerError(
            f"{content_id} is queued but not yet in a batch", hint="run `qsm ledger anchor` to anchor it now"
        )
    batch = outbox.batch(row.batch_id)
    tree = MerkleTree([(o.digest, o.salt) for o in outbox.batch_outputs(batch.id)])
    if tree.root != batch.root or tree.leaf(row.leaf_index) != row.leaf:
        raise LedgerError(f"batch {batch.id} in the outbox is inconsistent (root mismatch)")
    anchor = None
    if batch.state in ("mined", "final") and batch.tx_hash and batch.block_number and batch.contract_address:
        anchor = AnchorInfo(
            backend=backend,
            chain_id=int(batch.chain_id or 0),
            contract=batch.contract_address,
            tx_hash=hex32(batch.tx_hash),
            block_number=batch.block_number,
            submitter=str(batch.sender),
            final=batch.state == "final",
            finalized_block=batch.finalized_block,
        )
    return ProofFile(
        content_id=content_id,
        kind=row.kind,
        leaf=LeafValue(digest=hex32(row.digest), salt=hex32(row.salt)),
        leaf_hash=hex32(row.leaf),
        proof=[hex32(node) for node in tree.proof(row.leaf_index)],
        root=hex32(tree.root),
        batch_id=batch.id,
        leaf_count=batch.leaf_count,
        anchor=anchor,
        issued_at=time.time(),
    )


def proof_problem(proof: ProofFile, expected_content_id: str | None) -> str | None:
    """Why the file is not self-consistent (None if it is)."""
    if expected_content_id is not None and expected_content_id != proof.content_id:
        return f"the proof is for {proof.content_id}, not for {expected_content_id}"
    if not is_content_id(proof.content_id):
        return "content_id is not a content id"
    digest = bytes.fromhex(proof.leaf.digest[2:])
    if digest_of(proof.content_id) != digest:
        return "the leaf digest does not match the content id"
    leaf = leaf_hash(digest, bytes.fromhex(proof.leaf.salt[2:]))
    if hex32(leaf) != proof.leaf_hash:
        return "the leaf hash does not match the leaf value"
    if hex32(process_proof(leaf, [bytes.fromhex(p[2:]) for p in proof.proof])) != proof.root:
        return "the Merkle path does not lead to the root"
    return None


def verify_proof(
    proof: ProofFile,
    rpc_url: str | None = None,
    data_dir: Path | None = None,
    *,
    expected_content_id: str | None = None,
    confirmations: int = DEFAULT_CONFIRMATIONS,
    rpc_timeout_s: float = 10.0,
) -> VerifyResult:
    """Check ``proof`` against the chain at ``rpc_url``, or (``rpc_url`` None) the embedded chain of
    ``data_dir``. Raises LedgerError only when the chain cannot be asked; every verdict is a result."""

    def result(status: VerifyStatus, message: str, **extra: object) -> VerifyResult:
        return VerifyResult(
            status=status, message=message, content_id=proof.content_id, root=proof.root, **extra
        )

    if problem := proof_problem(proof, expected_content_id):
        return result(VerifyStatus.TAMPERED, f"tampered or corrupt proof: {problem}")
    anchor = proof.anchor
    if anchor is None:
        return result(
            VerifyStatus.NOT_ANCHORED,
            "the proof was written before its batch was anchored; "
            "write it again with `qsm ledger proof` once `qsm ledger status` shows the batch mined",
        )
    with _open_client(anchor, rpc_url, data_dir, rpc_timeout_s) as client:
        return _verify_on_chain(proof, anchor, client, confirmations, result)


@contextmanager
def _open_client(
    anchor: AnchorInfo, rpc_url: str | None, data_dir: Path | None, timeout_s: float
) -> Iterator[ChainClient]:
    """The chain to ask: the RPC endpoint, or the embedded chain of ``data_dir`` (closed afterwards)."""
    if rpc_url:
        yield connect_rpc(rpc_url, timeout_s)
        return
    if anchor.backend != "embedded":
        raise LedgerError(
            f"this proof is anchored on chain {anchor.chain_id}; verifying needs an RPC endpoint of that chain",
            hint="pass --rpc URL (any node or public endpoint of that chain)",
        )
    if data_dir is None:
        raise LedgerError(
            "an embedded-chain proof needs the data dir it was anchored in", hint="pass --data-dir"
        )
    # py-evm and eth-tester load only here: verifying against an RPC endpoint does not need them
    from qsm.chain.embedded import EmbeddedChain
    from qsm.chain.session import EMBEDDED_JOURNAL

    journal = Path(data_dir) / "ledger" / EMBEDDED_JOURNAL
    if not journal.is_file():
        raise LedgerError(
            f"no embedded chain under {data_dir}", hint="pass the --data-dir the proof came from"
        )
    chain = EmbeddedChain(journal, writable=False)
    try:
        yield chain
    finally:
        chain.close()


def _verify_on_chain(
    proof: ProofFile,
    anchor: AnchorInfo,
    client: ChainClient,
    confirmations: int,
    result: Callable[..., VerifyResult],
) -> VerifyResult:
    chain_id = client.chain_id()
    if chain_id != anchor.chain_id:
        return result(
            VerifyStatus.WRONG_CHAIN,
            f"{client.label} is chain {chain_id}; the proof is for chain {anchor.chain_id}",
            chain_id=chain_id,
        )
    if client.code(anchor.contract) != load_artifact().deployed_bytecode:
        return result(
            VerifyStatus.NOT_ANCHORED,
            f"there is no AnchorRegistry at {anchor.contract} on chain {chain_id}",
            chain_id=chain_id,
        )
    root = bytes.fromhex(proof.root[2:])
    latest = decode_anchor_of(root, client.call(anchor.contract, anchor_of_calldata(root), "latest"))
    if not latest.exists:
        return result(
            VerifyStatus.NOT_ANCHORED,
            f"root {proof.root} is not anchored on chain {chain_id} "
            "(its transaction may have been reorganised away and not yet re-mined)",
            chain_id=chain_id,
        )
    notes = _tx_notes(proof, anchor, client, latest.block_number)
    final, tagged = final_block(client, "finalized", confirmations)
    final_block_number = final if final is not None else -1
    if not tagged:
        notes.append(f"the node has no 'finalized' tag; used {confirmations} confirmations")
    common = {
        "chain_id": chain_id,
        "anchored_block": latest.block_number,
        "finalized_block": final,
        "submitter": latest.submitter,
        "notes": notes,
    }
    if final_block_number < latest.block_number:
        return result(
            VerifyStatus.NOT_FINAL,
            f"anchored in block {latest.block_number}, but the chain is final "
            f"only up to block {final_block_number}; verify again later",
            **common,
        )
    at_final = decode_anchor_of(
        root, client.call(anchor.contract, anchor_of_calldata(root), final_block_number)
    )
    if at_final.block_number != latest.block_number:
        return result(VerifyStatus.NOT_FINAL, "the anchor is not yet part of the finalized state", **common)
    return result(
        VerifyStatus.VERIFIED,
        f"{proof.content_id} existed, unchanged, no later than block "
        f"{latest.block_number} of chain {chain_id} (final)",
        **common,
    )


def _tx_notes(proof: ProofFile, anchor: AnchorInfo, client: ChainClient, block: int) -> list[str]:
    receipt = client.receipt(bytes.fromhex(anchor.tx_hash[2:]))
    if receipt is None:
        return [f"the proof's tx {anchor.tx_hash} is not on chain; the root was anchored by another tx"]
    anchored = [r for log in receipt.logs if (r := decode_anchored_log(log)) and hex32(r.root) == proof.root]
    if not anchored:
        return [f"tx {anchor.tx_hash} carries no Anchored event for this root"]
    if receipt.block_number != block or block != anchor.block_number:
        return [f"anchored in block {block} (the proof says {anchor.block_number}; re-mined after a reorg)"]
    return []
