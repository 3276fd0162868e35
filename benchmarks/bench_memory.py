"""Memory benchmark: write throughput, query latency (p50/p95) and recall@k of the Chroma-backed
MemoryStore at 10k and 100k entries, against raw hnswlib and exact numpy search on the same vectors.

The vectors are synthetic (a normalised Gaussian mixture, 384 dims) and reach the store through a
lookup "embedder", so the store is measured, not the model; the MiniLM embedder's own throughput is
measured separately. Writes go through ``write_many`` in batches (ids, dedupe check, rights,
metadata, directory index included).

    python benchmarks/bench_memory.py [--quick] [--sizes 10000,100000] [--queries 200]

Query latency is reported for the whole memory, for /knowledge (half the entries) and for one leaf
directory (1% of the entries: a Chroma metadata filter). Writes benchmarks/results/memory.json and
prints one summary line.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from importlib.metadata import version
from pathlib import Path
from typing import Any

import numpy as np

from qsm.store import EntryDraft, MemorySettings, MiniLMEmbedder, open_memory

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import write_result

DIM = 384
DIRECTORIES = 100
HNSW = {"M": 16, "ef_construction": 100, "ef_search": 100}  # Chroma's defaults, used for hnswlib too


class LookupEmbedder:
    """Returns precomputed vectors for known texts: the benchmark measures the store, not a model."""

    def __init__(self, table: dict[str, np.ndarray]) -> None:
        self._table = table

    @property
    def name(self) -> str:
        return f"precomputed-{DIM}"

    @property
    def dim(self) -> int:
        return DIM

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        return np.stack([self._table[t] for t in texts]) if texts else np.zeros((0, DIM), np.float32)


def synthetic(n: int, queries: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Clustered unit vectors (like sentence embeddings: topics with spread) and fresh queries."""
    rng = np.random.default_rng(seed)
    centers = rng.normal(size=(256, DIM)).astype(np.float32)
    data = centers[rng.integers(0, 256, n + queries)] + 0.6 * rng.normal(size=(n + queries, DIM)).astype(
        np.float32
    )
    data /= np.linalg.norm(data, axis=1, keepdims=True)
    return data[:n], data[n:]


def bench_path(i: int) -> str:
    """Half the entries under /knowledge, half in users' chats; each leaf directory holds 1%."""
    leaf = (i // 2) % (DIRECTORIES // 2)
    return f"/knowledge/t{leaf:02d}" if i % 2 == 0 else f"/users/u{leaf:02d}/chats"


def percentiles(seconds: list[float]) -> dict[str, float]:
    ms = np.asarray(seconds) * 1000
    return {
        "p50_ms": round(float(np.percentile(ms, 50)), 3),
        "p95_ms": round(float(np.percentile(ms, 95)), 3),
    }


def recall(found: list[list[int]], truth: np.ndarray) -> float:
    return round(
        float(np.mean([len(set(f) & set(t)) / len(t) for f, t in zip(found, truth, strict=True)])), 4
    )


def timed(fn: Callable[[], Any]) -> tuple[Any, float]:
    start = time.perf_counter()
    result = fn()
    return result, time.perf_counter() - start


def bench_store(
    vectors: np.ndarray, queries: np.ndarray, truth: np.ndarray, k: int, batch: int
) -> dict[str, Any]:
    n = len(vectors)
    texts = [f"entry {i}" for i in range(n)]
    table = dict(zip(texts, vectors, strict=True))
    table.update((f"query {j}", q) for j, q in enumerate(queries))
    embedder = LookupEmbedder(table)
    drafts = [EntryDraft(text=t, path=bench_path(i)) for i, t in enumerate(texts)]
    with tempfile.TemporaryDirectory(prefix="qsm-bench-memory-") as tmp:
        settings = MemorySettings(path=Path(tmp) / "memory")
        memory = open_memory(settings, Path(tmp), embedder=embedder)
        start = time.perf_counter()
        for offset in range(0, n, batch):
            memory.write_many(drafts[offset : offset + batch], as_agent="user")
        write_s = time.perf_counter() - start
        latencies: dict[str, list[float]] = {"all": [], "half": [], "one_dir": []}
        found = []
        for j in range(len(queries)):
            hits, seconds = timed(lambda j=j: memory.search(f"query {j}", k=k))
            latencies["all"].append(seconds)
            found.append([int(h.entry.text.split()[1]) for h in hits])
            _, seconds = timed(lambda j=j: memory.search(f"query {j}", k=k, under="/knowledge"))
            latencies["half"].append(seconds)
            _, seconds = timed(lambda j=j: memory.search(f"query {j}", k=k, under=bench_path(2 * j)))
            latencies["one_dir"].append(seconds)
        _, tree_s = timed(lambda: memory.tree("/"))
        memory.close()
        reopened, reopen_s = timed(lambda: open_memory(settings, Path(tmp), embedder=embedder, create=False))
        reopened.close()
        disk_mb = sum(f.stat().st_size for f in Path(tmp).rglob("*") if f.is_file()) / 2**20
    return {
        "write_entries_per_s": round(n / write_s, 1),
        "write_s": round(write_s, 2),
        "query": percentiles(latencies["all"]),
        "query_under_knowledge": {**percentiles(latencies["half"]), "share_of_entries": 0.5},
        "query_in_one_directory": {**percentiles(latencies["one_dir"]), "share_of_entries": 1 / DIRECTORIES},
        f"recall_at_{k}": recall(found, truth),
        "tree_ms": round(tree_s * 1000, 2),
        "reopen_s": round(reopen_s, 3),
        "disk_mb": round(disk_mb, 1),
    }


def bench_hnswlib(vectors: np.ndarray, queries: np.ndarray, truth: np.ndarray, k: int) -> dict[str, Any]:
    import hnswlib

    index = hnswlib.Index(space="cosine", dim=DIM)
    index.init_index(max_elements=len(vectors), M=HNSW["M"], ef_construction=HNSW["ef_construction"])
    _, build_s = timed(lambda: index.add_items(vectors, np.arange(len(vectors))))
    index.set_ef(HNSW["ef_search"])
    latencies, found = [], []
    for q in queries:
        (labels, _), seconds = timed(lambda q=q: index.knn_query(q[None, :], k=k))
        latencies.append(seconds)
        found.append([int(x) for x in labels[0]])
    return {
        "write_entries_per_s": round(len(vectors) / build_s, 1),
        "write_s": round(build_s, 2),
        "threads": index.num_threads,
        "query": percentiles(latencies),
        f"recall_at_{k}": recall(found, truth),
    }


def bench_numpy(vectors: np.ndarray, queries: np.ndarray, k: int) -> tuple[dict[str, Any], np.ndarray]:
    latencies, truth = [], []
    for q in queries:
        start = time.perf_counter()
        scores = vectors @ q
        top = np.argpartition(-scores, k)[:k]
        top = top[np.argsort(-scores[top])]
        latencies.append(time.perf_counter() - start)
        truth.append(top)
    return {"query": percentiles(latencies), f"recall_at_{k}": 1.0}, np.asarray(truth)


def bench_embedder(count: int) -> dict[str, Any]:
    sentences = [f"Sentence number {i} talks about memory stores, vectors and agents." for i in range(count)]
    model = MiniLMEmbedder(threads=1)
    model.embed(sentences[:4])  # load the model outside the timing
    _, seconds = timed(lambda: model.embed(sentences))
    return {"name": model.name, "threads": 1, "texts": count, "texts_per_s": round(count / seconds, 1)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="small run (2k entries, 50 queries)")
    parser.add_argument("--sizes", help="comma-separated entry counts (default 10000,100000)")
    parser.add_argument("--queries", type=int, help="queries per size (default 200)")
    parser.add_argument("-k", type=int, default=10)
    parser.add_argument("--batch", type=int, default=1000, help="entries per write_many call")
    args = parser.parse_args(argv)
    sizes = [int(s) for s in (args.sizes or ("2000" if args.quick else "10000,100000")).split(",")]
    n_queries = args.queries or (50 if args.quick else 200)
    results: dict[str, Any] = {
        "quick": args.quick,
        "k": args.k,
        "hnsw_params": HNSW,
        "vectors": f"synthetic gaussian mixture, {DIM} dims, 256 clusters, unit length",
        "versions": {"chromadb": version("chromadb"), "hnswlib": version("hnswlib")},
        "embedder": bench_embedder(64 if args.quick else 512),
        "sizes": [],
    }
    for n in sizes:
        vectors, queries = synthetic(n, n_queries, seed=n)
        exact, truth = bench_numpy(vectors, queries, args.k)
        row = {
            "entries": n,
            "store_chroma": bench_store(vectors, queries, truth, args.k, args.batch),
            "hnswlib": bench_hnswlib(vectors, queries, truth, args.k),
            "numpy_exact": exact,
        }
        results["sizes"].append(row)
        print(f"  {n}: {json.dumps(row)}", file=sys.stderr)
    write_result("memory", results, summary(results))
    return 0


def summary(results: dict[str, Any]) -> str:
    k = results["k"]
    parts = []
    for row in results["sizes"]:
        store, raw, exact = row["store_chroma"], row["hnswlib"], row["numpy_exact"]
        parts.append(
            f"{row['entries'] // 1000}k: store {store['write_entries_per_s']:.0f}/s "
            f"p50 {store['query']['p50_ms']}ms p95 {store['query']['p95_ms']}ms r@{k} {store[f'recall_at_{k}']} "
            f"(1% subtree p50 {store['query_in_one_directory']['p50_ms']}ms) | "
            f"hnswlib {raw['write_entries_per_s']:.0f}/s p50 {raw['query']['p50_ms']}ms "
            f"p95 {raw['query']['p95_ms']}ms r@{k} {raw[f'recall_at_{k}']} | "
            f"numpy p50 {exact['query']['p50_ms']}ms"
        )
    return f"memory: embedder {results['embedder']['texts_per_s']:.0f} texts/s; " + "; ".join(parts)


if __name__ == "__main__":
    sys.exit(main())
