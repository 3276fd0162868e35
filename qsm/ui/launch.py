"""How `qsm ui` starts Streamlit: bound to loopback only (the app has no login yet), no usage statistics."""

from __future__ import annotations

import ipaddress
import sys
from pathlib import Path

from qsm.errors import ConfigError

__all__ = ["APP_PATH", "require_loopback", "streamlit_command"]

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


def streamlit_command(host: str, port: int, *, headless: bool = True) -> list[str]:
    """The command that serves the app on ``host``:``port``; ``host`` must be loopback."""
    require_loopback(host)
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
        "--theme.base",
        "light",
        "--client.toolbarMode",
        "viewer",
    ]
