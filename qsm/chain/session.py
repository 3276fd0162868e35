"""Connecting the ledger to its chain: the node client, the chain id check and the signing account."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from qsm.chain.client import ChainClient, connect_rpc
from qsm.chain.embedded import EmbeddedChain, embedded_dev_key
from qsm.chain.keys import Signer, signer_from_env_or_keystore
from qsm.chain.settings import LedgerSettings
from qsm.errors import LedgerError

__all__ = ["EMBEDDED_JOURNAL", "ChainSession", "check_chain_id", "open_client", "open_session"]

EMBEDDED_JOURNAL = "embedded-chain.sqlite"

log = logging.getLogger(__name__)


@dataclass
class ChainSession:
    """A checked connection: the node, its chain id, and who signs."""

    client: ChainClient
    chain_id: int
    signer: Signer

    def __repr__(self) -> str:
        return f"ChainSession({self.client.label}, chain_id={self.chain_id}, {self.signer!r})"


def open_client(settings: LedgerSettings, ledger_dir: Path) -> ChainClient:
    """The configured chain: the embedded one under ``ledger_dir``, or the RPC endpoint (lazy)."""
    if settings.backend == "embedded":
        return EmbeddedChain(ledger_dir / EMBEDDED_JOURNAL)
    return connect_rpc(settings.rpc_url, settings.rpc_timeout_s)


def check_chain_id(client: ChainClient, expected: int | None) -> int:
    """The node's chain id; LedgerError if ``expected`` is set and differs."""
    actual = client.chain_id()
    if expected is None and not isinstance(client, EmbeddedChain):
        log.warning("ledger.chain_id is not set; using chain %d as %s reports it", actual, client.label)
    if expected is not None and actual != expected:
        raise LedgerError(
            f"{client.label} is chain {actual}, but the ledger is configured for chain {expected}",
            hint="point ledger.rpc_url at a node of the configured chain, or fix ledger.chain_id; "
            "queued outputs are kept",
        )
    return actual


def open_session(
    settings: LedgerSettings, ledger_dir: Path, client: ChainClient | None = None
) -> ChainSession:
    """Connect, check the chain id, and load the signer (embedded: eth-tester's funded dev account)."""
    client = client or open_client(settings, ledger_dir)
    chain_id = check_chain_id(client, settings.chain_id)
    if isinstance(client, EmbeddedChain):
        signer = Signer(embedded_dev_key())
    else:
        signer = signer_from_env_or_keystore(settings.keystore_path)
    return ChainSession(client=client, chain_id=chain_id, signer=signer)
