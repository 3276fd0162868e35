"""A real `qsm serve` app under uvicorn on a loopback port, in a thread, on fake models."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn

from qsm.agents import FakeChatModel
from qsm.graph import Runtime
from qsm.serve import KeyStore, create_app
from qsm.serve.catalog import WorkflowCatalog
from qsm.serve.retention import Retention
from tests.helpers import fake_runtime


@dataclass
class Served:
    url: str
    runtime: Runtime
    keys: KeyStore

    def client(self, key: str | None = None) -> httpx.Client:
        headers = {"Authorization": f"Bearer {key}"} if key else {}
        return httpx.Client(base_url=self.url, headers=headers, timeout=30)


@contextmanager
def serving(
    tmp: Path,
    models: dict[str, FakeChatModel] | None = None,
    *,
    ledger: Any = None,
    runtime_settings: dict[str, Any] | None = None,
    retention: Retention | None = None,
    **app_options: Any,
) -> Iterator[Served]:
    """The app on fake models (every agent answers by itself unless ``models`` scripts it), served by
    uvicorn on 127.0.0.1 and an ephemeral port until the block ends; ``ledger`` and the ``[runtime]``
    settings ``runtime_settings`` go to the runtime, ``retention`` to its run manager."""
    runtime = fake_runtime(
        tmp,
        models or {},
        ledger=ledger,
        defaults={"model": {"backend": "fake"}},
        runtime=runtime_settings or {},
    )
    keys = KeyStore(runtime.data_dir)
    catalog = WorkflowCatalog.load(runtime.data_dir)  # the library: the team and the shipped examples
    app = create_app(runtime, keys=keys, catalog=catalog, **app_options)
    if retention is not None:
        app.state.qsm.runs.retention = retention
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "the server did not start"
        time.sleep(0.02)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield Served(f"http://127.0.0.1:{port}", runtime, keys)
    finally:
        server.should_exit = True
        thread.join(30)
        keys.close()
        runtime.close()


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Served]:
    with serving(tmp_path) as s:
        yield s


def sse(response: httpx.Response) -> list[tuple[str, str]]:
    """The (event, data) pairs of a server-sent event stream."""
    found: list[tuple[str, str]] = []
    event, data = "message", []
    for line in response.iter_lines():
        if not line:
            if data:
                found.append((event, "\n".join(data)))
            event, data = "message", []
        elif line.startswith("event:"):
            event = line[6:].strip()
        elif line.startswith("data:"):
            data.append(line[5:].strip())
    if data:
        found.append((event, "\n".join(data)))
    return found


def wait_run(client: httpx.Client, thread_id: str, run_id: str, until: Callable[[dict], bool]) -> dict:
    deadline = time.monotonic() + 60
    while True:
        run = client.get(f"/threads/{thread_id}/runs/{run_id}").json()
        if until(run):
            return run
        assert time.monotonic() < deadline, json.dumps(run)
        time.sleep(0.05)
