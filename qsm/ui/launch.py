"""How `qsm ui` starts Streamlit: bound to 127.0.0.1 unless told otherwise, no usage statistics."""

from __future__ import annotations

import sys
from pathlib import Path

__all__ = ["APP_PATH", "streamlit_command"]

APP_PATH = Path(__file__).with_name("app.py")


def streamlit_command(host: str, port: int, *, headless: bool = True) -> list[str]:
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
