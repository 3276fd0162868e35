"""Ledger fixtures: settings per backend, a shared anvil node (skipped without node_modules), fresh nodes
for tests that change how the node mines, and anvil's dev keys."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from eth_account import Account

from qsm.chain import LedgerSettings
from qsm.chain.anvil import DEV_MNEMONIC, AnvilNode, find_anvil
from qsm.chain.keys import ENV_PRIVATE_KEY
from qsm.ids import content_id

REPO = Path(__file__).resolve().parents[2]
ANVIL_CHAIN_ID = 31337
ANVIL_MISSING = "anvil binary not found: run `npm ci` in the repo root (npm package @foundry-rs/anvil)"

Account.enable_unaudited_hdwallet_features()


def anvil_key(index: int) -> str:
    """Private key (hex) of anvil's dev account ``index`` (public test mnemonic; worthless elsewhere)."""
    return Account.from_mnemonic(DEV_MNEMONIC, account_path=f"m/44'/60'/0'/0/{index}").key.hex()


def anvil_binary() -> Path | None:
    return find_anvil(REPO)


def cids(n: int, tag: str = "t") -> list[str]:
    return [content_id("final", {"tag": tag, "i": i}) for i in range(n)]


def _anvil() -> Iterator[AnvilNode]:
    binary = anvil_binary()
    if binary is None:
        pytest.skip(ANVIL_MISSING)
    with AnvilNode(binary, chain_id=ANVIL_CHAIN_ID) as node:
        yield node


@pytest.fixture(scope="session")
def anvil_node() -> Iterator[AnvilNode]:
    """One anvil for the session (chain id 31337, finalized = latest - 2). Tests use their own account."""
    yield from _anvil()


@pytest.fixture
def fresh_anvil() -> Iterator[AnvilNode]:
    """A node of its own, for tests that stop auto-mining, reorg or roll back."""
    yield from _anvil()


_next_account = iter(range(1, 10))


@pytest.fixture
def anvil_account(monkeypatch: pytest.MonkeyPatch) -> str:
    """A dev account of its own on the shared node (so nonces never collide between tests); its key is
    put in ``$QSM_LEDGER_PRIVATE_KEY``."""
    try:
        index = next(_next_account)
    except StopIteration:
        index = 0
    key = anvil_key(index)
    monkeypatch.setenv(ENV_PRIVATE_KEY, key)
    return key


def rpc_settings(node: AnvilNode, **overrides: Any) -> LedgerSettings:
    values: dict[str, Any] = {
        "backend": "rpc",
        "rpc_url": node.url,
        "chain_id": ANVIL_CHAIN_ID,
        "poll_interval_s": 0,
        "anchor_timeout_s": 20,
        "batch_max_age_s": 3600,
    }
    return LedgerSettings(**(values | overrides))


def embedded_settings(**overrides: Any) -> LedgerSettings:
    return LedgerSettings(**({"poll_interval_s": 0, "batch_max_age_s": 3600} | overrides))


@dataclass
class ChainUnderTest:
    """A backend the same test runs on: the embedded chain or the shared anvil node."""

    name: str
    node: AnvilNode | None = None

    def settings(self, **overrides: Any) -> LedgerSettings:
        return rpc_settings(self.node, **overrides) if self.node else embedded_settings(**overrides)

    @property
    def rpc_url(self) -> str | None:
        return self.node.url if self.node else None

    def finalize(self, blocks: int = 3) -> None:
        """Make recent blocks final: mine on anvil (finalized lags 2 blocks); embedded is final at once."""
        if self.node:
            self.node.mine(blocks)


@pytest.fixture(params=["embedded", pytest.param("anvil", marks=pytest.mark.anvil)])
def chain(request: pytest.FixtureRequest) -> ChainUnderTest:
    if request.param == "embedded":
        return ChainUnderTest("embedded")
    request.getfixturevalue("anvil_account")
    return ChainUnderTest("anvil", request.getfixturevalue("anvil_node"))
