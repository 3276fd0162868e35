"""Reading and writing workflow specs as YAML, bounded: a spec is at most 256 KB, nested at most 64
levels, and may not use anchors and aliases (``&a`` / ``*a``), so a "billion laughs" spec, whose aliases
expand a few hundred bytes into gigabytes, is refused at once instead of exhausting memory."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from qsm.errors import SpecError

__all__ = [
    "MAX_SPEC_BYTES",
    "MAX_SPEC_DEPTH",
    "SpecSyntaxError",
    "dump_spec_yaml",
    "parse_spec_yaml",
    "parse_spec_yaml_nodes",
    "read_spec_text",
]

MAX_SPEC_BYTES = 256 * 1024
MAX_SPEC_DEPTH = 64


class _Refused(yaml.YAMLError):
    def __init__(self, message: str, hint: str) -> None:
        super().__init__(message)
        self.message, self.hint = message, hint


class _BoundedLoader(yaml.SafeLoader):
    """``SafeLoader`` that refuses aliases and nesting deeper than :data:`MAX_SPEC_DEPTH`."""

    _depth = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            raise _Refused(
                f"uses a YAML alias (*{event.anchor}, line {event.start_mark.line + 1}); workflow specs may "
                "not use anchors and aliases, which can expand a small file into gigabytes",
                "write the repeated part out in full instead of &name / *name",
            )
        self._depth += 1
        try:
            if self._depth > MAX_SPEC_DEPTH:
                mark = self.peek_event().start_mark
                raise _Refused(
                    f"is nested more than {MAX_SPEC_DEPTH} levels deep (line {mark.line + 1})",
                    "a workflow spec needs only a few levels: name, agents, channels",
                )
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


class _NoAliasDumper(yaml.SafeDumper):
    """Writes repeated values out in full, so what qsm stores it can always read back."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def read_spec_text(path: Path) -> str:
    """The text of the spec file ``path``; :class:`SpecError` if it cannot be read, is not UTF-8 text or is
    larger than :data:`MAX_SPEC_BYTES`."""
    try:
        with path.open("rb") as handle:
            data = handle.read(MAX_SPEC_BYTES + 1)
    except OSError as exc:
        raise SpecError(f"cannot read workflow spec {path}: {exc.strerror}", hint="check the path") from None
    _check_size(len(data), str(path))
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise SpecError(
            f"workflow spec {path} is not UTF-8 text", hint="a spec is a YAML text file; check the path"
        ) from None


def parse_spec_yaml(text: str, where: str) -> Any:
    """The value of the YAML ``text`` (a spec named ``where`` in errors); :class:`SpecError` on bad YAML,
    aliases, deep nesting or more than :data:`MAX_SPEC_BYTES`."""
    _check_size(len(text.encode("utf-8", "surrogatepass")), where)
    try:
        return yaml.load(text, Loader=_BoundedLoader)  # a SafeLoader subclass: builds plain values only
    except _Refused as exc:
        raise SpecError(f"workflow spec {where} {exc.message}", hint=exc.hint) from None
    except yaml.YAMLError as exc:
        raise SpecError(
            f"workflow spec {where} is not valid YAML: {exc}", hint="fix the YAML syntax"
        ) from None


class SpecSyntaxError(SpecError):
    """A spec that is not valid YAML, uses aliases, is nested too deep or is too large; ``line`` and
    ``column`` (from 1) say where, when the YAML parser knows."""

    def __init__(self, message: str, hint: str, line: int | None = None, column: int | None = None) -> None:
        super().__init__(message, hint=hint)
        self.line, self.column = line, column


def parse_spec_yaml_nodes(text: str, where: str) -> tuple[Any, yaml.Node | None]:
    """The value of the YAML ``text`` and its node tree (each node knows its line and column), with the
    bounds of :func:`parse_spec_yaml`; :class:`SpecSyntaxError` says where the YAML goes wrong."""
    try:
        _check_size(len(text.encode("utf-8", "surrogatepass")), where)
    except SpecError as err:
        raise SpecSyntaxError(err.message, err.hint) from None
    loader = _BoundedLoader(text)
    try:
        node = loader.get_single_node()
        return (loader.construct_document(node) if node is not None else None), node
    except _Refused as exc:
        mark = loader.peek_event().start_mark if loader.check_event() else None
        raise SpecSyntaxError(f"workflow spec {where} {exc.message}", exc.hint, *_position(mark)) from None
    except yaml.MarkedYAMLError as exc:
        raise SpecSyntaxError(
            f"workflow spec {where} is not valid YAML: {exc.problem or exc.context}",
            "fix the YAML syntax",
            *_position(exc.problem_mark or exc.context_mark),
        ) from None
    except yaml.YAMLError as exc:
        raise SpecSyntaxError(
            f"workflow spec {where} is not valid YAML: {exc}", "fix the YAML syntax"
        ) from None
    finally:
        loader.dispose()


def _position(mark: Any) -> tuple[int | None, int | None]:
    return (mark.line + 1, mark.column + 1) if mark is not None else (None, None)


def dump_spec_yaml(data: Any) -> str:
    """``data`` as YAML without anchors or aliases, in the given key order."""
    return yaml.dump(data, Dumper=_NoAliasDumper, sort_keys=False)


def _check_size(size: int, where: str) -> None:
    if size > MAX_SPEC_BYTES:
        raise SpecError(
            f"workflow spec {where} is larger than {MAX_SPEC_BYTES // 1024} KB",
            hint="a workflow spec is a few KB: put long prompts or documents into memory (qsm memory ingest)",
        )
