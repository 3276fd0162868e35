"""Vector helpers shared by every embedder (no embedder of its own, so each embedder module can use it)."""

from __future__ import annotations

import numpy as np

__all__ = ["normalize_rows"]


def normalize_rows(vectors: np.ndarray) -> np.ndarray:
    """Unit-length rows (float32); an all-zero row becomes the first basis vector."""
    vectors = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    zero = norms[:, 0] == 0.0
    if zero.any():
        vectors = vectors.copy()
        vectors[zero, 0] = 1.0
        norms[zero] = 1.0
    return vectors / norms
