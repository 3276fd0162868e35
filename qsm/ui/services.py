"""The app's connection to qsm: one Runtime per (config, overrides), shared by all sessions."""

from __future__ import annotations

import hashlib
import json
import os
import weakref
from pathlib import Path
from typing import Any

import streamlit as st

from qsm.errors import QsmError
from qsm.graph import Runtime
from qsm.graph.run_manager import LiveRun, RunManager
from qsm.graph.thread_notes import ThreadNotes, notes_path
from qsm.redact import redact_urls
from qsm.settings import QsmSettings, load_settings
from qsm.ui.server_client import ServerClient, api_key_from_env

__all__ = [
    "CONFIG_ENV",
    "branch_kept",
    "config_path",
    "current_settings",
    "current_thread",
    "guarded",
    "live_threads",
    "mark_branch",
    "notes",
    "run_manager",
    "runtime",
    "server",
    "server_url",
    "set_overrides",
]

CONFIG_ENV = "QSM_UI_CONFIG"


def config_path() -> Path | None:
    value = os.environ.get(CONFIG_ENV)
    return Path(value) if value else None


def set_overrides(overrides: dict[str, Any]) -> None:
    st.session_state["qsm_overrides"] = overrides


def current_settings() -> QsmSettings:
    return load_settings(config_path(), st.session_state.get("qsm_overrides") or {})


@st.cache_resource(show_spinner="Loading qsm…", max_entries=4)
def _runtime(settings_json: str) -> Runtime:
    settings = QsmSettings.model_validate(json.loads(settings_json))
    return Runtime(settings)


def runtime() -> Runtime:
    """The shared runtime for the effective settings (config file + env + this session's overrides)."""
    return _runtime(current_settings().model_dump_json())


def server_url() -> str | None:
    """``[ui] server``: the ``qsm serve`` the app asks instead of running the team in-process (from the
    config file and env only: a session's overrides cannot point the app elsewhere)."""
    return load_settings(config_path(), {}).ui.server


@st.cache_resource(show_spinner=False, max_entries=64)
def _server_client(url: str, key_digest: str, _key: str | None) -> ServerClient:
    return ServerClient(url, _key)  # cached per URL and key digest; the key itself is not hashed or shown


def server() -> ServerClient | None:
    """The client of ``[ui] server``; None when the app runs the team in-process (no ``[ui] server``).
    It sends the key this session signed in with (an app with API keys of its own asks every session for
    one, so each is its own user on the server), else ``$QSM_API_KEY``."""
    from qsm.ui.login import session_key

    url = server_url()
    if url is None:
        return None
    key = session_key() or api_key_from_env()
    return _server_client(url, hashlib.sha256((key or "").encode()).hexdigest(), key)


def current_thread() -> str | None:
    """The open chat: the URL's ``?thread=`` on a session's first run (a reload, a link, a second tab), then
    the session's choice (a thread clicked, New chat), written back into the URL: each chat has its link."""
    if not st.session_state.get("thread_from_url"):
        st.session_state["thread_from_url"] = True
        if url := st.query_params.get("thread"):
            st.session_state["thread"] = url
    thread = st.session_state.get("thread")
    if thread and st.query_params.get("thread") != thread:
        st.query_params["thread"] = thread
    elif not thread and "thread" in st.query_params:
        del st.query_params["thread"]
    return str(thread) if thread else None


MAX_RUNS_ENV = "QSM_UI_MAX_RUNS"


@st.cache_resource
def run_manager() -> RunManager:
    """The app process's one run manager: runs go on in the background while pages come and go, at most
    $QSM_UI_MAX_RUNS (2) at once; every tab and page follows them from it."""
    value = os.environ.get(MAX_RUNS_ENV) or "2"
    if not value.isdigit() or int(value) < 1:
        raise QsmError(
            f"{MAX_RUNS_ENV}={value!r} is not a number of runs", hint=f"set {MAX_RUNS_ENV}=2, or unset it"
        )
    return RunManager(max_running=int(value))


def live_threads() -> set[str]:
    """The threads whose runs this app process is driving now: a thread the run store still marks
    ``running`` but that is not here was stopped without being marked, or its process died."""
    return run_manager().live_threads()


@st.cache_resource
def _notes(path: str) -> ThreadNotes:
    return ThreadNotes(Path(path) if path else None)


def notes(rt: Runtime) -> ThreadNotes:
    """The titles and answer ratings of ``rt``'s data dir, shared by all sessions."""
    return _notes(str(notes_path(rt) or ""))


@st.cache_resource
def _branches() -> weakref.WeakKeyDictionary[LiveRun, int]:
    return weakref.WeakKeyDictionary()


def mark_branch(run: LiveRun, kept: int) -> None:
    """``run`` is a new branch of its thread that keeps the thread's first ``kept`` turns (regenerate, or
    an edited question): every page shows those turns, then the run, whichever branch the store has yet."""
    _branches()[run] = kept


def branch_kept(run: LiveRun) -> int | None:
    """How many of its thread's turns the branch ``run`` keeps; None for a run that is not a branch."""
    return _branches().get(run)


def guarded(render: Any, *, login: bool = True, local: bool = True) -> None:
    """Run a page body; show qsm errors (and anything unexpected) as a message, never a traceback. With
    API keys configured (``login``), a session not signed in gets the sign-in form instead of the page.
    A page that reads the data dir itself (``local``) shows what to do instead when the app uses a
    server (``[ui] server``): the data lives with the server."""
    from qsm.ui.login import allowed, login_form

    try:
        if login and not allowed(config_path()):
            login_form(config_path())
            return
        if local and (url := server_url()) is not None:
            st.info(
                f"**This page reads qsm's data dir, and this app uses the qsm server at {url}:** its "
                "threads, memory and ledger live on that host. Chat works here. For this page, run "
                "`qsm ui` on the server host without `[ui] server`, or unset `[ui] server` in this app's "
                "config.",
                icon=":material/dns:",
            )
            return
        render()
    except QsmError as err:
        st.error(f"**{err.message}**" + (f"\n\n{err.hint}" if err.hint else ""))
    except Exception as exc:
        # rerun signals derive from BaseException and pass through)
        st.error(f"Unexpected error: {type(exc).__name__}: {redact_urls(str(exc))}")
