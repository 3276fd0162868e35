"""Child process of the crash tests: records outputs (printing ``ACK <id>`` only after ``record`` returned),
ticks, anchors, and follows its batches to finality. ``QSM_LEDGER_CRASH_AT`` makes it SIGKILL itself at an
outbox state; the parent may also SIGKILL it at a random moment.

Usage: python crash_child.py DATA_DIR SETTINGS_JSON TAG COUNT
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from qsm.chain import LedgerSettings, open_ledger
from qsm.errors import LedgerError
from qsm.ids import content_id


def main() -> int:
    data_dir, settings_json, tag, count = Path(sys.argv[1]), sys.argv[2], sys.argv[3], int(sys.argv[4])
    ledger = open_ledger(LedgerSettings.model_validate_json(settings_json), data_dir)
    for i in range(count):
        cid = content_id("final", {"tag": tag, "i": i})
        ledger.record(cid)
        print(f"ACK {cid}", flush=True)
        if i % 2 == 1:
            ledger.tick()
    try:
        ledger.anchor_now(timeout_s=30)
    except LedgerError as err:
        print(f"ERR {err.message}", flush=True)
        return 3
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        ledger.tick()
        status = ledger.status()
        if set(status.batches) <= {"final"} and "pending" not in status.outputs:
            print("DONE", flush=True)
            return 0
        time.sleep(0.1)
    print("TIMEOUT", flush=True)
    return 4


if __name__ == "__main__":
    sys.exit(main())
