"""The AnchorRegistry contract: its committed build artifact and how to talk to it.

``contracts/AnchorRegistry.json`` is produced by ``node scripts/ledger_compile_contract.mjs`` (solcjs,
version and settings recorded in the file); a test recompiles and compares byte for byte.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

from eth_abi import decode as abi_decode
from eth_abi import encode as abi_encode
from eth_hash.auto import keccak
from eth_utils import to_checksum_address

__all__ = [
    "ANCHORED_TOPIC",
    "AnchorRecord",
    "Artifact",
    "anchor_calldata",
    "anchor_of_calldata",
    "decode_anchor_of",
    "decode_anchored_log",
    "load_artifact",
]

ANCHORED_TOPIC = keccak(b"Anchored(bytes32,uint64,address,uint32)")
_ANCHOR_SELECTOR = keccak(b"anchor(bytes32,uint64,uint32)")[:4]
_ANCHOR_OF_SELECTOR = keccak(b"anchorOf(bytes32)")[:4]


@dataclass(frozen=True)
class Artifact:
    """ABI, creation bytecode and runtime bytecode of AnchorRegistry, plus how it was compiled."""

    abi: list[dict[str, Any]]
    bytecode: bytes
    deployed_bytecode: bytes
    compiler: dict[str, Any]
    settings: dict[str, Any]
    source_sha256: str


@lru_cache(maxsize=1)
def load_artifact() -> Artifact:
    """The committed artifact (package data ``qsm.chain/contracts/AnchorRegistry.json``)."""
    text = resources.files("qsm.chain").joinpath("contracts", "AnchorRegistry.json").read_text("utf-8")
    data = json.loads(text)
    return Artifact(
        abi=data["abi"],
        bytecode=bytes.fromhex(data["bytecode"].removeprefix("0x")),
        deployed_bytecode=bytes.fromhex(data["deployedBytecode"].removeprefix("0x")),
        compiler=data["compiler"],
        settings=data["settings"],
        source_sha256=data["sourceSha256"],
    )


def anchor_calldata(root: bytes, batch_id: int, leaf_count: int) -> bytes:
    """Calldata of ``anchor(root, batchId, leafCount)``."""
    return _ANCHOR_SELECTOR + abi_encode(["bytes32", "uint64", "uint32"], [root, batch_id, leaf_count])


def anchor_of_calldata(root: bytes) -> bytes:
    """Calldata of ``anchorOf(root)``."""
    return _ANCHOR_OF_SELECTOR + abi_encode(["bytes32"], [root])


@dataclass(frozen=True)
class AnchorRecord:
    """What the registry knows about a root: ``anchorOf`` gives submitter, block and leaf count (its one
    storage slot); the submitter's batch number is only in the ``Anchored`` event (None from ``anchorOf``)."""

    root: bytes
    batch_id: int | None
    block_number: int
    leaf_count: int
    submitter: str

    @property
    def exists(self) -> bool:
        return self.block_number != 0


def decode_anchor_of(root: bytes, returned: bytes) -> AnchorRecord:
    """Decode the return data of ``anchorOf(root)``."""
    submitter, block_number, leaf_count = abi_decode(["address", "uint64", "uint32"], returned)
    return AnchorRecord(root, None, block_number, leaf_count, to_checksum_address(submitter))


def decode_anchored_log(log: dict[str, Any]) -> AnchorRecord | None:
    """Decode an ``Anchored`` event log (as returned by web3); None for any other log."""
    topics = [bytes(t) for t in log.get("topics", [])]
    if len(topics) != 4 or topics[0] != ANCHORED_TOPIC:
        return None
    (leaf_count,) = abi_decode(["uint32"], bytes(log["data"]))
    batch_id = int.from_bytes(topics[2], "big")
    submitter = to_checksum_address(topics[3][-20:])
    return AnchorRecord(topics[1], batch_id, int(log["blockNumber"]), leaf_count, submitter)
