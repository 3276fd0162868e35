"""Fixtures of the training tests."""

from __future__ import annotations

import pytest

from qsm.train import Example, seed_examples


@pytest.fixture(scope="session")
def small_sets() -> dict[str, list[Example]]:
    """60 seed examples per role (generator seed 3)."""
    return {role: seed_examples(role, 3, 60) for role in ("QSM", "WeQ", "SOM", "Ref")}
