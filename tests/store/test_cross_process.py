"""A fact ingested in one process is found in a new process: real MiniLM embedder, real Chroma on disk,
no network at all (every socket connect fails in both processes)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

_NO_NETWORK = """
import os, socket

def _refuse(self, address):
    if self.family in (socket.AF_INET, socket.AF_INET6):
        with open(os.environ["NETWORK_ATTEMPTS_LOG"], "a") as log:  # even attempts that get swallowed
            log.write(repr(address) + "\\n")
        raise ConnectionRefusedError(f"network is forbidden in this test (tried {address!r})")
    return _connect(self, address)

_connect = socket.socket.connect
socket.socket.connect = _refuse
"""

_SEARCH = """
import json, socket, sys
from qsm.settings import load_settings
from qsm.store import open_memory

HEAVY = {"torch", "transformers", "sentence_transformers"}
settings = load_settings()
memory = open_memory(settings.memory, settings.data_dir, create=False)
hits = memory.search(sys.argv[1], under="/knowledge", k=2, as_agent="WeQ")
print(json.dumps({
    "hits": [{"text": h.entry.text, "citation": h.entry.citation(), "score": h.score} for h in hits],
    "embedder": memory.embedder_name,
    "heavy_modules": sorted(m for m in sys.modules if m.split(".")[0] in HEAVY),
}))
memory.close()
try:
    socket.create_connection(("127.0.0.1", 9), timeout=1)
except OSError as exc:
    print(json.dumps({"guard": str(exc)}))
"""


def _env(tmp_path: Path) -> dict[str, str]:
    guard = tmp_path / "guard"
    guard.mkdir()
    (guard / "sitecustomize.py").write_text(_NO_NETWORK, encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("QSM_")}
    env.update(
        PYTHONPATH=str(guard),
        QSM_DATA_DIR=str(tmp_path / "data"),
        HF_HUB_OFFLINE="1",
        TRANSFORMERS_OFFLINE="1",
        ANONYMIZED_TELEMETRY="False",
        HOME=str(tmp_path / "home"),  # no caches from earlier runs to lean on
        NETWORK_ATTEMPTS_LOG=str(tmp_path / "network-attempts.log"),
    )
    return env


def test_fact_ingested_in_one_process_is_found_in_another_offline(tmp_path: Path) -> None:
    doc = tmp_path / "launch-notes.md"
    doc.write_text(
        textwrap.dedent(
            """\
            # Launch notes

            The rocket's launch code word is marmalade-42, chosen by the flight director.

            # Catering

            Lunch on launch day is vegetable soup with bread rolls.

            # Weather

            Winds above 40 km/h postpone the countdown.
            """
        ),
        encoding="utf-8",
    )
    env = _env(tmp_path)
    qsm = [sys.executable, "-c", "from qsm.cli import main; main()"]
    ingest = subprocess.run(
        [*qsm, "memory", "ingest", str(doc), "--under", "/knowledge/launch"],
        capture_output=True, text=True, timeout=300, env=env, cwd=tmp_path,
    )  # fmt: skip
    assert ingest.returncode == 0, ingest.stderr
    assert "3 chunks added" in ingest.stdout
    search = subprocess.run(
        [sys.executable, "-c", _SEARCH, "which secret word starts the rocket?"],
        capture_output=True, text=True, timeout=300, env=env, cwd=tmp_path,
    )  # fmt: skip
    assert search.returncode == 0, search.stderr
    lines = search.stdout.splitlines()
    assert "network is forbidden" in json.loads(lines[1])["guard"]  # the guard was really active
    attempts = (tmp_path / "network-attempts.log").read_text().splitlines()
    assert attempts == ["('127.0.0.1', 9)"]  # only the guard's own probe: ingest and search never tried
    result = json.loads(lines[0])
    assert result["embedder"] == "minilm-l6-v2-int8"
    assert result["heavy_modules"] == []
    top = result["hits"][0]
    assert "marmalade-42" in top["text"]
    assert top["citation"].endswith("/knowledge/launch, launch-notes.md#0]")
    assert top["score"] > result["hits"][1]["score"]
