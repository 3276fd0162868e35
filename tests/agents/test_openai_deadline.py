"""A model server that accepts and then hangs stops at the request's deadline (issue 17 item 7)."""

from __future__ import annotations

import contextlib
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from qsm.agents import ModelRequest, OpenAIChatModel, Sampling, allow_real_models
from qsm.agents.settings import ModelSettings
from qsm.errors import ModelCallError

ASK = ModelRequest([{"role": "user", "content": "hi"}], Sampling(max_tokens=16))
HEADERS = b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ntransfer-encoding: chunked\r\n\r\n"


def _sse_chunk(text: str) -> bytes:
    event = f'data: {{"choices": [{{"delta": {{"content": "{text}"}}}}]}}\n\n'.encode()
    return f"{len(event):x}\r\n".encode() + event + b"\r\n"


@contextlib.contextmanager
def server(reply: bytes = b"", trickle: bool = False) -> Iterator[str]:
    """A loopback server that accepts every connection, reads the request, sends ``reply`` (nothing: it
    hangs) and then, with ``trickle``, one byte of a line every 0.2 s, never finishing it."""
    listener = socket.create_server(("127.0.0.1", 0))
    held: list[socket.socket] = []
    stop = threading.Event()

    def serve() -> None:
        listener.settimeout(0.1)
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            held.append(conn)
            conn.recv(65536)
            if reply:
                conn.sendall(reply)
            while trickle and not stop.wait(0.2):
                with contextlib.suppress(OSError):
                    conn.sendall(b"1\r\nd\r\n")

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}/v1"
    finally:
        stop.set()
        thread.join()
        for conn in held:
            conn.close()
        listener.close()


def model(url: str, timeout_s: float = 300.0) -> OpenAIChatModel:
    return OpenAIChatModel(ModelSettings(backend="openai", url=url, name="m", timeout_s=timeout_s))


@pytest.mark.parametrize(
    ("reply", "trickle", "text"),
    [
        (b"", False, ""),  # accepts, never answers
        (HEADERS + _sse_chunk("Hello"), False, "Hello"),  # starts streaming, then falls silent
        (HEADERS + _sse_chunk("Hello"), True, "Hello"),  # keeps sending a byte, never a whole line
    ],
)
def test_a_hung_server_stops_at_the_deadline(reply: bytes, trickle: bool, text: str) -> None:
    with server(reply, trickle) as url, allow_real_models():
        started = time.monotonic()
        done = model(url).complete(ModelRequest(ASK.messages, ASK.sampling, deadline=started + 2.0))
        took = time.monotonic() - started
    assert done.finish_reason == "deadline" and done.text == text
    assert 1.9 < took < 3.0, took


def test_without_a_deadline_the_servers_timeout_still_applies() -> None:
    with server() as url, allow_real_models(), pytest.raises(ModelCallError) as info:
        model(url, timeout_s=0.5).complete(ASK)
    assert "did not answer within 0.5 s" in info.value.message and "timeout_s" in info.value.hint


def test_a_deadline_later_than_the_timeout_leaves_the_timeout_error() -> None:
    with (
        server() as url,
        allow_real_models(),
        pytest.raises(ModelCallError, match=r"did not answer within 0\.5 s"),
    ):
        model(url, timeout_s=0.5).complete(
            ModelRequest(ASK.messages, ASK.sampling, deadline=time.monotonic() + 30)
        )


@pytest.mark.slow
def test_qsm_ask_against_a_hung_server_stops_at_its_time_budget(tmp_path: Path) -> None:
    with server() as url:
        flags = ["--backend", "openai", "--url", url, "--budget-seconds", "4"]
        started = time.monotonic()
        out = subprocess.run(
            [sys.executable, "-m", "qsm.cli", "--data-dir", str(tmp_path / "d"), "ask", "hi", *flags],
            capture_output=True,
            text=True,
            timeout=120,
        )
        took = time.monotonic() - started
    # the budget plus the CLI's start and finish (before, it waited for model.timeout_s: 300 s)
    assert took < 4 + 15, (took, out.stdout, out.stderr)
    assert out.returncode == 4 and "Traceback" not in out.stderr, out.stdout + out.stderr
    assert "Final answer [budget_exhausted" in out.stdout and "time budget (4 s) is spent" in out.stdout
