"""qsm.ui: the Streamlit app (chat, graph inspector, memory browser, ledger explorer, settings).

Start it with ``qsm ui``; the pages are thin views over the same API scripts use (``qsm.graph``)."""

from qsm.ui.launch import APP_PATH, streamlit_command

__all__ = ["APP_PATH", "streamlit_command"]
