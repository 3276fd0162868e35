"""A run that asks the user is answered over the API: its question shows in the run, the thread and the
events; the answer (``answer`` or LangGraph's ``command.resume``) lets it go on; another user cannot."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from openai import OpenAI

from qsm.agents import FakeChatModel
from tests.serve.conftest import Served, serving, sse, wait_run

LONG = " ".join(["word"] * 90)  # the loop's check scores it 40/90 = 0.44: below 0.5, so the run asks
SHORT = "A Merkle tree hashes pairs of hashes up to one root."
WORKFLOW = "draft-check-loop"  # writer -> check (Python) -> ... publish, with an approval on check


def _ended(run: dict) -> bool:
    return run["status"] not in ("pending", "running")


@pytest.fixture
def asking(tmp_path: Path) -> Iterator[tuple[Served, FakeChatModel, str, str]]:
    writer = FakeChatModel([LONG, SHORT], auto=False)
    with serving(tmp_path, {"writer": writer}) as served:
        _, alice = served.keys.add("alice")
        _, bob = served.keys.add("bob")
        yield served, writer, alice, bob


def test_a_waiting_run_shows_its_question_and_its_owner_answers_it(
    asking: tuple[Served, FakeChatModel, str, str],
) -> None:
    served, writer, alice_key, bob_key = asking
    with served.client(alice_key) as alice, served.client(bob_key) as bob:
        tid = alice.post("/threads").json()["thread_id"]
        made = alice.post(
            f"/threads/{tid}/runs", json={"assistant_id": WORKFLOW, "input": {"prompt": "Explain."}}
        )
        assert made.status_code == 200, made.text
        run = wait_run(alice, tid, made.json()["run_id"], _ended)
        assert run["status"] == "success" and run["result_status"] == "waiting"
        assert "accept the answer" in run["question"].lower() and run["choices"] == ["yes", "no"]
        thread = alice.get(f"/threads/{tid}").json()
        assert thread["status"] == "waiting" and thread["question"] == run["question"]
        assert thread["choices"] == ["yes", "no"]
        with alice.stream("GET", f"/threads/{tid}/runs/{run['run_id']}/stream") as response:
            events = sse(response)
        asked = [json.loads(data) for kind, data in events if kind == "question"]
        assert [a["question"] for a in asked] == [run["question"]] and asked[0]["choices"] == ["yes", "no"]

        # bob cannot answer alice's question, in any form: as if the thread were not there
        for path, body in (
            (f"/threads/{tid}/resume", {"answer": "yes"}),
            (f"/threads/{tid}/resume", {"command": {"resume": "yes"}}),
            (f"/threads/{tid}/runs", {"command": {"resume": "yes"}}),
            (f"/threads/{tid}/runs/{run['run_id']}/resume", {"answer": "yes"}),
        ):
            refused = bob.post(path, json=body)
            assert refused.status_code == 404, (path, refused.text)
            assert refused.json()["error"]["type"] == "not_found_error"
        assert alice.get(f"/threads/{tid}").json()["status"] == "waiting"
        assert len(writer.calls) == 1

        # alice answers "no" (LangGraph's form): the check's verdict is rejected, the writer revises
        answered = alice.post(f"/threads/{tid}/runs", json={"command": {"resume": "no"}})
        assert answered.status_code == 200, answered.text
        assert answered.json()["kind"] == "resume"
        done = wait_run(alice, tid, answered.json()["run_id"], _ended)
        assert done["status"] == "success" and done["result_status"] == "ok", done
        assert done["answer"] == SHORT and done["question"] is None
        assert len(writer.calls) == 2
        shown = alice.get(f"/threads/{tid}").json()
        assert shown["status"] == "ok" and shown["question"] is None and shown["values"]["answer"] == SHORT

        # the thread no longer waits: another answer is refused with a reason
        again = alice.post(f"/threads/{tid}/resume", json={"answer": "yes"})
        assert again.status_code == 409 and again.json()["error"]["code"] == "not_waiting"


def test_answers_that_are_refused(asking: tuple[Served, FakeChatModel, str, str]) -> None:
    served, _, alice_key, _ = asking
    with served.client(alice_key) as alice:
        tid = alice.post("/threads").json()["thread_id"]
        run = alice.post(
            f"/threads/{tid}/runs", json={"assistant_id": WORKFLOW, "input": {"prompt": "Explain."}}
        ).json()
        wait_run(alice, tid, run["run_id"], _ended)
        cases = [
            ({"answer": "yes", "command": {"resume": "no"}}, 422, "invalid_request"),
            ({"answer": ""}, 422, "invalid_request"),
            ({"answer": "yes", "checkpoint_id": "abc"}, 400, "invalid_request"),
        ]
        for body, status, code in cases:
            refused = alice.post(f"/threads/{tid}/resume", json=body)
            assert refused.status_code == status, (body, refused.text)
            assert refused.json()["error"]["code"] == code
        both = alice.post(
            f"/threads/{tid}/runs", json={"input": {"prompt": "hi"}, "command": {"resume": "x"}}
        )
        assert both.status_code == 422 and both.json()["error"]["param"] == "input"
        assert alice.get(f"/threads/{tid}").json()["status"] == "waiting"  # nothing of that ran


def test_a_chat_client_gets_the_question_and_its_next_message_answers_it(tmp_path: Path) -> None:
    writer = FakeChatModel([LONG, SHORT], auto=False)
    with serving(tmp_path, {"writer": writer}) as served:
        client = OpenAI(base_url=f"{served.url}/v1", api_key="unused", max_retries=0, timeout=60)
        asked = client.chat.completions.create(
            model=WORKFLOW, messages=[{"role": "user", "content": "Explain a Merkle tree."}]
        )
        extra = asked.model_extra or {}
        assert extra["status"] == "waiting" and extra["question_choices"] == ["yes", "no"]
        assert asked.choices[0].message.content == extra["question"]
        assert "accept the answer" in extra["question"].lower()
        streamed = list(
            client.chat.completions.create(
                model=WORKFLOW,
                messages=[{"role": "user", "content": "no"}],
                extra_body={"thread_id": extra["thread_id"]},
                stream=True,
            )
        )
        text = "".join(c.choices[0].delta.content or "" for c in streamed if c.choices)
        last = streamed[-1].model_extra or {}
        assert text == SHORT and last["status"] == "ok" and last["thread_id"] == extra["thread_id"]
        thread = httpx.get(f"{served.url}/threads/{extra['thread_id']}").json()
        assert thread["values"]["answer"] == SHORT
