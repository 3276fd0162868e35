"""Tests of qsm.evals: the public team set and its scorer."""
