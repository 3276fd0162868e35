"""A static stand-in for MiniLM: one learned vector per tokenizer token, averaged and L2-normalised.

The vectors were distilled from all-MiniLM-L6-v2 (``qsm train embedder``: each text's average token
vector is fitted to the MiniLM sentence embedding of the text), so they live in MiniLM's vector space:
a memory built by MiniLM searches them with MiniLM query vectors. Embedding is a table lookup, about
two hundred times faster than the transformer and less exact; ingest uses it to make a document
searchable at once and ``qsm memory refine`` replaces its vectors with MiniLM's later.

The table ships as package data (int8 rows with a scale each, see ``data/CARD.md``).
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from qsm.errors import MemoryStoreError
from qsm.store.minilm import locate_model_files
from qsm.store.vectors import normalize_rows

__all__ = ["STATIC_TABLE", "StaticEmbedder", "load_static_table", "save_static_table"]

STATIC_TABLE = Path(__file__).with_name("data") / "minilm-static.npz"
"""The shipped table: ``weights`` (int8, tokens x dims), ``scales`` (float32 per token), ``space``."""


def save_static_table(path: Path, table: np.ndarray, space: str) -> None:
    """Write ``table`` (float32, tokens x dims) as int8 rows with a scale each."""
    scales = np.abs(table).max(axis=1) / 127.0
    scales[scales == 0] = 1.0
    weights = np.round(table / scales[:, None]).astype(np.int8)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as out:
        np.savez_compressed(out, weights=weights, scales=scales.astype(np.float32), space=np.array(space))


def load_static_table(path: Path) -> tuple[np.ndarray, str]:
    """(float32 table, the name of the embedder whose space it approximates)."""
    if not path.is_file():
        raise MemoryStoreError(
            f"the static embedding table {path} is missing",
            hint="reinstall qsm, or set memory.ingest_vectors = 'model' to embed with the model only",
        )
    try:
        with np.load(path, allow_pickle=False) as data:
            table = data["weights"].astype(np.float32) * data["scales"][:, None]
            space = str(data["space"])
    except (OSError, KeyError, ValueError) as exc:
        raise MemoryStoreError(
            f"{path} is not a static embedding table ({exc})",
            hint="reinstall qsm, or rebuild it with `qsm train embedder`",
        ) from None
    return table, space


class StaticEmbedder:
    """Average of learned token vectors over a text's first ``max_tokens`` tokens (MiniLM's tokenizer),
    L2-normalised: an approximation of the MiniLM embedding of the text."""

    def __init__(self, table: Path = STATIC_TABLE, max_tokens: int = 256) -> None:
        self._path = table
        self._max_tokens = max_tokens
        self._table: np.ndarray | None = None
        self._space = ""
        self._tokenizer: Any = None
        self._lock = threading.Lock()

    @property
    def space(self) -> str:
        """The name of the embedder whose vectors these approximate."""
        self._load()
        return self._space

    @property
    def name(self) -> str:
        return f"{self.space}-static"

    @property
    def dim(self) -> int:
        table, _ = self._load()
        return int(table.shape[1])

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        table, tokenizer = self._load()
        if not texts:
            return np.zeros((0, table.shape[1]), dtype=np.float32)
        ids = [e.ids for e in tokenizer.encode_batch(list(texts))]
        lengths = np.array([len(i) for i in ids])
        rows = table[np.concatenate(ids)]
        starts = np.concatenate([[0], np.cumsum(lengths)[:-1]])
        sums = np.add.reduceat(rows, starts, axis=0)
        return normalize_rows(sums / np.maximum(lengths, 1)[:, None])

    def _load(self) -> tuple[np.ndarray, Any]:
        with self._lock:
            if self._table is None:
                from tokenizers import Tokenizer

                table, space = load_static_table(self._path)
                tokenizer = Tokenizer.from_file(str(locate_model_files()[1]))
                if tokenizer.get_vocab_size() != table.shape[0]:
                    raise MemoryStoreError(
                        f"{self._path} has {table.shape[0]} token vectors; the tokenizer has "
                        f"{tokenizer.get_vocab_size()} tokens",
                        hint="rebuild the table with `qsm train embedder`",
                    )
                tokenizer.enable_truncation(max_length=self._max_tokens)
                tokenizer.no_padding()
                self._table, self._space, self._tokenizer = table, space, tokenizer
            return self._table, self._tokenizer
