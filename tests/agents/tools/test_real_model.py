"""The bundled SmolLM2-135M GGUF, grammar-constrained, writes a schema-valid tool call (validity, not
correctness: the small base model may pick any tool or expression)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from qsm.agents import LlamaBase, LlamaCppModel, Sampling, bundled_model_path
from qsm.agents.tools import ToolCall, ask_for_tool_call, builtin_toolbox, tool_call_messages

pytestmark = pytest.mark.real_model


@pytest.fixture(scope="module")
def base() -> Iterator[LlamaBase]:
    b = LlamaBase(bundled_model_path(), n_ctx=1024, n_threads=1, max_instances=1)
    yield b
    b.close()


def test_bundled_model_writes_a_schema_valid_tool_call(base: LlamaBase) -> None:
    toolbox = builtin_toolbox()
    attempt = ask_for_tool_call(
        LlamaCppModel(base),
        tool_call_messages(toolbox, "What is 17 + 25?"),
        toolbox,
        sampling=Sampling(temperature=0.0, max_tokens=96),
    )
    call = attempt.call
    assert isinstance(call, ToolCall) and call.tool in toolbox.names
    toolbox[call.tool].args_model.model_validate(call.arguments)
    assert attempt.attempts == 1, "under the grammar the first reply is already a valid call"
    result = toolbox.run(call)
    assert result.tool == call.tool and (result.ok or result.error)  # runs without raising either way
