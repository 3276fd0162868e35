"""The workflow library: your workflows as YAML specs in ``<data_dir>/workflows/``, beside the built-in team
and the shipped examples (read-only), and the checker that reports every problem of a spec at its line.

* :func:`check_spec` reads spec text the way :meth:`Workflow.from_yaml` does, but instead of stopping at the
  first problem it reports all of them, each with the line and column of the YAML node it concerns (a YAML
  syntax error, a field of the wrong type, a channel whose type does not match its ends, an unknown agent,
  an agent no channel reaches, a cycle in a pipeline).
* :class:`WorkflowLibrary` lists, loads and saves workflows by name. A spec with problems can be kept only
  as a draft (``workflows/drafts/``), which is listed but never run; a name that would leave the folder, or
  that belongs to a read-only workflow, is refused.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from qsm.errors import SpecError
from qsm.graph.spec import SpecPath, Workflow, _expand_shorthand, validation_context
from qsm.graph.spec_yaml import SpecSyntaxError, parse_spec_yaml_nodes, read_spec_text
from qsm.graph.workflow_files import EXAMPLES_DIR, Source, SpecFile, WorkflowFiles

__all__ = ["LibraryEntry", "SpecCheck", "SpecIssue", "WorkflowLibrary", "check_spec"]


@dataclass(frozen=True)
class SpecIssue:
    """One problem of a spec; ``line``/``column`` count from 1 (None: the spec as a whole)."""

    message: str
    hint: str = ""
    line: int | None = None
    column: int | None = None

    def __str__(self) -> str:
        where = f"line {self.line}, column {self.column}: " if self.line is not None else ""
        return f"{where}{self.message}"


@dataclass(frozen=True)
class SpecCheck:
    """What :func:`check_spec` found: the workflow when it has no problems, the parsed (unchecked) one
    whenever its fields are well formed (enough to draw it), and every problem."""

    issues: list[SpecIssue]
    workflow: Workflow | None = None
    parsed: Workflow | None = None
    refused: bool = False
    """Too large, aliases, too deep: not even kept as a draft."""

    @property
    def ok(self) -> bool:
        return self.workflow is not None and not self.issues


def check_spec(text: str, where: str = "<yaml>") -> SpecCheck:
    """Every problem of the spec ``text`` (``where`` names it in messages), each at its line."""
    try:
        data, root = parse_spec_yaml_nodes(text, where)
    except SpecSyntaxError as err:
        refused = "not valid YAML" not in err.message  # too large, aliases, too deep
        return SpecCheck([SpecIssue(err.message, err.hint, err.line, err.column)], refused=refused)
    if not isinstance(data, dict):
        return SpecCheck(
            [SpecIssue(f"workflow spec {where} must be a mapping with name, agents, channels", "", 1, 1)]
        )
    issues: list[SpecIssue] = []
    channels = data.get("channels")
    if isinstance(channels, list):
        for i, item in enumerate(channels):
            if isinstance(item, str) and not _is_shorthand(item):
                issues.append(
                    _at(
                        root,
                        ("channels", i),
                        f"channel {item!r} is not 'Source -> Target: Type'",
                        "write it as 'writer -> critic: Draft'",
                    )
                )
    if issues:
        return SpecCheck(issues)
    expanded = _expand_shorthand(data, where)
    try:
        parsed = Workflow.model_validate(expanded, context=validation_context(expanded))
    except ValidationError as exc:
        for detail in exc.errors():
            loc = ".".join(str(p) for p in detail["loc"])
            issues.append(
                _at(root, tuple(detail["loc"]), f"{loc}: {detail['msg']}", "see qsm workflows show review")
            )
        return SpecCheck(_by_line(issues))
    for path, problem in parsed.problems():
        issues.append(_at(root, path, problem.message, problem.hint))
    return SpecCheck(_by_line(issues), workflow=None if issues else parsed, parsed=parsed)


def _by_line(issues: list[SpecIssue]) -> list[SpecIssue]:
    return sorted(issues, key=lambda issue: (issue.line or 0, issue.column or 0))


def _is_shorthand(item: str) -> bool:
    ends, sep, type_name = item.rpartition(":")
    return bool(sep) and ends.count("->") == 1 and bool(type_name.strip())


def _at(root: yaml.Node | None, path: SpecPath, message: str, hint: str) -> SpecIssue:
    mark = _mark(root, path)
    if mark is None:
        return SpecIssue(message, hint)
    return SpecIssue(message, hint, mark.line + 1, mark.column + 1)


def _mark(root: yaml.Node | None, path: SpecPath) -> Any:
    """Where ``path`` (keys and indexes of the expanded spec) is in the YAML: the deepest node found.
    ``agents`` written as a mapping (``Name: {role: ...}``) is indexed by its entries: an entry's ``name``
    is its key, its other fields are in its value."""
    node = root
    if node is None:
        return None
    entry: tuple[yaml.Node, yaml.Node] | None = None
    for key in path:
        if entry is not None:
            name_node, value = entry
            entry = None
            if key == "name" or not isinstance(value, yaml.MappingNode):
                node = name_node
                break
            node = value
        if isinstance(node, yaml.MappingNode):
            if isinstance(key, int):
                if key >= len(node.value):
                    break
                entry = node.value[key]
                node = entry[0]
                continue
            found = next(
                (v for k, v in node.value if isinstance(k, yaml.ScalarNode) and k.value == key), None
            )
            if found is None:
                break
            node = found
        elif isinstance(node, yaml.SequenceNode) and isinstance(key, int) and key < len(node.value):
            node = node.value[key]
        else:
            break
    return node.start_mark


@dataclass(frozen=True)
class LibraryEntry:
    """One workflow the library knows."""

    name: str
    source: Source
    path: Path | None
    kind: str
    agents: list[str] = field(default_factory=list)
    channels: int = 0
    issues: list[SpecIssue] = field(default_factory=list)

    @property
    def runnable(self) -> bool:
        return self.source != "draft" and not self.issues

    @property
    def read_only(self) -> bool:
        return self.source in ("built-in", "example")


class WorkflowLibrary:
    """The workflows of the data dir ``data_dir`` (default: the configured one), the built-in team and the
    shipped examples in ``examples_dir``."""

    def __init__(self, data_dir: Path | None = None, examples_dir: Path | None = EXAMPLES_DIR) -> None:
        self.files = WorkflowFiles(data_dir, examples_dir)
        self.folder = self.files.folder

    # -- reading ------------------------------------------------------------------------------------
    def entries(self) -> list[LibraryEntry]:
        """Every workflow, checked: the built-in team, the examples, yours, then your drafts."""
        return [self._entry(spec) for spec in self.files.all()]

    def _entry(self, spec: SpecFile) -> LibraryEntry:
        if spec.path is None:
            return _entry(spec.name, spec.source, None, Workflow.default(), [])
        try:
            text = read_spec_text(spec.path)
        except SpecError as err:
            return LibraryEntry(
                spec.name, spec.source, spec.path, "?", issues=[SpecIssue(err.message, err.hint)]
            )
        check = check_spec(text, str(spec.path))
        return _entry(spec.name, spec.source, spec.path, check.parsed, check.issues)

    def names(self, *, runnable: bool = True) -> list[str]:
        return [e.name for e in self.entries() if e.runnable or not runnable]

    def entry(self, name: str) -> LibraryEntry:
        return self._entry(self.files.find(name))

    def text(self, name: str) -> str:
        """The YAML of the workflow ``name`` (the built-in team's as qsm writes it)."""
        spec = self.files.find(name)
        return Workflow.default().to_yaml() if spec.path is None else read_spec_text(spec.path)

    def load(self, name: str) -> Workflow:
        """The checked workflow ``name``; a draft or a spec with problems is refused."""
        spec = self.files.runnable(name)
        return Workflow.default() if spec.path is None else Workflow.from_yaml(spec.path)

    # -- writing ------------------------------------------------------------------------------------
    def path_for(self, name: str, *, draft: bool = False) -> Path:
        return self.files.path_for(name, draft=draft)

    def save(self, text: str, *, name: str | None = None, replace: bool = False) -> Path:
        """Check ``text`` and save it as workflow ``name`` (default: its ``name:``); a spec with problems
        is refused with the first of them. Saving removes a draft of the same name."""
        if name:
            self.path_for(name)  # refuse a bad name before anything else
            text = _named(text, name)
        check = check_spec(text, name or "<yaml>")
        if not check.ok or check.workflow is None:
            first = check.issues[0]
            raise SpecError(
                f"the spec has {len(check.issues)} problem(s), first {first}",
                hint="fix them, or save it as a draft",
            )
        path = self.path_for(check.workflow.name)
        if path.exists() and not replace:
            raise SpecError(
                f"workflow {check.workflow.name!r} exists already",
                hint="replace it (--replace) or change `name:` in the spec",
            )
        _write(path, text)
        self.path_for(check.workflow.name, draft=True).unlink(missing_ok=True)
        return path

    def save_draft(self, text: str, name: str) -> Path:
        """Keep ``text`` as the draft ``name`` whatever its problems, unless it is refused outright (too
        large, YAML aliases)."""
        check = check_spec(text, name)
        if check.refused:
            raise SpecError(check.issues[0].message, hint=check.issues[0].hint)
        path = self.path_for(name, draft=True)
        _write(path, text)
        return path

    def delete(self, name: str) -> None:
        entry = self.entry(name)
        if entry.read_only or entry.path is None:
            raise SpecError(f"{name!r} is read-only", hint="only your own workflows can be deleted")
        entry.path.unlink()


def _entry(
    name: str, source: Source, path: Path | None, workflow: Workflow | None, issues: list[SpecIssue]
) -> LibraryEntry:
    if workflow is None:
        return LibraryEntry(name, source, path, "?", issues=issues)
    return LibraryEntry(
        name,
        source,
        path,
        workflow.kind,
        agents=[a.name for a in workflow.agents],
        channels=len(workflow.channels),
        issues=issues,
    )


def _named(text: str, name: str) -> str:
    """``text`` with its top-level ``name:`` set to ``name`` (comments and layout kept)."""
    try:
        _, root = parse_spec_yaml_nodes(text, name)
    except SpecSyntaxError:
        return text
    if isinstance(root, yaml.MappingNode):
        for key, value in root.value:
            if (
                isinstance(key, yaml.ScalarNode)
                and key.value == "name"
                and isinstance(value, yaml.ScalarNode)
            ):
                start, end = value.start_mark.index, value.end_mark.index
                return text[:start] + name + text[end:]
    return f"name: {name}\n{text}"


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".yaml.tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)
