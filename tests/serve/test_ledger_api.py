"""Ledger records per user: every record an API user's run makes carries that user, and
``GET /ledger/{content_id}`` gives a record and its proof to that user only."""

from __future__ import annotations

from pathlib import Path

from openai import OpenAI

from qsm.chain import FakeLedger
from qsm.graph.runner import load_result
from tests.serve.conftest import serving


def test_each_users_records_carry_them_and_only_they_get_the_proof(tmp_path: Path) -> None:
    ledger = FakeLedger(anchor_messages=True)  # messages too, not only the answers
    with serving(tmp_path, ledger=ledger) as served:
        _, alice_key = served.keys.add("alice")
        _, bob_key = served.keys.add("bob")
        asked = {}
        for user, key, model in (("alice", alice_key, "team"), ("bob", bob_key, "review")):
            sdk = OpenAI(base_url=f"{served.url}/v1", api_key=key, max_retries=0, timeout=60)
            reply = sdk.chat.completions.create(
                model=model, messages=[{"role": "user", "content": "What is 2+2?"}]
            )
            asked[user] = reply.model_extra or {}
        for user, extra in asked.items():
            loaded = load_result(extra["thread_id"], served.runtime)
            assert loaded is not None
            trace = [env.id for env in loaded[0].trace]
            recorded = [r for r in map(ledger.receipt, trace) if r is not None]  # the messages and answer
            assert len(recorded) > 3 and {r.user for r in recorded} == {user}
            assert extra["final_id"] in {r.content_id for r in recorded}

        with served.client(alice_key) as alice, served.client(bob_key) as bob:
            final_id = asked["alice"]["final_id"]
            mine = alice.get(f"/ledger/{final_id}")
            assert mine.status_code == 200, mine.text
            record = mine.json()
            assert record["receipt"]["user"] == "alice" and record["receipt"]["kind"] == "final_answer"
            assert record["proof"]["content_id"] == final_id and record["proof"]["root"].startswith("0x")
            assert ledger.verify(ledger.proof(final_id)).status in ("verified", "final", "anchored")
            for client, content_id in (
                (bob, final_id),  # alice's answer
                (alice, asked["bob"]["final_id"]),  # bob's
                (alice, "final:" + "0" * 64),  # never recorded
            ):
                refused = client.get(f"/ledger/{content_id}")
                assert refused.status_code == 404, refused.text
                assert refused.json()["error"]["code"] == "record_not_found"
            assert bob.get(f"/ledger/{asked['bob']['final_id']}").json()["receipt"]["user"] == "bob"


def test_a_server_without_a_ledger_says_so(tmp_path: Path) -> None:
    with serving(tmp_path) as served, served.client() as client:
        answer = client.get("/ledger/final:" + "0" * 64)
    assert answer.status_code == 404 and "keeps no ledger" in answer.json()["error"]["message"]
