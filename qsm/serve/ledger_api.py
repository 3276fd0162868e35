"""The caller's ledger records: ``GET /ledger/{content_id}`` answers with the record of an output the
caller's runs made (its receipt: kind, state, batch, user) and, once its batch is sealed, its proof file
(verify it with ``qsm ledger verify`` or any StandardMerkleTree tool). Anyone else's record, one recorded
without a user, and an id never recorded all answer 404 alike."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from qsm.errors import LedgerError
from qsm.serve.errors import ApiError
from qsm.serve.state import server_of

__all__ = ["router"]

router = APIRouter()


@router.get("/ledger/{content_id}")
def get_record(content_id: str, request: Request) -> dict[str, Any]:
    server = server_of(request)
    user = server.user(request)
    ledger = server.runtime.ledger
    receipt = ledger.receipt(content_id) if ledger is not None else None
    if ledger is None or receipt is None or receipt.user != user:
        raise ApiError(
            404,
            f"no ledger record {content_id!r}"
            + ("" if ledger is not None else " (this server keeps no ledger: ledger.enabled = false)"),
            code="record_not_found",
            param="content_id",
        )
    try:
        proof: dict[str, Any] | None = ledger.proof(content_id).model_dump(mode="json")
    except LedgerError:  # queued, not yet in a batch: the receipt says so (state "pending")
        proof = None
    return {"receipt": receipt.model_dump(mode="json"), "proof": proof}
