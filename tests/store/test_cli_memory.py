"""`qsm memory ls|tree|search|ingest|export|import|log|show|mv|dedupe|view` on a Chroma memory."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from qsm.cli import cli


@pytest.fixture(autouse=True)
def _hashing(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("QSM_MEMORY__EMBEDDER", "hashing")
    monkeypatch.setenv("QSM_DATA_DIR", str(tmp_path / "data"))


def run(*args: str, ok: bool = True) -> Result:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    if ok:
        assert result.exit_code == 0, result.output
    return result


@pytest.fixture
def docs(tmp_path: Path) -> list[Path]:
    tea = tmp_path / "tea.md"
    tea.write_text("# Green\n\nGreen tea steeps at 80 degrees.\n\n# Black\n\nBlack tea steeps at 95.\n")
    bread = tmp_path / "bread.txt"
    bread.write_text("Sourdough needs a lively starter and a long proof.")
    return [tea, bread]


def test_ingest_browse_search(docs: list[Path]) -> None:
    out = run("memory", "ingest", *map(str, docs)).output
    assert "tea.md: 2 chunks added, 0 already present -> /knowledge/tea" in out
    assert "bread.txt: 1 chunks added" in out
    assert "0 chunks added, 2 already present" in run("memory", "ingest", str(docs[0])).output
    assert "knowledge/" in run("memory", "ls").output
    listing = json.loads(run("memory", "ls", "/knowledge/tea", "--json").output)
    assert [e["extra"]["section"] for e in listing["entries"]] == ["Green", "Black"]
    tree = run("memory", "tree").output.splitlines()
    assert tree[0] == "/ (3)" and "    tea/ (2)" in tree
    assert run("memory", "tree", "--depth", "1").output.splitlines() == ["/ (3)", "  knowledge/ (3)"]
    hits = json.loads(
        run("memory", "search", "black tea steeps", "--under", "/knowledge", "-k", "1", "--json").output
    )
    assert hits[0]["entry"]["text"].endswith("Black tea steeps at 95.")
    text = run("memory", "search", "sourdough starter").output
    assert text.startswith("1. ") and "bread.txt#0" in text
    short = listing["entries"][0]["id"][4:16]
    shown = json.loads(run("memory", "show", short).output)
    assert shown["id"] == listing["entries"][0]["id"]


def test_export_import_round_trip(docs: list[Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    run("memory", "ingest", str(docs[0]))
    backup = tmp_path / "backup" / "memory.jsonl"
    run("memory", "export", "-o", str(backup))
    lines = backup.read_text().splitlines()
    assert json.loads(lines[0])["format"] == "qsm-memory-export" and len(lines) == 3
    assert [json.loads(line)["type"] for line in lines[1:]] == ["entry", "entry"]
    assert run("memory", "export").output.splitlines()[1:] == lines[1:]
    monkeypatch.setenv("QSM_DATA_DIR", str(tmp_path / "restored"))
    assert "imported 2 entries (0 already present)" in run("memory", "import", str(backup)).output
    restored = json.loads(run("memory", "ls", "/knowledge/tea", "--json").output)["entries"]
    assert [e["id"] for e in restored] == [json.loads(line)["id"] for line in lines[1:]]
    assert "imported 0 entries (2 already present)" in run("memory", "import", str(backup)).output
    assert "import" in run("memory", "log").output


def test_move_dedupe_view_and_log(docs: list[Path]) -> None:
    run("memory", "ingest", str(docs[0]))
    entry_id = json.loads(run("memory", "ls", "/knowledge/tea", "--json").output)["entries"][0]["id"]
    assert "moved to /knowledge/green" in run("memory", "mv", entry_id, "/knowledge/green").output
    assert "removed 0 near-duplicates" in run("memory", "dedupe", "/knowledge").output
    run("memory", "view", "/views/steeping", "--query", "steeps", "-k", "2")
    assert len(json.loads(run("memory", "ls", "/views/steeping", "--json").output)["entries"]) == 2
    log = json.loads(run("memory", "log", "--json").output)
    assert [r["operation"] for r in log] == ["move"] and log[0]["inputs"] == [entry_id]
    assert "move" in run("memory", "log", "--path", "/knowledge/green").output


def test_user_errors_exit_cleanly(docs: list[Path], tmp_path: Path) -> None:
    missing = run("memory", "ls", ok=False)
    assert missing.exit_code == 5 and "error: there is no memory at" in missing.output
    (tmp_path / "deck.pptx").write_bytes(b"PK")
    partial = run("memory", "ingest", str(docs[1]), str(tmp_path / "deck.pptx"), ok=False)
    assert partial.exit_code == 5
    assert (
        "bread.txt: 1 chunks added" in partial.output and "1 of 2 files were not ingested" in partial.output
    )
    bad_where = run("memory", "search", "x", "--where", "{oops", ok=False)
    assert bad_where.exit_code == 5 and "--where is not valid JSON" in bad_where.output
    bad_path = run("memory", "ls", "relative/path", ok=False)
    assert "is not absolute" in bad_path.output
    garbage = tmp_path / "garbage.jsonl"
    garbage.write_text("not an export\n")
    assert "not JSON" in run("memory", "import", str(garbage), ok=False).output
    assert "no entry has the short id" in run("memory", "show", "abcdefabcdef", ok=False).output
    for result in (missing, partial, bad_where, bad_path):
        assert "Traceback" not in result.output
