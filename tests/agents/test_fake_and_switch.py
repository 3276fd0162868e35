from __future__ import annotations

import pytest

from qsm.agents import FakeChatModel, ModelPool, ModelRequest, Sampling
from qsm.agents.backend import allow_real_models, fit_prompt
from qsm.agents.llama import LlamaBase, LlamaCppModel
from qsm.agents.settings import AgentSettings
from qsm.agents.thinking import ThinkStream, split_thinking
from qsm.errors import ModelCallError, ModelNotFoundError, PromptTooLongError, RealModelsForbidden


def test_fake_records_calls_and_streams() -> None:
    model = FakeChatModel(["hello there world"], auto=False)
    pieces: list[str] = []
    done = model.complete(
        ModelRequest([{"role": "user", "content": "hi"}], sampling=Sampling(), on_token=pieces.append)
    )
    assert "".join(pieces) == "hello there world" == done.text
    assert model.calls[0].messages[0]["content"] == "hi"
    with pytest.raises(ModelCallError):
        model.complete(ModelRequest([{"role": "user", "content": "again"}], sampling=Sampling()))


def test_fake_raises_queued_exception_and_respects_max_tokens() -> None:
    model = FakeChatModel([RuntimeError("boom"), "a b c d e"], auto=False)
    with pytest.raises(RuntimeError):
        model.complete(ModelRequest([{"role": "user", "content": "x"}], sampling=Sampling()))
    done = model.complete(ModelRequest([{"role": "user", "content": "x"}], sampling=Sampling(max_tokens=2)))
    assert done.text == "a b" and done.finish_reason == "length"


def test_real_models_forbidden_in_unit_tests(tmp_path) -> None:
    gguf = tmp_path / "m.gguf"
    gguf.write_bytes(b"GGUF" + b"\0" * 64)
    model = LlamaCppModel(LlamaBase(gguf, n_ctx=512, n_threads=1))
    with pytest.raises(RealModelsForbidden):
        model.complete(ModelRequest([{"role": "user", "content": "x"}], sampling=Sampling()))


def test_missing_and_non_gguf_model_files(tmp_path) -> None:
    pool = ModelPool()
    with pytest.raises(ModelNotFoundError, match="does not exist"):
        pool.model_for("WeQ", AgentSettings.model_validate({"model": {"path": str(tmp_path / "nope.gguf")}}))
    bogus = tmp_path / "bogus.gguf"
    bogus.write_text("not a model")
    with pytest.raises(ModelNotFoundError, match="not a GGUF"):
        pool.model_for("Ref", AgentSettings.model_validate({"model": {"path": str(bogus)}}))


def test_prompt_too_long_is_clear() -> None:
    model = FakeChatModel(context_window=32)
    with pytest.raises(PromptTooLongError) as info:
        fit_prompt(
            model, ModelRequest([{"role": "user", "content": "word " * 100}], Sampling(), cache_key="WeQ")
        )
    assert "context window is 32" in info.value.message and "n_ctx" in info.value.hint


def test_allow_real_models_context_restores() -> None:
    from qsm.agents import real_models_allowed

    assert not real_models_allowed()
    with allow_real_models():
        assert real_models_allowed()
    assert not real_models_allowed()


@pytest.mark.parametrize(
    ("raw", "thinking", "answer"),
    [
        ("<think>hmm</think>4", "hmm", "4"),
        ("plain", "", "plain"),
        ("reasoning only</think> final", "reasoning only", "final"),
        ("<think>never closed", "never closed", ""),
        ("<think>a</think>x<think>b</think>y", "a\n\nb", "xy"),
    ],
)
def test_split_thinking(raw: str, thinking: str, answer: str) -> None:
    assert split_thinking(raw) == (thinking, answer)


def test_think_stream_handles_split_tags() -> None:
    stream = ThinkStream()
    out = []
    for piece in ["<th", "ink>ab", "c</thi", "nk>The", " answer"]:
        out += stream.feed(piece)
    out += stream.flush()
    thinking = "".join(t for flag, t in out if flag)
    answer = "".join(t for flag, t in out if not flag)
    assert (thinking, answer) == ("abc", "The answer")


def test_fake_thinking_budget_cuts_thinking_and_keeps_answer() -> None:
    model = FakeChatModel(["<think>one two three four five six</think>The answer"], auto=False)
    done = model.complete(
        ModelRequest([{"role": "user", "content": "q"}], sampling=Sampling(), thinking_budget=3)
    )
    assert done.thinking == "one two three" and done.text == "The answer"


def test_a_fake_built_from_settings_keeps_only_its_newest_calls() -> None:
    """A server on the fake backend answers for hours: its call log must not grow with every request."""
    from qsm.agents.fake import KEPT_CALLS

    model = ModelPool().model_for("WeQ", AgentSettings.model_validate({"model": {"backend": "fake"}}))
    assert isinstance(model, FakeChatModel)
    for i in range(KEPT_CALLS + 5):
        model.complete(ModelRequest([{"role": "user", "content": f"question {i}"}], Sampling()))
    assert len(model.calls) == KEPT_CALLS
    assert model.calls[-1].messages[-1]["content"] == f"question {KEPT_CALLS + 4}"
    scripted = FakeChatModel()  # a test's own fake keeps every call
    for i in range(KEPT_CALLS + 5):
        scripted.complete(ModelRequest([{"role": "user", "content": f"question {i}"}], Sampling()))
    assert len(scripted.calls) == KEPT_CALLS + 5
