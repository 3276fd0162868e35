"""Write a real (random-weight) LoRA adapter GGUF for the bundled SmolLM2-135M base, for adapter tests."""

from __future__ import annotations

from pathlib import Path

import numpy as np


def write_random_lora(
    path: Path, *, rank: int = 8, alpha: float = 16.0, magnitude: float = 0.05, seed: int = 0
) -> Path:
    import gguf

    rng = np.random.default_rng(seed)
    writer = gguf.GGUFWriter(str(path), arch="llama")
    writer.add_type("adapter")
    writer.add_string("adapter.type", "lora")
    writer.add_float32("adapter.lora.alpha", alpha)
    for block in range(30):
        for name, n_out in (("attn_q", 576), ("attn_v", 192)):
            base = f"blk.{block}.{name}.weight"
            writer.add_tensor(
                f"{base}.lora_a", (rng.standard_normal((rank, 576)) * magnitude).astype(np.float32)
            )
            writer.add_tensor(
                f"{base}.lora_b", (rng.standard_normal((n_out, rank)) * magnitude).astype(np.float32)
            )
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return path
