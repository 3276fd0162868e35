"""`qsm workflows`: every shipped example checks clean; broken specs report every problem at its line and
column (golden messages in tests/cli/workflow_specs/*.golden); list, show, add, and `qsm run NAME`."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from qsm.cli import cli
from qsm.errors import SpecError
from qsm.graph.library import WorkflowLibrary, check_spec
from qsm.graph.workflow_files import EXAMPLES_DIR

SPECS = Path(__file__).parent / "workflow_specs"
BROKEN = sorted(SPECS.glob("*.yaml"))


def invoke(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args))
    assert "Traceback" not in result.output, result.output
    return result.exit_code, result.stdout


@pytest.mark.parametrize("example", sorted(EXAMPLES_DIR.glob("*.yaml")), ids=lambda p: p.name)
def test_each_shipped_example_checks_ok(example: Path) -> None:
    code, out = invoke("workflows", "check", str(example))
    assert code == 0 and out.startswith(f"{example}: ok (") and "error" not in out


@pytest.mark.parametrize("spec", BROKEN, ids=lambda p: p.stem)
def test_broken_spec_golden_errors(spec: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    shutil.copy(spec, tmp_path / spec.name)
    monkeypatch.chdir(tmp_path)
    code, out = invoke("workflows", "check", spec.name)
    assert code == 2
    assert out == spec.with_suffix(".golden").read_text()


def test_several_problems_each_at_its_line() -> None:
    text = (SPECS / "several.yaml").read_text()
    issues = check_spec(text, "several.yaml").issues
    lines = text.splitlines()
    assert [(i.line, i.column) for i in issues] == [(7, 3), (10, 5), (11, 5)]
    assert lines[6].strip().startswith("lonely:") and "lonely" in issues[0].message
    assert (
        '"writer -> critic: Note"' in lines[9]
        and "Note" in issues[1].message
        and "Draft" in issues[1].message
    )
    assert "ghost" in lines[10] and "no agent 'ghost'" in issues[2].message


def test_list_show_add_and_run_by_name(tmp_path: Path) -> None:
    data = str(tmp_path / "d")
    code, out = invoke("--data-dir", data, "workflows")
    assert code == 0
    rows = {line.split()[0]: line.split() for line in out.splitlines()[1:]}
    assert rows["team"][1:4] == ["team", "13", "built-in"] and rows["review"][1:4] == [
        "pipeline",
        "6",
        "example",
    ]
    spec = tmp_path / "duo.yaml"
    spec.write_text(
        "name: duo\nkind: pipeline\nagents:\n  writer: {role: communicator}\n  editor: {role: custom}\n"
        "channels:\n  - 'user -> writer: UserRequest'\n  - 'writer -> editor: Draft'\n  - 'editor -> user: Note'\n"
    )
    code, out = invoke("--data-dir", data, "workflows", "add", str(spec))
    assert code == 0 and "added duo" in out
    assert (tmp_path / "d" / "workflows" / "duo.yaml").read_text() == spec.read_text()
    code, out = invoke("--data-dir", data, "workflows", "add", str(spec))
    assert code == 2  # exists already
    code, out = invoke("--data-dir", data, "workflows")
    assert "duo" in out and "library" in out and "writer, editor" in out
    code, out = invoke("--data-dir", data, "workflows", "show", "duo")
    assert code == 0 and "writer -> editor" in out.replace("  ", " ").replace("  ", " ")
    code, out = invoke("--data-dir", data, "workflows", "show", "duo", "--mermaid")
    assert out.startswith("flowchart") and "writer -->" in out
    code, out = invoke("--data-dir", data, "run", "duo", "Say hi.", "--backend", "fake", "--quiet")
    assert code == 0, out
    assert "(fake model)" in out


@pytest.mark.parametrize("name", ["../escape", "a/b", "..", ".hidden", "x" * 65, "team", "review"])
def test_names_that_escape_or_shadow_are_refused(name: str, tmp_path: Path) -> None:
    code, _ = invoke(
        "--data-dir",
        str(tmp_path / "d"),
        "workflows",
        "add",
        str(EXAMPLES_DIR / "review.yaml"),
        "--name",
        name,
    )
    assert code == 2
    assert not (tmp_path / "d" / "workflows").exists() or not any((tmp_path / "d" / "workflows").iterdir())
    assert not (tmp_path / "escape.yaml").exists()


def test_drafts_are_listed_but_never_run(tmp_path: Path) -> None:
    library = WorkflowLibrary(tmp_path / "d")
    library.save_draft((SPECS / "type_mismatch.yaml").read_text(), "half-done")
    entry = library.entry("half-done")
    assert entry.source == "draft" and not entry.runnable and entry.issues
    done = CliRunner().invoke(
        cli, ["--data-dir", str(tmp_path / "d"), "run", "half-done", "hi", "--backend", "fake"]
    )
    assert done.exit_code == 2 and "is a draft and cannot run" in done.output
    with pytest.raises(SpecError, match="alias"):
        library.save_draft((SPECS / "alias.yaml").read_text(), "aliased")
    with pytest.raises(SpecError, match="larger than 256 KB"):
        library.save_draft("name: big\n# " + "x" * 300_000 + "\n", "big")


def test_workflow_load_by_name(tmp_path: Path) -> None:
    from qsm.graph import Workflow

    data = tmp_path / "d"
    assert Workflow.load("team", data) == Workflow.default()
    assert Workflow.load("review", data).agent("critic").role == "reflector"
    WorkflowLibrary(data).save((EXAMPLES_DIR / "review.yaml").read_text(), name="my-review")
    mine = Workflow.load("my-review", data)
    assert mine.name == "my-review" and [a.name for a in mine.agents] == ["writer", "critic", "editor"]
    assert (
        (data / "workflows" / "my-review.yaml").read_text().startswith("# A custom pipeline")
    )  # comments kept
    with pytest.raises(SpecError, match="no workflow named 'nope'"):
        Workflow.load("nope", data)


def test_examples_ship_inside_the_package(tmp_path: Path) -> None:
    """The example specs are package data of qsm.graph (found via importlib.resources), matched by the
    pyproject package-data glob, so an installed wheel lists them without a source checkout."""
    import fnmatch
    import tomllib

    import qsm

    package = Path(qsm.__file__).resolve().parent
    assert EXAMPLES_DIR.resolve().is_relative_to(package)
    shipped = sorted(EXAMPLES_DIR.glob("*.yaml"))
    assert {p.name for p in shipped} >= {"review.yaml", "draft-check-loop.yaml", "team-vote.yaml"}
    pyproject = tomllib.loads((package.parent / "pyproject.toml").read_text())
    globs = pyproject["tool"]["setuptools"]["package-data"]["qsm.graph"]
    for path in shipped:
        rel = path.resolve().relative_to(package / "graph").as_posix()
        assert any(fnmatch.fnmatch(rel, g) for g in globs), rel
    names = {f.name: f.source for f in WorkflowLibrary(tmp_path).files.all()}
    assert names["review"] == "example" and names["draft-check-loop"] == "example"
    assert names["team-vote"] == "example"


def test_each_shipped_example_is_named_as_its_file() -> None:
    """An example's `name:` (what `qsm run NAME`, the app and saved conversations use) is its file's name,
    so the file a user opens is the workflow they ran."""
    import yaml

    for path in sorted(EXAMPLES_DIR.glob("*.yaml")):
        assert yaml.safe_load(path.read_text())["name"] == path.stem, path.name


def test_graph_and_agents_take_a_library_name(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`qsm graph NAME` and `qsm agents NAME` resolve NAME as `qsm run NAME` does; a file still works."""
    import json

    monkeypatch.chdir(tmp_path)
    data = str(tmp_path / "d")
    WorkflowLibrary(tmp_path / "d").save(
        "name: duo\nkind: pipeline\nagents:\n  scribe: {role: communicator}\n  polisher: {role: custom}\n"
        "channels:\n  - 'user -> scribe: UserRequest'\n  - 'scribe -> polisher: Draft'\n"
        "  - 'polisher -> user: Note'\n"
    )
    code, out = invoke("--data-dir", data, "graph", "duo", "--format", "mermaid")
    assert code == 0 and "scribe" in out and "polisher" in out and "QSM" not in out
    code, out = invoke("--data-dir", data, "agents", "review", "--json")
    assert code == 0 and set(json.loads(out)) == {"writer", "critic", "editor"}
    code, out = invoke("--data-dir", data, "agents", str(EXAMPLES_DIR / "draft-check-loop.yaml"), "--json")
    assert code == 0 and "writer" in json.loads(out)
    for command in ("graph", "agents"):
        done = CliRunner().invoke(cli, ["--data-dir", data, command, "nope"])
        assert done.exit_code == 2 and "no workflow named 'nope'" in done.output, done.output
        assert "Traceback" not in done.output
