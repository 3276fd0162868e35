"""``python -m qsm.chain``: the anchoring worker as a standalone loop, apart from the process that records.

Reads the usual qsm settings (config file, ``QSM_*`` env); ``--settings-json`` replaces the ``[ledger]``
table (the crash tests use it). Stops cleanly on SIGTERM/SIGINT; a SIGKILL loses nothing either.

This module is an entry point, like ``qsm.cli``: it may read ``qsm.settings``, which wires every domain;
nothing inside the package imports it.
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

__all__ = ["main"]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m qsm.chain",
        description="Anchor the ledger's recorded outputs in a loop, apart from the process that records them. "
        "Stops cleanly on SIGTERM/SIGINT.",
    )
    parser.add_argument("--data-dir", type=Path, help="qsm data dir (default: from settings)")
    parser.add_argument("--settings-json", help="LedgerSettings as JSON (default: from qsm settings)")
    parser.add_argument("--interval", type=float, default=1.0, help="seconds between ticks")
    parser.add_argument("--once", action="store_true", help="anchor everything pending once, then exit")
    return parser


def _settings(parser: argparse.ArgumentParser, args: argparse.Namespace) -> tuple[LedgerSettings, Path]:
    """The ledger settings and data dir: from ``--settings-json`` or from the qsm settings."""
    if args.settings_json:
        if args.data_dir is None:
            parser.error("--data-dir is required with --settings-json")
        return LedgerSettings.model_validate_json(args.settings_json), args.data_dir
    from qsm.settings import load_settings  # the entry point wires settings; read them only when asked

    loaded = load_settings()
    return loaded.ledger, args.data_dir or loaded.data_dir


def main(argv: list[str] | None = None) -> int:
    """Run the worker until SIGTERM/SIGINT (or once with ``--once``); the exit status."""
    parser = _parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    settings, data_dir = _settings(parser, args)
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


if __name__ == "__main__":
    raise SystemExit(main())
