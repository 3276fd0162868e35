"""Gas of one anchor transaction on the embedded chain (eth-tester): at most 50k, first anchor included,
whatever the batch size (the registry writes one storage slot per root)."""

from __future__ import annotations

from pathlib import Path

from qsm.chain import Ledger
from tests.chain.conftest import cids, embedded_settings

GAS_PER_ANCHOR_MAX = 50_000


def test_one_anchor_costs_at_most_50k_gas(tmp_path: Path) -> None:
    with Ledger(embedded_settings(batch_max_leaves=1000), tmp_path) as ledger:
        gas = []
        for n in (1, 1, 300):
            for cid in cids(n, f"gas{len(gas)}"):
                ledger.record(cid)
            batch = ledger.anchor_now()[-1]
            receipt = ledger._worker.session().client.receipt(bytes.fromhex(batch.tx_hash[2:]))
            assert receipt is not None and receipt.status == 1
            gas.append(receipt.gas_used)
    assert max(gas) <= GAS_PER_ANCHOR_MAX, gas
    assert max(gas) - min(gas) < 100  # independent of the batch size and of being the first anchor
