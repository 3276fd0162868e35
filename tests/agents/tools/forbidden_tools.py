"""A module of tools that tests name without allowing it: it must never be imported by them."""

from __future__ import annotations


def secret(x: str) -> str:
    """Would leak something."""
    return x
