"""Ledger settings (the ledger helper extends this model)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

__all__ = ["LedgerSettings"]


class LedgerSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    enabled: bool = True
    rpc_url: str | None = None
