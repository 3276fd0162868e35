"""How `qsm ui` starts Streamlit: bound to loopback only (the app has no login yet), no usage statistics."""

from __future__ import annotations

import ipaddress
import sys
from pathlib import Path

from qsm.errors import ConfigError

__all__ = ["APP_PATH", "THEMES", "require_loopback", "streamlit_command"]

APP_PATH = Path(__file__).with_name("app.py")


def require_loopback(host: str) -> str:
    """``host`` if it is a loopback address (``127.0.0.0/8``, ``::1``, ``localhost``); else
    :class:`ConfigError`: without authentication, anyone who reaches the port could use the app, change
    its settings and point the agents at another server."""
    name = host.strip().strip("[]").lower()
    try:
        loopback = ipaddress.ip_address(name).is_loopback
    except ValueError:
        loopback = name == "localhost"
    if not loopback:
        raise ConfigError(
            f"qsm ui will not listen on {host!r}: the app has no authentication yet, so it binds only to "
            "this machine's loopback address (127.0.0.1, ::1 or localhost)",
            hint="use --host 127.0.0.1 (or drop [ui] host from qsm.toml); to use the app from another "
            "machine, tunnel to it: ssh -L 8501:127.0.0.1:8501 THIS-HOST",
        )
    return host


THEMES = ("auto", "light", "dark")


def streamlit_command(host: str, port: int, *, headless: bool = True, theme: str = "auto") -> list[str]:
    """The command that serves the app on ``host``:``port``; ``host`` must be loopback. ``theme`` ``light``
    or ``dark`` starts every page in that theme; ``auto`` follows the system, and each person can switch
    between light and dark in the app's menu (Settings)."""
    require_loopback(host)
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
