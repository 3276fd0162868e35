"""Tools named by import path (``package.module:function``) in specs and settings, imported only from
the modules the user allows (``[tools] allowed_modules``): a path outside them is refused before
anything is imported."""

from __future__ import annotations

import importlib
import re
from collections.abc import Iterable
from typing import Any

from qsm.errors import SpecError

__all__ = ["check_import_paths", "import_object"]

_PATH = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*):([A-Za-z_][A-Za-z0-9_.]*)$")


def _split(path: str) -> tuple[str, str]:
    match = _PATH.match(path.strip())
    if match is None:
        raise SpecError(
            f"tool {path!r} is not an import path",
            hint="name a function as 'package.module:function' (or an MCP server as 'mcp:<server>')",
        )
    return match.group(1), match.group(2)


def _allowed(module: str, allowed: Iterable[str]) -> bool:
    return any(module == a or module.startswith(a + ".") for a in allowed)


def check_import_paths(paths: Iterable[str], allowed_modules: Iterable[str]) -> None:
    """Refuse (with :class:`SpecError`) the first path that is malformed or outside ``allowed_modules``;
    imports nothing."""
    allowed = [a.strip() for a in allowed_modules if a.strip()]
    for path in paths:
        module, _ = _split(path)
        if not _allowed(module, allowed):
            raise SpecError(
                f"tool {path!r} comes from module {module!r}, which the settings do not allow; "
                "nothing was imported",
                hint=f"if you trust it, add it to your settings: [tools] allowed_modules = "
                f"[{', '.join(repr(a) for a in [*allowed, module])}]".replace("'", '"'),
            )


def import_object(path: str, allowed_modules: Iterable[str]) -> Any:
    """The object at ``path``, imported after :func:`check_import_paths` lets it through."""
    check_import_paths([path], allowed_modules)
    module_name, attribute = _split(path)
    try:
        obj: Any = importlib.import_module(module_name)
    except ImportError as exc:
        raise SpecError(f"tool {path!r}: cannot import {module_name!r}: {exc}") from None
    for part in attribute.split("."):
        try:
            obj = getattr(obj, part)
        except AttributeError:
            raise SpecError(
                f"tool {path!r}: module {module_name!r} has no {attribute!r}",
                hint="check the spelling of the function after the ':'",
            ) from None
    return obj
