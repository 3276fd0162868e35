"""The memory probe: one base + four adapter handles vs four separate model files, in subprocesses."""

from __future__ import annotations

import mmap
import shutil
from pathlib import Path

import pytest

from qsm.agents import bundled_model_path
from qsm.train.memory import measure_serving_memory, process_memory
from qsm.train.merge import FILE_TYPES, gguf_file_type
from tests.lora_fixture import write_random_lora

AGENTS = ("QSM", "WeQ", "SOM", "Ref")


def test_process_memory_reads_this_process() -> None:
    before = process_memory()
    ballast = mmap.mmap(-1, 64 * 2**20)  # a fresh mapping: freed heap pages cannot be reused for it
    for offset in range(0, len(ballast), 4096):
        ballast[offset] = 1  # touch every page
    after = process_memory()
    assert after["rss_mb"] - before["rss_mb"] > 50 and after["uss_mb"] - before["uss_mb"] > 50
    assert 0 < after["pss_mb"] <= after["rss_mb"]
    ballast.close()


def test_bundled_base_is_q4_1() -> None:
    pytest.importorskip("gguf")
    assert gguf_file_type(bundled_model_path()) == FILE_TYPES["q4_1"]


@pytest.mark.real_model
@pytest.mark.slow
def test_shared_base_with_adapters_uses_less_memory_than_four_models(tmp_path: Path) -> None:
    adapters = {a: write_random_lora(tmp_path / f"{a}.gguf", seed=i) for i, a in enumerate(AGENTS)}
    copies = {}
    for agent in AGENTS:  # four separate files of the same size, as four merged models would be
        copies[agent] = tmp_path / f"{agent}-model.gguf"
        shutil.copyfile(bundled_model_path(), copies[agent])
    result = measure_serving_memory(bundled_model_path(), adapters, copies, n_ctx=512)
    shared, separate = result["base_plus_adapters"], result["merged_models"]
    base = result["base_only"]
    assert base["pss_mb"] < shared["pss_mb"] < separate["pss_mb"]
    model_mb = result["disk_mb"]["base"]
    assert separate["pss_mb"] - shared["pss_mb"] > 2 * model_mb, "three more copies of the weights"
    assert result["disk_mb"]["merged"] == pytest.approx(4 * model_mb)
    assert result["pss_ratio_shared_vs_merged"] < 0.6
