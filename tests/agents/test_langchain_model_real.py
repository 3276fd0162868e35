"""WeQ as a langchain-core chat model on the bundled SmolLM2-135M GGUF with its shipped adapter: a short answer
streams token by token, and a forced tool call decoded under the call grammar is a valid call with an id."""

from __future__ import annotations

from pathlib import Path

import pytest
from langchain_core.messages import AIMessageChunk

from qsm.agents import LlamaCppModel
from qsm.agents.shipped import resolve_adapter
from qsm.graph import Runtime
from qsm.settings import load_settings

pytestmark = pytest.mark.real_model


def population(city: str) -> int:
    """The number of people who live in a city."""
    return {"paris": 2102650}.get(city.strip().lower(), 0)


def test_weq_streams_an_answer_and_writes_a_grammar_constrained_tool_call(tmp_path: Path) -> None:
    settings = load_settings(
        overrides={
            "data_dir": str(tmp_path / "data"),
            "defaults": {"model": {"n_threads": 1}, "sampling": {"temperature": 0.0, "max_tokens": 48}},
        }
    )
    with Runtime(settings, persist=False) as rt:
        chat = rt.chat_model("WeQ")
        shipped = resolve_adapter("WeQ", settings.agent("WeQ").model).path
        assert shipped is not None and isinstance(chat.backend, LlamaCppModel)
        assert chat.backend.adapter == shipped  # the agent's own model: WeQ's shipped LoRA adapter
        chunks = list(chat.stream("What is the capital of France?"))
        forced = chat.bind_tools([population], tool_choice="any").invoke("How many people live in Paris?")
    texts = [str(c.content) for c in chunks if c.content]
    assert len(texts) >= 2 and all(isinstance(c, AIMessageChunk) for c in chunks)
    last = chunks[-1]
    assert last.usage_metadata is not None and last.usage_metadata["output_tokens"] >= len(texts)
    assert last.response_metadata["model_name"] == chat.backend.name
    (made,) = forced.tool_calls
    assert made["name"] == "population" and isinstance(made["args"]["city"], str) and made["id"]
    assert population(**made["args"]) >= 0
