"""qsm command line: ``qsm ask|run|resume|threads|graph|agents|memory|ledger|ui|bench``."""

from qsm.cli.main import cli, main

__all__ = ["cli", "main"]
