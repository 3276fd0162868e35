"""End to end on CPU: a tiny LoRA trained for a few steps on the bundled base (loaded from its GGUF through
transformers), exported with llama.cpp's convert_lora_to_gguf, served by qsm.agents.LlamaCppModel on the
bundled Q4_1 GGUF: it must change the output and reproduce the PEFT model's own greedy choices."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from qsm.agents import LlamaBase, LlamaCppModel, ModelRequest, Sampling, bundled_model_path
from qsm.agents.roles import PlanReply
from qsm.train import LoraSettings, PeftTrainer, TrainLayout, export_adapter, llama_tools_dir, seed_examples
from qsm.train.parity import served_parity
from tests.train.helpers import needs_train_extra

pytestmark = [pytest.mark.slow, pytest.mark.real_model, needs_train_extra]


def test_tiny_lora_trains_exports_and_is_served_faithfully(tmp_path: Path) -> None:
    try:
        llama_tools_dir()
    except Exception as exc:  # the converters are fetched at install time
        pytest.skip(f"llama.cpp converters not installed: {exc}")
    plans = [e for e in seed_examples("QSM", 1, 60) if e.task == "QSM.plan"]
    train, held_out = plans[:12], plans[40:43]
    layout = TrainLayout(tmp_path)
    settings = LoraSettings(
        rank=8,
        alpha=16,
        target_modules=["q_proj", "k_proj", "v_proj", "o_proj"],
        learning_rate=3e-3,
        max_steps=8,
        batch_size=4,
        warmup_steps=1,
        threads=2,
    )
    report = PeftTrainer(settings).train("QSM", train, held_out, layout.adapter("QSM"))
    assert report.steps == 8 and report.device == "cpu" and report.examples == 12
    assert report.val_loss[-1] < report.val_loss_before, "a few steps on the format already lower the loss"

    gguf = export_adapter(
        layout.adapter("QSM"), layout.adapter_gguf("QSM"), base=None, base_config_dir=layout.base_config
    )
    assert gguf.read_bytes()[:4] == b"GGUF"
    assert json.loads((layout.base_config / "config.json").read_text())["architectures"] == [
        "LlamaForCausalLM"
    ]

    base = LlamaBase(bundled_model_path(), n_ctx=1024, n_threads=2, max_instances=1)
    greedy = Sampling(temperature=0.0, max_tokens=64)
    prompt = held_out[0].chat
    before = LlamaCppModel(base).complete(ModelRequest(prompt, sampling=greedy)).text
    after = LlamaCppModel(base, adapter=gguf).complete(ModelRequest(prompt, sampling=greedy)).text
    base.close()
    assert after != before, "the served adapter changes the output"
    assert after.lstrip().startswith("{") and not before.lstrip().startswith("{")
    assert PlanReply.model_fields.keys() & json.loads(after[: after.rindex("}") + 1]).keys()

    parity = served_parity(None, layout.adapter("QSM"), gguf, held_out, max_tokens=40)
    assert parity["tokens"] > 30
    assert parity["agreement_with_adapter"] >= 0.9, parity
    assert parity["agreement_with_adapter"] > parity["agreement_without_adapter"], parity
