"""The bundled SmolLM2-135M GGUF runs the tool loop under the step grammar: every round's reply is a valid
call of a user tool or an answer, and the loop ends within its bounds (validity, not correctness)."""

from __future__ import annotations

import pytest

from qsm.agents import LlamaBase, LlamaCppModel, Sampling, bundled_model_path
from qsm.agents.tools import Toolbox
from qsm.agents.tools.adapters import as_tool
from qsm.agents.tools.loop import run_tool_loop

pytestmark = pytest.mark.real_model


def population(city: str) -> int:
    """The number of people who live in a French city."""
    return {"paris": 2102650}.get(city.strip().lower(), 0)


def test_bundled_model_runs_the_tool_loop_under_the_step_grammar() -> None:
    base = LlamaBase(bundled_model_path(), n_ctx=2048, n_threads=1, max_instances=1)
    try:
        box = Toolbox([as_tool(population)])
        out = run_tool_loop(
            LlamaCppModel(base),
            [{"role": "user", "content": "How many people live in Paris?"}],
            box,
            sampling=Sampling(temperature=0.0, max_tokens=64),
            max_rounds=2,
        )
    finally:
        base.close()
    assert 1 <= len(out.completions) <= 3
    for call, result in out.steps:  # a grammar-constrained reply is always a valid call
        assert call.tool == "population" and result.ok
    assert out.stopped in ("", "max_rounds")  # under the grammar no call is invalid
    assert isinstance(out.completion.text, str)
