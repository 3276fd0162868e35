"""LoRA adapters on one shared base: switched per call, cache reset on switch, base restored exactly."""

from __future__ import annotations

from pathlib import Path

import pytest

from qsm.agents import LlamaBase, LlamaCppModel, ModelPool, ModelRequest, Sampling, bundled_model_path
from qsm.agents.roles import chat
from qsm.agents.settings import AgentSettings
from tests.lora_fixture import write_random_lora

pytestmark = pytest.mark.real_model
GREEDY = Sampling(temperature=0, max_tokens=16)
ASK = chat("You are concise.", "Name a colour.")


def test_adapter_changes_output_and_switching_back_restores_base(tmp_path: Path) -> None:
    adapter = write_random_lora(tmp_path / "lora.gguf", magnitude=0.2)
    base = LlamaBase(bundled_model_path(), n_ctx=512, n_threads=1, max_instances=1)
    plain, tuned = LlamaCppModel(base), LlamaCppModel(base, adapter=adapter)
    first = plain.complete(ModelRequest(ASK, sampling=GREEDY)).raw_text
    with_adapter = tuned.complete(ModelRequest(ASK, sampling=GREEDY)).raw_text
    again = plain.complete(ModelRequest(ASK, sampling=GREEDY)).raw_text
    weak = (
        LlamaCppModel(base, adapter=adapter, adapter_scale=0.0)
        .complete(ModelRequest(ASK, sampling=GREEDY))
        .raw_text
    )
    base.close()
    assert with_adapter != first, "a random LoRA of this size must change greedy output"
    assert again == first, "clearing the adapter must restore the base model exactly"
    assert weak == first, "scale 0 is the base model"
    assert base.loads == 1, "one llama.cpp instance served all three"


def test_pool_gives_each_agent_its_adapter_on_one_base(tmp_path: Path) -> None:
    adapter = write_random_lora(tmp_path / "ref.gguf", magnitude=0.2)
    pool = ModelPool()
    ref = pool.model_for("Ref", AgentSettings.model_validate({"model": {"adapter": str(adapter)}}))
    weq = pool.model_for("WeQ", AgentSettings.model_validate({"model": {"shipped_adapter": False}}))
    assert ref.base is weq.base and ref.adapter == adapter and weq.adapter is None
    assert (
        ref.complete(ModelRequest(ASK, sampling=GREEDY)).raw_text
        != weq.complete(ModelRequest(ASK, sampling=GREEDY)).raw_text
    )
    pool.close()
