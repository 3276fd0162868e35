"""Where the library's workflows are: each name's YAML file (yours in ``<data_dir>/workflows/``, drafts in
``workflows/drafts/``, the shipped examples) or the built-in team, without building any workflow, so that
:meth:`Workflow.load <qsm.graph.spec.Workflow.load>` and :mod:`qsm.graph.library` share one lookup."""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Literal

from qsm.errors import SpecError
from qsm.graph.spec_yaml import parse_spec_yaml, read_spec_text

__all__ = ["BUILT_IN", "EXAMPLES_DIR", "SpecFile", "WorkflowFiles", "check_name"]

EXAMPLES_DIR = Path(str(resources.files("qsm.graph") / "workflows"))
"""The shipped example workflows: package data of :mod:`qsm.graph`, so installed wheels have them too."""
BUILT_IN = "team"
"""The built-in team's name."""

Source = Literal["built-in", "example", "library", "draft"]
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
_NAME_HINT = "a workflow name is 1-64 letters, digits, '_', '-' or '.', starting with a letter or digit"


def check_name(name: str) -> str:
    """``name`` if it can name a file in the workflows folder; :class:`SpecError` if it could leave it."""
    if not _NAME.fullmatch(name) or ".." in name:
        raise SpecError(f"{name!r} cannot be a workflow name", hint=_NAME_HINT)
    return name


@dataclass(frozen=True)
class SpecFile:
    """One workflow of the library: its name, where it comes from and its file (None: the built-in team)."""

    name: str
    source: Source
    path: Path | None

    @property
    def read_only(self) -> bool:
        return self.source in ("built-in", "example")


class WorkflowFiles:
    """The workflow files of the data dir ``data_dir`` (default: the configured one) and of the examples."""

    def __init__(self, data_dir: Path | None = None, examples_dir: Path | None = EXAMPLES_DIR) -> None:
        if data_dir is None:
            from qsm.settings import load_settings

            data_dir = load_settings().data_dir
        self.folder = Path(data_dir) / "workflows"
        self.drafts = self.folder / "drafts"
        self.examples_dir = examples_dir

    def all(self) -> list[SpecFile]:
        """The built-in team, the examples (named by their ``name:``), yours, then your drafts."""
        out = [SpecFile(BUILT_IN, "built-in", None)]
        folders: list[tuple[Source, Path | None]] = [
            ("example", self.examples_dir),
            ("library", self.folder),
            ("draft", self.drafts),
        ]
        for source, folder in folders:
            if folder is None or not folder.is_dir():
                continue
            for path in sorted(folder.glob("*.yaml")):
                name = _example_name(path) if source == "example" else path.stem
                out.append(SpecFile(name, source, path))
        return out

    def find(self, name: str) -> SpecFile:
        """The workflow ``name`` (yours before a draft of the same name); :class:`SpecError` if none."""
        for spec in self.all():
            if spec.name == name:
                return spec
        raise SpecError(
            f"no workflow named {name!r}",
            hint=f"`qsm workflows` lists them: {', '.join(s.name for s in self.all())}",
        )

    def runnable(self, name: str) -> SpecFile:
        """:meth:`find`, refusing a draft (a draft never runs)."""
        spec = self.find(name)
        if spec.source == "draft":
            raise SpecError(
                f"workflow {name!r} is a draft and cannot run",
                hint="fix its problems (`qsm workflows check`) and save it again",
            )
        return spec

    def path_for(self, name: str, *, draft: bool = False) -> Path:
        """Where ``name`` is saved; a name that is not a plain file name, or a read-only workflow's, is
        refused."""
        check_name(name)
        folder = self.drafts if draft else self.folder
        path = folder / f"{name}.yaml"
        if path.resolve().parent != folder.resolve():
            raise SpecError(f"{name!r} would be saved outside {folder}", hint=_NAME_HINT)
        if any(s.name == name and s.read_only for s in self.all()):
            raise SpecError(
                f"{name!r} is a read-only workflow (built-in or example)",
                hint="save your version under another name (change `name:` in the spec)",
            )
        return path


def _example_name(path: Path) -> str:
    try:
        data = parse_spec_yaml(read_spec_text(path), str(path))
    except SpecError:
        return path.stem
    name = data.get("name") if isinstance(data, dict) else None
    return name if isinstance(name, str) and _NAME.fullmatch(name) else path.stem
