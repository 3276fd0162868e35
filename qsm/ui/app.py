"""Streamlit entry point (`qsm ui` runs this file)."""

from __future__ import annotations

import streamlit as st

from qsm.ui import services
from qsm.ui.login import gate

st.set_page_config(page_title="qsm", page_icon="⚛️", layout="wide")
signed: list[bool] = []
services.guarded(lambda: signed.append(gate(services.config_path())), login=False, local=False)
if signed != [True]:  # with API keys, nothing renders before a session signs in (nor after an error)
    st.stop()

PAGES = [
    st.Page("pages/chat.py", title="Chat", icon=":material/forum:", default=True),
    st.Page("pages/graph.py", title="Graph inspector", icon=":material/hub:"),
    st.Page("pages/workflows.py", title="Workflows", icon=":material/account_tree:"),
    st.Page("pages/memory.py", title="Memory", icon=":material/folder_open:"),
    st.Page("pages/ledger.py", title="Ledger", icon=":material/verified:"),
    st.Page("pages/settings.py", title="Settings", icon=":material/tune:"),
]
st.navigation(PAGES).run()
