"""Embedders turn texts into L2-normalised vectors; the store records which one built it."""

from __future__ import annotations

import hashlib
import itertools
import re
from collections.abc import Sequence
from typing import Protocol, runtime_checkable

import numpy as np

from qsm.store.minilm import MiniLMEmbedder
from qsm.store.settings import MemorySettings
from qsm.store.static_embedder import StaticEmbedder
from qsm.store.vectors import normalize_rows

__all__ = ["Embedder", "HashingEmbedder", "make_embedder", "make_fast_embedder"]

_WORD = re.compile(r"\w+", re.UNICODE)


@runtime_checkable
class Embedder(Protocol):
    """``embed`` returns a float32 array of shape (len(texts), dim) whose rows have unit length."""

    @property
    def name(self) -> str:
        """Identifies the vector space; a memory refuses to open with an embedder of another name."""
        ...

    @property
    def dim(self) -> int: ...

    def embed(self, texts: Sequence[str]) -> np.ndarray: ...


class HashingEmbedder:
    """Deterministic bag of words and word pairs hashed into ``dim`` signed buckets.

    No model, no state: texts sharing words get similar vectors. Meant for fast tests and as a
    fallback where no model may be installed; it knows nothing of synonyms.
    """

    def __init__(self, dim: int = 256) -> None:
        self._dim = dim

    @property
    def name(self) -> str:
        return f"hashing-{self._dim}"

    @property
    def dim(self) -> int:
        return self._dim

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        out = np.zeros((len(texts), self._dim), dtype=np.float32)
        for row, text in enumerate(texts):
            words = [w.lower() for w in _WORD.findall(text)]
            features = words + [f"{a} {b}" for a, b in itertools.pairwise(words)]
            for feature in features:
                digest = hashlib.blake2b(feature.encode("utf-8"), digest_size=8).digest()
                bucket = int.from_bytes(digest[:4], "little") % self._dim
                out[row, bucket] += 1.0 if digest[4] & 1 else -1.0
        return normalize_rows(out)


def make_embedder(settings: MemorySettings) -> Embedder:
    """The embedder ``settings.embedder`` names; the MiniLM model loads on first use."""
    if settings.embedder == "hashing":
        return HashingEmbedder(settings.hashing_dim)
    return MiniLMEmbedder(
        threads=settings.embed_threads, batch_size=settings.embed_batch, max_tokens=settings.max_tokens
    )


def make_fast_embedder(settings: MemorySettings, embedder: Embedder) -> Embedder | None:
    """The static stand-in that ingest embeds with when ``settings.ingest_vectors`` is "fast" and the
    memory embeds with MiniLM (its vector space); None otherwise, and on a Chroma server, whose other
    clients would not know which vectors are rough (the marks live in this client's memory index)."""
    if settings.ingest_vectors != "fast" or settings.chroma_url or embedder.name != MiniLMEmbedder.NAME:
        return None
    return StaticEmbedder(max_tokens=settings.max_tokens)
