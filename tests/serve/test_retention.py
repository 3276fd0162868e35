"""The server keeps its runs within bounds: events by bytes and age, runs by count; a run whose events
were dropped still answers with its summary, and its stream says the events are gone (410)."""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path

import httpx
from openai import OpenAI

from qsm.serve.retention import Retention
from tests.serve.conftest import serving


@dataclass
class _Run:
    ended_at: float | None
    event_bytes: int
    dropped: bool = False

    def drop_events(self) -> None:
        self.event_bytes, self.dropped = 0, True


def test_prune_drops_the_oldest_ended_runs_events_first_and_forgets_runs_beyond_the_count() -> None:
    runs: OrderedDict[str, _Run] = OrderedDict(
        (("a", _Run(100.0, 40)), ("b", _Run(None, 40)), ("c", _Run(101.0, 40)), ("d", _Run(102.0, 40)))
    )
    Retention(max_runs=10, max_bytes=100, max_age_s=1000).prune(runs, now=110.0)
    # 160 bytes > 100: the oldest ended run (a) loses its events, then c; b still runs and keeps its own
    assert [r.dropped for r in runs.values()] == [True, False, True, False]
    Retention(max_runs=10, max_bytes=100, max_age_s=5).prune(runs, now=110.0)
    assert [r.dropped for r in runs.values()] == [True, False, True, True]  # d ended 8 s ago: too old
    Retention(max_runs=2, max_bytes=100, max_age_s=1000).prune(runs, now=110.0)
    assert list(runs) == ["b", "d"]  # ended runs beyond the count are forgotten; b has not ended


def test_runs_past_the_limits_keep_their_summary_and_then_go(tmp_path: Path) -> None:
    retention = Retention(max_runs=3, max_bytes=1, max_age_s=3600)  # no run keeps its events once ended
    with serving(tmp_path, retention=retention) as served:
        client = OpenAI(base_url=f"{served.url}/v1", api_key="unused", max_retries=0, timeout=60)
        replies = [
            client.chat.completions.create(
                model="team", messages=[{"role": "user", "content": f"What is {n}+1?"}]
            )
            for n in range(4)
        ]
        ids = [((r.model_extra or {})["thread_id"], (r.model_extra or {})["run_id"]) for r in replies]
        latest_thread, latest_run = ids[-1]
        run = httpx.get(f"{served.url}/threads/{latest_thread}/runs/{latest_run}").json()
        assert run["status"] == "success" and run["answer"] == replies[-1].choices[0].message.content
        gone = httpx.get(f"{served.url}/threads/{latest_thread}/runs/{latest_run}/stream")
        assert gone.status_code == 410 and gone.json()["error"]["code"] == "events_expired"
        first_thread, first_run = ids[0]
        assert httpx.get(f"{served.url}/threads/{first_thread}/runs/{first_run}").status_code == 404
        # the thread and its answer are in the run store: never dropped
        thread = httpx.get(f"{served.url}/threads/{first_thread}").json()
        assert thread["values"]["answer"] == replies[0].choices[0].message.content
