"""Lazy package exports: a package names what it exports and where each name lives; the defining module
is imported on first use.

``import qsm.chain.settings`` runs ``qsm/chain/__init__.py`` first. If that file imported the whole ledger
(web3, py-evm), every settings load and every ``qsm --help`` would pay for it. With lazy exports the
package costs nothing until one of its names is used::

    __getattr__, __dir__ = lazy_exports(__name__, {"qsm.chain.proofs": ("verify_proof",)})

A package keeps a ``TYPE_CHECKING`` block importing the same names so that type checkers and IDEs see
them. An exported name must not be the name of one of the package's submodules: importing the submodule
would bind the package attribute to the module and hide the export.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Mapping, Sequence
from typing import Any

__all__ = ["lazy_exports"]


def lazy_exports(
    package: str, exports: Mapping[str, Sequence[str]]
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """The module ``__getattr__`` and ``__dir__`` of ``package``; ``exports`` maps a module to the names
    it defines that the package exports."""
    where = {name: module for module, names in exports.items() for name in names}

    def __getattr__(name: str) -> Any:
        module = where.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(module), name)
        setattr(sys.modules[package], name, value)  # later look-ups skip this function
        return value

    def __dir__() -> list[str]:
        return sorted(where)

    return __getattr__, __dir__
