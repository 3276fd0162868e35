"""PEFT adapter -> GGUF LoRA with llama.cpp's own converter (convert_lora_to_gguf.py), which needs only
the base's config.json. The converters ship in no wheel: scripts/fetch_llama_tools.sh copies them out of
the llama-cpp-python sdist into ``<venv>/share/qsm/llama.cpp`` at install time."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from qsm.train.errors import TrainingError, require_train_extra
from qsm.train.hfbase import write_base_config

__all__ = ["export_adapter", "llama_tools_dir", "run_converter"]

_FETCH_HINT = (
    "fetch llama.cpp's converters once: scripts/fetch_llama_tools.sh (installs into "
    "<venv>/share/qsm/llama.cpp), or point QSM_LLAMA_TOOLS at a llama.cpp checkout"
)


def llama_tools_dir() -> Path:
    """``$QSM_LLAMA_TOOLS``, else ``<sys.prefix>/share/qsm/llama.cpp``; must hold the converters."""
    explicit = os.environ.get("QSM_LLAMA_TOOLS")
    folder = Path(explicit).expanduser() if explicit else Path(sys.prefix) / "share" / "qsm" / "llama.cpp"
    missing = [n for n in ("convert_lora_to_gguf.py", "convert_hf_to_gguf.py") if not (folder / n).is_file()]
    if missing:
        raise TrainingError(f"llama.cpp's {' and '.join(missing)} not found in {folder}", hint=_FETCH_HINT)
    return folder


def run_converter(script: str, args: list[str], *, what: str) -> None:
    """Run one of llama.cpp's converter scripts with this Python, offline; raise with its last words."""
    tools = llama_tools_dir()
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
    proc = subprocess.run(
        [sys.executable, str(tools / script), *args], capture_output=True, text=True, env=env, check=False
    )
    if proc.returncode != 0:
        tail = " | ".join((proc.stderr or proc.stdout).strip().splitlines()[-3:])
        raise TrainingError(
            f"{script} failed to {what}: {tail}",
            hint="check that the adapter was trained on this base and that the llama.cpp tools match "
            "the installed llama-cpp-python (re-run scripts/fetch_llama_tools.sh)",
        )


def export_adapter(
    adapter_dir: Path, out_file: Path, *, base: Path | None, base_config_dir: Path, outtype: str = "f16"
) -> Path:
    """Convert the PEFT adapter in ``adapter_dir`` to a GGUF LoRA at ``out_file`` for the ``base`` GGUF."""
    require_train_extra()
    if not (adapter_dir / "adapter_config.json").is_file():
        raise TrainingError(
            f"no trained adapter in {adapter_dir}", hint="train it first: `qsm train lora --role ROLE`"
        )
    if not (adapter_dir / "adapter_model.safetensors").is_file():
        raise TrainingError(
            f"{adapter_dir} has an adapter config but no weights (adapter_model.safetensors)",
            hint="train it again: `qsm train lora --role ROLE`",
        )
    write_base_config(base, base_config_dir)
    out_file.parent.mkdir(parents=True, exist_ok=True)
    tmp = out_file.with_name(out_file.name + ".part")
    run_converter(
        "convert_lora_to_gguf.py",
        ["--base", str(base_config_dir), "--outfile", str(tmp), "--outtype", outtype, str(adapter_dir)],
        what=f"convert {adapter_dir}",
    )
    tmp.replace(out_file)
    return out_file
