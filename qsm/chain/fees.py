"""EIP-1559 fee choice for a new transaction and for a replacement (fee bump)."""

from __future__ import annotations

import math
from dataclasses import dataclass

from qsm.chain.client import ChainClient
from qsm.chain.settings import FeeSettings
from qsm.errors import LedgerError

__all__ = ["Fees", "bumped_fees", "gwei", "initial_fees"]

_DEFAULT_TIP = 10**9  # 1 gwei when neither settings nor node suggest one


def gwei(value: float) -> int:
    return round(value * 10**9)


@dataclass(frozen=True)
class Fees:
    max_fee: int
    priority_fee: int


def _tip(client: ChainClient, settings: FeeSettings) -> int:
    if settings.priority_fee_gwei is not None:
        return gwei(settings.priority_fee_gwei)
    suggested = client.suggested_priority_fee()
    return suggested if suggested is not None else _DEFAULT_TIP


def _capped(fees: Fees, base_fee: int, settings: FeeSettings) -> Fees:
    if settings.max_fee_gwei is None:
        return fees
    cap = gwei(settings.max_fee_gwei)
    tip = min(fees.priority_fee, cap)
    if base_fee + tip > cap:
        raise LedgerError(
            f"the chain's base fee ({base_fee / 1e9:.3f} gwei) is above ledger.fees.max_fee_gwei "
            f"({settings.max_fee_gwei} gwei)",
            hint="outputs stay queued until fees drop; raise ledger.fees.max_fee_gwei to anchor sooner",
        )
    return Fees(max_fee=min(fees.max_fee, cap), priority_fee=tip)


def initial_fees(client: ChainClient, settings: FeeSettings) -> Fees:
    """``maxFeePerGas = base fee x multiplier + tip``, within the configured cap."""
    base = client.base_fee()
    tip = _tip(client, settings)
    return _capped(Fees(int(base * settings.base_fee_multiplier) + tip, tip), base, settings)


def bumped_fees(client: ChainClient, settings: FeeSettings, previous: Fees) -> Fees | None:
    """Fees for a replacement: both fees up by at least ``bump_percent`` (nodes require >= 10 %) and at
    least what a new transaction would offer now. None if that would pass the cap."""
    factor = 1 + settings.bump_percent / 100
    base = client.base_fee()
    tip = max(math.ceil(previous.priority_fee * factor), _tip(client, settings))
    max_fee = max(math.ceil(previous.max_fee * factor), int(base * settings.base_fee_multiplier) + tip)
    if settings.max_fee_gwei is not None and max_fee > gwei(settings.max_fee_gwei):
        return None
    return Fees(max_fee=max_fee, priority_fee=tip)
