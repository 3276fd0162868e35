"""Core runtime benchmark: the graph against raw llama-cpp-python on the same calls and the same model.

* binding efficiency: decode tokens/s of model calls made inside the graph vs the same calls replayed
  through raw ``Llama.create_chat_completion`` (goal >= 0.97);
* orchestration overhead: whole graph wall time vs the sum of raw generation times of the same calls
  (goal <= 1.02), and non-model time per graph step (goal <= 1 ms);
* prefix cache: per agent, warm vs cold time to first token on a long system prompt shared by calls,
  with byte-identical output (goal <= 0.05); agents interleaved, as in a run;
* fan-out: N candidates sequentially (one model instance) vs in parallel (N instances, 1 thread each);
* memory: PSS of four agents on one shared base (mmap) vs four separate copies (no mmap).

Run: python benchmarks/bench_core.py [--quick]. Writes benchmarks/results/core.json.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import write_result

from qsm.agents import LlamaBase, LlamaCppModel, ModelPool, Sampling, bundled_model_path
from qsm.agents.backend import ChatMessage, Completion, ModelRequest
from qsm.graph import Runtime, Workflow, stream
from qsm.settings import load_settings

PREFIX_QUESTIONS = ["Say hello.", "Name a colour.", "Count to three.", "What is the sun?"]
QUESTIONS = ["What is 2+2?", "Name three primary colours.", "Why is the sky blue?", "What is a Merkle tree?"]


@dataclass
class Call:
    agent: str
    messages: list[ChatMessage]
    sampling: Sampling
    schema: dict[str, Any] | None
    completion: Completion


class Recorder:
    """Wraps an agent's model and records every call made through it."""

    def __init__(self, inner: LlamaCppModel, agent: str, log: list[Call]) -> None:
        self.inner, self.agent, self.log = inner, agent, log
        self.name, self.context_window = inner.name, inner.context_window
        self.supports_tools = inner.supports_tools

    def count_tokens(self, messages: list[ChatMessage]) -> int:
        return self.inner.count_tokens(messages)

    def complete(self, request: ModelRequest) -> Completion:
        done = self.inner.complete(request)
        self.log.append(Call(self.agent, list(request.messages), request.sampling, request.json_schema, done))
        return done

    def close(self) -> None:
        pass


def decode_rate(tokens: int, seconds: float, ttft: float | None) -> tuple[int, float]:
    """(decoded tokens after the first, seconds spent decoding them)."""
    return max(0, tokens - 1), max(1e-9, seconds - (ttft or 0.0))


def graph_runs(questions: list[str], tmp: Path) -> tuple[list[Call], float, int]:
    settings = load_settings(
        overrides={
            "data_dir": str(tmp / "graph"),
            "defaults": {"sampling": {"temperature": 0.0}},
            "runtime": {"fan_out": 1, "repair_limit": 1},
            "budget": {"tokens": 100000, "calls": 100, "seconds": 3600},
        }
    )
    base = LlamaBase(bundled_model_path(), n_ctx=2048, n_threads=1, max_instances=4)
    log: list[Call] = []
    pool = ModelPool(
        overrides={a: Recorder(LlamaCppModel(base), a, log) for a in ("QSM", "WeQ", "SOM", "Ref")}
    )
    base.warm(4)
    wall, steps = 0.0, 0
    with Runtime(settings, models=pool, persist=False) as rt:
        list(
            stream(Workflow.default(), "Warm up: say hi.", runtime=rt)
        )  # compile graph and grammars, untimed
        log.clear()
        for q in questions:
            started = time.perf_counter()
            for event in stream(Workflow.default(), q, runtime=rt):
                steps += event.type == "node_done"
            wall += time.perf_counter() - started
    base.close()
    return log, wall, steps


def raw_replay(calls: list[Call]) -> list[tuple[float, float | None, int, str]]:
    """The same calls through raw llama-cpp-python: one Llama per agent, as the graph's pool keeps."""
    from llama_cpp import Llama, LlamaGrammar

    llamas: dict[str, Llama] = {}
    out = []
    for call in calls:
        if call.agent not in llamas:
            llamas[call.agent] = Llama(
                model_path=str(bundled_model_path()),
                n_ctx=2048,
                n_threads=1,
                n_threads_batch=1,
                verbose=False,
            )
        llama = llamas[call.agent]
        grammar = (
            LlamaGrammar.from_json_schema(json.dumps(call.schema, sort_keys=True), verbose=False)
            if call.schema
            else None
        )
        started, first, pieces, n = time.perf_counter(), None, [], 0
        for chunk in llama.create_chat_completion(
            call.messages,
            max_tokens=call.sampling.max_tokens,
            temperature=call.sampling.temperature,
            top_p=call.sampling.top_p,
            top_k=call.sampling.top_k,
            repeat_penalty=call.sampling.repeat_penalty,
            grammar=grammar,
            stream=True,
        ):
            delta = chunk["choices"][0]["delta"].get("content")
            if delta:
                first = first if first is not None else time.perf_counter() - started
                pieces.append(delta)
        n = llama.n_tokens
        out.append((time.perf_counter() - started, first, n, "".join(pieces)))
    for llama in llamas.values():
        llama.close()
    return out


def prefix_cache(questions: list[str]) -> dict[str, Any]:
    """Per agent: a long system prompt; the first call is cold, later calls (other questions, agents
    interleaved) hit that agent's warm instance. Each warm answer is checked byte for byte against the
    same prompt answered by a fresh instance."""
    long_rule = " ".join(f"Rule {i}: keep answers short, factual and polite." for i in range(80))
    prompts = {a: f"You are {a}. {long_rule}" for a in ("QSM", "WeQ", "SOM", "Ref")}
    greedy = Sampling(temperature=0, max_tokens=16)

    def msgs(agent: str, q: str) -> list[ChatMessage]:
        return [{"role": "system", "content": prompts[agent]}, {"role": "user", "content": q}]

    base = LlamaBase(bundled_model_path(), n_ctx=2048, n_threads=1, max_instances=4)
    model = LlamaCppModel(base)
    per_agent: dict[str, dict[str, Any]] = {}
    for agent in prompts:
        cold = model.complete(ModelRequest(msgs(agent, questions[0]), sampling=greedy, cache_key=agent))
        per_agent[agent] = {
            "prompt_tokens": cold.prompt_tokens,
            "cold_ttft": cold.first_token_seconds,
            "warm": [],
        }
    for q in questions[1:]:
        for agent in prompts:
            warm = model.complete(ModelRequest(msgs(agent, q), sampling=greedy, cache_key=agent))
            per_agent[agent]["warm"].append((q, warm.first_token_seconds, warm.raw_text))
    base.close()
    reference = LlamaBase(bundled_model_path(), n_ctx=2048, n_threads=1, max_instances=1)
    ref_model = LlamaCppModel(reference)
    ratios = {}
    for agent, row in per_agent.items():
        same = []
        for q, _, text in row["warm"]:
            reference.close()  # a fresh context for every reference answer: nothing cached
            same.append(ref_model.complete(ModelRequest(msgs(agent, q), sampling=greedy)).raw_text == text)
        warm_ttft = statistics.median(t for _, t, _ in row["warm"])
        ratios[agent] = warm_ttft / row["cold_ttft"]
        row.update(warm_ttft_median=warm_ttft, identical_output=all(same), warm=len(row["warm"]))
    reference.close()
    return {
        "per_agent": per_agent,
        "ratio_max": max(ratios.values()),
        "ratios": ratios,
        "all_identical": all(r["identical_output"] for r in per_agent.values()),
    }


def fan_out(n: int, question: str) -> dict[str, Any]:
    from concurrent.futures import ThreadPoolExecutor

    msgs = [{"role": "user", "content": question}]
    sampling = Sampling(temperature=0.8, max_tokens=48, seed=1)
    results = {}
    for mode, instances in (("sequential", 1), ("parallel", n)):
        base = LlamaBase(bundled_model_path(), n_ctx=1024, n_threads=1, max_instances=instances)
        model = LlamaCppModel(base)
        base.warm(instances)  # load every instance before timing
        started = time.perf_counter()
        with ThreadPoolExecutor(n) as pool:
            done = list(
                pool.map(
                    lambda i, m=model: m.complete(ModelRequest(msgs, sampling=sampling, cache_key=f"c{i}")),
                    range(n),
                )
            )
        results[mode] = {
            "seconds": time.perf_counter() - started,
            "tokens": sum(d.completion_tokens for d in done),
        }
        base.close()
    results["speedup"] = results["sequential"]["seconds"] / results["parallel"]["seconds"]
    return results


MEMORY_PROBE = r"""
import json, sys, psutil
from llama_cpp import Llama
from qsm.agents import bundled_model_path
shared = sys.argv[1] == "shared"
llamas = [Llama(model_path=str(bundled_model_path()), n_ctx=1024, n_threads=1, use_mmap=shared, verbose=False)
          for _ in range(4)]
for l in llamas:
    l.create_completion("Hello", max_tokens=4)
info = psutil.Process().memory_full_info()
print(json.dumps({"pss_mb": info.pss / 2**20, "rss_mb": info.rss / 2**20, "uss_mb": info.uss / 2**20}))
"""


def memory() -> dict[str, Any]:
    out = {}
    for mode in ("shared", "separate"):
        proc = subprocess.run(
            [sys.executable, "-c", MEMORY_PROBE, mode], capture_output=True, text=True, check=True
        )
        out[mode] = json.loads(proc.stdout.strip().splitlines()[-1])
    out["pss_ratio_shared_vs_separate"] = out["shared"]["pss_mb"] / out["separate"]["pss_mb"]
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="one question, fewer repeats")
    args = parser.parse_args()
    questions = QUESTIONS[:1] if args.quick else QUESTIONS
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        calls, wall, steps = graph_runs(questions, Path(tmp))
    raw = raw_replay(calls)
    g_tok = g_sec = r_tok = r_sec = 0.0
    same = 0
    for call, (seconds, ttft, _n, text) in zip(calls, raw, strict=True):
        t, s = decode_rate(
            call.completion.completion_tokens, call.completion.seconds, call.completion.first_token_seconds
        )
        g_tok, g_sec = g_tok + t, g_sec + s
        rt_, rs = decode_rate(call.completion.completion_tokens, seconds, ttft)
        r_tok, r_sec = r_tok + rt_, r_sec + rs
        same += text == call.completion.raw_text
    graph_rate, raw_rate = g_tok / g_sec, r_tok / r_sec
    model_seconds = sum(c.completion.seconds for c in calls)
    raw_seconds = sum(r[0] for r in raw)
    data = {
        "questions": questions,
        "calls": len(calls),
        "identical_outputs": same,
        "binding": {
            "graph_decode_tok_s": graph_rate,
            "raw_decode_tok_s": raw_rate,
            "efficiency": graph_rate / raw_rate,
            "goal": ">= 0.97",
        },
        "orchestration": {
            "graph_wall_s": wall,
            "graph_model_s": model_seconds,
            "raw_generation_s": raw_seconds,
            "overhead_ratio": wall / raw_seconds,
            "goal": "<= 1.02",
            "steps": steps,
            "non_model_ms_per_step": 1000 * (wall - model_seconds) / max(1, steps),
            "non_model_goal": "<= 1 ms",
        },
        "prefix_cache": {**prefix_cache(PREFIX_QUESTIONS[: 2 if args.quick else 4]), "goal": "<= 0.05"},
        "fan_out": fan_out(3, "Write one sentence about the sea."),
        "memory": memory(),
    }
    pc, fo, mem = data["prefix_cache"], data["fan_out"], data["memory"]
    summary = (
        f"core: binding {data['binding']['efficiency']:.3f} (goal >=0.97), overhead "
        f"{data['orchestration']['overhead_ratio']:.3f} (<=1.02), non-model "
        f"{data['orchestration']['non_model_ms_per_step']:.2f} ms/step (<=1), prefix warm/cold "
        f"{pc['ratio_max']:.3f} (<=0.05, identical={pc['all_identical']}), fan-out x3 speedup "
        f"{fo['speedup']:.2f}, PSS shared/separate {mem['pss_ratio_shared_vs_separate']:.2f}"
    )
    write_result("core", data, summary)


if __name__ == "__main__":
    main()
