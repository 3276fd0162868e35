"""The built-in toolbox: calculator, unit conversion and (given a memory store) memory search."""

from __future__ import annotations

from qsm.agents.tools.calculator import Calculator
from qsm.agents.tools.converter import UnitConverter
from qsm.agents.tools.memory import MemorySearch, SearchableMemory
from qsm.agents.tools.toolbox import Toolbox

__all__ = ["builtin_toolbox"]


def builtin_toolbox(store: SearchableMemory | None = None, *, as_agent: str = "user") -> Toolbox:
    """``calculator`` and ``convert_units``, plus ``memory_search`` over ``store`` (read as ``as_agent``)
    when a store is given."""
    toolbox = Toolbox([Calculator(), UnitConverter()])
    if store is not None:
        toolbox.add(MemorySearch(store, as_agent=as_agent))
    return toolbox
