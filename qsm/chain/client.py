"""A narrow, error-mapped view of an Ethereum node: just what anchoring and verifying need.

Every failure leaves as a :class:`~qsm.errors.LedgerError` whose text names the endpoint without its path
or query (RPC URLs often carry API keys). Sending classifies the node's refusals into outcomes the worker
acts on: ``already known`` / ``nonce too low`` / ``replacement underpriced`` all mean "look up receipts".
"""

from __future__ import annotations

import enum
import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import urlsplit

import requests
from eth_typing import Hash32
from eth_utils import to_checksum_address
from web3 import Web3
from web3.exceptions import BlockNotFound, TransactionNotFound, Web3Exception, Web3RPCError
from web3.types import FilterParams, TxParams

from qsm.errors import LedgerError

__all__ = ["BlockTag", "ChainClient", "Receipt", "SendOutcome", "UnsupportedTag", "connect_rpc", "redact_url"]

BlockTag = Literal["latest", "earliest", "pending", "safe", "finalized"]
"""A named block, as JSON-RPC takes it; a block number (int) is accepted where a tag is."""


class UnsupportedTag(Exception):
    """The node does not know a block tag such as ``finalized`` (older clients, some L2s)."""


class SendOutcome(enum.Enum):
    ACCEPTED = "accepted"
    ALREADY_KNOWN = "already_known"
    NONCE_TOO_LOW = "nonce_too_low"
    UNDERPRICED = "underpriced"


@dataclass(frozen=True)
class Receipt:
    tx_hash: bytes
    status: int
    block_number: int
    block_hash: bytes
    gas_used: int
    effective_gas_price: int
    contract_address: str | None
    logs: tuple[dict[str, Any], ...]


_FUNDS = ("insufficient funds", "not have enough balance", "insufficient balance", "funds for gas")
_KNOWN = ("already known", "already imported", "known transaction", "alreadyknown", "already in mempool")
_UNDERPRICED = ("underpriced", "fee too low", "replacement fee")
_NONCE_EXPECTED = re.compile(r"expected (\d+), but got (\d+)")


def redact_url(url: str) -> str:
    """``scheme://host:port`` of an endpoint URL: paths and queries may hold API keys."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return "<unparseable URL>"
    if not parts.scheme or not parts.hostname:
        return "<not a URL>"
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{parts.hostname}{port}"


class ChainClient:
    """What the ledger needs from a node, on top of a :class:`web3.Web3`."""

    def __init__(self, w3: Web3, label: str) -> None:
        self.w3 = w3
        self.label = label

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.label})"

    # -- reading -------------------------------------------------------------------------------
    def chain_id(self) -> int:
        with self._guard("read the chain id"):
            return int(self.w3.eth.chain_id)

    def block_number(self, tag: BlockTag = "latest") -> int | None:
        """Number of the block at ``tag`` (``latest``, ``finalized``, ...); None if the node has no block
        there yet; :class:`UnsupportedTag` if the node does not know the tag at all."""
        with self._guard(f"read the {tag} block"):
            try:
                return int(self.w3.eth.get_block(tag)["number"])
            except BlockNotFound:
                return None
            except Web3RPCError as exc:
                if tag == "latest":
                    raise
                raise UnsupportedTag(tag) from exc

    def block_hash(self, number: int) -> bytes | None:
        with self._guard(f"read block {number}"):
            try:
                return bytes(self.w3.eth.get_block(number)["hash"])
            except BlockNotFound:
                return None

    def base_fee(self) -> int:
        with self._guard("read the base fee"):
            return int(self.w3.eth.get_block("latest").get("baseFeePerGas") or 0)

    def suggested_priority_fee(self) -> int | None:
        """``eth_maxPriorityFeePerGas``, or None when the node does not offer it."""
        try:
            with self._guard("read the priority fee"):
                return int(self.w3.eth.max_priority_fee)
        except LedgerError:
            return None

    def nonce(self, address: str, tag: BlockTag | int = "pending") -> int:
        with self._guard("read the account nonce"):
            return int(self.w3.eth.get_transaction_count(to_checksum_address(address), tag))

    def balance(self, address: str) -> int:
        with self._guard("read the account balance"):
            return int(self.w3.eth.get_balance(to_checksum_address(address)))

    def code(self, address: str, block: BlockTag | int = "latest") -> bytes:
        with self._guard("read contract code"):
            return bytes(self.w3.eth.get_code(to_checksum_address(address), block))

    def call(self, to: str, data: bytes, block: BlockTag | int = "latest") -> bytes:
        with self._guard("call the registry"):
            return bytes(self.w3.eth.call({"to": to_checksum_address(to), "data": data}, block))

    def estimate_gas(self, tx: TxParams) -> int:
        with self._guard("estimate gas"):
            return int(self.w3.eth.estimate_gas(tx))

    def receipt(self, tx_hash: bytes) -> Receipt | None:
        """The receipt of ``tx_hash`` on the current canonical chain, or None."""
        with self._guard("read a transaction receipt"):
            try:
                r = self.w3.eth.get_transaction_receipt(Hash32(tx_hash))
            except TransactionNotFound:
                return None
        if r is None or r.get("blockNumber") is None:
            return None
        contract = r.get("contractAddress")
        return Receipt(
            tx_hash=bytes(r["transactionHash"]),
            status=int(r["status"]),
            block_number=int(r["blockNumber"]),
            block_hash=bytes(r["blockHash"]),
            gas_used=int(r["gasUsed"]),
            effective_gas_price=int(r.get("effectiveGasPrice") or 0),
            contract_address=to_checksum_address(contract) if contract else None,
            logs=tuple(dict(log) for log in r["logs"]),
        )

    def get_logs(
        self, address: str, topics: list[Any], from_block: int = 0, to_block: BlockTag | int = "latest"
    ) -> list[dict[str, Any]]:
        with self._guard("read event logs"):
            flt: FilterParams = {
                "address": to_checksum_address(address),
                "topics": topics,
                "fromBlock": from_block,
                "toBlock": to_block,
            }
            return [dict(log) for log in self.w3.eth.get_logs(flt)]

    # -- writing -------------------------------------------------------------------------------
    def send_raw(self, raw: bytes) -> SendOutcome:
        """Broadcast a signed transaction; refusals that mean "maybe already there" become outcomes."""
        try:
            self.w3.eth.send_raw_transaction(raw)
        except (requests.RequestException, OSError, json.JSONDecodeError) as exc:
            raise _as_ledger_error("send a transaction", self.label, exc) from None
        except Exception as exc:  # RPC error answers, and eth-tester's own validation errors
            return self._classify_refusal(exc)
        return SendOutcome.ACCEPTED

    def _classify_refusal(self, exc: Exception) -> SendOutcome:
        text = str(exc).lower()
        if any(marker in text for marker in _KNOWN):
            return SendOutcome.ALREADY_KNOWN
        if "nonce too low" in text or "nonce is too low" in text:
            return SendOutcome.NONCE_TOO_LOW
        if (match := _NONCE_EXPECTED.search(text)) and int(match.group(2)) < int(match.group(1)):
            return SendOutcome.NONCE_TOO_LOW
        if any(marker in text for marker in _UNDERPRICED):
            return SendOutcome.UNDERPRICED
        if any(marker in text for marker in _FUNDS):
            raise LedgerError(
                f"the signing account cannot pay for gas on {self.label}",
                hint="fund the account shown by `qsm ledger status`; queued outputs anchor once it is funded",
            ) from None
        raise LedgerError(
            f"{self.label} refused the transaction: {_short(exc)}",
            hint="outputs stay queued; check the node and `qsm ledger status`, then `qsm ledger anchor`",
        ) from None

    @contextmanager
    def _guard(self, action: str) -> Iterator[None]:
        try:
            yield
        except (LedgerError, UnsupportedTag):
            raise
        except (TransactionNotFound, BlockNotFound):
            raise
        except Exception as exc:
            raise _as_ledger_error(action, self.label, exc) from None


def _short(exc: Exception) -> str:
    text = " ".join(str(exc).split())
    return text[:200] + ("..." if len(text) > 200 else "")


def _as_ledger_error(action: str, label: str, exc: Exception) -> LedgerError:
    if isinstance(exc, requests.exceptions.InvalidSchema | requests.exceptions.InvalidURL):
        return LedgerError(
            f"the ledger RPC URL is not a usable http(s) URL ({label})",
            hint="set ledger.rpc_url to e.g. http://127.0.0.1:8545; queued outputs are kept",
        )
    if isinstance(exc, requests.RequestException | OSError):
        return LedgerError(
            f"cannot reach the ledger RPC endpoint {label} to {action} ({type(exc).__name__})",
            hint="is the node running and the URL right? queued outputs are kept and anchor later",
        )
    if isinstance(exc, json.JSONDecodeError | ValueError) and not isinstance(exc, Web3Exception):
        return LedgerError(
            f"{label} did not answer as a JSON-RPC node when asked to {action}",
            hint="ledger.rpc_url must point at an Ethereum JSON-RPC endpoint; queued outputs are kept",
        )
    return LedgerError(
        f"{label} failed to {action}: {_short(exc)}", hint="queued outputs are kept; retry later"
    )


def connect_rpc(url: str | None, timeout_s: float) -> ChainClient:
    """A client for a JSON-RPC URL (no request is made yet)."""
    if not url:
        raise LedgerError(
            "ledger backend is 'rpc' but ledger.rpc_url is not set",
            hint="set QSM_LEDGER__RPC_URL (e.g. http://127.0.0.1:8545) or use backend 'embedded'",
        )
    label = redact_url(url)
    if urlsplit(url).scheme not in ("http", "https") or label.startswith("<"):
        raise LedgerError(
            f"the ledger RPC URL is not an http(s) URL ({label})",
            hint="set ledger.rpc_url to e.g. http://127.0.0.1:8545 or https://<node>/; queued outputs are kept",
        )
    provider = Web3.HTTPProvider(
        url, request_kwargs={"timeout": timeout_s}, exception_retry_configuration=None
    )
    return ChainClient(Web3(provider), label)
