"""qsm.ui: the Streamlit app (chat, graph inspector, memory browser, ledger explorer, settings).

Start it with ``qsm ui``; the pages are thin views over the same API scripts use (``qsm.graph``).
Names are imported on first use (:mod:`qsm.lazy`); Streamlit loads only in the app's own process."""

from __future__ import annotations

from typing import TYPE_CHECKING

from qsm.lazy import lazy_exports

if TYPE_CHECKING:
    from qsm.ui.launch import APP_PATH, streamlit_command

__all__ = ["APP_PATH", "streamlit_command"]

_EXPORTS = {"qsm.ui.launch": ("APP_PATH", "streamlit_command")}
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
