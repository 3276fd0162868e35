"""Users and keys: a key stands for its user; nobody reads, runs on, streams, cancels or resumes another
user's thread (404, as for a thread that is not there); a server with keys refuses requests without one."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from openai import AuthenticationError, NotFoundError, OpenAI

from qsm.agents import FakeChatModel
from tests.serve.conftest import Served, serving, wait_run


@pytest.fixture
def two_users(tmp_path: Path) -> Iterator[tuple[Served, str, str, threading.Event]]:
    gate = threading.Event()
    weq = FakeChatModel([lambda call: "2 + 2 = 4" if gate.wait(60) else ""])
    with serving(tmp_path, {"WeQ": weq}) as served:
        _, alice = served.keys.add("alice")
        _, bob = served.keys.add("bob")
        yield served, alice, bob, gate
        gate.set()


def test_another_users_thread_and_run_are_not_there(
    two_users: tuple[Served, str, str, threading.Event],
) -> None:
    served, alice_key, bob_key, gate = two_users
    with served.client(alice_key) as alice, served.client(bob_key) as bob:
        tid = alice.post("/threads").json()["thread_id"]
        run_id = alice.post(f"/threads/{tid}/runs", json={"input": {"prompt": "What is 2+2?"}}).json()[
            "run_id"
        ]
        attempts = [
            ("GET", f"/threads/{tid}", None),
            ("GET", f"/threads/{tid}/history", None),
            ("GET", f"/threads/{tid}/runs", None),
            ("POST", f"/threads/{tid}/runs", {"input": {"prompt": "mine now"}}),
            ("GET", f"/threads/{tid}/runs/{run_id}", None),
            ("GET", f"/threads/{tid}/runs/{run_id}/stream", None),
            ("POST", f"/threads/{tid}/runs/{run_id}/cancel", None),
            ("POST", f"/threads/{tid}/runs/{run_id}/resume", None),
            ("POST", f"/threads/{tid}/resume", None),
        ]
        for method, path, body in attempts:
            answer = bob.request(method, path, json=body)
            assert answer.status_code == 404, (method, path, answer.text)
            assert answer.json()["error"]["type"] == "not_found_error"
        # the same thread id asked for through the OpenAI API
        with pytest.raises(NotFoundError):
            OpenAI(base_url=f"{served.url}/v1", api_key=bob_key, max_retries=0).chat.completions.create(
                model="team", messages=[{"role": "user", "content": "hi"}], extra_body={"thread_id": tid}
            )
        # bob's attempts changed nothing: alice's run goes on and ends well
        gate.set()
        done = wait_run(alice, tid, run_id, lambda r: r["status"] not in ("pending", "running"))
        assert done["status"] == "success"
        assert alice.get(f"/threads/{tid}").json()["values"]["status"] == "ok"
        assert served.runtime.runs.thread(tid).user == "alice"  # type: ignore[union-attr]
        # a run through bob's key is bob's: his memory, his thread
        reply = OpenAI(base_url=f"{served.url}/v1", api_key=bob_key, max_retries=0).chat.completions.create(
            model="team", messages=[{"role": "user", "content": "What is 3+3?"}]
        )
        bobs = (reply.model_extra or {})["thread_id"]
        assert served.runtime.runs.thread(bobs).user == "bob"  # type: ignore[union-attr]
        assert alice.get(f"/threads/{bobs}").status_code == 404


def test_a_server_with_keys_wants_a_live_one(two_users: tuple[Served, str, str, threading.Event]) -> None:
    served, alice_key, _, _ = two_users
    for headers in ({}, {"Authorization": "Bearer qsm-nope-nope"}, {"Authorization": f"Basic {alice_key}"}):
        answer = httpx.get(f"{served.url}/v1/models", headers=headers)
        assert answer.status_code == 401
        assert answer.json()["error"]["type"] == "authentication_error"
        assert answer.json()["error"]["code"] == "invalid_api_key"
    with pytest.raises(AuthenticationError):
        OpenAI(base_url=f"{served.url}/v1", api_key="qsm-wrong", max_retries=0).models.list()
    assert (
        httpx.get(f"{served.url}/v1/models", headers={"Authorization": f"Bearer {alice_key}"}).status_code
        == 200
    )
    key_id = next(k.key_id for k in served.keys.all_keys() if k.user == "alice")
    served.keys.revoke(key_id)
    assert (
        httpx.get(f"{served.url}/v1/models", headers={"Authorization": f"Bearer {alice_key}"}).status_code
        == 401
    )


def test_a_key_made_while_serving_turns_keys_on(tmp_path: Path) -> None:
    with serving(tmp_path) as served:
        assert httpx.get(f"{served.url}/v1/models").status_code == 200  # keyless: the local user
        served.keys.add("carol")
        assert httpx.get(f"{served.url}/v1/models").status_code == 401
        served.keys.revoke(served.keys.all_keys()[0].key_id)
        assert httpx.get(f"{served.url}/v1/models").status_code == 401  # revoking every key does not open it


def test_keys_are_stored_hashed(tmp_path: Path) -> None:
    with serving(tmp_path) as served:
        _, key = served.keys.add("dave")
        stored = (served.runtime.data_dir / "serve" / "serve.sqlite").read_bytes()
        assert key.encode() not in stored and key.split("-", 2)[2].encode() not in stored
        assert served.keys.user_for(key) == "dave"
