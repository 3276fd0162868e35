"""Ledger settings: which chain, how outputs are batched, when an anchor counts as final, fees.

Secrets are not settings: the signing key comes from ``$QSM_LEDGER_PRIVATE_KEY`` or from the encrypted
keystore at ``keystore_path`` (password in ``$QSM_LEDGER_KEYSTORE_PASSWORD``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

__all__ = ["Backend", "FeeSettings", "Finality", "LedgerSettings"]

Backend = Literal["embedded", "rpc"]
Finality = Literal["finalized", "confirmations"]


class FeeSettings(BaseModel):
    """EIP-1559 fees: what to offer, when to bump a stuck transaction, and the most to ever pay."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    priority_fee_gwei: float | None = Field(
        None, ge=0, description="tip per gas; None asks the node (eth_maxPriorityFeePerGas), else 1 gwei"
    )
    base_fee_multiplier: float = Field(2.0, ge=1.0, description="maxFeePerGas = base fee x this + tip")
    max_fee_gwei: float | None = Field(None, gt=0, description="never sign with a higher maxFeePerGas")
    bump_after_s: float = Field(180.0, ge=0, description="replace a tx with no receipt after this long")
    bump_percent: int = Field(25, ge=10, le=500, description="fee increase per replacement (nodes want >=10)")
    max_bumps: int = Field(5, ge=0, description="replacements per batch before waiting it out")
    rebroadcast_after_s: float = Field(30.0, ge=0, description="send a pending tx again after this long")


class LedgerSettings(BaseModel):
    """``[ledger]`` in qsm.toml, ``QSM_LEDGER__*`` env vars."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    enabled: bool = True
    backend: Backend = Field("embedded", description="embedded = in-process EVM under the data dir")
    rpc_url: str | None = Field(None, description="JSON-RPC endpoint (http/https) for backend 'rpc'")
    chain_id: int | None = Field(None, gt=0, description="refuse a node that reports another chain id")
    contract_address: str | None = Field(None, description="AnchorRegistry to use; None = deploy once")
    keystore_path: Path | None = Field(None, description="encrypted keystore (used if no env key is set)")
    batch_max_leaves: int = Field(256, ge=1, le=100_000, description="seal a batch at this many outputs")
    batch_max_age_s: float = Field(60.0, ge=0, description="seal when the oldest pending output is older")
    max_open_batches: int = Field(4, ge=1, description="sealed-but-not-mined batches before sealing waits")
    finality: Finality = Field("finalized", description="'finalized' block tag, or N confirmations")
    confirmations: int = Field(12, ge=1, description="blocks for 'confirmations' (and if no finalized tag)")
    anchor_messages: bool = Field(False, description="also record every channel message")
    poll_interval_s: float = Field(2.0, ge=0, description="tick() asks the chain at most this often")
    anchor_timeout_s: float = Field(120.0, gt=0, description="how long `anchor_now` waits for receipts")
    rpc_timeout_s: float = Field(10.0, gt=0, description="per-request timeout for the RPC endpoint")
    fees: FeeSettings = Field(default_factory=FeeSettings)

    @field_validator("keystore_path")
    @classmethod
    def _expand(cls, value: Path | None) -> Path | None:
        return value.expanduser() if value is not None else None

    def ledger_dir(self, data_dir: Path) -> Path:
        """Where the outbox, the embedded chain and proofs of ``data_dir`` live."""
        return Path(data_dir) / "ledger"
