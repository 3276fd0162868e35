"""An upload's browser-sent name never becomes a path: traversal and absolute names write nothing outside
the private upload directory, through the helper and through the app's Ingest button."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from qsm.ui import APP_PATH
from qsm.ui.uploads import display_name, saved_upload


def files_under(root: Path) -> set[Path]:
    return {p for p in root.rglob("*") if p.is_file()}


@pytest.mark.parametrize(
    ("client_name", "shown"),
    [
        ("notes.md", "notes.md"),
        ("../../../../tmp/x.md", "x.md"),
        ("/etc/cron.d/evil.md", "evil.md"),
        ("C:\\Users\\x\\report.PDF", "report.pdf"),
        ("..", "upload"),
        ("../..", "upload"),
        (".md", "upload.md"),
        (".bashrc", "upload.bashrc"),
        ("a b\x00c;rm -rf.txt", "a_b_c_rm_-rf.txt"),
        ("x" * 300 + ".md", "x" * 80 + ".md"),
    ],
)
def test_display_name_keeps_only_a_safe_last_part(client_name: str, shown: str) -> None:
    assert display_name(client_name) == shown


def test_traversal_and_absolute_names_write_only_inside_the_private_dir(tmp_path: Path) -> None:
    uploads, outside = tmp_path / "data" / "uploads", tmp_path / "outside"
    outside.mkdir()
    escape = f"escape-{uuid.uuid4().hex}.md"
    hostile = [
        "../" * 12 + f"{tmp_path.relative_to('/')}/outside/{escape}",
        str(outside / escape),
        f"..\\..\\outside\\{escape}",
    ]
    before = files_under(tmp_path)
    for name in hostile:
        with saved_upload(b"# attacker text\n", name, uploads) as path:
            assert path.name == escape and path.read_bytes() == b"# attacker text\n"
            private = path.parent
            assert private.parent == uploads and private.stat().st_mode & 0o777 == 0o700
            assert files_under(tmp_path) - before == {path}
        assert not private.exists()  # removed afterwards
    assert files_under(tmp_path) == before
    assert not (outside / escape).exists() and not Path("/tmp", escape).exists()


def test_app_ingest_button_with_a_traversal_name(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QSM_DEFAULTS__MODEL__BACKEND", "fake")
    monkeypatch.setenv("QSM_MEMORY__EMBEDDER", "hashing")
    data_dir = tmp_path / "qsm-data"  # the suite's QSM_DATA_DIR
    escape = f"escape-{uuid.uuid4().hex}.md"
    target = tmp_path / "outside" / escape
    target.parent.mkdir()
    at = AppTest.from_file(str(APP_PATH), default_timeout=120)
    at.run()
    assert not at.exception, at.exception
    before = files_under(tmp_path)
    hostile = "../" * 12 + str(target).lstrip("/")
    at.sidebar.file_uploader[0].set_value([(hostile, b"Quokkas live on Rottnest Island.\n", "text/markdown")])
    at.run()
    [ingest] = [b for b in at.sidebar.button if b.label == "Ingest"]
    ingest.click().run()
    assert not at.exception, at.exception
    assert any(f"{escape}: 1 chunk(s) added to /knowledge/uploads" in s.body for s in at.sidebar.success)
    assert not target.exists() and not Path("/tmp", escape).exists()
    new_files = files_under(tmp_path) - before
    assert new_files and all(data_dir in p.parents for p in new_files), new_files
    assert not list((data_dir / "uploads").iterdir()), "the upload's private directory is removed"


def test_app_upload_is_refined_to_the_models_vectors(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """With MiniLM, Ingest stores the chunks with the fast stand-in's vectors, then refines them."""
    from qsm.settings import load_settings
    from qsm.store import open_memory

    monkeypatch.setenv("QSM_DEFAULTS__MODEL__BACKEND", "fake")
    monkeypatch.setenv("QSM_MEMORY__EMBEDDER", "minilm")
    at = AppTest.from_file(str(APP_PATH), default_timeout=120)
    at.run()
    text = b"# Quokkas\n\nQuokkas live on Rottnest Island.\n\n# Wombats\n\nWombats dig burrows in Tasmania.\n"
    at.sidebar.file_uploader[0].set_value([("animals.md", text, "text/markdown")])
    at.run()
    [ingest] = [b for b in at.sidebar.button if b.label == "Ingest"]
    ingest.click().run()
    assert not at.exception, at.exception
    assert any("animals.md: 2 chunk(s) added to /knowledge/uploads" in s.body for s in at.sidebar.success)
    settings = load_settings()
    memory = open_memory(settings.memory, settings.data_dir)
    try:
        assert memory.stats()["entries"] == 2 and memory.rough_entries() == 0, "refined after the upload"
        assert "Wombats" in memory.search("which animal digs burrows?", k=1)[0].entry.text
    finally:
        memory.close()
