"""Many threads recording while a background ticker anchors; two ledgers (as two processes would) on one
data dir; back-off after chain errors; the standalone worker process."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from qsm.chain import Ledger, LedgerSettings
from qsm.chain.anvil import _free_port as free_port
from qsm.ids import content_id
from tests.chain.conftest import REPO, cids, embedded_settings


def test_threads_record_while_the_background_ticker_anchors(tmp_path: Path) -> None:
    settings = embedded_settings(batch_max_leaves=16, batch_max_age_s=0.05)
    with Ledger(settings, tmp_path) as ledger:
        ledger.start_background(interval_s=0.02)
        errors: list[BaseException] = []

        def producer(worker: int) -> None:
            try:
                for i in range(25):
                    ledger.record(content_id("final", {"worker": worker, "i": i}))
                    assert ledger.tick().error is None  # concurrent ticks from callers are harmless
            except BaseException as exc:  # pragma: no cover - reported below
                errors.append(exc)

        threads = [threading.Thread(target=producer, args=(w,)) for w in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert errors == []
        deadline = time.monotonic() + 30
        while ledger.status().outputs != {"batched": 200} or set(ledger.status().batches) != {"final"}:
            assert time.monotonic() < deadline, ledger.status()
            time.sleep(0.05)
        ledger.stop_background()
        batches = ledger.batches(limit=1000)
        assert sum(b.leaf_count for b in batches) == 200 and len({b.root for b in batches}) == len(batches)


def test_two_ledgers_on_one_data_dir_take_turns(tmp_path: Path) -> None:
    settings = embedded_settings()
    first, second = Ledger(settings, tmp_path), Ledger(settings, tmp_path)
    try:
        second.record(cids(1, "second-early")[0])
        assert second.tick().skipped == "idle"
        for cid in cids(3, "first"):
            first.record(cid)
        first.anchor_now()  # seals the second's output too: one outbox
        assert first.status().outputs == {"batched": 4}
        second.record(cids(1, "second-late")[0])
        (batch,) = [b for b in second.anchor_now() if b.leaf_count == 1]  # replays first's txs, then anchors
        assert batch.state == "final" and batch.nonce == 2
        first.record(cids(1, "first-late")[0])
        assert first.anchor_now()[-1].nonce == 3  # and back: no nonce clash either way
        assert second.verify(first.proof(cids(1, "first-late")[0])).ok
    finally:
        first.close()
        second.close()


def test_chain_errors_back_off_instead_of_blocking_every_tick(tmp_path: Path) -> None:
    url = f"http://127.0.0.1:{free_port()}"
    settings = LedgerSettings(backend="rpc", rpc_url=url, batch_max_age_s=0, poll_interval_s=0)
    with Ledger(settings, tmp_path) as ledger:
        ledger.record(cids(1, "backoff")[0])
        first = ledger.tick()
        assert first.error and "cannot reach" in first.error
        again = ledger.tick()
        assert again.skipped and again.skipped.startswith("waiting") and again.error == first.error
        ledger._retry_at = 0  # as if the back-off had passed
        assert ledger.tick().error == first.error and ledger._backoff_s == 2.0


@pytest.mark.slow
def test_standalone_worker_process_anchors_what_others_recorded(tmp_path: Path) -> None:
    settings = embedded_settings()
    with Ledger(settings, tmp_path) as ledger:
        for cid in cids(5, "standalone"):
            ledger.record(cid)
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "qsm.chain",
            "--data-dir",
            str(tmp_path),
            "--settings-json",
            settings.model_dump_json(),
            "--once",
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    with Ledger(settings, tmp_path) as ledger:
        assert ledger.status().batches == {"final": 1}
        assert ledger.verify(ledger.proof(cids(5, "standalone")[4])).ok
