"""A local anvil node (from npm ``@foundry-rs/anvil``) for tests, benchmarks and local development.

``npm ci`` in the repo root installs the package; its platform package carries the binary at
``node_modules/@foundry-rs/anvil-<os>-<arch>/bin/anvil`` (``node_modules/.bin/anvil`` is a node wrapper
around it). With ``--slots-in-an-epoch 1`` anvil reports ``finalized`` = latest - 2, ``safe`` = latest - 1.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from types import TracebackType
from typing import Any

import requests

__all__ = ["DEV_MNEMONIC", "AnvilNode", "find_anvil"]

DEV_MNEMONIC = "test test test test test test test test test test test junk"


def find_anvil(start: Path | None = None) -> Path | None:
    """The anvil binary: ``$QSM_ANVIL_BIN``, else under the nearest ``node_modules``, else on PATH."""
    if explicit := os.environ.get("QSM_ANVIL_BIN"):
        return Path(explicit) if Path(explicit).is_file() else None
    here = (start or Path.cwd()).resolve()
    for folder in [here, *here.parents]:
        scoped = folder / "node_modules" / "@foundry-rs"
        if scoped.is_dir():
            found = sorted(scoped.glob("anvil-*/bin/anvil")) + sorted(scoped.glob("anvil/anvil"))
            if found:
                return found[0]
            wrapper = folder / "node_modules" / ".bin" / "anvil"
            if wrapper.exists():
                return wrapper
    on_path = shutil.which("anvil")
    return Path(on_path) if on_path else None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class AnvilNode:
    """Starts anvil on a free loopback port; stops it on :meth:`stop` or leaving the ``with`` block."""

    def __init__(
        self,
        binary: Path,
        chain_id: int = 31337,
        slots_in_epoch: int = 1,
        extra_args: list[str] | None = None,
    ) -> None:
        self.binary, self.chain_id = binary, chain_id
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        args = [str(binary), "--host", "127.0.0.1", "--port", str(self.port), "--chain-id", str(chain_id)]
        args += ["--slots-in-an-epoch", str(slots_in_epoch), "--mnemonic", DEV_MNEMONIC, "--silent"]
        self._log = tempfile.TemporaryFile()  # noqa: SIM115 - lives as long as the node
        self._proc = subprocess.Popen(
            [*args, *(extra_args or [])], stdout=self._log, stderr=subprocess.STDOUT
        )
        self._wait_ready()

    def _wait_ready(self, timeout_s: float = 20.0) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                self._log.seek(0)
                err = self._log.read().decode(errors="replace")
                raise RuntimeError(f"anvil exited with {self._proc.returncode}: {err[:500]}")
            try:
                if self.rpc("eth_chainId") == hex(self.chain_id):
                    return
            except requests.RequestException:
                time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"anvil did not answer on {self.url} within {timeout_s}s")

    def rpc(self, method: str, params: list[Any] | None = None) -> object:
        """One JSON-RPC call; raises RuntimeError on an error answer."""
        body: dict[str, Any] = {"jsonrpc": "2.0", "id": 1, "method": method, "params": params or []}
        answer = requests.post(self.url, json=body, timeout=10).json()
        if "error" in answer:
            raise RuntimeError(f"{method}: {answer['error']}")
        return answer.get("result")

    def mine(self, blocks: int = 1) -> None:
        self.rpc("anvil_mine", [hex(blocks)])

    def block_number(self, tag: str = "latest") -> int:
        block = self.rpc("eth_getBlockByNumber", [tag, False])
        if not isinstance(block, dict):
            raise RuntimeError(f"anvil has no {tag} block (eth_getBlockByNumber answered {block!r})")
        return int(block["number"], 16)

    def stop(self) -> None:
        if self._proc.poll() is None:
            self._proc.terminate()
            try:
                self._proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()
        self._log.close()

    def __enter__(self) -> AnvilNode:
        return self

    def __exit__(self, *exc: type[BaseException] | BaseException | TracebackType | None) -> None:
        self.stop()
