"""The runs API: threads, background runs, their event streams, history, cancel and resume."""

from __future__ import annotations

import json
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from openai import OpenAI

from qsm.agents import FakeChatModel
from qsm.agents.fake import FakeCall
from tests.serve.conftest import Served, serving, sse, wait_run


def test_create_run_stream_get_and_history(served: Served) -> None:
    with served.client() as client:
        made = client.post("/threads", json={"metadata": {"topic": "sums"}})
        assert made.status_code == 200, made.text
        thread = made.json()
        assert thread["status"] == "idle" and thread["metadata"] == {"topic": "sums"}
        tid = thread["thread_id"]
        run = client.post(
            f"/threads/{tid}/runs", json={"assistant_id": "team", "input": {"prompt": "What is 2+2?"}}
        )
        assert run.status_code == 200, run.text
        run_id = run.json()["run_id"]
        with client.stream("GET", f"/threads/{tid}/runs/{run_id}/stream") as response:
            assert response.headers["content-type"].startswith("text/event-stream")
            events = sse(response)
        kinds = [kind for kind, _ in events]
        assert kinds[0] == "message" and kinds[-2:] == ["done", "end"]
        assert {"step", "token", "node_done", "final"} <= set(kinds)
        done = json.loads(events[-2][1])
        assert done["result"]["status"] == "ok" and done["result"]["thread_id"] == tid
        ended = json.loads(events[-1][1])
        assert ended["status"] == "success" and ended["final_id"] == done["result"]["final_id"]

        got = client.get(f"/threads/{tid}/runs/{run_id}").json()
        assert got["status"] == "success" and got["answer"] == done["result"]["final"]["text"]
        shown = client.get(f"/threads/{tid}").json()
        assert shown["status"] == "ok" and shown["workflow"] == "team"
        assert shown["values"]["final_id"] == got["final_id"]
        history = client.get(f"/threads/{tid}/history").json()
        assert history and history[0]["step"] >= history[-1]["step"] and "checkpoint_id" in history[0]
        # a stream asked for after the run ended replays it from its first event
        with client.stream("GET", f"/threads/{tid}/runs/{run_id}/stream") as response:
            assert [kind for kind, _ in sse(response)] == kinds


def test_a_new_thread_has_an_empty_history_and_a_second_run_waits_its_turn(tmp_path: Path) -> None:
    gate = threading.Event()
    weq = FakeChatModel([lambda call: _after(gate, "2 + 2 = 4")])
    with serving(tmp_path, {"WeQ": weq}) as served, served.client() as client:
        tid = client.post("/threads").json()["thread_id"]
        assert client.get(f"/threads/{tid}/history").json() == []
        first = client.post(f"/threads/{tid}/runs", json={"input": {"prompt": "What is 2+2?"}}).json()
        busy = client.post(f"/threads/{tid}/runs", json={"input": {"prompt": "again"}})
        assert busy.status_code == 409 and busy.json()["error"]["code"] == "thread_busy"
        assert client.get(f"/threads/{tid}").json()["status"] == "busy"
        gate.set()
        assert (
            wait_run(
                client, tid, first["run_id"], lambda r: r["status"] != "pending" and r["status"] != "running"
            )["status"]
            == "success"
        )


def test_cancel_stops_a_run_and_resume_finishes_it(tmp_path: Path) -> None:
    gate, asked = threading.Event(), threading.Event()

    def slow(call: FakeCall) -> str:
        asked.set()
        return _after(gate, "2 + 2 = 4")

    with serving(tmp_path, {"WeQ": FakeChatModel([slow])}) as served, served.client() as client:
        tid = client.post("/threads").json()["thread_id"]
        run = client.post(f"/threads/{tid}/runs", json={"input": {"prompt": "What is 2+2?"}}).json()
        assert asked.wait(30), "WeQ was never asked"
        cancelled = client.post(f"/threads/{tid}/runs/{run['run_id']}/cancel")
        assert cancelled.status_code == 202
        gate.set()
        stopped = wait_run(client, tid, run["run_id"], lambda r: r["status"] not in ("pending", "running"))
        assert stopped["status"] == "interrupted" and stopped["final_id"] is None
        assert client.get(f"/threads/{tid}").json()["status"] == "interrupted"
        with client.stream("GET", f"/threads/{tid}/runs/{run['run_id']}/stream") as response:
            events = list(sse(response))
        assert events[-1][0] == "end"
        done = [data for kind, data in events if kind == "done"]  # the runner's own end, when it saw the stop
        assert all(json.loads(d)["result"]["status"] == "interrupted" for d in done)

        resumed = client.post(f"/threads/{tid}/runs/{run['run_id']}/resume")
        assert resumed.status_code == 200, resumed.text
        assert resumed.json()["kind"] == "resume"
        finished = wait_run(
            client, tid, resumed.json()["run_id"], lambda r: r["status"] not in ("pending", "running")
        )
        assert finished["status"] == "success" and finished["result_status"] == "ok"
        assert finished["final_id"] and client.get(f"/threads/{tid}").json()["values"]["status"] == "ok"


def test_a_pending_run_cancelled_never_starts(tmp_path: Path) -> None:
    gate = threading.Event()
    weq = FakeChatModel([lambda call: _after(gate, "2 + 2 = 4")])
    with serving(tmp_path, {"WeQ": weq}, workers=1) as served, served.client() as client:
        busy_thread = client.post("/threads").json()["thread_id"]
        first = client.post(f"/threads/{busy_thread}/runs", json={"input": {"prompt": "What is 2+2?"}}).json()
        tid = client.post("/threads").json()["thread_id"]
        queued = client.post(f"/threads/{tid}/runs", json={"input": {"prompt": "What is 3+3?"}}).json()
        assert queued["status"] == "pending"
        client.post(f"/threads/{tid}/runs/{queued['run_id']}/cancel")
        gate.set()
        wait_run(client, busy_thread, first["run_id"], lambda r: r["status"] == "success")
        assert (
            wait_run(client, tid, queued["run_id"], lambda r: r["status"] != "pending")["status"]
            == "interrupted"
        )
        assert client.get(f"/threads/{tid}").json()["status"] == "idle"  # nothing ran on it
        assert client.post(f"/threads/{tid}/resume").status_code == 409


def _after(gate: threading.Event, text: str) -> str:
    assert gate.wait(60), "the test never opened the gate"
    return text


def test_concurrent_chats_each_get_their_own_answer_and_thread(tmp_path: Path) -> None:
    with serving(tmp_path, workers=3) as served:
        client = OpenAI(base_url=f"{served.url}/v1", api_key="x", max_retries=0, timeout=120)

        def ask(n: int) -> tuple[str, str, str]:
            reply = client.chat.completions.create(
                model="team", messages=[{"role": "user", "content": f"What is {n}+{n}?"}]
            )
            extra = reply.model_extra or {}
            return extra["thread_id"], extra["final_id"], reply.choices[0].message.content or ""

        with ThreadPoolExecutor(8) as pool:
            answers = list(pool.map(ask, range(8)))
    assert len({thread for thread, _, _ in answers}) == 8
    for n, (_, final_id, text) in enumerate(answers):
        assert final_id.startswith("final:") and f"{n}+{n}" in text


def test_a_full_queue_says_so(tmp_path: Path) -> None:
    gate = threading.Event()
    weq = FakeChatModel([lambda call: _after(gate, "2 + 2 = 4")])
    with serving(tmp_path, {"WeQ": weq}, workers=1, queue=0) as served, served.client() as client:
        first = client.post("/threads").json()["thread_id"]
        run = client.post(f"/threads/{first}/runs", json={"input": {"prompt": "What is 2+2?"}}).json()
        other = client.post("/threads").json()["thread_id"]
        full = client.post(f"/threads/{other}/runs", json={"input": {"prompt": "What is 3+3?"}})
        assert full.status_code == 429 and full.json()["error"]["code"] == "queue_full"
        gate.set()
        wait_run(client, first, run["run_id"], lambda r: r["status"] == "success")
        again = client.post(f"/threads/{other}/runs", json={"input": {"prompt": "What is 3+3?"}})
        assert again.status_code == 200
