"""Parts of training that need the [train] extra but no training run: tokenization as served, loss masks,
batches, schedule, device and base config."""

from __future__ import annotations

import random

import pytest

from qsm.train import seed_examples
from qsm.train.sft import DECISION_KEYS, Encoded, _batches, _schedule, encode
from tests.train.helpers import needs_train_extra

pytestmark = needs_train_extra


@pytest.fixture(scope="module")
def tokenizer():  # type: ignore[no-untyped-def]
    from transformers import AutoTokenizer

    from qsm.agents import bundled_model_path

    path = bundled_model_path()
    return AutoTokenizer.from_pretrained(str(path.parent), gguf_file=path.name)


@pytest.mark.real_model
def test_training_prompt_tokens_are_the_served_ones(tokenizer) -> None:  # type: ignore[no-untyped-def]
    from qsm.agents import LlamaBase, bundled_model_path

    base = LlamaBase(bundled_model_path(), n_ctx=1024, n_threads=1, max_instances=1)
    try:
        for role in ("QSM", "WeQ", "Ref"):
            example = seed_examples(role, 9, 12)[0]
            encoded = encode(example, tokenizer, 1024)
            assert encoded is not None
            served, _stops = base.tokenize_chat(example.chat)
            assert encoded.ids[: encoded.prompt_len] == served, role
            reply = tokenizer.decode(encoded.ids[encoded.prompt_len :])
            assert reply == example.target + "<|im_end|>", "loss covers the reply and the end-of-turn only"
    finally:
        base.close()


def test_too_long_examples_are_skipped_not_cut(tokenizer) -> None:  # type: ignore[no-untyped-def]
    example = seed_examples("WeQ", 9, 12)[0]
    full = encode(example, tokenizer, 4096)
    assert full is not None
    assert encode(example, tokenizer, len(full.ids) - 1) is None
    assert encode(example, tokenizer, len(full.ids)) == full


def test_batches_cover_every_example_once_with_little_padding() -> None:
    items = [Encoded(list(range(n)), 1) for n in random.Random(0).choices(range(5, 300), k=101)]
    batches = _batches(items, 8, random.Random(1))
    assert sorted(id(e) for b in batches for e in b) == sorted(id(e) for e in items)
    assert max(len(b) for b in batches) == 8
    padding = sum(max(len(e.ids) for e in b) * len(b) - sum(len(e.ids) for e in b) for b in batches)
    assert padding < 0.1 * sum(len(e.ids) for e in items)


def test_schedule_warms_up_then_decays_to_a_tenth() -> None:
    factor = _schedule(4, 100)
    assert [round(factor(s), 2) for s in range(4)] == [0.2, 0.4, 0.6, 0.8]
    assert factor(4) == pytest.approx(1.0) and factor(100) == pytest.approx(0.1)
    assert all(factor(s) >= factor(s + 1) for s in range(4, 100))


def test_device_precision_and_base_config() -> None:
    import torch

    from qsm.train.hfbase import autocast_dtype, load_base_config, resolve_device

    expected = "cuda" if torch.cuda.is_available() else resolve_device("cpu")
    assert resolve_device("auto") in (expected, "mps")
    assert autocast_dtype("fp32", "cpu") is None
    assert autocast_dtype("auto", "mps") is None
    config = load_base_config(None)
    assert config["architectures"] == ["LlamaForCausalLM"] and "quantization_config" not in config
    assert (config["hidden_size"], config["num_hidden_layers"], config["num_key_value_heads"]) == (576, 30, 3)


def test_decision_tokens_are_the_decision_values(tokenizer) -> None:  # type: ignore[no-untyped-def]
    import json

    for role in ("QSM", "SOM", "Ref", "WeQ"):
        for example in seed_examples(role, 9, 24):
            encoded = encode(example, tokenizer, 1024)
            assert encoded is not None
            text = tokenizer.decode([encoded.ids[p] for p in encoded.decision]).replace(" ", "")
            if example.task in ("QSM.plan", "SOM.budget", "Ref.verify"):
                reply = json.loads(example.target)
                values = [str(reply[k]).lower() for k in DECISION_KEYS if k in reply]
                assert values and all(v in text.lower() for v in values), (example.task, text, values)
                assert all(p >= encoded.prompt_len for p in encoded.decision)
            else:
                assert encoded.decision == (), example.task
