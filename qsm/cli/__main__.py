"""`python -m qsm.cli` = `qsm`."""

from qsm.cli.main import main

main()
