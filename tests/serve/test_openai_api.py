"""The official `openai` SDK talks to `qsm serve`: streamed and whole answers, models, conversations."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
from openai import OpenAI

from qsm.agents import FakeChatModel
from qsm.graph.workflow_files import EXAMPLES_DIR
from qsm.serve.catalog import WorkflowCatalog
from tests.serve.conftest import Served, serving


def sdk(served: Served, key: str = "unused-on-a-keyless-server") -> OpenAI:
    return OpenAI(base_url=f"{served.url}/v1", api_key=key, max_retries=0, timeout=60)


def test_the_openai_sdk_streams_an_answer(served: Served) -> None:
    chunks = list(
        sdk(served).chat.completions.create(
            model="team", messages=[{"role": "user", "content": "What is 2+2?"}], stream=True
        )
    )
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    last = chunks[-1]
    extra = last.model_extra or {}
    assert last.choices[0].finish_reason == "stop"
    assert text.startswith("(fake model) reply to:") and "2+2" in text
    assert extra["status"] == "ok" and extra["final_id"].startswith("final:")
    # the team's steps came as empty deltas before the answer
    steps = [(c.model_extra or {}).get("qsm_event") for c in chunks]
    assert {"QSM", "WeQ", "Ref"} <= {s["agent"] for s in steps if s}
    # the verified answer came in pieces as soon as it was final, before SOM settled the costs
    content = [i for i, c in enumerate(chunks) if c.choices and c.choices[0].delta.content]
    settle = next(i for i, s in enumerate(steps) if s and s["node"] == "SOM.settle")
    assert len(content) > 1 and content[-1] < settle
    # the thread keeps the answer: the runs API shows the same one
    thread = httpx.get(f"{served.url}/threads/{extra['thread_id']}").json()
    assert thread["values"] == {"answer": text, "final_id": extra["final_id"], "status": "ok"}


def test_a_whole_answer_and_a_follow_up_on_its_thread(served: Served) -> None:
    client = sdk(served)
    first = client.chat.completions.create(
        model="team", messages=[{"role": "user", "content": "What is 2+2?"}]
    )
    extra = first.model_extra or {}
    answer = first.choices[0].message.content
    assert first.choices[0].message.role == "assistant" and answer and "2+2" in answer
    assert extra["final_id"].startswith("final:") and extra["status"] == "ok"
    second = client.chat.completions.create(
        model="team",
        messages=[{"role": "user", "content": "And times three?"}],
        extra_body={"thread_id": extra["thread_id"]},
    )
    assert (second.model_extra or {})["thread_id"] == extra["thread_id"]
    assert second.choices[0].message.content != answer
    runs = httpx.get(f"{served.url}/threads/{extra['thread_id']}/runs").json()
    assert len(runs) == 2 and all(r["status"] == "success" for r in runs)


def test_a_thread_keeps_its_workflow_in_both_apis(served: Served) -> None:
    first = sdk(served).chat.completions.create(
        model="team", messages=[{"role": "user", "content": "What is 2+2?"}]
    )
    thread = (first.model_extra or {})["thread_id"]
    chat = httpx.post(
        f"{served.url}/v1/chat/completions",
        json={"model": "review", "messages": [{"role": "user", "content": "Hi"}], "thread_id": thread},
    )
    run = httpx.post(
        f"{served.url}/threads/{thread}/runs", json={"assistant_id": "review", "input": {"prompt": "Hi"}}
    )
    for response, param in ((chat, "model"), (run, "assistant_id")):
        error = response.json()["error"]
        assert response.status_code == 400 and (error["code"], error["param"]) == ("workflow_mismatch", param)
        assert f"thread {thread} runs the workflow 'team', not 'review'" == error["message"]


def test_models_are_the_workflows(served: Served) -> None:
    names = [m.id for m in sdk(served).models.list()]
    assert names[0] == "team" and {"review", "team-vote"} <= set(names)


def test_a_pipeline_workflow_answers_as_a_model(served: Served) -> None:
    reply = sdk(served).chat.completions.create(
        model="review", messages=[{"role": "user", "content": "Explain a Merkle tree."}]
    )
    assert (reply.model_extra or {})["final_id"].startswith("final:")
    assert reply.choices[0].message.content


def test_earlier_messages_reach_the_team_as_the_conversation(tmp_path: Path) -> None:
    weq = FakeChatModel()
    with serving(tmp_path, {"WeQ": weq}) as served:
        sdk(served).chat.completions.create(
            model="team",
            messages=[
                {"role": "system", "content": "You are helpful."},
                {"role": "user", "content": "My cat is called Ziggurat."},
                {"role": "assistant", "content": "Noted: Ziggurat."},
                {"role": "user", "content": [{"type": "text", "text": "What is my cat called?"}]},
            ],
        )
    seen = json.dumps([call.messages for call in weq.calls])
    assert "My cat is called Ziggurat." in seen and "Noted: Ziggurat." in seen
    assert "You are helpful." not in seen  # each agent keeps its own system prompt


def test_the_data_dirs_workflows_and_extra_folders_are_models(tmp_path: Path) -> None:
    review = (EXAMPLES_DIR / "review.yaml").read_text()
    mine = tmp_path / "data" / "workflows"
    mine.mkdir(parents=True)
    (mine / "mine.yaml").write_text(review.replace("name: review", "name: my-review"))
    extra = tmp_path / "extra"
    extra.mkdir()
    (extra / "other.yaml").write_text(review.replace("name: review", "name: other-review"))
    (extra / "broken.yaml").write_text("name: broken\nagents: [\n")
    names = WorkflowCatalog.load(tmp_path / "data", [extra]).names()
    assert names[0] == "team" and {"review", "team-vote", "my-review", "other-review"} <= set(names)
    assert "broken" not in names


def _deltas(chunks: list[Any]) -> list[str]:
    return [c.choices[0].delta.content for c in chunks if c.choices and c.choices[0].delta.content]


def test_a_pipeline_streams_the_answering_agents_tokens(tmp_path: Path) -> None:
    answer = "A Merkle tree hashes pairs of hashes up to one root."
    editor = FakeChatModel([f"  {answer}  "], auto=False)  # the answer is stripped of what surrounds it
    with serving(tmp_path, {"editor": editor}) as served:
        chunks = list(
            sdk(served).chat.completions.create(
                model="review", messages=[{"role": "user", "content": "Explain a Merkle tree."}], stream=True
            )
        )
        extra = chunks[-1].model_extra or {}
        thread = httpx.get(f"{served.url}/threads/{extra['thread_id']}").json()
    words = answer.split(" ")
    # token by token, as the editor wrote them (the fake model's tokens are words), not in pieces
    assert _deltas(chunks) == [words[0], *(" " + w for w in words[1:])]
    assert "".join(_deltas(chunks)) == thread["values"]["answer"] == answer
    assert extra["status"] == "ok" and chunks[-1].choices[0].finish_reason == "stop"
    # the writer's and the critic's tokens are not the answer: they never reach the content
    assert "(fake model)" not in "".join(_deltas(chunks))


def test_the_team_streams_its_merged_answer_token_by_token(tmp_path: Path) -> None:
    with serving(tmp_path, runtime_settings={"collapse": "merge", "fan_out": 2}) as served:
        chunks = list(
            sdk(served).chat.completions.create(
                model="team", messages=[{"role": "user", "content": "What is 2+2?"}], stream=True
            )
        )
        extra = chunks[-1].model_extra or {}
        thread = httpx.get(f"{served.url}/threads/{extra['thread_id']}").json()
    deltas = _deltas(chunks)
    assert "".join(deltas) == thread["values"]["answer"] and extra["status"] == "ok"
    assert len(deltas) > 3 and all(d.count(" ") <= 1 for d in deltas)  # tokens (words), not pieces
