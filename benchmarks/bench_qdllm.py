"""QD-LLM benchmark: the teacher (QSM's shipped adapter for the route, SOM's for the complexity, on
SmolLM2-135M through llama.cpp), the quantum student (PennyLane circuit) and a classical student with the same
number of trainable parameters, both distilled here from the teacher's soft route and complexity labels
(:mod:`qsm.train.distill`), and the shipped classical student, in one run, on the held-out routing requests
(template groups never trained on).

* Accuracy and macro-F1 of the route (WeQ or SOM) and of the complexity (low, medium, high), for the teacher
  and the students; for the students also the intent (3 classes).
* Trainable parameters, training time, peak memory of training (tracemalloc) and of the teacher's load (RSS
  growth), inference latency per request (median over single requests).
* The teacher's route on every held-out request comes from the cached labels (``router_teacher.json``,
  the same llama.cpp scoring); its latency is measured live on a sample, both for that scoring call and for
  the served QSM.plan call (greedy decoding of the whole plan under its JSON schema, as runs call it).
* Fallback: the share of requests whose student confidence is below the threshold (QSM's LLM routes
  those), and the route accuracy of student + fallback.

    python benchmarks/bench_qdllm.py [--teacher-sample N] [--steps N] [--table-only]

Writes benchmarks/results/qdllm.json, rewrites the README's QD-LLM table (between its ``qdllm-table``
markers) from the same figures, and prints one summary line.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
import tracemalloc
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import write_result

from qsm.agents.quantum_router import encode
from qsm.agents.router import COMPLEXITIES, INTENTS, RouterStudent, shipped_router_path
from qsm.train.distill import load_split
from qsm.train.quantum_router import fit_classical_twin, fit_quantum_student, route_metrics
from qsm.train.router import macro_f1

RESOURCE = INTENTS.index("resource")
README = Path(__file__).resolve().parents[1] / "README.md"
TABLE_START, TABLE_END = "<!-- qdllm-table -->", "<!-- /qdllm-table -->"


def _median_ms(fn: Any, items: list[Any]) -> float:
    times = []
    for item in items:
        start = time.perf_counter()
        fn(item)
        times.append(time.perf_counter() - start)
    return round(statistics.median(times) * 1000, 3)


def _rss_mib() -> float:
    import psutil

    return psutil.Process().memory_info().rss / 2**20


def _traced(fn: Any) -> tuple[Any, float, float]:
    """``fn()``'s result, seconds and peak traced memory (MiB)."""
    tracemalloc.start()
    start = time.perf_counter()
    out = fn()
    seconds = time.perf_counter() - start
    peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    return out, round(seconds, 2), round(peak, 2)


def _teacher_live(texts: list[str], threads: int) -> dict[str, Any]:
    import llama_cpp
    from llama_cpp import Llama, LlamaGrammar
    from llama_cpp.llama_chat_format import Jinja2ChatFormatter

    from qsm.agents.locate import bundled_model_path
    from qsm.agents.messages import UserRequest
    from qsm.agents.roles import ROLE_PROMPTS, PlanReply
    from qsm.agents.shipped import shipped_adapter_path
    from qsm.graph import prompts
    from qsm.train.router_teacher import label_with_teacher

    adapter = shipped_adapter_path("QSM")
    assert adapter is not None
    before = _rss_mib()
    llama = Llama(
        model_path=str(bundled_model_path()),
        lora_path=str(adapter),
        n_ctx=2048,
        n_threads=threads,
        n_threads_batch=threads,
        verbose=False,
    )
    loaded = _rss_mib() - before
    formatter = Jinja2ChatFormatter(
        template=llama.metadata["tokenizer.chat_template"], eos_token="<|im_end|>", bos_token=""
    )
    grammar = LlamaGrammar.from_json_schema(json.dumps(PlanReply.model_json_schema()), verbose=False)

    def served(text: str) -> None:
        messages = prompts.plan_prompt(ROLE_PROMPTS["QSM.plan"], UserRequest(text=text))
        prompt = formatter(messages=[dict(m) for m in messages]).prompt  # type: ignore[misc]
        llama.create_completion(prompt, max_tokens=160, temperature=0.0, grammar=grammar)

    served(texts[0])  # warm
    served_ms = _median_ms(served, texts)
    params = int(llama_cpp.llama_model_n_params(llama._model.model))
    llama.close()
    scored = label_with_teacher(
        texts, model_path=bundled_model_path(), adapter_path=adapter, threads=threads
    ).seconds[1:]
    return {
        "served_plan_call_ms": served_ms,
        "route_scoring_call_ms": round(statistics.median(scored) * 1000, 3),
        "load_rss_mib": round(loaded, 1),
        "base_parameters": params,
        "sample": len(texts),
    }


def _f(value: float | None) -> str:
    return "—" if value is None else f"{value:.3f}"


def _ms(value: float) -> str:
    return f"{value:,.0f} ms" if value >= 100 else f"{value:.2f} ms"


def table(r: dict[str, Any]) -> str:
    """The README's QD-LLM table and its "where the quantum student loses" list, from one run's figures."""
    t, q, c, s = r["teacher"], r["quantum"], r["classical_same_parameters"], r["classical_shipped"]
    students = (q, c, s)

    def row(name: str, teacher: str, cells: list[str]) -> str:
        return f"| {name} | {teacher} | " + " | ".join(cells) + " |"

    lines = [
        f"| {r['held_out']} held-out requests | teacher: QSM + SOM adapters (llama.cpp) | quantum student "
        "| classical, same size | classical student (shipped) |",
        "|---|---|---|---|---|",
        row(
            "route (WeQ/SOM) accuracy / macro-F1",
            f"{_f(t['route_accuracy'])} / {_f(t['route_macro_f1'])}",
            [f"{_f(x['route_accuracy'])} / {_f(x['route_macro_f1'])}" for x in students],
        ),
        row(
            "complexity accuracy / macro-F1",
            f"{_f(t['complexity_accuracy'])} / {_f(t['complexity_macro_f1'])}",
            [f"{_f(x['complexity_accuracy'])} / {_f(x['complexity_macro_f1'])}" for x in students],
        ),
        row(
            "intent accuracy / macro-F1 (3 classes)",
            "—",
            [f"{_f(x['intent_accuracy'])} / {_f(x['intent_macro_f1'])}" for x in students],
        ),
        row(
            "trainable parameters",
            f"LoRA on {t['base_parameters'] / 1e6:.1f}M frozen",
            [
                f"{q['trainable_parameters']:,}",
                f"{c['trainable_parameters']:,} (6→6 tanh→6)",
                f"{s['trainable_parameters']:,}",
            ],
        ),
        row(
            "training time (QD-LLM, alpha " + f"{r['alpha']})",
            "—",
            [
                f"{q['training_seconds']} s",
                f"{c['training_seconds']} s",
                f"{s['training_seconds']} s (its card; with embedding)",
            ],
        ),
        row(
            "training peak memory (tracemalloc)",
            "—",
            [f"{q['training_peak_mib']} MiB", f"{c['training_peak_mib']} MiB", "—"],
        ),
        row(
            "latency per request",
            f"{_ms(t['served_plan_call_ms'])} plan call ({_ms(t['route_scoring_call_ms'])} route scoring)",
            [
                f"{_ms(q['latency_ms'])} ({_ms(q['latency_qnode_ms'])} as a QNode)",
                _ms(c["latency_ms"]),
                _ms(s["latency_ms"]),
            ],
        ),
        row(
            "memory to serve",
            f"+{t['load_rss_mib']} MiB RSS (model + adapter)",
            ["12 KB file", "—", "10 KB file"],
        ),
        row(
            f"below threshold {r['threshold']} → LLM",
            "—",
            [f"{x['fallback_rate']:.0%}" for x in students],
        ),
    ]
    losses = []
    for key, label in (
        ("route_accuracy", "route accuracy"),
        ("complexity_macro_f1", "complexity macro-F1"),
        ("complexity_accuracy", "complexity accuracy"),
        ("intent_macro_f1", "intent macro-F1"),
        ("intent_accuracy", "intent accuracy"),
    ):
        for rival, name in ((c, "its same-size classical twin"), (s, "the shipped classical student")):
            if q[key] < rival[key]:
                losses.append(f"{label} {q[key]:.3f} vs {rival[key]:.3f} for {name}")
    if q["training_seconds"] > c["training_seconds"]:
        losses.append(
            f"training {q['training_seconds'] / max(c['training_seconds'], 0.01):.0f}x slower than its twin "
            f"({q['training_seconds']} s vs {c['training_seconds']} s)"
        )
    if q["latency_ms"] > c["latency_ms"]:
        losses.append(f"latency {q['latency_ms']:.3f} ms vs {c['latency_ms']:.3f} ms for its twin")
    if q["fallback_rate"] > c["fallback_rate"]:
        losses.append(
            f"falls back to the LLM more often ({q['fallback_rate']:.0%} vs {c['fallback_rate']:.0%})"
        )
    lines += ["", "Where the quantum student loses (this run): " + ("; ".join(losses) or "nowhere") + "."]
    return "\n".join(lines)


def update_readme(text: str) -> None:
    readme = README.read_text()
    start, end = readme.find(TABLE_START), readme.find(TABLE_END)
    if start < 0 or end < start:
        raise SystemExit(f"README.md has no {TABLE_START} … {TABLE_END} block to rewrite")
    README.write_text(readme[: start + len(TABLE_START)] + "\n" + text + "\n" + readme[end:])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--teacher-sample", type=int, default=12)
    parser.add_argument("--steps", type=int, default=120)
    parser.add_argument("--layers", type=int, default=4)
    parser.add_argument("--qubits", type=int, default=6)
    parser.add_argument("--threshold", type=float, default=0.7)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument(
        "--table-only",
        action="store_true",
        help="re-render the README table from benchmarks/results/qdllm.json without measuring again",
    )
    args = parser.parse_args()
    if args.table_only:
        path = Path(__file__).resolve().parent / "results" / "qdllm.json"
        saved = json.loads(path.read_text())
        saved["readme_table"] = table(saved)
        path.write_text(json.dumps(saved, indent=2, default=str) + "\n")
        update_readme(saved["readme_table"])
        return

    from qsm.store.minilm import MiniLMEmbedder

    embedder = MiniLMEmbedder(threads=1, batch_size=32, max_tokens=128)
    split = load_split(embedder.embed, per_template=12, seed=7, teacher_path=None, need_complexity=True)
    assert split.teacher_complexity_train is not None and split.teacher_complexity_test is not None
    yi, yc = split.labels("train")
    ti, tc = split.labels("test")
    som_true = ti == RESOURCE
    samples = list(split.x_test[:: max(1, len(split.x_test) // 40)])

    quantum, q_seconds, q_peak = _traced(  # the PCA projection and the circuit: the student's training
        lambda: fit_quantum_student(
            split.x_train,
            yi,
            yc,
            split.teacher_train,
            split.teacher_complexity_train,
            qubits=args.qubits,
            embedder=embedder.name,
            layers=args.layers,
            steps=args.steps,
            seed=7,
        )
    )
    mean, components, scale = quantum.mean, quantum.components, quantum.scale
    a_train = encode(split.x_train, mean, components, scale)
    a_test = encode(split.x_test, mean, components, scale)
    quantum.decide(samples[0])  # builds the unitary once, as serving does at its first request
    twin, c_seconds, c_peak = _traced(
        lambda: fit_classical_twin(
            a_train,
            yi,
            yc,
            split.teacher_train,
            split.teacher_complexity_train,
            parameters=quantum.parameters,
            steps=args.steps,
            seed=7,
        )
    )

    def report(p_i: np.ndarray, p_c: np.ndarray) -> dict[str, Any]:
        out: dict[str, Any] = route_metrics(p_i, p_c, ti, tc, split.teacher_test, args.threshold)
        route = p_i.argmax(axis=1) == RESOURCE
        confident = p_i.max(axis=1) >= args.threshold
        out["fallback_rate"] = round(float(1 - confident.mean()), 4)
        served = np.where(confident, route, split.teacher_test >= 0.5)
        out["route_accuracy_with_fallback"] = round(float(np.mean(served == som_true)), 4)
        out.pop("teacher_route_accuracy")
        out.pop("teacher_complexity_accuracy")
        return out

    q_probs = quantum.probabilities(split.x_test)
    q_qnode_probs = quantum.probabilities(split.x_test, qnode=True)
    assert np.allclose(q_probs[0], q_qnode_probs[0], atol=1e-8)
    classical_shipped = RouterStudent.load()
    shipped_report = json.loads(shipped_router_path().with_suffix(".json").read_text())
    shipped_probs = [classical_shipped.decide(v) for v in split.x_test]

    teacher_route = split.teacher_test >= 0.5
    teacher_complexity = split.teacher_complexity_test.argmax(axis=1)
    teacher = {
        "route_accuracy": round(float(np.mean(teacher_route == som_true)), 4),
        "route_macro_f1": macro_f1(list(som_true.astype(int)), list(teacher_route.astype(int)), 2),
        "complexity_accuracy": round(float(np.mean(teacher_complexity == tc)), 4),
        "complexity_macro_f1": macro_f1(list(tc), list(teacher_complexity), len(COMPLEXITIES)),
        "trainable_parameters_note": "LoRA rank 8 on every projection of SmolLM2-135M (frozen base)",
        **_teacher_live(
            [e.text for e in split.test[:: max(1, len(split.test) // args.teacher_sample)]][
                : args.teacher_sample
            ],
            args.threads,
        ),
    }
    embed_ms = _median_ms(lambda t: embedder.embed([t]), [e.text for e in split.test[:20]])
    results: dict[str, Any] = {
        "held_out": len(split.test),
        "train": len(split.train),
        "threshold": args.threshold,
        "teacher": teacher,
        "quantum": {
            **report(*q_probs),
            "trainable_parameters": quantum.parameters,
            "fixed_projection_values": int(mean.size + components.size + scale.size),
            "qubits": args.qubits,
            "layers": args.layers,
            "training_seconds": q_seconds,
            "training_peak_mib": q_peak,
            "latency_ms": _median_ms(quantum.decide, samples),
            "latency_qnode_ms": _median_ms(lambda v: quantum.probabilities(v, qnode=True), samples),
        },
        "classical_same_parameters": {
            **report(*twin.probabilities(a_test)),
            "trainable_parameters": twin.parameters,
            "fixed_projection_values": int(mean.size + components.size + scale.size),
            "training_seconds": c_seconds,
            "training_peak_mib": c_peak,
            "latency_ms": _median_ms(
                lambda v: twin.probabilities(encode(v[None, :], mean, components, scale)), samples
            ),
        },
        "classical_shipped": {
            **report(
                np.array([[d.probabilities[f"intent.{n}"] for n in INTENTS] for d in shipped_probs]),
                np.array(
                    [
                        [d.probabilities[f"complexity.{n}"] for n in ("low", "medium", "high")]
                        for d in shipped_probs
                    ]
                ),
            ),
            "trainable_parameters": classical_shipped.parameters,
            "training_seconds": shipped_report["seconds"],
            "alpha": shipped_report["alpha"],
            "latency_ms": _median_ms(classical_shipped.decide, samples),
        },
        "embedding_ms": embed_ms,
        "steps": args.steps,
        "alpha": 0.5,
    }
    q, c, t = results["quantum"], results["classical_same_parameters"], teacher
    results["latency_ratio_teacher_over_quantum"] = round(t["served_plan_call_ms"] / q["latency_ms"], 1)
    summary = (
        f"route accuracy on {len(split.test)} held-out: teacher {t['route_accuracy']:.3f}, quantum "
        f"{q['route_accuracy']:.3f} ({q['trainable_parameters']} params, {q['training_seconds']} s), classical "
        f"{c['route_accuracy']:.3f} ({c['trainable_parameters']} params, {c['training_seconds']} s); intent "
        f"macro-F1 quantum {q['intent_macro_f1']:.3f} vs classical {c['intent_macro_f1']:.3f}; complexity "
        f"macro-F1 teacher {t['complexity_macro_f1']:.3f}, quantum {q['complexity_macro_f1']:.3f}, classical "
        f"{c['complexity_macro_f1']:.3f}; latency "
        f"quantum {q['latency_ms']:.2f} ms (QNode {q['latency_qnode_ms']:.1f} ms) vs teacher plan call "
        f"{t['served_plan_call_ms']:.0f} ms; quantum fallback {q['fallback_rate']:.0%}"
    )
    results["readme_table"] = table(results)
    write_result("qdllm", results, summary)
    update_readme(results["readme_table"])


if __name__ == "__main__":
    main()
