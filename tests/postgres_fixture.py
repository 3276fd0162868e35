"""A throwaway PostgreSQL server for the tests: initdb into a temp dir, pg_ctl start on a free loopback port.

One server per test session (about half a second to start); each test gets its own fresh database
(``postgres_url``). PostgreSQL refuses to run as root, so under root the server runs as ``nobody``
(``runuser``). Tests skip with the reason when the server binaries (Debian's ``postgresql`` package,
installed by ``scripts/install.sh --dev``) or the ``postgres`` extra are missing.

Use: ``from tests.postgres_fixture import postgres_server, postgres_url  # noqa: F401``.
"""

from __future__ import annotations

import glob
import itertools
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

__all__ = ["PostgresServer", "postgres_server", "postgres_url", "start_postgres"]

_counter = itertools.count()


def _bin(name: str) -> str | None:
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))  # Debian keeps them off PATH
    return candidates[-1] if candidates else None


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class PostgresServer:
    """A running server: ``url(db)`` connects as the trusted user ``qsm`` over loopback TCP."""

    def __init__(self, root: Path, port: int, pg_ctl: str, as_user: list[str]) -> None:
        self.root, self.port, self._pg_ctl, self._as_user = root, port, pg_ctl, as_user

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://qsm@127.0.0.1:{self.port}/{database}"

    def create_database(self, name: str) -> str:
        import psycopg

        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def stop(self) -> None:
        subprocess.run(
            [*self._as_user, self._pg_ctl, "-D", str(self.root / "data"), "-m", "immediate", "stop"],
            capture_output=True,
            timeout=30,
        )
        shutil.rmtree(self.root, ignore_errors=True)


def start_postgres() -> PostgresServer:
    """Start a server or raise RuntimeError saying why it cannot (the fixture turns that into a skip)."""
    initdb, pg_ctl = _bin("initdb"), _bin("pg_ctl")
    if not initdb or not pg_ctl:
        raise RuntimeError(
            "PostgreSQL server binaries (initdb, pg_ctl) not found; scripts/install.sh --dev installs Debian's "
            "postgresql package"
        )
    as_user: list[str] = []
    root = Path(tempfile.mkdtemp(prefix="qsm-pg-"))
    if os.geteuid() == 0:  # postgres refuses to run as root
        runuser = shutil.which("runuser")
        if not runuser:
            raise RuntimeError("running as root and no `runuser` to start PostgreSQL as an unprivileged user")
        as_user = [runuser, "-u", "nobody", "--"]
        shutil.chown(root, user="nobody")
    port = _free_port()
    init = subprocess.run(
        [*as_user, initdb, "-D", str(root / "data"), "-U", "qsm", "--auth=trust", "-E", "UTF8", "--no-sync"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    if init.returncode != 0:
        raise RuntimeError(f"initdb failed: {init.stderr.strip()[-500:]}")
    options = f"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=300"
    start = subprocess.run(
        [*as_user, pg_ctl, "-D", str(root / "data"), "-o", options, "-l", str(root / "log"), "-w", "start"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    if start.returncode != 0:
        log = (root / "log").read_text(errors="replace")[-500:] if (root / "log").exists() else ""
        raise RuntimeError(f"pg_ctl start failed: {start.stderr.strip()[-300:]} {log}")
    return PostgresServer(root, port, pg_ctl, as_user)


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    for module in ("psycopg", "langgraph.checkpoint.postgres"):
        pytest.importorskip(
            module, reason="the postgres extra is not installed: pip install -e '.[postgres]'"
        )
    try:
        server = start_postgres()
    except RuntimeError as exc:
        pytest.skip(str(exc))
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def postgres_url(postgres_server: PostgresServer) -> str:
    """A fresh, empty database on the session's server."""
    return postgres_server.create_database(f"qsm_test_{os.getpid()}_{next(_counter)}")
