"""``python -m qsm.chain.worker``: anchor in a loop, apart from the process that records outputs.

Reads the usual qsm settings (config file, ``QSM_*`` env); ``--settings-json`` replaces the ``[ledger]``
table (used by the crash tests). Stops cleanly on SIGTERM/SIGINT; a SIGKILL loses nothing either.
"""

from __future__ import annotations

import argparse
import logging
import signal
import threading
from pathlib import Path
from types import FrameType

from qsm.chain.ledger import open_ledger
from qsm.chain.settings import LedgerSettings

__all__ = ["run_worker_cli"]


def run_worker_cli(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m qsm.chain.worker", description=__doc__)
    parser.add_argument("--data-dir", type=Path, help="qsm data dir (default: from settings)")
    parser.add_argument("--settings-json", help="LedgerSettings as JSON (default: from qsm settings)")
    parser.add_argument("--interval", type=float, default=1.0, help="seconds between ticks")
    parser.add_argument("--once", action="store_true", help="anchor everything pending once, then exit")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    if args.settings_json:
        settings = LedgerSettings.model_validate_json(args.settings_json)
        data_dir = args.data_dir
    else:
        from qsm.settings import load_settings

        loaded = load_settings()
        settings, data_dir = loaded.ledger, args.data_dir or loaded.data_dir
    if data_dir is None:
        parser.error("--data-dir is required with --settings-json")
    stop = threading.Event()

    def _stop(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    ledger = open_ledger(settings, data_dir)
    try:
        if args.once:
            ledger.anchor_now()
            return 0
        while not stop.is_set():
            ledger.tick()
            stop.wait(args.interval)
    finally:
        ledger.close()
    return 0
