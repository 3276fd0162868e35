"""Merged models per role (LoRA folded into the weights, converted with llama.cpp's convert_hf_to_gguf,
quantized with llama.cpp's quantizer): the alternative to one base plus adapters that the memory
comparison measures."""

from __future__ import annotations

import ctypes
import shutil
from pathlib import Path

from qsm.agents.locate import resolve_model_path
from qsm.train.errors import TrainingError, require_train_extra
from qsm.train.export import run_converter
from qsm.train.hfbase import load_base

__all__ = ["FILE_TYPES", "gguf_file_type", "merge_to_gguf", "quantize_gguf"]

FILE_TYPES = {"f16": 1, "q4_0": 2, "q4_1": 3, "q8_0": 7, "q4_k_m": 15, "q5_k_m": 17, "q6_k": 18}


def gguf_file_type(path: Path) -> int:
    """The GGUF's ``general.file_type`` (llama.cpp's LLAMA_FTYPE_*; 3 = Q4_1)."""
    import gguf

    field = gguf.GGUFReader(str(path)).fields.get("general.file_type")
    if field is None:
        raise TrainingError(f"{path} does not record its file type", hint="quantize the merged model by hand")
    return int(field.parts[field.data[0]][0])


def quantize_gguf(source: Path, target: Path, file_type: int, threads: int = 2) -> Path:
    """Quantize with llama.cpp's own quantizer (through llama-cpp-python's C binding)."""
    import llama_cpp

    params = llama_cpp.llama_model_quantize_default_params()
    params.ftype = file_type
    params.nthread = threads
    rc = llama_cpp.llama_model_quantize(
        str(source).encode("utf-8"), str(target).encode("utf-8"), ctypes.byref(params)
    )
    if rc != 0:
        raise TrainingError(f"llama.cpp could not quantize {source} (code {rc})", hint="check the file")
    return target


def merge_to_gguf(
    base: Path | None, adapter_dir: Path, out_dir: Path, file_types: tuple[str, ...] = ("base", "q8_0")
) -> dict[str, Path]:
    """Fold the adapter into the base weights, convert once to f16 GGUF and quantize it to each of
    ``file_types`` ("base" = the base GGUF's own type, e.g. Q4_1; or a name in :data:`FILE_TYPES`).
    Returns {type name: file}. Re-quantizing to 4 bits can erase much of a small LoRA's change, which is
    why adapters are served unmerged on the quantized base."""
    require_train_extra()
    from peft import PeftModel

    base_path = resolve_model_path(base)
    work = out_dir / ".work"
    shutil.rmtree(work, ignore_errors=True)
    hf_dir = work / "hf"
    model, tokenizer = load_base(base_path, "cpu")
    merged = PeftModel.from_pretrained(model, str(adapter_dir)).merge_and_unload()
    # The GGUF loader marks the model as quantized, but its weights are plain floats by now: unmark it so
    # that transformers saves them.
    merged.hf_quantizer = None
    if hasattr(merged.config, "quantization_config"):
        del merged.config.quantization_config
    merged.save_pretrained(str(hf_dir), safe_serialization=True)
    tokenizer.save_pretrained(str(hf_dir))
    f16 = work / "merged-f16.gguf"
    run_converter(
        "convert_hf_to_gguf.py",
        [str(hf_dir), "--outfile", str(f16), "--outtype", "f16"],
        what=f"convert the merged {adapter_dir.name} model",
    )
    out: dict[str, Path] = {}
    for name in file_types:
        code = gguf_file_type(base_path) if name == "base" else FILE_TYPES[name]
        label = next((k for k, v in FILE_TYPES.items() if v == code), f"type{code}")
        out[label] = quantize_gguf(f16, out_dir / f"merged-{label}.gguf", code)
    shutil.rmtree(work, ignore_errors=True)
    return out
