"""Crash test: the anchoring process is SIGKILLed at every outbox state (and at random moments) over many
runs, on the embedded chain and on anvil. After a final clean run: every acknowledged output is in exactly
one anchored batch, no root is anchored twice, no tx of ours reverted, nothing was final before the chain's
finalized block reached it, and every acknowledged output's proof verifies."""

from __future__ import annotations

import os
import random
import re
import signal
import subprocess
import sys
import threading
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from qsm.chain import Ledger, LedgerSettings, MerkleTree, verify_proof
from qsm.chain.anvil import AnvilNode
from qsm.chain.contract import ANCHORED_TOPIC, decode_anchored_log
from qsm.chain.faults import CRASH_ENV
from qsm.chain.keys import ENV_PRIVATE_KEY
from tests.chain.conftest import REPO, anvil_key, rpc_settings

pytestmark = pytest.mark.slow

CHILD = Path(__file__).with_name("crash_child.py")
POINTS = ["recorded", "sealed", "signed", "sent", "broadcast", "mined", "final"]
ACK = re.compile(r"^ACK (final:[0-9a-f]{64})$")


def run_child(
    data_dir: Path,
    settings: LedgerSettings,
    tag: str,
    crash_at: str | None,
    kill_after: float | None,
    env: dict[str, str],
) -> tuple[int, list[str]]:
    child_env = {**os.environ, **env, "PYTHONPATH": str(REPO)}
    child_env.pop(CRASH_ENV, None)
    if crash_at:
        child_env[CRASH_ENV] = crash_at
    proc = subprocess.Popen(
        [sys.executable, str(CHILD), str(data_dir), settings.model_dump_json(), tag, "6"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=child_env,
        cwd=REPO,
    )
    try:
        out, err = proc.communicate(timeout=kill_after)
    except subprocess.TimeoutExpired:
        proc.send_signal(signal.SIGKILL)
        out, err = proc.communicate()
    acked = [m.group(1) for line in out.splitlines() if (m := ACK.match(line))]
    if proc.returncode not in (0, -signal.SIGKILL):
        raise AssertionError(f"child failed ({proc.returncode}): {out[-500:]} {err[-2000:]}")
    return proc.returncode, acked


def crash_campaign(
    data_dir: Path,
    settings: LedgerSettings,
    env: dict[str, str],
    points: list[str],
    rounds: int,
    randoms: int,
    seed: int,
) -> tuple[set[str], Counter[str]]:
    """Runs: each crash point ``rounds`` times (its 1st, 2nd... hit), ``randoms`` random-time kills, then a
    clean run. Returns the acknowledged ids and how the runs ended (``fired:<point>`` when a crash point
    killed its run)."""
    rng = random.Random(seed)
    acked: set[str] = set()
    outcomes: Counter[str] = Counter()
    plan: list[tuple[str | None, float | None]] = [
        (f"{point}:{k}", None) for k in range(1, rounds + 1) for point in points
    ]
    plan += [(None, rng.uniform(0.8, 3.0)) for _ in range(randoms)]
    for run, (crash_at, kill_after) in enumerate(plan):
        code, got = run_child(data_dir, settings, f"run{run}", crash_at, kill_after, env)
        acked |= set(got)
        killed = code == -signal.SIGKILL
        outcomes["killed" if killed else "finished"] += 1
        if killed and crash_at:
            outcomes[f"fired:{crash_at.split(':')[0]}"] += 1
    code, got = run_child(data_dir, settings, "clean", None, None, env)
    assert code == 0
    return acked | set(got), outcomes


def assert_consistent(data_dir: Path, settings: LedgerSettings, acked: set[str], rpc_url: str | None) -> None:
    with Ledger(settings, data_dir) as ledger:
        outbox = ledger.outbox
        anchors = outbox.batches(None)
        assert anchors and {b.state for b in anchors} == {"final"}
        for cid in acked:  # every acknowledged output is in exactly one batch (content ids are unique)
            row = outbox.output(cid)
            assert row is not None and row.batch_id is not None, cid
        leaves = 0
        for batch in anchors:
            members = outbox.batch_outputs(batch.id)
            leaves += len(members)
            assert len(members) == batch.leaf_count
            assert MerkleTree([(m.digest, m.salt) for m in members]).root == batch.root
            finalize = [t for t in outbox.transitions(batch.id) if t["event"] == "finalize"]
            assert len(finalize) == 1 and finalize[0]["finalized_block"] >= batch.block_number
        assert leaves == sum(ledger.status().outputs.values())
        client = ledger._worker.session().client
        events = [
            decode_anchored_log(log) for log in client.get_logs(anchors[0].contract_address, [ANCHORED_TOPIC])
        ]
        roots = Counter(e.root for e in events)
        assert all(count == 1 for count in roots.values()), "a root was anchored twice"
        assert set(roots) == {b.root for b in anchors} and len(events) == len(anchors)
        for batch in [*anchors, *outbox.batches(None, purpose="deploy")]:
            receipts = [
                r for tx in outbox.txs(batch.id, live_only=False) if (r := client.receipt(tx.tx_hash))
            ]
            assert len(receipts) == 1 and receipts[0].status == 1, f"batch {batch.id}: {receipts}"
            assert receipts[0].block_number == batch.block_number
            if rpc_url:  # the embedded chain replays blocks with fresh hashes (see qsm.chain.embedded)
                assert client.block_hash(batch.block_number) == batch.block_hash
        final_now = client.block_number("finalized")
        assert final_now is not None and all(b.block_number <= final_now for b in anchors)
        sample = sorted(acked)[:: max(1, len(acked) // 12)]
        for cid in sample:
            assert verify_proof(ledger.proof(cid), rpc_url, data_dir).ok, cid


def test_crash_at_every_state_on_the_embedded_chain(tmp_path: Path) -> None:
    settings = LedgerSettings(batch_max_leaves=2, batch_max_age_s=0, poll_interval_s=0)
    acked, outcomes = crash_campaign(tmp_path, settings, {}, POINTS, rounds=2, randoms=6, seed=11)
    assert all(outcomes[f"fired:{point}"] == 2 for point in POINTS), outcomes  # each point reached, twice
    assert len(acked) >= 6
    assert_consistent(tmp_path, settings, acked, None)


@pytest.fixture
def unruly_chain(fresh_anvil: AnvilNode) -> Iterator[AnvilNode]:
    """No auto-mining: a block every 0.4 s, and every sixth time the newest block is replaced by an empty
    one (a depth-1 reorg, shallower than finality), so txs wait in the pool, get fee-bumped and reorged."""
    fresh_anvil.rpc("evm_setAutomine", [False])
    stop = threading.Event()

    def mine() -> None:
        turn = 0
        while not stop.wait(0.4):
            turn += 1
            try:
                if turn % 6 == 0:
                    fresh_anvil.rpc("anvil_reorg", [1, []])
                else:
                    fresh_anvil.mine(1)
            except Exception:
                return

    thread = threading.Thread(target=mine, daemon=True)
    thread.start()
    yield fresh_anvil
    stop.set()
    thread.join()


@pytest.mark.anvil
def test_crash_at_every_state_on_anvil(
    unruly_chain: AnvilNode, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fees = {"bump_after_s": 0.1, "rebroadcast_after_s": 0.3, "max_bumps": 3}
    settings = rpc_settings(unruly_chain, batch_max_leaves=2, batch_max_age_s=0, fees=fees)
    env = {ENV_PRIVATE_KEY: anvil_key(0)}
    monkeypatch.setenv(ENV_PRIVATE_KEY, env[ENV_PRIVATE_KEY])
    points = [*POINTS, "bumped", "reorged"]
    acked, outcomes = crash_campaign(tmp_path, settings, env, points, rounds=1, randoms=5, seed=7)
    assert all(outcomes[f"fired:{point}"] == 1 for point in POINTS), outcomes
    print(f"anvil crash campaign: {dict(outcomes)}")  # bumped/reorged fire when the chain obliges
    assert_consistent(tmp_path, settings, acked, unruly_chain.url)
