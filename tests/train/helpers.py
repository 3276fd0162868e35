"""Helpers of the training tests: the [train]-extra skip marker and a fake model that answers with gold."""

from __future__ import annotations

import importlib.util
from collections.abc import Callable

import pytest

from qsm.agents import FakeChatModel
from qsm.agents.fake import FakeCall
from qsm.train import Example

HAS_TRAIN_EXTRA = all(importlib.util.find_spec(m) for m in ("torch", "transformers", "peft", "safetensors"))
needs_train_extra = pytest.mark.skipif(
    not HAS_TRAIN_EXTRA,
    reason="needs the [train] extra (torch, transformers, peft): pip install torch==2.13.0 -e '.[train]'",
)


def gold_model(examples: list[Example], reply: Callable[[Example], str] | None = None) -> FakeChatModel:
    """A fake that answers each example's prompt with its gold target (or ``reply(example)``)."""
    by_prompt = {e.messages[-1]["content"]: e for e in examples}

    def answer(call: FakeCall) -> str:
        example = by_prompt[call.messages[-1]["content"]]
        return reply(example) if reply else example.target

    model = FakeChatModel(auto=False)
    model.enqueue(*([answer] * 10_000))
    return model
