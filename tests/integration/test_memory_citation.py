"""Issue 3's acceptance path: a fact ingested in one process is retrieved and cited by WeQ in a new
process, offline, on the real embedder and the bundled GGUF."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = [pytest.mark.real_model, pytest.mark.slow]


def _qsm(data: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "qsm.cli", "--data-dir", str(data), *args],
        capture_output=True,
        text=True,
        timeout=600,
    )


def test_fact_ingested_in_one_process_is_cited_in_another(tmp_path: Path) -> None:
    doc = tmp_path / "freedonia.md"
    doc.write_text("# Freedonia\n\nThe capital of Freedonia is Sylvania City, on the river Marx.\n")
    data = tmp_path / "data"
    ingest = _qsm(data, "memory", "ingest", str(doc), "--under", "/knowledge/geography")
    assert ingest.returncode == 0, ingest.stderr
    ask = _qsm(data, "ask", "What is the capital of Freedonia?", "--json")
    assert ask.returncode in (0, 4), ask.stderr
    result = json.loads(ask.stdout[ask.stdout.index("{") :])
    cited = result["final"]["citations"]
    assert cited and cited[0]["path"] == "/knowledge/geography" and "Sylvania City" in cited[0]["quote"]
    drafts = [e for e in result["trace"] if e["type"] == "Draft"]
    assert drafts and drafts[0]["payload"]["citations"][0]["entry_id"] == cited[0]["entry_id"]
    shown = _qsm(data, "memory", "show", cited[0]["entry_id"])
    assert shown.returncode == 0 and "Sylvania City" in shown.stdout
