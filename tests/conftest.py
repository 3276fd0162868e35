"""Test-wide rules: real model calls are forbidden unless a test is marked ``real_model``; no network
except loopback; every test gets its own data dir."""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from qsm.agents import set_real_models_allowed

os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
os.environ.setdefault("HF_HUB_OFFLINE", "1")

_real_connect = socket.socket.connect


def _loopback_only(self: socket.socket, address: object) -> object:
    host = address[0] if isinstance(address, tuple) else address
    if self.family in (socket.AF_INET, socket.AF_INET6) and host not in ("127.0.0.1", "::1", "localhost"):
        raise ConnectionRefusedError(f"tests may not reach the network (tried {address!r})")
    return _real_connect(self, address)  # type: ignore[arg-type]


@pytest.fixture(autouse=True)
def _guards(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> Iterator[None]:
    monkeypatch.setattr(socket.socket, "connect", _loopback_only)
    monkeypatch.setenv("QSM_DATA_DIR", str(tmp_path / "qsm-data"))
    monkeypatch.delenv("QSM_CONFIG", raising=False)
    monkeypatch.chdir(tmp_path)
    set_real_models_allowed(request.node.get_closest_marker("real_model") is not None)
    yield
    set_real_models_allowed(True)
