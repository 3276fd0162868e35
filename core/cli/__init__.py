"""qsm command line."""
