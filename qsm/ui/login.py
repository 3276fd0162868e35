"""The app's login: once API keys exist (``qsm serve keys add USER``), every session signs in with one
before any page renders, and the session's user is the key's user (its chats, its threads, its memory
under ``/users/<id>``). Without keys the app is the single local user's, as before.

The entry script draws :func:`gate` before the navigation; every page body checks :func:`allowed` again
(through ``services.guarded``), because Streamlit can run a page without the entry script (the first run
of a server started next to a ``pages/`` folder)."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import streamlit as st

from qsm.apikeys import keys_exist, user_for_key
from qsm.graph.checkpoint import ThreadInfo
from qsm.settings import load_settings

__all__ = ["allowed", "gate", "login_form", "own_threads", "session_key", "signed_in"]

_KEY = "login_api_key"
_USER = "login_user"


def _keys_dir(config: Path | None) -> Path:
    """The data dir whose keys guard the app: the config's, never a session's overrides (a session could
    otherwise point the app at a data dir without keys)."""
    return load_settings(config, {}).data_dir


def session_key() -> str | None:
    """The API key this session signed in with; None when it has not (or the app needs no login). An
    app that uses a server (``[ui] server``) sends it there, so each session is its own user."""
    key = st.session_state.get(_KEY)
    return str(key) if key and signed_in() is not None else None


def signed_in() -> str | None:
    """The user this session signed in as; None when the app needs no login (no API keys)."""
    user = st.session_state.get(_USER)
    return str(user) if user else None


def own_threads(threads: Iterable[ThreadInfo]) -> list[ThreadInfo]:
    """The threads this session may see: a signed-in user's own; all of them without a login."""
    me = signed_in()
    return [t for t in threads if me is None or t.user == me]


def allowed(config: Path | None) -> bool:
    """Whether this session may see the pages: always without API keys; with keys only once signed in
    with a live one (checked on every run, so a revoked key ends the session). Draws nothing."""
    data_dir = _keys_dir(config)
    if not keys_exist(data_dir):
        st.session_state.pop(_USER, None)
        return True
    user = user_for_key(data_dir, st.session_state.get(_KEY, ""))
    if user is None:
        st.session_state.pop(_USER, None)
        return False
    st.session_state[_USER] = st.session_state["user"] = user
    return True


def _log_out() -> None:
    for name in (_KEY, _USER, "user", "thread", "conversation"):
        st.session_state.pop(name, None)
    if "thread" in st.query_params:
        del st.query_params["thread"]


def login_form(config: Path | None) -> None:
    """The sign-in form, and nothing else: a wrong key gets an error."""
    st.title("Sign in to qsm")
    st.caption("This app is shared: sign in with your API key (an admin makes one: qsm serve keys add USER).")
    with st.form("login"):
        key = st.text_input("API key", type="password")
        sent = st.form_submit_button("Sign in", icon=":material/login:")
    if sent:
        if user_for_key(_keys_dir(config), key) is None:
            st.error("That API key is not valid (unknown or revoked): check it, or ask for a new one.")
        else:
            st.session_state[_KEY] = key.strip()
            st.rerun()


def gate(config: Path | None) -> bool:
    """:func:`allowed`, drawn: who is signed in and a Log out button in the sidebar, or the sign-in form."""
    if not allowed(config):
        login_form(config)
        return False
    if (user := signed_in()) is not None:
        with st.sidebar:
            st.caption(f"Signed in as **{user}**")
            st.button("Log out", icon=":material/logout:", on_click=_log_out)
    return True
