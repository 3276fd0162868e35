"""Memory settings: where the memory lives, which embedder it uses, and who may write where."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

__all__ = ["AccessRuleSettings", "EmbedderName", "IngestVectors", "MemorySettings"]

EmbedderName = Literal["minilm", "hashing"]
IngestVectors = Literal["fast", "model"]


class AccessRuleSettings(BaseModel):
    """Overrides of one principal's rights; a field left out keeps its default.

    Each entry is a path glob: ``*`` matches one path segment, ``**`` any number (also none), and
    ``{agent}`` stands for the principal's own name (``/agents/{agent}/**``).
    """

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    read: list[str] | None = None
    write: list[str] | None = None
    curate: list[str] | None = None

    @field_validator("read", "write", "curate")
    @classmethod
    def _absolute_globs(cls, value: list[str] | None) -> list[str] | None:
        for glob in value or []:
            if not glob.startswith("/"):
                raise ValueError(f"path glob {glob!r} must start with '/' (e.g. '/knowledge/**')")
        return value


class MemorySettings(BaseModel):
    """``[memory]`` in qsm.toml / ``QSM_MEMORY__*`` env vars."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    path: Path | None = Field(None, description="memory directory; default: <data_dir>/memory")
    chroma_url: str | None = Field(None, description="Chroma server URL (http://host:port); default: on disk")
    collection: str = Field(
        "qsm-memory", min_length=3, max_length=63, pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]+$"
    )
    embedder: EmbedderName = "minilm"
    embed_threads: int = Field(1, ge=1, le=64, description="onnxruntime intra-op threads")
    embed_batch: int = Field(
        8, ge=1, le=1024, description="texts per model call (8 embeds ingested chunks fastest on a CPU)"
    )
    max_tokens: int = Field(256, ge=16, le=512, description="texts are truncated to this many tokens")
    ingest_vectors: IngestVectors = Field(
        "fast",
        description="fast: ingest embeds chunks with a static stand-in of MiniLM (searchable ~100x sooner) "
        "and `qsm memory refine` gives them MiniLM's vectors; model: MiniLM embeds every chunk at once",
    )
    hashing_dim: int = Field(256, ge=16, le=4096, description="vector size of the hashing embedder")
    chunk_chars: int = Field(800, ge=200, le=20_000, description="target chunk size when ingesting")
    chunk_overlap: int = Field(100, ge=0, le=2_000, description="characters repeated between chunks")
    dedupe_threshold: float = Field(0.95, gt=0.0, le=1.0, description="cosine similarity of near-duplicates")
    enabled: bool = Field(True, description="runs recall and remember through this memory")
    lock_timeout_s: float = Field(
        30.0,
        ge=0.0,
        description="how long an operation waits for another process's operation on the on-disk memory",
    )
    rights: dict[str, AccessRuleSettings] = Field(
        default_factory=dict, description="per-principal overrides: {'WeQ': {'write': ['/users/**']}}"
    )

    @field_validator("chroma_url")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("http://", "https://")):
            raise ValueError(f"chroma_url must start with http:// or https://, got {value!r}")
        return value or None
