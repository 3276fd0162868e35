"""Load on `qsm serve` (loopback only): N users, each with its own API key and thread, send M chat turns
one after another, all users at once, through the OpenAI-compatible endpoint; runs are kept in PostgreSQL
and memory on a Chroma server, both started here.

Two setups, each kept as its own section of benchmarks/results/serve.json (running one keeps the other's):

* ``fake`` (default): the scripted fake model; every question ("what is i + t?") is settled by the
  calculator tool, so this measures the server, the graph, PostgreSQL and Chroma.
* ``real`` (``--real``): what a fresh install serves: the bundled SmolLM2-135M-Instruct GGUF through
  llama.cpp in the server process, the shipped role adapters, one thread per model, the MiniLM embedder.
  Turns alternate between a question the model must answer ("What is the capital of <country>?", a
  different country per user and turn) and one the calculator settles ("What is i + t?").

Measures p50/p95/max latency per request (and per kind of question), errors (any non-200 or a run that
did not end ``ok``), how many answers are right (the expected capital or sum appears in the answer),
whether every thread holds exactly its user's turns in order (none lost, none duplicated, none another
user's), read back from PostgreSQL once the server has stopped, the server's RSS after a warm-up and after
each round (``--rounds``: the users go on with M more turns each), and how much CPU other programs used
meanwhile.

    .venv/bin/python benchmarks/bench_serve.py --users 50 --requests 10 --rounds 4
    .venv/bin/python benchmarks/bench_serve.py --real --users 50 --requests 20
    .venv/bin/python benchmarks/bench_serve.py --real --users 16 --requests 10 --rounds 4 --section real-rounds
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import httpx
import psutil

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from benchmarks._common import RESULTS, write_result
from benchmarks._other_load import OtherLoad
from qsm.serve.retention import KEPT_EVENT_AGE_S, KEPT_EVENT_BYTES, KEPT_RUNS
from tests.postgres_fixture import start_postgres

Mode = Literal["fake", "real"]
Kind = Literal["model", "tool"]

CAPITALS: dict[str, tuple[str, ...]] = {
    "France": ("Paris",),
    "Japan": ("Tokyo",),
    "Italy": ("Rome",),
    "Germany": ("Berlin",),
    "Spain": ("Madrid",),
    "Russia": ("Moscow",),
    "China": ("Beijing", "Peking"),
    "Egypt": ("Cairo",),
    "the United Kingdom": ("London",),
    "Canada": ("Ottawa",),
    "Australia": ("Canberra",),
    "Brazil": ("Brasília", "Brasilia"),
    "India": ("New Delhi",),
    "Greece": ("Athens",),
    "Portugal": ("Lisbon",),
    "Ireland": ("Dublin",),
    "Norway": ("Oslo",),
    "Sweden": ("Stockholm",),
    "Finland": ("Helsinki",),
    "Denmark": ("Copenhagen",),
    "Poland": ("Warsaw",),
    "Austria": ("Vienna",),
    "Hungary": ("Budapest",),
    "the Czech Republic": ("Prague",),
    "the Netherlands": ("Amsterdam",),
    "Belgium": ("Brussels",),
    "Switzerland": ("Bern", "Berne"),
    "Turkey": ("Ankara",),
    "Argentina": ("Buenos Aires",),
    "Mexico": ("Mexico City",),
    "Peru": ("Lima",),
    "Chile": ("Santiago",),
    "Kenya": ("Nairobi",),
    "Thailand": ("Bangkok",),
    "Vietnam": ("Hanoi",),
    "South Korea": ("Seoul",),
    "Indonesia": ("Jakarta",),
    "Cuba": ("Havana",),
    "Iran": ("Tehran",),
    "Iraq": ("Baghdad",),
}
"""Countries for the model's questions, with the names of their capitals an answer may use."""


@dataclass(frozen=True)
class Question:
    text: str
    kind: Kind
    accepted: tuple[str, ...]
    """What a right answer names: a capital (any of these spellings) or the sum (as a whole number)."""

    def right(self, answer: str) -> bool:
        if self.kind == "tool":
            return any(re.search(rf"(?<![\d.]){re.escape(a)}(?![\d.])", answer) for a in self.accepted)
        return any(a.casefold() in answer.casefold() for a in self.accepted)


def question(mode: Mode, user: int, turn: int) -> Question:
    """User ``user``'s question at ``turn``: fake mode always asks a sum (settled by the calculator);
    real mode alternates a capital (even turns; country by user and turn, never twice on one thread
    within 80 turns) and a sum."""
    if mode == "fake":
        return Question(f"What is {user} + {turn}?", "tool", (str(user + turn),))
    if turn % 2 == 1:
        return Question(f"What is {user} + {turn}?", "tool", (str(user + turn),))
    countries = list(CAPITALS)
    country = countries[(user * 7 + turn // 2) % len(countries)]
    return Question(f"What is the capital of {country}?", "model", CAPITALS[country])


@dataclass
class UserLoad:
    """One user's thread and what its turns got."""

    thread: str | None = None
    latencies: list[tuple[Kind, float]] = field(default_factory=list)
    questions: list[str] = field(default_factory=list)
    answers: list[str] = field(default_factory=list)
    right: list[tuple[Kind, bool]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


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
    client: httpx.AsyncClient, key: str, index: int, turns: range, model: str, mode: Mode, load: UserLoad
) -> None:
    """One user's turns on its own thread (``load.thread``, or a new one), recorded in ``load``."""
    headers = {"Authorization": f"Bearer {key}"}
    for turn in turns:
        asked = question(mode, index, turn)
        body: dict[str, Any] = {"model": model, "messages": [{"role": "user", "content": asked.text}]}
        if load.thread is not None:
            body["thread_id"] = load.thread
        started = time.perf_counter()
        try:
            reply = await client.post("/v1/chat/completions", json=body, headers=headers)
        except httpx.HTTPError as exc:
            load.errors.append(f"user {index} turn {turn}: {type(exc).__name__}: {exc}")
            continue
        load.latencies.append((asked.kind, time.perf_counter() - started))
        if reply.status_code != 200:
            load.errors.append(f"user {index} turn {turn}: HTTP {reply.status_code} {reply.text[:200]}")
            continue
        data = reply.json()
        if data.get("status") != "ok":
            load.errors.append(f"user {index} turn {turn}: run ended {data.get('status')!r}")
        load.thread = load.thread or data["thread_id"]
        if data["thread_id"] != load.thread:
            load.errors.append(
                f"user {index} turn {turn}: answered on thread {data['thread_id']}, not {load.thread}"
            )
        answer = data["choices"][0]["message"]["content"]
        load.questions.append(asked.text)
        load.answers.append(answer)
        load.right.append((asked.kind, asked.right(answer)))


async def _load(
    base: str, keys: list[str], requests: int, rounds: int, model: str, mode: Mode, server_pid: int
) -> tuple[list[UserLoad], float, list[float]]:
    """``rounds`` rounds of ``requests`` turns per user (a round's threads go on in the next); the
    server's RSS after each round."""
    limits = httpx.Limits(max_connections=len(keys) + 8, max_keepalive_connections=len(keys) + 8)
    users = [UserLoad() for _ in keys]
    rss: list[float] = []
    async with httpx.AsyncClient(base_url=base, timeout=1800, limits=limits) as client:
        started = time.perf_counter()
        for round_ in range(rounds):
            turns = range(round_ * requests, (round_ + 1) * requests)
            await asyncio.gather(
                *(_user(client, k, i, turns, model, mode, users[i]) for i, k in enumerate(keys))
            )
            rss.append(_rss_mb(server_pid))
            print(f"round {round_ + 1}/{rounds}: server RSS {rss[-1]} MB", flush=True)
        wall = time.perf_counter() - started
    return users, wall, rss


WARM_UP = ("What is the capital of Italy?", "What is the capital of Japan?", "What is the capital of Peru?",
           "What is the capital of Kenya?")  # fmt: skip
"""Warm-up questions the model answers (a sum would be settled by the calculator and load nothing)."""


async def _warm_up(base: str, key: str, model: str, workers: int) -> None:
    """``workers`` model questions at once (a new thread each), so every run worker has loaded what it
    needs (model instances, embedder) before the baseline RSS is read."""
    async with httpx.AsyncClient(base_url=base, timeout=600) as client:
        replies = await asyncio.gather(
            *(
                client.post(
                    "/v1/chat/completions",
                    json={
                        "model": model,
                        "messages": [{"role": "user", "content": WARM_UP[i % len(WARM_UP)]}],
                    },
                    headers={"Authorization": f"Bearer {key}"},
                )
                for i in range(workers)
            )
        )
    for reply in replies:
        reply.raise_for_status()


def _stored_turns(cfg: Path, threads: list[str | None]) -> tuple[list[list[Any]], int]:
    """Each user's thread as PostgreSQL holds it (read after the server stopped), and how many threads
    the database has in all."""
    from qsm.graph import Runtime
    from qsm.graph.turn_history import thread_turns

    with Runtime.open(cfg, memory=None, ledger=None) as runtime:
        turns = [thread_turns(t, runtime) if t else [] for t in threads]
        return turns, len(runtime.runs.threads(limit=1_000_000))


def _config(root: Path, mode: Mode, fake_delay: float, runs_url: str, chroma_port: int) -> Path:
    """The server's qsm.toml: PostgreSQL runs and the Chroma server; fake mode adds the fake model and
    the hashing embedder, real mode leaves every model setting at its default."""
    lines = [f'data_dir = "{root / "data"}"']
    if mode == "fake":
        lines += ["[defaults.model]", 'backend = "fake"', f"fake_delay_s = {fake_delay}"]
    lines += ["[runs]", 'backend = "postgres"', f'url = "{runs_url}"', "[memory]"]
    if mode == "fake":
        lines.append('embedder = "hashing"')
    lines.append(f'chroma_url = "http://127.0.0.1:{chroma_port}"')
    cfg = root / "qsm.toml"
    cfg.write_text("\n".join(lines) + "\n")
    return cfg


def _quantiles(latencies: list[float]) -> dict[str, float | None]:
    ordered = sorted(latencies)
    if not ordered:
        return {"p50": None, "p95": None, "max": None}
    cuts = statistics.quantiles(ordered, n=100, method="inclusive") if len(ordered) > 1 else ordered * 99
    return {"p50": round(cuts[49], 3), "p95": round(cuts[94], 3), "max": round(ordered[-1], 3)}


def _check_threads(users: list[UserLoad], histories: list[list[Any]]) -> tuple[int, int, int]:
    """Turns lost, duplicated and on the wrong thread, comparing each thread in PostgreSQL with what
    its user sent (answers that differ are errors on the user)."""
    lost = duplicated = foreign = 0
    for load, turns in zip(users, histories, strict=True):
        got = [t.question for t in turns]
        lost += sum(1 for q in load.questions if q not in got)
        duplicated += len(got) - len(set(got))
        foreign += sum(1 for q in got if q not in load.questions)
        if load.thread is not None and [t.answer for t in turns] != load.answers:
            load.errors.append(f"thread {load.thread}: its history's answers differ from the answers sent")
    return lost, duplicated, foreign


def _model_label(mode: Mode, fake_delay: float) -> str:
    if mode == "fake":
        return f"fake (delay {fake_delay} s per call)"
    return (
        "SmolLM2-135M-Instruct Q4_1 (the bundled GGUF) through llama.cpp in the server process, the shipped "
        "role adapters, 1 thread per model (the defaults of a fresh install)"
    )


def _section(args: argparse.Namespace, mode: Mode) -> dict[str, Any]:
    """Start PostgreSQL, a Chroma server and `qsm serve`, run the load, stop them, check the threads."""
    root = Path(tempfile.mkdtemp(prefix="qsm-bench-serve-"))
    postgres = start_postgres()
    chroma_port, serve_port = _free_port(), _free_port()
    chroma_cmd = [str(Path(sys.executable).parent / "chroma"), "run", "--path", str(root / "chroma")]
    chroma = subprocess.Popen(
        [*chroma_cmd, "--host", "127.0.0.1", "--port", str(chroma_port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    server: subprocess.Popen[bytes] | None = None
    try:
        _wait_listening(chroma_port, chroma, "chroma run")
        cfg = _config(root, mode, args.fake_delay, postgres.create_database("qsm_bench"), chroma_port)
        from qsm.serve import KeyStore

        store = KeyStore(root / "data")
        keys = [store.add(f"user{i}")[1] for i in range(args.users)]
        store.close()
        serve_cmd = [sys.executable, "-m", "qsm.cli", "--config", str(cfg), "serve", "--port"]
        server = subprocess.Popen(
            [*serve_cmd, str(serve_port), "--workers", str(args.workers), "--queue", str(args.users * 2)],
            stdout=(root / "serve.log").open("wb"),
            stderr=subprocess.STDOUT,
        )
        _wait_listening(serve_port, server, "qsm serve")
        base = f"http://127.0.0.1:{serve_port}"
        asyncio.run(_warm_up(base, keys[0], args.model, args.workers))
        rss_start = _rss_mb(server.pid)
        postmaster = int((postgres.root / "data" / "postmaster.pid").read_text().split()[0])
        watch = OtherLoad(extra_roots=[postmaster]).start()
        users, wall, rss_rounds = asyncio.run(
            _load(base, keys, args.requests, args.rounds, args.model, mode, server.pid)
        )
        other_load = watch.stop()
        _stop(server)
        server = None
        histories, stored_threads = _stored_turns(cfg, [u.thread for u in users])
    finally:
        if server is not None:
            _stop(server)
        _stop(chroma)
        postgres.stop()
        shutil.rmtree(root, ignore_errors=True)

    lost, duplicated, foreign = _check_threads(users, histories)
    errors = [e for u in users for e in u.errors]
    expected_threads = args.users + args.workers  # each user's thread and the warm-up's
    if stored_threads != expected_threads:
        errors.append(f"PostgreSQL holds {stored_threads} threads, not {expected_threads}")
    latencies = [lat for u in users for lat in u.latencies]
    right = [r for u in users for r in u.right]
    kinds = sorted({k for k, _ in latencies})
    turns = args.requests * args.rounds
    data: dict[str, Any] = {
        "when": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "setup": {
            "users": args.users,
            "requests_per_user": turns,
            "rounds": args.rounds,
            "serve_workers": args.workers,
            "model": _model_label(mode, args.fake_delay),
            "questions": "every turn 'what is i + t?' (the calculator tool settles it)"
            if mode == "fake"
            else "turns alternate 'What is the capital of <country>?' (the model answers; 40 countries, "
            "a different one per user and turn) and 'What is i + t?' (the calculator tool settles it)",
            "workflow": args.model,
            "runs": "PostgreSQL 15 (loopback, started by the benchmark)",
            "memory": "Chroma server (`chroma run`, loopback), "
            + ("hashing embedder" if mode == "fake" else "MiniLM embedder (the default)"),
        },
        "requests": args.users * turns,
        "answered": len(latencies),
        "wall_s": round(wall, 1),
        "throughput_rps": round(len(latencies) / wall, 2),
        "latency_s": _quantiles([lat for _, lat in latencies]),
        "latency_s_by_kind": {k: _quantiles([lat for j, lat in latencies if j == k]) for k in kinds},
        "right_answers": {
            k: {
                "right": sum(ok for j, ok in right if j == k),
                "asked": sum(1 for j, _ in right if j == k),
            }
            for k in kinds
        },
        "errors": len(errors),
        "error_examples": errors[:5],
        "lost_turns": lost,
        "duplicated_turns": duplicated,
        "turns_on_the_wrong_thread": foreign,
        "threads_in_postgres": stored_threads,
        "threads_expected": expected_threads,
        "server_rss_mb": {
            "after_warm_up": rss_start,
            "warm_up": f"{args.workers} model questions at once (one per run worker)",
            "after_each_round": rss_rounds,
            "end": rss_rounds[-1],
            "note": f"the server keeps at most {KEPT_RUNS} runs for the runs API, their events within "
            f"{KEPT_EVENT_BYTES // 2**20} MB and {KEPT_EVENT_AGE_S:g} s (qsm.serve.retention)",
        },
        "other_load": other_load,
    }
    rights = ", ".join(
        f"{v['right']}/{v['asked']} {'capitals' if k == 'model' else 'sums'} right"
        for k, v in data["right_answers"].items()
    )
    busy = (
        f"other programs used {other_load['other_programs_cores']} of {other_load['cpus']} cores"
        if other_load["other_load_present"]
        else "machine otherwise idle"
    )
    data["summary"] = (
        f"{args.users} users x {turns} turns, {mode} model: p50 {data['latency_s']['p50']} s, "
        f"p95 {data['latency_s']['p95']} s, {data['throughput_rps']} req/s, {len(errors)} errors, "
        f"{lost} lost, {duplicated} duplicated, {rights}; server RSS {rss_start} -> "
        f"{' -> '.join(str(r) for r in rss_rounds)} MB ({busy})"
    )
    return data


_NOT_SECTIONS = ("benchmark", "machine", "when", "summary")


def _sections_kept() -> dict[str, Any]:
    """The sections already in serve.json, each one run (an older file without sections is the fake one)."""
    path = RESULTS / "serve.json"
    if not path.exists():
        return {}
    old = json.loads(path.read_text())
    if "fake" in old or "real" in old:
        return {k: v for k, v in old.items() if k not in _NOT_SECTIONS}
    section = {k: v for k, v in old.items() if k not in ("benchmark", "machine")}
    return {"fake": section}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--real", action="store_true", help="the bundled model (fresh-install defaults)")
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--requests", type=int, default=20, help="turns per user, one after another")
    parser.add_argument(
        "--rounds", type=int, default=1, help="repeat the M turns per user (memory over time)"
    )
    parser.add_argument("--workers", type=int, default=4, help="qsm serve --workers (runs at once)")
    parser.add_argument("--model", default="team", help="the workflow to ask (a /v1/models name)")
    parser.add_argument("--fake-delay", type=float, default=0.0, help="seconds per fake model call")
    parser.add_argument("--quick", action="store_true", help="10 users x 5 turns (--real: 4 x 4), one round")
    parser.add_argument(
        "--section", help="the name this run is kept under in serve.json (default: fake or real; others stay)"
    )
    args = parser.parse_args()
    if args.users < 1 or args.requests < 1 or args.rounds < 1:
        parser.error("--users, --requests and --rounds must be at least 1")
    if args.quick:
        args.users, args.requests, args.rounds = (4, 4, 1) if args.real else (10, 5, 1)
    mode: Mode = "real" if args.real else "fake"

    name = args.section or mode
    sections = _sections_kept()
    sections[name] = _section(args, mode)
    summary = "qsm serve (PostgreSQL + Chroma server, loopback): " + "; ".join(
        f"{key}: {section['summary']}" for key, section in sections.items()
    )
    write_result("serve", sections, summary)
    failed = sections[name]
    if failed["errors"] or failed["lost_turns"] or failed["duplicated_turns"]:
        raise SystemExit(1)
    if failed["turns_on_the_wrong_thread"]:
        raise SystemExit(1)


if __name__ == "__main__":
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    main()
