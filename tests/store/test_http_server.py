"""The HttpClient path: a real Chroma server (`chroma run`, shipped with chromadb) on loopback."""

from __future__ import annotations

import io
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from qsm.errors import MemoryStoreError
from qsm.store import MemorySettings, open_memory

pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def chroma_url(tmp_path: Path) -> Iterator[str]:
    chroma = Path(sys.executable).parent / "chroma"
    if not chroma.exists():
        pytest.skip(
            f"no `chroma` command next to {sys.executable}; chromadb's CLI is needed to start a server"
        )
    port = _free_port()
    log = (tmp_path / "chroma-server.log").open("wb")
    server = subprocess.Popen(
        [
            str(chroma),
            "run",
            "--path",
            str(tmp_path / "server-data"),
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if server.poll() is not None:
                pytest.skip(f"the Chroma server exited at start (code {server.returncode}); see {log.name}")
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                time.sleep(0.2)
        else:
            pytest.skip("the Chroma server did not start listening within 30 s")
        yield f"http://127.0.0.1:{port}"
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        log.close()


def test_memory_on_a_chroma_server(chroma_url: str, tmp_path: Path) -> None:
    settings = MemorySettings(embedder="hashing", chroma_url=chroma_url)
    memory = open_memory(settings, tmp_path / "client-a")
    assert "Chroma server" in memory.stats()["backend"]
    tea = memory.write("green tea steeps at eighty degrees", path="/knowledge/tea", as_agent="WeQ")
    memory.write("green tea steeps at eighty degree", path="/knowledge/tea", as_agent="WeQ", confidence=0.5)
    memory.write("alice prefers oolong", path="/users/alice/chats", as_agent="WeQ")
    assert memory.search("green tea steeps at eighty degrees", under="/knowledge", k=1)[0].entry.id == tea.id
    assert memory.dedupe("/knowledge", threshold=0.8).removed == 1
    moved = memory.refile(tea.id, "/knowledge/drinks/tea", as_agent="Ref")
    assert [d.name for d in memory.ls("/knowledge").dirs] == ["drinks"]
    memory.close()

    other = open_memory(settings, tmp_path / "client-b", create=False)  # another machine, same server
    assert other.tree("/").total == 2  # its local index was rebuilt from the server
    assert other.get(moved.id) is not None
    dump = io.StringIO()
    assert other.export(dump) == 2
    other.close()


def test_unreachable_server_is_a_clear_error(tmp_path: Path) -> None:
    settings = MemorySettings(embedder="hashing", chroma_url=f"http://127.0.0.1:{_free_port()}")
    with pytest.raises(MemoryStoreError, match="Chroma failed while connecting") as info:
        open_memory(settings, tmp_path)
    assert "chroma run" in info.value.hint


_WRITER = """
import sys
from pathlib import Path
from qsm.store import MemorySettings, open_memory

memory = open_memory(MemorySettings(embedder="hashing", chroma_url=sys.argv[1]), Path(sys.argv[2]))
for n in range(int(sys.argv[3])):
    memory.write(f"worker note {n} about {sys.argv[4]}", path=f"/knowledge/{sys.argv[4]}", as_agent="WeQ")
memory.close()
"""


def test_two_processes_share_one_chroma_server(chroma_url: str, tmp_path: Path) -> None:
    """Two API workers (each with its own data dir) on one Chroma server: what either writes, the other
    finds, fetches and lists while it stays open."""
    settings = MemorySettings(embedder="hashing", chroma_url=chroma_url)
    mine = open_memory(settings, tmp_path / "worker-a")
    tea = mine.write("green tea steeps at eighty degrees", path="/knowledge/tea", as_agent="WeQ")
    writers = [
        subprocess.Popen(
            [sys.executable, "-c", _WRITER, chroma_url, str(tmp_path / f"w-{topic}"), "3", topic]
        )
        for topic in ("coffee", "cocoa")
    ]
    for writer in writers:
        assert writer.wait(timeout=120) == 0
    assert {d.name: d.entries for d in mine.ls("/knowledge").dirs} == {"tea": 1, "coffee": 3, "cocoa": 3}
    assert mine.tree("/").total == 7
    hit = mine.search("worker note 2 about cocoa", under="/knowledge/cocoa", k=1)[0]
    assert hit.entry.text == "worker note 2 about cocoa" and mine.get(hit.entry.id) is not None
    view = mine.create_view("/views/cocoa", where={"topic": "cocoa"}, under="/knowledge")
    assert mine.ls("/views").dirs[0].view
    assert sorted(e.text for e in mine.ls(view.path).entries) == [
        f"worker note {n} about cocoa" for n in range(3)
    ]  # a saved view over what another process wrote, still there after the index was rebuilt
    moved = mine.refile(tea.id, "/knowledge/drinks", as_agent="Ref")
    other = open_memory(settings, tmp_path / "w-coffee")  # the first writer's data dir, opened again
    assert sorted(d.name for d in other.ls("/knowledge").dirs) == ["cocoa", "coffee", "drinks"]
    assert other.get(moved.id) is not None
    other.close()
    mine.close()
