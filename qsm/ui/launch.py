"""How `qsm ui` starts Streamlit: on loopback, or beyond it only once API keys exist (every session then
logs in with one, :mod:`qsm.ui.login`); no usage statistics."""

from __future__ import annotations

import ipaddress
import sys
from pathlib import Path

from qsm.apikeys import keys_exist
from qsm.errors import ConfigError

__all__ = ["APP_PATH", "THEMES", "check_bind", "is_loopback", "require_loopback", "streamlit_command"]

APP_PATH = Path(__file__).with_name("app.py")


def is_loopback(host: str) -> bool:
    """Whether ``host`` is a loopback address (``127.0.0.0/8``, ``::1``, ``localhost``)."""
    name = host.strip().strip("[]").lower()
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return name == "localhost"


def check_bind(host: str, data_dir: Path | None) -> str:
    """``host`` if the app may listen there: loopback always; beyond it only when API keys exist under
    ``data_dir`` (the app then asks every session for one). Else :class:`ConfigError` naming
    ``qsm serve keys add USER``: without a login anyone who reaches the port could use the app, change its
    settings and point the agents at another server."""
    if is_loopback(host) or (data_dir is not None and keys_exist(data_dir)):
        return host
    where = f" for {data_dir}" if data_dir is not None else ""
    raise ConfigError(
        f"qsm ui will not listen on {host!r}: no API keys are configured{where}, so the app would have no "
        "authentication; without keys it binds only to this machine's loopback address (127.0.0.1, ::1 or "
        "localhost)",
        hint="make a key per user first (qsm serve keys add USER): every app session then logs in with one; "
        "or use --host 127.0.0.1 (or drop [ui] host from qsm.toml) and tunnel to it: "
        "ssh -L 8501:127.0.0.1:8501 THIS-HOST",
    )


def require_loopback(host: str) -> str:
    """``host`` if it is a loopback address; else :class:`ConfigError` (see :func:`check_bind`)."""
    if not is_loopback(host):
        raise ConfigError(
            f"qsm ui will not listen on {host!r}: the app has no authentication yet, so it binds only to "
            "this machine's loopback address (127.0.0.1, ::1 or localhost)",
            hint="use --host 127.0.0.1 (or drop [ui] host from qsm.toml); to use the app from another "
            "machine, tunnel to it: ssh -L 8501:127.0.0.1:8501 THIS-HOST",
        )
    return host


THEMES = ("auto", "light", "dark")


def streamlit_command(
    host: str, port: int, *, headless: bool = True, theme: str = "auto", data_dir: Path | None = None
) -> list[str]:
    """The command that serves the app on ``host``:``port``; ``host`` must be loopback unless API keys
    exist under ``data_dir`` (:func:`check_bind`). ``theme`` ``light``
    or ``dark`` starts every page in that theme; ``auto`` follows the system, and each person can switch
    between light and dark in the app's menu (Settings)."""
    check_bind(host, data_dir)
    if theme not in THEMES:
        raise ConfigError(f"qsm ui has no theme {theme!r}", hint="use --theme auto, light or dark")
    return [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(APP_PATH),
        "--server.address",
        host,
        "--server.port",
        str(port),
        "--server.headless",
        str(headless).lower(),
        "--browser.gatherUsageStats",
        "false",
        "--server.fileWatcherType",
        "none",
        "--global.developmentMode",
        "false",
        *(["--theme.base", theme] if theme != "auto" else []),
        "--client.toolbarMode",
        "viewer",
    ]
