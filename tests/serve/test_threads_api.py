"""``POST /threads/search`` and ``GET /threads/{id}/state`` (qsm/serve/threads_api.py): a user's threads and
a thread's turns, never anyone else's."""

from __future__ import annotations

import httpx

from tests.serve.conftest import Served, wait_run


def _ask(client: httpx.Client, thread_id: str, prompt: str) -> None:
    run = client.post(f"/threads/{thread_id}/runs", json={"input": {"prompt": prompt}})
    assert run.status_code == 200, run.text
    wait_run(client, thread_id, run.json()["run_id"], lambda r: r["status"] not in ("pending", "running"))


def test_search_and_state_are_the_callers_own(served: Served) -> None:
    _, alice = served.keys.add("alice")
    _, bob = served.keys.add("bob")
    with served.client(alice) as mine, served.client(bob) as theirs:
        first = mine.post("/threads").json()["thread_id"]
        _ask(mine, first, "What is 2+2?")
        _ask(mine, first, "And 3+3?")
        second = mine.post("/threads").json()["thread_id"]
        _ask(mine, second, "Name a prime.")
        never_run = mine.post("/threads").json()["thread_id"]

        found = mine.post("/threads/search", json={}).json()
        assert [t["thread_id"] for t in found] == [second, first]  # newest first; one never run is not listed
        assert found[1]["request"] == "And 3+3?" and found[1]["workflow"] == "team"  # its latest question
        assert found[1]["status"] == "ok"
        assert [
            t["thread_id"] for t in mine.post("/threads/search", json={"limit": 1, "offset": 1}).json()
        ] == [first]
        assert mine.post("/threads/search", json={"status": "waiting"}).json() == []
        assert theirs.post("/threads/search").json() == []

        state = mine.get(f"/threads/{first}/state").json()
        assert [t["question"] for t in state["turns"]] == ["What is 2+2?", "And 3+3?"]
        assert (
            state["turns"][0]["answer"] and state["result"]["status"] == "ok" and state["result"]["final_id"]
        )
        assert mine.get(f"/threads/{never_run}/state").json() == {
            "thread_id": never_run,
            "workflow": None,
            "turns": [],
            "result": None,
        }
        refused = theirs.get(f"/threads/{first}/state")
        assert refused.status_code == 404 and refused.json()["error"]["code"] == "thread_not_found"
        assert mine.post("/threads/search", json={"limit": 0}).status_code == 422


def test_search_needs_a_key_once_keys_exist(served: Served) -> None:
    served.keys.add("alice")
    with served.client() as anonymous:
        refused = anonymous.post("/threads/search")
    assert refused.status_code == 401 and refused.json()["error"]["code"] == "invalid_api_key"
