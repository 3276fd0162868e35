"""Load on `qsm serve` (loopback only): N users, each with its own API key and thread, send M chat turns
one after another, all users at once, through the OpenAI-compatible endpoint, with the fake model; runs are
kept in PostgreSQL and memory on a Chroma server, both started here.

Measures p50/p95/max latency per request, errors (any non-200 or a run that did not end ``ok``), whether
every thread holds exactly its user's turns in order (none lost, none duplicated, none another user's),
read back from PostgreSQL once the server has stopped, and the server's RSS after a warm-up and after each
round (``--rounds``: the users go on with M more turns each).

    .venv/bin/python benchmarks/bench_serve.py --users 50 --requests 20 --rounds 2 --workers 4
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
import psutil

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from benchmarks._common import write_result
from qsm.serve.retention import KEPT_EVENT_AGE_S, KEPT_EVENT_BYTES, KEPT_RUNS
from tests.postgres_fixture import start_postgres


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _wait_listening(port: int, proc: subprocess.Popen[bytes], what: str, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{what} exited at start (code {proc.returncode})")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"{what} did not listen on port {port} within {timeout:g} s")


def _stop(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def _rss_mb(pid: int) -> float:
    return round(psutil.Process(pid).memory_info().rss / 2**20, 1)


async def _user(
    client: httpx.AsyncClient, key: str, index: int, turns: range, model: str, thread: str | None
) -> tuple[str | None, list[float], list[str], list[str], list[str]]:
    """One user's turns on its own thread (``thread``, or a new one): (thread id, latencies, questions,
    answers, errors)."""
    headers = {"Authorization": f"Bearer {key}"}
    latencies: list[float] = []
    questions: list[str] = []
    answers: list[str] = []
    errors: list[str] = []
    for turn in turns:
        question = f"user {index} turn {turn}: what is {index} + {turn}?"
        body: dict[str, Any] = {"model": model, "messages": [{"role": "user", "content": question}]}
        if thread is not None:
            body["thread_id"] = thread
        started = time.perf_counter()
        try:
            reply = await client.post("/v1/chat/completions", json=body, headers=headers)
        except httpx.HTTPError as exc:
            errors.append(f"user {index} turn {turn}: {type(exc).__name__}: {exc}")
            continue
        latencies.append(time.perf_counter() - started)
        if reply.status_code != 200:
            errors.append(f"user {index} turn {turn}: HTTP {reply.status_code} {reply.text[:200]}")
            continue
        data = reply.json()
        if data.get("status") != "ok":
            errors.append(f"user {index} turn {turn}: run ended {data.get('status')!r}")
        thread = thread or data["thread_id"]
        if data["thread_id"] != thread:
            errors.append(f"user {index} turn {turn}: answered on thread {data['thread_id']}, not {thread}")
        questions.append(question)
        answers.append(data["choices"][0]["message"]["content"])
    return thread, latencies, questions, answers, errors


async def _load(
    base: str, keys: list[str], requests: int, rounds: int, model: str, server_pid: int
) -> tuple[list[Any], float, list[float]]:
    """``rounds`` rounds of ``requests`` turns per user (a round's threads go on in the next); the
    server's RSS after each round."""
    limits = httpx.Limits(max_connections=len(keys) + 8, max_keepalive_connections=len(keys) + 8)
    merged: list[Any] = [(None, [], [], [], []) for _ in keys]
    rss: list[float] = []
    async with httpx.AsyncClient(base_url=base, timeout=600, limits=limits) as client:
        started = time.perf_counter()
        for round_ in range(rounds):
            turns = range(round_ * requests, (round_ + 1) * requests)
            results = await asyncio.gather(
                *(_user(client, k, i, turns, model, merged[i][0]) for i, k in enumerate(keys))
            )
            merged = [
                (new[0] or old[0], *(a + b for a, b in zip(old[1:], new[1:], strict=True)))
                for old, new in zip(merged, results, strict=True)
            ]
            rss.append(_rss_mb(server_pid))
        wall = time.perf_counter() - started
    return merged, wall, rss


def _stored_turns(cfg: Path, threads: list[str | None]) -> tuple[list[list[Any]], int]:
    """Each user's thread as PostgreSQL holds it (read after the server stopped), and how many threads
    the database has in all."""
    from qsm.graph import Runtime
    from qsm.graph.turn_history import thread_turns

    with Runtime.open(cfg, memory=None, ledger=None) as runtime:
        turns = [thread_turns(t, runtime) if t else [] for t in threads]
        return turns, len(runtime.runs.threads(limit=1_000_000))


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--requests", type=int, default=20, help="turns per user, one after another")
    parser.add_argument(
        "--rounds", type=int, default=1, help="repeat the M turns per user (memory over time)"
    )
    parser.add_argument("--workers", type=int, default=4, help="qsm serve --workers (runs at once)")
    parser.add_argument("--model", default="team", help="the workflow to ask (a /v1/models name)")
    parser.add_argument("--fake-delay", type=float, default=0.0, help="seconds per fake model call")
    parser.add_argument("--quick", action="store_true", help="10 users x 5 turns, one round")
    args = parser.parse_args()
    if args.quick:
        args.users, args.requests, args.rounds = 10, 5, 1

    root = Path(tempfile.mkdtemp(prefix="qsm-bench-serve-"))
    postgres = start_postgres()
    chroma_port, serve_port = _free_port(), _free_port()
    chroma_bin = Path(sys.executable).parent / "chroma"
    chroma = subprocess.Popen(
        [
            str(chroma_bin),
            "run",
            "--path",
            str(root / "chroma"),
            "--host",
            "127.0.0.1",
            "--port",
            str(chroma_port),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    server: subprocess.Popen[bytes] | None = None
    try:
        _wait_listening(chroma_port, chroma, "chroma run")
        runs_url = postgres.create_database("qsm_bench")
        cfg = root / "qsm.toml"
        cfg.write_text(
            f'data_dir = "{root / "data"}"\n'
            f'[defaults.model]\nbackend = "fake"\nfake_delay_s = {args.fake_delay}\n'
            f'[runs]\nbackend = "postgres"\nurl = "{runs_url}"\n'
            f'[memory]\nembedder = "hashing"\nchroma_url = "http://127.0.0.1:{chroma_port}"\n'
        )
        from qsm.serve import KeyStore

        store = KeyStore(root / "data")
        keys = [store.add(f"user{i}")[1] for i in range(args.users)]
        store.close()
        log = (root / "serve.log").open("wb")
        server = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "qsm.cli",
                "--config",
                str(cfg),
                "serve",
                "--port",
                str(serve_port),
                "--workers",
                str(args.workers),
                "--queue",
                str(args.users * 2),
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        _wait_listening(serve_port, server, "qsm serve")
        base = f"http://127.0.0.1:{serve_port}"
        warm = httpx.post(
            f"{base}/v1/chat/completions",
            json={"model": args.model, "messages": [{"role": "user", "content": "warm up: 1 + 1?"}]},
            headers={"Authorization": f"Bearer {keys[0]}"},
            timeout=300,
        )
        warm.raise_for_status()
        rss_start = _rss_mb(server.pid)
        results, wall, rss_rounds = asyncio.run(
            _load(base, keys, args.requests, args.rounds, args.model, server.pid)
        )
        rss_end = rss_rounds[-1]
        _stop(server)
        server = None
        histories, stored_threads = _stored_turns(cfg, [r[0] for r in results])
    finally:
        if server is not None:
            _stop(server)
        _stop(chroma)
        postgres.stop()

    latencies = sorted(lat for r in results for lat in r[1])
    errors = [e for r in results for e in r[4]]
    lost = duplicated = foreign = 0
    for (thread, _lat, questions, answers, _err), turns in zip(results, histories, strict=True):
        got = [t.question for t in turns]
        lost += sum(1 for q in questions if q not in got)
        duplicated += len(got) - len(set(got))
        foreign += sum(1 for q in got if q not in questions)
        if [t.answer for t in turns] != answers and thread is not None:
            errors.append(f"thread {thread}: its history's answers differ from the answers sent")
    if stored_threads != args.users + 1:  # each user's thread and the warm-up's
        errors.append(f"PostgreSQL holds {stored_threads} threads, not {args.users + 1}")
    sent = args.users * args.requests * args.rounds
    quantiles = (
        statistics.quantiles(latencies, n=100, method="inclusive") if len(latencies) > 1 else latencies * 99
    )
    data = {
        "setup": {
            "users": args.users,
            "requests_per_user": args.requests * args.rounds,
            "rounds": args.rounds,
            "serve_workers": args.workers,
            "model": f"fake (delay {args.fake_delay} s per call)",
            "workflow": args.model,
            "runs": "PostgreSQL 15 (loopback, started by the benchmark)",
            "memory": "Chroma server (`chroma run`, loopback), hashing embedder",
        },
        "requests": sent,
        "answered": len(latencies),
        "wall_s": round(wall, 1),
        "throughput_rps": round(len(latencies) / wall, 2),
        "latency_s": {
            "p50": round(quantiles[49], 3),
            "p95": round(quantiles[94], 3),
            "max": round(latencies[-1], 3) if latencies else None,
        },
        "errors": len(errors),
        "error_examples": errors[:5],
        "lost_turns": lost,
        "duplicated_turns": duplicated,
        "turns_on_the_wrong_thread": foreign,
        "threads_in_postgres": stored_threads,
        "threads_expected": args.users + 1,
        "server_rss_mb": {
            "after_warm_up": rss_start,
            "after_each_round": rss_rounds,
            "end": rss_end,
            "note": f"the server keeps at most {KEPT_RUNS} runs for the runs API, their events within "
            f"{KEPT_EVENT_BYTES // 2**20} MB and {KEPT_EVENT_AGE_S:g} s (qsm.serve.retention)",
        },
    }
    summary = (
        f"qsm serve, {args.users} users x {args.requests * args.rounds} turns ({args.workers} run workers, fake model, "
        f"PostgreSQL + Chroma server): p50 {data['latency_s']['p50']} s, p95 {data['latency_s']['p95']} s, "
        f"{len(latencies) / wall:.1f} req/s, {len(errors)} errors, {lost} lost, {duplicated} duplicated; "
        f"server RSS {rss_start} -> {rss_end} MB"
    )
    write_result("serve", data, summary)
    shutil.rmtree(root, ignore_errors=True)
    if errors or lost or duplicated or foreign:
        raise SystemExit(1)


if __name__ == "__main__":
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    main()
