"""The bundled SmolLM2-135M GGUF through llama-cpp-python: backends, structured output, a whole run."""

from __future__ import annotations

import json
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from qsm.agents import (
    LlamaBase,
    LlamaCppModel,
    ModelPool,
    ModelRequest,
    OpenAIChatModel,
    Sampling,
    bundled_model_path,
)
from qsm.agents.roles import VerdictReply, chat
from qsm.agents.settings import AgentSettings, ModelSettings
from qsm.agents.structured import generate_structured
from qsm.errors import ModelCallError, PromptTooLongError
from qsm.graph import Runtime, Workflow, run

pytestmark = pytest.mark.real_model
MESSAGES = chat("You are concise.", "What is 2+2?")


@pytest.fixture(scope="module")
def base() -> LlamaBase:
    b = LlamaBase(bundled_model_path(), n_ctx=1024, n_threads=1, max_instances=2)
    yield b
    b.close()


def test_streams_and_counts_tokens(base: LlamaBase) -> None:
    model = LlamaCppModel(base)
    pieces: list[str] = []
    done = model.complete(
        ModelRequest(MESSAGES, sampling=Sampling(temperature=0, max_tokens=24), on_token=pieces.append)
    )
    assert "".join(pieces) == done.raw_text and done.text
    assert done.prompt_tokens == model.count_tokens(MESSAGES) > 10
    assert 0 < done.completion_tokens <= 25
    again = model.complete(ModelRequest(MESSAGES, sampling=Sampling(temperature=0, max_tokens=24)))
    assert again.text == done.text  # greedy decoding is deterministic, also on a warm prefix


def test_grammar_constrained_json_validates(base: LlamaBase) -> None:
    model = LlamaCppModel(base)
    result = generate_structured(
        model,
        chat("You review answers. Reply with JSON only.", "Request: 2+2? Answer: 4. Review it."),
        VerdictReply,
        sampling=Sampling(temperature=0, max_tokens=120),
    )
    assert result.value.decision in ("accept", "revise", "reject")
    json.loads(json.dumps(result.value.model_dump()))


def test_oversize_prompt_refused_before_generation(base: LlamaBase) -> None:
    with pytest.raises(PromptTooLongError, match="context window is 1024"):
        LlamaCppModel(base).complete(
            ModelRequest(chat("s", "word " * 2000), sampling=Sampling(max_tokens=16))
        )


def test_parallel_calls_use_separate_instances(base: LlamaBase) -> None:
    from concurrent.futures import ThreadPoolExecutor

    model = LlamaCppModel(base)
    with ThreadPoolExecutor(2) as pool:
        outs = list(
            pool.map(
                lambda k: model.complete(
                    ModelRequest(MESSAGES, sampling=Sampling(temperature=0, max_tokens=12), cache_key=k)
                ),
                ["a", "b"],
            )
        )
    assert outs[0].text == outs[1].text and base.loads == 2


def test_missing_lora_adapter_is_clear(base: LlamaBase, tmp_path: Path) -> None:
    from qsm.errors import ModelNotFoundError

    model = LlamaCppModel(base, adapter=tmp_path / "missing-lora.gguf")
    with pytest.raises(ModelNotFoundError, match="LoRA adapter"):
        model.complete(ModelRequest(MESSAGES, sampling=Sampling(max_tokens=4)))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.slow
def test_openai_backend_against_llama_cpp_server() -> None:
    port = _free_port()
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "llama_cpp.server",
            "--model",
            str(bundled_model_path()),
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--n_ctx",
            "1024",
            "--n_threads",
            "1",
            "--verbose",
            "false",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/v1/models", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert server.poll() is None, server.stderr.read().decode()[-2000:]
            assert time.monotonic() < deadline, "llama_cpp.server did not start"
            time.sleep(0.5)
        settings = ModelSettings(
            backend="openai", url=f"http://127.0.0.1:{port}/v1", n_ctx=1024, response_format="json_object"
        )
        model = OpenAIChatModel(settings)
        pieces: list[str] = []
        done = model.complete(
            ModelRequest(MESSAGES, sampling=Sampling(temperature=0, max_tokens=24), on_token=pieces.append)
        )
        assert done.text and "".join(pieces) == done.raw_text
        verdict = generate_structured(
            model,
            chat("Reply with JSON only.", "Review: 2+2=4"),
            VerdictReply,
            sampling=Sampling(temperature=0, max_tokens=100),
        )
        assert verdict.value.decision in ("accept", "revise", "reject")
    finally:
        server.terminate()
        server.wait(timeout=30)
    with pytest.raises(ModelCallError, match="cannot reach"):
        OpenAIChatModel(settings).complete(ModelRequest(MESSAGES, sampling=Sampling(max_tokens=4)))


def test_whole_team_run_on_the_bundled_model(tmp_path: Path) -> None:
    settings_overrides = {"data_dir": str(tmp_path / "d"), "runtime": {"fan_out": 2, "repair_limit": 1}}
    with Runtime.open(overrides=settings_overrides, models=ModelPool()) as rt:
        exact = run(Workflow.default(), "What is 2+2?", runtime=rt)
        open_question = run(Workflow.default(), "Why is the sea salty?", runtime=rt)
    # plain arithmetic: the student routes, the calculator answers, Ref recomputes; no model call is spent
    assert exact.status == "ok" and exact.text == "2 + 2 = 4" and exact.cost.calls == 0
    plan = next(e for e in exact.trace if e.type == "Plan").message()
    assert plan.router == "student"
    # an open question: two candidates drafted by WeQ's model in parallel, Ref's checks judge each
    assert open_question.final is not None and open_question.final_id.startswith("final:")
    senders = {e.source for e in open_question.trace}
    drafts = [e for e in open_question.trace if e.type == "Draft"]
    assert {"QSM", "SOM", "Ref", "WeQ"} <= senders and len(drafts) >= 2
    assert all(d.message().text for d in drafts)
    verdicts = [e.message() for e in open_question.trace if e.type == "Verdict"]
    assert verdicts and all(v.judged_by == "checks" and v.checks for v in verdicts)
    assert open_question.cost.calls >= 2 and open_question.cost.tokens > 50


@pytest.mark.slow
def test_cli_ask_offline_on_bundled_gguf(tmp_path: Path) -> None:
    """The issue's acceptance path: `qsm ask "What is 2+2?"` through all four agents, every message shown."""
    out = subprocess.run(
        [sys.executable, "-m", "qsm.cli", "--data-dir", str(tmp_path / "d"), "ask", "What is 2+2?"],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert out.returncode in (0, 4), out.stdout + out.stderr
    ids = re.findall(r"(\w+) -> (\w+) +(\w+) +([a-z]+:[0-9a-f]{64})", out.stdout)
    kinds = [k for _, _, k, _ in ids]
    for expected in (
        "UserRequest",
        "Plan",
        "Budget",
        "Task",
        "Draft",
        "Verdict",
        "FinalAnswer",
        "CostReport",
    ):
        assert expected in kinds, out.stdout
    assert {"QSM", "SOM", "Ref"} <= {s for s, _, _, _ in ids}
    assert "━━ Final answer" in out.stdout


def test_model_pool_shares_one_base_per_gguf(tmp_path: Path) -> None:
    pool = ModelPool()
    a = pool.model_for("QSM", AgentSettings())
    b = pool.model_for("Ref", AgentSettings.model_validate({"sampling": {"temperature": 0.9}}))
    assert a is not b and a.base is b.base and len(pool.llama_bases) == 1
    pool.close()


R1_STYLE = (
    "{% for m in messages %}<|im_start|>{{ m.role }}\n{{ m.content }}<|im_end|>\n{% endfor %}"
    "<|im_start|>assistant\n<think>\n"
)


def test_thinking_budget_forces_the_answer(base: LlamaBase) -> None:
    """s1 budget forcing: an R1-style template opens <think>; cut it after 8 tokens, force </think>."""
    model = LlamaCppModel(base, chat_template=R1_STYLE)
    msgs = chat("Think step by step, then answer.", "What is 17*3?")
    free = model.complete(ModelRequest(msgs, sampling=Sampling(temperature=0, max_tokens=120)))
    capped = model.complete(
        ModelRequest(msgs, sampling=Sampling(temperature=0, max_tokens=120), thinking_budget=8)
    )
    assert "</think>" in capped.raw_text and capped.thinking
    assert free.raw_text.startswith(capped.thinking.strip()), (
        "greedy: the cut thought is the free run's start"
    )
    assert len(capped.thinking) < len(free.raw_text)
    assert capped.text, "generation continued after the forced </think>"


def test_warm_prefix_answers_are_byte_identical_to_cold(tmp_path: Path) -> None:
    """Agents interleaved on their own warm instances answer exactly as a fresh instance would."""
    system = "You are an assistant. " + " ".join(f"Rule {i}: be brief." for i in range(40))
    greedy = Sampling(temperature=0, max_tokens=12)
    warm_base = LlamaBase(bundled_model_path(), n_ctx=1024, n_threads=1, max_instances=2)
    warm = LlamaCppModel(warm_base)
    answers = {}
    for q in ("Say hello.", "Name a colour.", "Say hello again."):
        for agent in ("A", "B"):
            answers[(agent, q)] = warm.complete(
                ModelRequest(chat(system + agent, q), sampling=greedy, cache_key=agent)
            ).raw_text
    warm_base.close()
    cold_base = LlamaBase(bundled_model_path(), n_ctx=1024, n_threads=1, max_instances=1)
    cold = LlamaCppModel(cold_base)
    for (agent, q), text in answers.items():
        cold_base.close()  # nothing cached
        assert cold.complete(ModelRequest(chat(system + agent, q), sampling=greedy)).raw_text == text
    cold_base.close()
