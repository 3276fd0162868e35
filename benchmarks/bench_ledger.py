"""Ledger benchmark: gas per anchored output vs batch size, anchors per second, proof size, record rate.

- gas: the first anchor after the registry's deploy, then one anchor per batch size 1, 10, 100, 1000 on the
  embedded chain; an anchor writes one storage slot, so its gas (target <= 50k, ``gas_per_anchor``) does not
  depend on the batch size and per output it falls as 1/n. The same on anvil when node_modules has it.
- anchors per second: ``anchor_now`` round trips (seal, sign, store raw tx, send, receipt, finality) of
  one-output batches, on the embedded chain and on anvil (auto-mining) when present.
- proof size: bytes of the JSON proof file and number of Merkle siblings per batch size.
- record rate: durable ``record`` calls per second (each one a SQLite commit with fsync).
- embedded reopen: seconds to reopen the embedded chain (snapshot + journal tail) and by full replay.

    python benchmarks/bench_ledger.py [--quick]

Writes benchmarks/results/ledger.json and prints one summary line.
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from qsm.chain import Ledger, LedgerSettings
from qsm.chain.anvil import AnvilNode, find_anvil
from qsm.chain.embedded import EmbeddedChain
from qsm.chain.keys import ENV_PRIVATE_KEY
from qsm.ids import content_id

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import write_result

SIZES = (1, 10, 100, 1000)
GAS_TARGET = 50_000  # per anchor transaction (tests/chain/test_gas.py asserts it)
ANVIL_DEV_KEY = (
    "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80"  # anvil account 0 (public)
)


def ids(tag: str, n: int) -> list[str]:
    return [content_id("final", {"bench": tag, "i": i}) for i in range(n)]


def anchor_batch(ledger: Ledger, tag: str, n: int) -> Any:
    for cid in ids(tag, n):
        ledger.record(cid)
    return ledger.anchor_now()[-1]


def gas_and_proofs(settings: LedgerSettings, data_dir: Path) -> dict[str, Any]:
    rows = []
    with Ledger(settings, data_dir) as ledger:
        first = anchor_batch(ledger, "warmup", 1)  # deploy + first anchor
        client = ledger._worker.session().client
        first_gas = client.receipt(bytes.fromhex(first.tx_hash[2:])).gas_used
        for n in SIZES:
            batch = anchor_batch(ledger, f"gas{n}", n)
            receipt = client.receipt(bytes.fromhex(batch.tx_hash[2:]))
            proof = ledger.proof(ids(f"gas{n}", n)[n // 2])
            rows.append(
                {
                    "batch_size": n,
                    "gas_used": receipt.gas_used,
                    "gas_per_output": receipt.gas_used / n,
                    "proof_bytes": len(proof.model_dump_json()),
                    "proof_siblings": len(proof.proof),
                }
            )
    anchors = [first_gas] + [row["gas_used"] for row in rows]
    return {
        "first_anchor_gas": first_gas,
        "gas_per_anchor": {"min": min(anchors), "max": max(anchors), "target_max": GAS_TARGET},
        "rows": rows,
    }


def anchor_rate(
    settings: LedgerSettings, data_dir: Path, anchors: int, mine: AnvilNode | None
) -> dict[str, Any]:
    with Ledger(settings, data_dir) as ledger:
        anchor_batch(ledger, "rate-warmup", 1)
        seconds = []
        for i in range(anchors):
            ledger.record(ids(f"rate{i}", 1)[0])
            start = time.perf_counter()
            ledger.anchor_now()
            if mine is not None:
                mine.mine(3)
                ledger.tick()
            seconds.append(time.perf_counter() - start)
    total = sum(seconds)
    return {"anchors": anchors, "anchors_per_s": anchors / total, "p50_ms": statistics.median(seconds) * 1e3}


def record_rate(data_dir: Path, count: int) -> float:
    with Ledger(LedgerSettings(batch_max_age_s=3600), data_dir) as ledger:
        start = time.perf_counter()
        for cid in ids("record", count):
            ledger.record(cid)
        return count / (time.perf_counter() - start)


def replay_cost(data_dir: Path) -> dict[str, Any]:
    """Reopening the embedded chain: as it is (snapshot + the journal after it) and by full replay."""
    journal = data_dir / "ledger" / "embedded-chain.sqlite"
    start = time.perf_counter()
    chain = EmbeddedChain(journal, writable=False)
    opened_s, entries, restored = time.perf_counter() - start, chain.journal_length(), chain.restored_from
    chain.close()
    bare = data_dir / "journal-only.sqlite"
    with sqlite3.connect(journal) as src, sqlite3.connect(bare) as dst:
        src.backup(dst)
        dst.execute("DELETE FROM snapshot_meta")
    start = time.perf_counter()
    EmbeddedChain(bare, writable=False).close()
    full_s = time.perf_counter() - start
    return {
        "journal_txs": entries,
        "restored_from_snapshot_at": restored,
        "open_s": opened_s,
        "full_replay_s": full_s,
        "full_replay_ms_per_tx": full_s / max(entries, 1) * 1e3,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer anchors (CI smoke run)")
    args = parser.parse_args()
    anchors = 10 if args.quick else 50
    data: dict[str, Any] = {"quick": args.quick, "batch_sizes": list(SIZES)}
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        embedded = LedgerSettings(batch_max_age_s=3600, batch_max_leaves=1000, poll_interval_s=0)
        data["embedded"] = gas_and_proofs(embedded, root / "gas")
        data["embedded"]["rate"] = anchor_rate(embedded, root / "rate", anchors, None)
        data["embedded"]["replay"] = replay_cost(root / "rate")
        data["record_per_s"] = record_rate(root / "record", 200 if args.quick else 1000)
        binary = find_anvil(Path(__file__).resolve().parent)
        if binary is None:
            data["anvil"] = {"skipped": "anvil not installed (npm ci)"}
        else:
            os.environ[ENV_PRIVATE_KEY] = ANVIL_DEV_KEY
            with AnvilNode(binary) as node:
                settings = LedgerSettings(
                    backend="rpc",
                    rpc_url=node.url,
                    chain_id=node.chain_id,
                    batch_max_age_s=3600,
                    batch_max_leaves=1000,
                    poll_interval_s=0,
                )
                data["anvil"] = gas_and_proofs(settings, root / "anvil-gas")
                data["anvil"]["rate"] = anchor_rate(settings, root / "anvil-rate", anchors, node)
    gas = {row["batch_size"]: row["gas_per_output"] for row in data["embedded"]["rows"]}
    proof = {row["batch_size"]: row["proof_bytes"] for row in data["embedded"]["rows"]}
    anvil_rate = data["anvil"].get("rate", {}).get("anchors_per_s")
    per_anchor = data["embedded"]["gas_per_anchor"]["max"]
    summary = (
        f"ledger: gas/anchor <= {per_anchor} (target {GAS_TARGET}); "
        f"gas/output {gas[1]:.0f} (n=1) .. {gas[1000]:.1f} (n=1000); "
        f"anchors/s embedded {data['embedded']['rate']['anchors_per_s']:.1f}"
        + (f", anvil {anvil_rate:.1f}" if anvil_rate else "")
        + f"; proof {proof[1]}..{proof[1000]} B; record {data['record_per_s']:.0f}/s; "
        f"reopen {data['embedded']['replay']['open_s']:.2f}s "
        f"(full replay {data['embedded']['replay']['full_replay_ms_per_tx']:.1f} ms/tx)"
    )
    write_result("ledger", data, summary)
    return 0


if __name__ == "__main__":
    sys.exit(main())
