"""Memory settings (the memory helper extends this model)."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict

__all__ = ["MemorySettings"]


class MemorySettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    path: Path | None = None
    chroma_url: str | None = None
