"""Ledger explorer: batches and their anchors, per-answer proofs to download, and Verify."""

from __future__ import annotations

import streamlit as st

from qsm.chain.models import ProofFile
from qsm.errors import LedgerError
from qsm.ui import services
from qsm.ui.login import own_threads


def verify_box(ledger, proof) -> None:
    from qsm.chain import verify_proof

    result = ledger.verify(proof) if hasattr(ledger, "verify") else verify_proof(proof)
    text = f"**{result.status}**: {result.message}"
    if result.status == "verified":
        st.success(text, icon=":material/verified:")
    elif result.status in ("not_final", "not_anchored"):
        st.warning(text)  # nothing wrong with the proof: the chain has not got that far yet
    else:
        st.error(text, icon=":material/gpp_bad:")  # tampered, or a proof for another chain
    if result.notes:
        st.caption(" · ".join(result.notes))


def read_proof_file(data: bytes, name: str) -> ProofFile:
    """The uploaded proof, or a :class:`LedgerError` saying in one line why the file is not one."""
    from pydantic import ValidationError

    try:
        return ProofFile.model_validate_json(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        reason = first["msg"] if first["type"] != "json_invalid" else "it is not valid JSON"
        raise LedgerError(
            f"{name} is not a qsm proof file ({where + ': ' if where else ''}{reason}; "
            f"{exc.error_count()} problem(s) in all)",
            hint="download a proof from Ledger → Answers (Download proof) or with `qsm ledger proof ID -o FILE`, "
            "and upload that file unchanged",
        ) from None


def show_status(ledger) -> None:
    status = ledger.status()
    c1, c2, c3, c4 = st.columns(4)
    c1.metric("backend", status.backend)
    c2.metric("chain id", status.chain_id or "-")
    c3.metric("outputs", sum(status.outputs.values()))
    c4.metric("batches", sum(status.batches.values()))
    st.caption(
        f"contract `{status.contract}` · signer `{status.signer}` · outputs {status.outputs} · "
        f"batches {status.batches}"
    )
    if status.last_error:
        st.warning(status.last_error)


def body() -> None:
    rt = services.runtime()
    st.title("Ledger")
    ledger = rt.ledger
    if ledger is None:
        st.info("The ledger is switched off ([ledger] enabled = false). Turn it on to anchor answers.")
        return
    counters = st.container()  # filled after the Anchor button so that it shows the state after anchoring
    if st.button("Anchor pending outputs now", icon=":material/anchor:"):
        done = ledger.anchor_now()
        st.success(f"{len(done)} batch(es) pushed to the chain.")
    with counters:
        show_status(ledger)
    batches = ledger.batches(limit=50)
    st.subheader("Batches")
    st.dataframe(
        [
            {
                "batch": b.batch_id,
                "state": b.state,
                "leaves": b.leaf_count,
                "root": b.root,
                "tx": b.tx_hash,
                "block": b.block_number,
                "final at": b.finalized_block,
                "reorgs": b.reorgs,
            }
            for b in batches
        ],
        hide_index=True,
        width="stretch",
    )
    st.subheader("Answers")
    answered = {t.final_id: t for t in own_threads(rt.runs.threads(50)) if t.final_id}
    if not answered:
        st.caption("No answers recorded yet.")
    else:
        final_id = st.selectbox(
            "Answer", list(answered), format_func=lambda fid: f"{answered[fid].request[:60]} · {fid[:22]}…"
        )
        chosen = answered[final_id]
        try:
            proof = ledger.proof(final_id)
        except LedgerError as err:
            st.info(f"{err.message}. {err.hint}")
            proof = None
    if answered and proof is not None:
        st.caption(
            f"batch {proof.batch_id} · root `{proof.root}` · "
            + (
                f"tx `{proof.anchor.tx_hash}` block {proof.anchor.block_number}"
                if proof.anchor
                else "not mined yet"
            )
        )
        d, v = st.columns(2)
        d.download_button(
            "Download proof",
            proof.model_dump_json(indent=2),
            file_name=f"{chosen.thread_id}.proof.json",
            mime="application/json",
            icon=":material/download:",
        )
        if v.button("Verify", icon=":material/verified:", key="verify-answer"):
            verify_box(ledger, proof)
    st.subheader("Verify a proof file")
    uploaded = st.file_uploader("proof JSON", type=["json"])
    if uploaded is not None and st.button("Verify file", key="verify-file"):
        verify_box(ledger, read_proof_file(uploaded.getvalue(), uploaded.name))


services.guarded(body)
