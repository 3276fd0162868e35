"""The training pipeline's user-facing error."""

from __future__ import annotations

from qsm.errors import QsmError

__all__ = ["TRAIN_EXTRA_HINT", "TrainingError", "require_train_extra"]

TRAIN_EXTRA_HINT = (
    "install the training extra: `pip install -e '.[train]'` (on CPU-only machines first "
    "`pip install torch==2.13.0` so that pip takes the CPU build), then scripts/fetch_llama_tools.sh"
)


class TrainingError(QsmError):
    """Datasets, training, export or evaluation cannot go on (missing extra, tools, files, bad input)."""

    exit_code = 7


def require_train_extra() -> None:
    """Raise :class:`TrainingError` naming the ``[train]`` extra if torch/transformers/peft are missing."""
    missing = []
    for module in ("torch", "transformers", "peft", "safetensors"):
        try:
            __import__(module)
        except ImportError:
            missing.append(module)
    if missing:
        raise TrainingError(
            f"training needs {', '.join(missing)}, which is not installed", hint=TRAIN_EXTRA_HINT
        )
