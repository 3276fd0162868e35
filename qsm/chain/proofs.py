"""Proof files: written from the outbox, checked with nothing but the file and a chain endpoint.

A proof carries the output itself (``content``: what its content id is the sha256 of), so whoever holds it
can check the text, not just an id. Verification re-derives the content id from the content, checks the
Merkle path locally (content id -> leaf -> root), then asks the chain's AnchorRegistry (whose code must
match the committed artifact) whether the root is anchored and whether that is so at the finalized block.
Every other field the proof states is checked too: the registry's slot gives submitter, block and leaf
count; the stated transaction's receipt must carry the ``Anchored`` event of this root with the same batch
id, submitter and leaf count, in the same block. A field the content or the chain contradicts makes the
verdict ``tampered`` (exit 12), with the field named.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from qsm.chain.client import ChainClient, connect_rpc
from qsm.chain.contract import (
    AnchorRecord,
    anchor_of_calldata,
    decode_anchor_of,
    decode_anchored_log,
    load_artifact,
)
from qsm.chain.finality import final_block
from qsm.chain.merkle import MerkleTree, leaf_hash, process_proof
from qsm.chain.models import (
    EMBEDDED_CHAIN_ID,
    ID_COVERS,
    AnchorInfo,
    LeafValue,
    ProofFile,
    VerifyResult,
    VerifyStatus,
    hex32,
)
from qsm.chain.settings import Backend
from qsm.errors import LedgerError
from qsm.ids import content_id as make_content_id
from qsm.ids import digest_of, is_content_id

if TYPE_CHECKING:
    from qsm.chain.outbox import Outbox

__all__ = ["Problem", "answer_problem", "build_proof", "proof_problem", "verify_proof"]

DEFAULT_CONFIRMATIONS = 12

Problem = tuple[str, str]
"""``(field, why)``: a proof field and what contradicts it."""


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
        final = batch.state == "final" and batch.finalized_block is not None
        anchor = AnchorInfo(
            backend=backend,
            chain_id=int(batch.chain_id or 0),
            contract=batch.contract_address,
            tx_hash=hex32(batch.tx_hash),
            block_number=batch.block_number,
            submitter=str(batch.sender),
            final=final,
            finalized_block=batch.finalized_block if final else None,
        )
    return ProofFile(
        content_id=content_id,
        content=json.loads(row.content) if row.content is not None else None,
        kind=row.kind,
        leaf=LeafValue(digest=hex32(row.digest), salt=hex32(row.salt)),
        leaf_hash=hex32(row.leaf),
        proof=[hex32(node) for node in tree.proof(row.leaf_index)],
        root=hex32(tree.root),
        batch_id=batch.event_batch_id if batch.event_batch_id is not None else batch.id,
        leaf_count=batch.leaf_count,
        anchor=anchor,
    )


def proof_problem(proof: ProofFile, expected_content_id: str | None) -> Problem | None:
    """The first field that contradicts the rest of the file (None if the file is self-consistent)."""
    if expected_content_id is not None and expected_content_id != proof.content_id:
        return "content_id", f"the proof is for {proof.content_id}, not for {expected_content_id}"
    if not is_content_id(proof.content_id):
        return "content_id", "not a content id"
    prefix = proof.content_id.split(":", 1)[0]
    if proof.covers != ID_COVERS:
        return "covers", "not the text this qsm version defines (the id covers exactly what it says)"
    if proof.content is not None:
        try:
            derived = make_content_id(prefix, proof.content)
        except ValueError as exc:  # NaN or infinity: no canonical JSON
            return "content", f"has no canonical JSON ({exc})"
        if derived != proof.content_id:
            return "content", f"its id is {derived}, not the proof's {proof.content_id}"
        if (proof.content.get("type") == "FinalAnswer") != (proof.kind == "final_answer"):
            return "kind", f"{proof.kind} does not match the content's type {proof.content.get('type')!r}"
    if (prefix == "final") != (proof.kind == "final_answer"):
        return "kind", f"{proof.kind} does not match the id's prefix {prefix!r}"
    digest = bytes.fromhex(proof.leaf.digest[2:])
    if digest_of(proof.content_id) != digest:
        return "leaf.digest", "does not match the content id"
    leaf = leaf_hash(digest, bytes.fromhex(proof.leaf.salt[2:]))
    if hex32(leaf) != proof.leaf_hash:
        return "leaf_hash", "does not match the leaf value"
    if hex32(process_proof(leaf, [bytes.fromhex(p[2:]) for p in proof.proof])) != proof.root:
        return "proof", "the Merkle path does not lead to the root"
    if proof.leaf_count < 1 or not _path_fits(len(proof.proof), proof.leaf_count):
        return (
            "leaf_count",
            f"a batch of {proof.leaf_count} leaves has no Merkle path of {len(proof.proof)} steps",
        )
    return _anchor_problem(proof.anchor) if proof.anchor is not None else None


def _path_fits(steps: int, leaves: int) -> bool:
    """Whether a leaf of a complete binary tree of ``leaves`` leaves (OpenZeppelin's layout) can have a
    path of ``steps`` siblings: floor(log2 n) or ceil(log2 n)."""
    return leaves.bit_length() - 1 <= steps <= (leaves - 1).bit_length()


def _anchor_problem(anchor: AnchorInfo) -> Problem | None:
    if anchor.backend == "embedded" and anchor.chain_id != EMBEDDED_CHAIN_ID:
        return "anchor.chain_id", f"the embedded chain is chain {EMBEDDED_CHAIN_ID}, not {anchor.chain_id}"
    if anchor.backend != "embedded" and anchor.chain_id == EMBEDDED_CHAIN_ID:
        return "anchor.backend", f"chain {anchor.chain_id} is the embedded chain, not {anchor.backend}"
    if anchor.final != (anchor.finalized_block is not None):
        return "anchor.final", "a final anchor names its finalized block, and only a final one does"
    if anchor.finalized_block is not None and anchor.finalized_block < anchor.block_number:
        return "anchor.finalized_block", f"block {anchor.finalized_block} is before the anchor's block"
    return None


def answer_problem(proof: ProofFile, answer: str) -> str | None:
    """Why ``answer`` is not the text the proof carries (None if it is). Call after the proof checks out."""
    if proof.content is None:
        return (
            "the proof does not carry its output (it was recorded without it), so no text can be checked "
            "against it; only the content id"
        )
    payload = proof.content.get("payload")
    text = payload.get("text") if isinstance(payload, dict) else None
    if not isinstance(text, str):
        return f"the proof's {proof.content.get('type')} has no text"
    if answer == text or (answer.endswith("\n") and answer.rstrip("\r\n") == text):
        return None
    return f"the text given differs from the proof's answer (which starts {text[:60]!r})"


def verify_proof(
    proof: ProofFile,
    rpc_url: str | None = None,
    data_dir: Path | None = None,
    *,
    expected_content_id: str | None = None,
    answer: str | None = None,
    confirmations: int = DEFAULT_CONFIRMATIONS,
    rpc_timeout_s: float = 10.0,
) -> VerifyResult:
    """Check ``proof`` against the chain at ``rpc_url``, or (``rpc_url`` None) the embedded chain of
    ``data_dir``; with ``answer``, also check that this text is the answer the proof carries. Raises
    LedgerError only when the chain cannot be asked; every verdict is a result."""

    def result(status: VerifyStatus, message: str, **extra: Any) -> VerifyResult:
        return VerifyResult(
            status=status, message=message, content_id=proof.content_id, root=proof.root, **extra
        )

    if problem := proof_problem(proof, expected_content_id):
        field, why = problem
        return result(VerifyStatus.TAMPERED, f"tampered or corrupt proof: {field}: {why}", field=field)
    if answer is not None and (other := answer_problem(proof, answer)):
        return result(VerifyStatus.TAMPERED, f"not this answer: {other}", field="answer")
    anchor = proof.anchor
    if anchor is None:
        return result(
            VerifyStatus.NOT_ANCHORED,
            "the proof was written before its batch was anchored; "
            "write it again with `qsm ledger proof` once `qsm ledger status` shows the batch mined",
        )
    with _open_client(anchor, rpc_url, data_dir, rpc_timeout_s) as client:
        verdict = _verify_on_chain(proof, anchor, client, confirmations, result)
    if proof.content is None and verdict.ok:
        verdict.notes.append(
            "the proof carries no output (recorded without it): it proves the content id only"
        )
    return verdict


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
            f"there is no AnchorRegistry at {anchor.contract} on chain {chain_id} (anchor.contract)",
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
    final, tagged = final_block(client, "finalized", confirmations)
    final_block_number = final if final is not None else -1
    common: dict[str, Any] = {
        "chain_id": chain_id,
        "anchored_block": latest.block_number,
        "finalized_block": final,
        "submitter": latest.submitter,
        "notes": [] if tagged else [f"the node has no 'finalized' tag; used {confirmations} confirmations"],
    }
    if mismatch := _anchor_mismatch(proof, anchor, client, latest):
        field, why = mismatch
        return result(
            VerifyStatus.TAMPERED, f"the chain contradicts the proof: {field}: {why}", field=field, **common
        )
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


def _anchor_mismatch(
    proof: ProofFile, anchor: AnchorInfo, client: ChainClient, stored: AnchorRecord
) -> Problem | None:
    """The first field the chain contradicts: the registry's slot for the root, then the stated tx."""
    if stored.leaf_count != proof.leaf_count:
        return "leaf_count", f"the registry says {stored.leaf_count}, the proof {proof.leaf_count}"
    if stored.submitter.lower() != anchor.submitter.lower():
        return "anchor.submitter", f"the registry says {stored.submitter}, the proof {anchor.submitter}"
    if stored.block_number != anchor.block_number:
        return (
            "anchor.block_number",
            f"the registry says block {stored.block_number}, the proof {anchor.block_number} "
            "(if the proof was written before its anchor was final, write it again)",
        )
    receipt = client.receipt(bytes.fromhex(anchor.tx_hash[2:]))
    if receipt is None or receipt.status != 1:
        return "anchor.tx_hash", f"{anchor.tx_hash} is not a successful transaction on this chain"
    events = [
        r
        for log in receipt.logs
        if str(log.get("address", "")).lower() == anchor.contract.lower()
        and (r := decode_anchored_log(log)) is not None
        and hex32(r.root) == proof.root
    ]
    if not events or receipt.block_number != stored.block_number:
        return "anchor.tx_hash", f"{anchor.tx_hash} is not the transaction that anchored this root"
    event = events[0]
    if event.batch_id != proof.batch_id:
        return "batch_id", f"the Anchored event says {event.batch_id}, the proof {proof.batch_id}"
    if event.submitter != stored.submitter or event.leaf_count != stored.leaf_count:
        return "anchor.tx_hash", "its Anchored event does not match the registry"
    if anchor.finalized_block is not None:
        head = client.block_number("latest")
        if head is None or anchor.finalized_block > head:
            return (
                "anchor.finalized_block",
                f"block {anchor.finalized_block} is past the chain's head ({head})",
            )
    return None
