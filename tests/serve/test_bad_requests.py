"""Bad requests get OpenAI's error object with the right status, and lose nothing: the server and the
threads it holds carry on."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from openai import BadRequestError, NotFoundError, OpenAI, UnprocessableEntityError

from tests.serve.conftest import Served, serving

HI = [{"role": "user", "content": "What is 2+2?"}]


def error_of(answer: httpx.Response, status: int) -> dict[str, Any]:
    assert answer.status_code == status, answer.text
    error = answer.json()["error"]
    assert set(error) == {"message", "type", "param", "code"} and error["message"]
    return dict(error)


@pytest.mark.parametrize(
    ("body", "status", "param"),
    [
        ({"model": "team"}, 422, "messages"),
        ({"model": "team", "messages": "hi"}, 422, "messages"),
        ({"model": "team", "messages": []}, 422, "messages"),
        ({"model": "team", "messages": [{"role": "wizard", "content": "hi"}]}, 422, "messages.0.role"),
        ({"model": "team", "messages": [{"role": "user", "content": 7}]}, 422, "messages.0.content.str"),
        ({"model": "team", "messages": [{"role": "assistant", "content": "hi"}]}, 400, "messages"),
        ({"model": "team", "messages": [{"role": "user", "content": "   "}]}, 400, "messages"),
        ({"messages": HI}, 422, "model"),
    ],
)
def test_malformed_chat_requests(served: Served, body: dict[str, Any], status: int, param: str) -> None:
    error = error_of(httpx.post(f"{served.url}/v1/chat/completions", json=body), status)
    assert error["type"] == "invalid_request_error" and error["param"] == param


def test_unknown_model_and_unknown_things(served: Served) -> None:
    error = error_of(
        httpx.post(f"{served.url}/v1/chat/completions", json={"model": "gpt-9", "messages": HI}), 404
    )
    assert error["code"] == "model_not_found" and error["param"] == "model" and "team" in error["message"]
    with pytest.raises(NotFoundError):
        OpenAI(base_url=f"{served.url}/v1", api_key="x", max_retries=0).chat.completions.create(
            model="gpt-9",
            messages=HI,  # type: ignore[arg-type]
        )
    assert error_of(httpx.get(f"{served.url}/threads/nope"), 404)["code"] == "thread_not_found"
    assert error_of(httpx.get(f"{served.url}/no/such/path"), 404)["type"] == "not_found_error"
    body = {"model": "team", "messages": HI, "thread_id": "nope"}
    assert error_of(httpx.post(f"{served.url}/v1/chat/completions", json=body), 404)["param"] == "thread_id"


def test_the_sdk_raises_on_bad_messages(served: Served) -> None:
    client = OpenAI(base_url=f"{served.url}/v1", api_key="x", max_retries=0)
    with pytest.raises(BadRequestError):
        client.chat.completions.create(model="team", messages=[{"role": "assistant", "content": "hi"}])
    with pytest.raises(UnprocessableEntityError):
        client.chat.completions.create(model="team", messages=[])


def test_oversize_bodies_are_refused_and_nothing_is_lost(tmp_path: Any) -> None:
    with serving(tmp_path, max_body=4096) as served:
        first = httpx.post(f"{served.url}/v1/chat/completions", json={"model": "team", "messages": HI}).json()
        big = {"model": "team", "messages": [{"role": "user", "content": "x" * 5000}]}
        error = error_of(httpx.post(f"{served.url}/v1/chat/completions", json=big), 413)
        assert error["code"] == "request_too_large"

        def chunks() -> Any:  # no Content-Length: the cap counts the bytes that arrive
            yield json.dumps(big).encode()

        error_of(httpx.post(f"{served.url}/v1/chat/completions", content=chunks()), 413)
        error_of(
            httpx.post(f"{served.url}/threads", content=b"{", headers={"content-type": "application/json"}),
            422,
        )
        # the server is fine and the earlier thread is intact
        again = httpx.post(f"{served.url}/v1/chat/completions", json={"model": "team", "messages": HI})
        assert again.status_code == 200
        thread = httpx.get(f"{served.url}/threads/{first['thread_id']}").json()
        assert thread["values"]["final_id"] == first["final_id"]


def test_too_long_prompt_and_bad_runs_requests(tmp_path: Any) -> None:
    with serving(tmp_path) as served, served.client() as client:
        limit = served.runtime.settings.runtime.max_prompt_chars
        long = {"model": "team", "messages": [{"role": "user", "content": "x" * (limit + 1)}]}
        assert error_of(client.post("/v1/chat/completions", json=long), 400)["code"] == "prompt_too_long"
        tid = client.post("/threads").json()["thread_id"]
        assert error_of(client.post("/threads", json={"thread_id": tid}), 409)["code"] == "thread_exists"
        assert error_of(client.post("/threads", json={"thread_id": "a/b"}), 422)["param"] == "thread_id"
        assert (
            error_of(client.post(f"/threads/{tid}/runs", json={"input": {}}), 422)["param"] == "input.prompt"
        )
        bad_model = {"assistant_id": "nope", "input": {"prompt": "hi"}}
        assert error_of(client.post(f"/threads/{tid}/runs", json=bad_model), 404)["param"] == "assistant_id"
        assert error_of(client.get(f"/threads/{tid}/runs/nope"), 404)["code"] == "run_not_found"
