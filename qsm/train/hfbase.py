"""The base model for training: loaded from its GGUF through transformers (``gguf_file=``, which dequantizes
the weights to float), on the device and precision the machine offers."""

from __future__ import annotations

import json
import os
import warnings
from pathlib import Path
from typing import Any

from qsm.agents.locate import resolve_model_path
from qsm.train.errors import TrainingError, require_train_extra

__all__ = ["autocast_dtype", "load_base", "load_base_config", "resolve_device", "write_base_config"]


def _quiet_transformers() -> None:
    import transformers

    transformers.utils.logging.set_verbosity_error()
    transformers.utils.logging.disable_progress_bar()
    try:  # the GGUF loader draws its own progress bar, outside transformers' switch
        import transformers.modeling_gguf_pytorch_utils as gguf_loader

        gguf_loader.tqdm = lambda iterable, **_kw: iterable
    except ImportError:  # pragma: no cover - other transformers layouts
        pass
    warnings.filterwarnings("ignore", category=FutureWarning, module="transformers")
    warnings.filterwarnings("ignore", message="Could not find a config file", module="peft")


def resolve_device(wanted: str) -> str:
    """``auto`` -> cuda if a CUDA GPU is visible, else mps on Apple silicon, else cpu."""
    import torch

    if wanted == "auto":
        if torch.cuda.is_available():
            return "cuda"
        if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
            return "mps"
        return "cpu"
    if wanted == "cuda" and not torch.cuda.is_available():
        raise TrainingError("device cuda was asked for but torch sees no CUDA GPU", hint="use --device auto")
    return wanted


def _cpu_has_bf16() -> bool:
    try:
        flags = Path("/proc/cpuinfo").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return False
    return "avx512_bf16" in flags or "amx_bf16" in flags


def autocast_dtype(precision: str, device: str) -> Any:
    """The autocast dtype for ``precision`` on ``device`` (None = plain fp32). bf16 only where the hardware
    computes it natively: emulated bf16 is slower than fp32."""
    import torch

    if precision == "fp32":
        return None
    if device == "cuda":
        supported = torch.cuda.is_bf16_supported()
    elif device == "cpu":
        supported = _cpu_has_bf16()
    else:
        supported = False
    if precision == "bf16" and not supported:
        raise TrainingError(f"bf16 is not supported natively on this {device}", hint="use --precision fp32")
    return torch.bfloat16 if supported else None


def load_base(base: Path | None, device: str) -> tuple[Any, Any]:
    """(model in float32 on ``device``, tokenizer) from the base GGUF (None = the bundled model)."""
    require_train_extra()
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    _quiet_transformers()
    path = resolve_model_path(base)
    try:
        tokenizer = AutoTokenizer.from_pretrained(str(path.parent), gguf_file=path.name)
        # Any: transformers wraps PreTrainedModel.to in @wraps(torch.nn.Module.to), which mypy reads as an
        # unbound function (the device taken for `self`); callers get the model untyped anyway
        model: Any = AutoModelForCausalLM.from_pretrained(
            str(path.parent), gguf_file=path.name, dtype=torch.float32
        )
    except (ValueError, OSError, KeyError, NotImplementedError) as exc:
        raise TrainingError(
            f"transformers cannot load {path} as a training base: {exc}",
            hint="use a GGUF whose architecture and quantization transformers' gguf loader supports",
        ) from None
    return model.to(device), tokenizer


def load_base_config(base: Path | None) -> dict[str, Any]:
    """The base's Hugging Face config (from the GGUF's metadata), as convert_lora_to_gguf needs it."""
    require_train_extra()
    from transformers import AutoConfig

    _quiet_transformers()
    path = resolve_model_path(base)
    config = AutoConfig.from_pretrained(str(path.parent), gguf_file=path.name)
    data = config.to_dict()
    data.pop("quantization_config", None)  # the weights it describes are the GGUF's, not ours
    if not data.get("architectures"):
        from transformers.models.auto.modeling_auto import MODEL_FOR_CAUSAL_LM_MAPPING_NAMES

        data["architectures"] = [MODEL_FOR_CAUSAL_LM_MAPPING_NAMES[config.model_type]]
    return data


def write_base_config(base: Path | None, folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / "config.json"
    tmp = target.with_suffix(".tmp")
    tmp.write_text(json.dumps(load_base_config(base), indent=2) + "\n", encoding="utf-8")
    os.replace(tmp, target)
    return folder
