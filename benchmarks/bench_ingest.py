"""Ingest benchmark: KB of text per second that `qsm memory ingest` stores (Chroma on disk), and what the
fast path costs in retrieval.

The document is real English prose with code: Python's own reference topics (``pydoc_data.topics``,
about 460 KB, deterministic for a Python version), cut to ``--kb``. Each configuration ingests it
into a fresh memory through the public API (streamed in batches, chunked, embedded, stored) and is
timed end to end, with the time spent in the embedder measured apart. A second ingest of the same
document (everything present: what completing an interrupted ingest costs) is timed too.

    python benchmarks/bench_ingest.py [--quick] [--kb 460] [--configs 1x1x32,1x1x8,1x2x8,2x1x8]

Configs are ``fast`` (the default ingest: the static stand-in of MiniLM embeds the chunks, then
``refine`` gives them MiniLM's vectors, timed apart) or ``<embedding workers>x<onnxruntime threads
each>x<embedding batch>`` (MiniLM embeds every chunk at ingest, ``memory.ingest_vectors = "model"``).

Retrieval: every reference topic is cut into chunks as ingest cuts it, and each topic's name ("with",
"augmented assignment", ...) is a query embedded by MiniLM, as the memory embeds searches; hit@5 is the
share of queries with a chunk of their topic among the 5 nearest, MRR the mean reciprocal rank of the
first one; chunks embedded by MiniLM against chunks embedded by the stand-in (before refine).

Writes benchmarks/results/ingest.json and prints one summary line; the machine's load average is
recorded, since other work on the cores slows every figure.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from qsm.store import MemorySettings, open_memory

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import write_result

TARGET_KB_PER_S = 100.0
NOTE = (
    "fast is the default ingest: the static stand-in of MiniLM embeds the chunks (a table lookup), so the "
    "document is searchable at once, and refine then gives them MiniLM's vectors (timed apart). The "
    "WxTxB configs embed with MiniLM at ingest (batches of B split across W workers of T threads); there "
    "embedding is nearly all of the time, so KB/s follows the model's tokens per CPU-second and the cores "
    "free of other work"
)


def corpus(max_bytes: int) -> str:
    from pydoc_data.topics import topics

    text = "\n\n".join(topics[name].strip() for name in sorted(topics))
    data = text.encode("utf-8")[:max_bytes]
    return data.decode("utf-8", errors="ignore")


class TimedEmbedder:
    """Wraps the memory's embedder to add up the seconds spent embedding."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.seconds = 0.0
        self.texts = 0

    @property
    def name(self) -> str:
        return str(self.inner.name)

    @property
    def dim(self) -> int:
        return int(self.inner.dim)

    def embed(self, texts: Any) -> Any:
        start = time.perf_counter()
        try:
            return self.inner.embed(texts)
        finally:
            self.seconds += time.perf_counter() - start
            self.texts += len(texts)


def run_config(doc: Path, config: str) -> dict[str, Any]:
    from qsm.store import ingest
    from qsm.store.embedder import make_embedder

    fast = config == "fast"
    workers, threads, batch = (2, 1, 8) if fast else (int(x) for x in config.lower().split("x"))
    ingest.INGEST_WORKERS = workers
    settings = MemorySettings(
        embedder="minilm",
        embed_threads=threads,
        embed_batch=batch,
        ingest_vectors="fast" if fast else "model",
    )
    embedder = TimedEmbedder(make_embedder(settings))
    embedder.embed(["warm up: load the model outside the timing"])
    embedder.seconds, embedder.texts = 0.0, 0
    size = doc.stat().st_size
    with tempfile.TemporaryDirectory() as tmp, open_memory(settings, Path(tmp), embedder=embedder) as memory:
        if memory._engine.fast_embedder is not None:
            memory._engine.fast_embedder.embed(["warm up: load the table outside the timing"])
        batches = []
        start, cpu = time.perf_counter(), time.process_time()
        report = memory.ingest(doc, progress=batches.append)
        wall, cpu_s = time.perf_counter() - start, time.process_time() - cpu
        again_start = time.perf_counter()
        again = memory.ingest(doc)
        again_s = time.perf_counter() - again_start
        refine_start = time.perf_counter()
        refined = memory.refine().refined
        refine_s = time.perf_counter() - refine_start
        assert memory.rough_entries() == 0
    assert again.added == 0 and again.chunks == report.chunks
    assert refined == (report.added if fast else 0)
    timed = {
        "refine_seconds": round(refine_s, 2),
        "kb_per_s_with_refine": round(size / 1000 / (wall + refine_s), 1),
    }
    return {
        "config": config,
        "ingest_vectors": settings.ingest_vectors,
        **(timed if fast else {}),
        "workers": workers,
        "threads": threads,
        "embed_batch": batch,
        "chunks": report.chunks,
        "chunks_added": report.added,  # the reference repeats a few passages word for word
        "batches": len(batches),
        "seconds": round(wall, 2),
        "kb_per_s": round(size / 1000 / wall, 1),
        "kb_per_cpu_s": round(size / 1000 / cpu_s, 1),
        "embed_share": round(embedder.seconds / (wall * workers), 3) if not fast else None,
        "chunks_per_s": round(report.chunks / wall, 1),
        "reingest_kb_per_s": round(size / 1000 / again_s, 1),
    }


def retrieval() -> dict[str, Any]:
    """hit@5 and MRR of topic-name queries (MiniLM) over the topics' chunks, embedded by MiniLM or by the
    static stand-in; the stand-in's cosine to MiniLM per chunk."""
    from pydoc_data.topics import topics

    from qsm.store import MiniLMEmbedder, chunk_text
    from qsm.store.static_embedder import StaticEmbedder

    names = sorted(topics)
    chunks = [(name, c.text) for name in names for c in chunk_text(topics[name].strip())]
    labels = np.array([name for name, _ in chunks])
    model, static = MiniLMEmbedder(threads=2, batch_size=8), StaticEmbedder()
    queries = model.embed([name.replace("-", " ") for name in names])
    exact = model.embed([text for _, text in chunks])
    start = time.perf_counter()
    rough = static.embed([text for _, text in chunks])
    static_s = time.perf_counter() - start

    def score(docs: np.ndarray) -> dict[str, float]:
        hits, reciprocal = 0, 0.0
        for query, name in zip(queries @ docs.T, names, strict=True):
            relevant = labels[np.argsort(-query)] == name
            first = int(np.argmax(relevant))
            hits += first < 5
            reciprocal += 1.0 / (first + 1)
        return {"hit_at_5": round(hits / len(names), 3), "mrr": round(reciprocal / len(names), 3)}

    return {
        "queries": len(names),
        "chunks": len(chunks),
        "model_vectors": score(exact),
        "fast_vectors": score(rough),
        "fast_cosine_to_model": round(float((exact * rough).sum(axis=1).mean()), 3),
        "fast_embed_kb_per_s": round(sum(len(t) for _, t in chunks) / 1000 / static_s, 1),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="100 KB and two configurations")
    parser.add_argument("--kb", type=int, help="document size in KB (default: the whole corpus, ~460)")
    parser.add_argument(
        "--configs", help="fast or workers x threads x batch, comma-separated (default fast,1x1x8,2x1x8)"
    )
    args = parser.parse_args(argv)
    max_bytes = (args.kb or (100 if args.quick else 10_000)) * 1000
    configs = args.configs or ("fast,2x1x8" if args.quick else "fast,1x1x8,2x1x8")
    with tempfile.TemporaryDirectory() as tmp:
        doc = Path(tmp) / "python-reference.md"
        doc.write_text(corpus(max_bytes), encoding="utf-8")
        size = doc.stat().st_size
        load_before = os.getloadavg()
        rows = []
        for config in configs.split(","):
            rows.append(run_config(doc, config))
            print(f"  {config}: {rows[-1]}", file=sys.stderr)
        load_after = os.getloadavg()
    quality = retrieval()
    print(f"  retrieval: {quality}", file=sys.stderr)
    best = max(rows, key=lambda r: r["kb_per_s"])
    model_rows = [r for r in rows if r["ingest_vectors"] == "model"]
    results: dict[str, Any] = {
        "quick": args.quick,
        "document": {"source": "pydoc_data.topics (Python reference prose and code)", "bytes": size},
        "embedder": "minilm-l6-v2-int8 (onnxruntime, CPU); fast: its static stand-in (qsm/store/data/CARD.md)",
        "chunking": {"chunk_chars": 800, "chunk_overlap": 100},
        "load_average_1min": {"before": round(load_before[0], 2), "after": round(load_after[0], 2)},
        "target_kb_per_s": TARGET_KB_PER_S,
        "note": NOTE,
        "configs": rows,
        "best": best,
        "best_model": max(model_rows, key=lambda r: r["kb_per_s"]) if model_rows else None,
        "retrieval": quality,
    }
    write_result("ingest", results, summary(results))
    return 0


def summary(results: dict[str, Any]) -> str:
    best, model = results["best"], results["best_model"]
    met = "met" if best["kb_per_s"] >= TARGET_KB_PER_S else "NOT met"
    load = results["load_average_1min"]
    quality = results["retrieval"]
    refine = (
        f", {best['kb_per_s_with_refine']} KB/s with the refine to MiniLM vectors"
        if "kb_per_s_with_refine" in best
        else ""
    )
    versus = f"; MiniLM at ingest {model['kb_per_s']} KB/s ({model['config']})" if model else ""
    return (
        f"ingest: {results['document']['bytes'] / 1000:.0f} KB searchable at {best['kb_per_s']} KB/s "
        f"({best['config']}, {best['chunks']} chunks){refine}{versus}; re-ingest {best['reingest_kb_per_s']} "
        f"KB/s; target {TARGET_KB_PER_S:.0f} KB/s {met}; retrieval hit@5 {quality['fast_vectors']['hit_at_5']} "
        f"fast vs {quality['model_vectors']['hit_at_5']} MiniLM (MRR {quality['fast_vectors']['mrr']} vs "
        f"{quality['model_vectors']['mrr']}); load average {load['before']}-{load['after']} on "
        f"{os.cpu_count()} CPUs"
    )


if __name__ == "__main__":
    sys.exit(main())
