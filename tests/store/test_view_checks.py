"""Views obey one set of rules whether created or imported: a bad view in an export is refused with
the line and the reason (nothing imported), and one saved before views were checked can be removed."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from qsm.cli import cli
from qsm.errors import MemoryStoreError
from qsm.store import DirectoryMemory, MemorySettings, open_memory
from qsm.store.models import ViewDefinition

HEADER = {"type": "header", "format": "qsm-memory-export", "version": 1, "embedder": "hashing-256"}


def export_with(view: dict[str, Any]) -> io.StringIO:
    lines = [json.dumps(HEADER), json.dumps({"type": "view", **view})]
    return io.StringIO("\n".join(lines) + "\n")


@pytest.mark.parametrize(
    ("view", "problem"),
    [
        ({"path": "/knowledge/tea", "query": "tea"}, "views live directly under /views"),
        ({"path": "/views/a/b", "query": "tea"}, "views live directly under /views"),
        ({"path": "views/rel", "query": "tea"}, "is not absolute"),
        ({"path": "/views/../etc", "query": "tea"}, "invalid segment '..'"),
        ({"path": "/views/odd", "where": {"$bogus": 1}}, "unknown filter operator '\\$bogus'"),
        ({"path": "/views/empty"}, "needs a query, a facet filter, or both"),
        ({"path": "/views/blank", "query": "   "}, "needs a query, a facet filter, or both"),
        ({"path": "/views/loose", "query": "x", "under": "relative/p"}, "is not absolute"),
        ({"path": "/views/loop", "query": "x", "under": "/views"}, "inside /views"),
        ({"path": "/views/many", "query": "x", "k": 0}, "greater than or equal to 1"),
    ],
)
def test_a_bad_view_in_an_export_is_refused_and_nothing_is_imported(
    memory: DirectoryMemory, view: dict[str, Any], problem: str
) -> None:
    memory.create_view("/views/good", query="tea")
    with pytest.raises(MemoryStoreError, match=f"line 2 of the export is invalid: .*{problem}") as info:
        memory.import_(export_with(view))
    assert "nothing was imported" in (info.value.hint or "")
    assert [v.path for v in memory.views()] == ["/views/good"]


def test_a_good_imported_view_is_normalised(memory: DirectoryMemory) -> None:
    memory.write("green tea steeps at 80 degrees", "/knowledge/tea", as_agent="user")
    report = memory.import_(export_with({"path": "/views//tea/", "query": " tea ", "under": "/knowledge/"}))
    assert report.views == 1
    (view,) = memory.views()
    assert (view.path, view.query, view.under) == ("/views/tea", "tea", "/knowledge")
    assert [e.text for e in memory.ls("/views/tea").entries] == ["green tea steeps at 80 degrees"]


def _plant(memory: DirectoryMemory, **fields: Any) -> None:
    """A view stored the way an import did before views were checked (no validation)."""
    memory._engine.sidecar.put_view(ViewDefinition.model_validate(fields), None, None)


def test_a_bad_view_saved_earlier_gives_a_clear_error_and_can_be_removed(memory: DirectoryMemory) -> None:
    _plant(memory, path="/views/odd", where={"$bogus": 1})
    _plant(memory, path="views/rel", query="tea")
    _plant(memory, path="/views/../etc", query="tea")
    with pytest.raises(MemoryStoreError, match="the view /views/odd is invalid: unknown filter") as info:
        memory.ls("/views/odd")
    assert "qsm memory drop-view /views/odd" in (info.value.hint or "")
    for path in ("/views/odd", "views/rel", "/views/../etc"):
        memory.drop_view(path)
    assert memory.views() == []
    with pytest.raises(MemoryStoreError, match="there is no view /views/odd"):
        memory.drop_view("/views/odd")


def test_cli_drop_view_removes_a_view_with_a_malformed_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("QSM_MEMORY__EMBEDDER", "hashing")
    monkeypatch.setenv("QSM_DATA_DIR", str(tmp_path))
    with open_memory(MemorySettings(embedder="hashing"), tmp_path) as memory:
        memory.create_view("/views/good", query="tea")
        _plant(memory, path="views/rel", query="tea")
    runner = CliRunner()
    result = runner.invoke(cli, ["memory", "drop-view", "views/rel"], catch_exceptions=False)
    assert result.exit_code == 0 and "removed view views/rel" in result.output
    missing = runner.invoke(cli, ["memory", "drop-view", "/views/nope"])
    assert missing.exit_code != 0 and "there is no view /views/nope" in missing.output
    assert "'/views/good'" in missing.output and "Traceback" not in missing.output
    with open_memory(MemorySettings(embedder="hashing"), tmp_path) as memory:
        assert [v.path for v in memory.views()] == ["/views/good"]
