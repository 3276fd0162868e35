"""The app under Streamlit's AppTest on the fake model (and hashed-word memory, no model to load)."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from qsm.ui import APP_PATH


@pytest.fixture
def app(monkeypatch: pytest.MonkeyPatch) -> AppTest:
    monkeypatch.setenv("QSM_DEFAULTS__MODEL__BACKEND", "fake")
    monkeypatch.setenv("QSM_MEMORY__EMBEDDER", "hashing")
    at = AppTest.from_file(str(APP_PATH), default_timeout=120)
    at.run()
    assert not at.exception, at.exception
    return at
