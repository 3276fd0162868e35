"""Content ids: a type prefix plus the sha256 of an object's canonical JSON.

The same object always gets the same id on every machine; any change to it changes the id. The ledger
anchors the hex digest part (32 bytes) of these ids.
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from typing import Any

__all__ = ["canonical_json", "content_id", "digest_of", "file_sha256", "is_content_id"]

_ID_PATTERN = re.compile(r"^[a-z][a-z0-9_-]{0,31}:[0-9a-f]{64}$")


def canonical_json(value: Any) -> bytes:
    """Deterministic UTF-8 JSON: sorted keys, no insignificant whitespace, no NaN."""
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    ).encode("utf-8")


def content_id(prefix: str, value: Any) -> str:
    """``prefix:sha256(canonical_json(value))``, e.g. ``draft:3f2a...``."""
    if not re.fullmatch(r"[a-z][a-z0-9_-]{0,31}", prefix):
        raise ValueError(f"content id prefix must be lowercase letters/digits/-/_, got {prefix!r}")
    return f"{prefix}:{hashlib.sha256(canonical_json(value)).hexdigest()}"


def digest_of(cid: str) -> bytes:
    """The 32-byte sha256 digest inside a content id."""
    if not is_content_id(cid):
        raise ValueError(f"not a content id: {cid!r} (expected 'prefix:<64 hex chars>')")
    return bytes.fromhex(cid.split(":", 1)[1])


def is_content_id(value: str) -> bool:
    return bool(_ID_PATTERN.match(value))


def file_sha256(path: Path) -> str:
    """The hex sha256 of a file's bytes, read in 1 MiB blocks (models, adapters)."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
