"""How tools write numbers: integers without ``.0``, floats to at most 10 significant digits, positional
notation for ordinary magnitudes (exponent notation only below 1e-6 or from 1e21)."""

from __future__ import annotations

import math
from decimal import Decimal

__all__ = ["SIGNIFICANT_DIGITS", "format_number"]

SIGNIFICANT_DIGITS = 10
_SMALL = 1e-6
_LARGE = 1e21


def format_number(value: int | float) -> str:
    """``42``, ``3.5``, ``0.3333333333``, ``37.77777778``, ``100000000000000000000``, ``1.5e-09``."""
    if isinstance(value, bool):
        raise TypeError("format_number takes a number, not a bool")
    if isinstance(value, int):
        return str(value)
    if not math.isfinite(value):
        raise ValueError(f"cannot format {value}: not a finite number")
    rounded = float(f"{value:.{SIGNIFICANT_DIGITS}g}")
    if rounded == 0:
        return "0"
    if rounded.is_integer() and abs(rounded) < _LARGE:
        return str(int(rounded))
    text = f"{rounded:.{SIGNIFICANT_DIGITS}g}"
    if "e" in text and _SMALL <= abs(rounded) < _LARGE:
        text = format(Decimal(text), "f")
    return text
