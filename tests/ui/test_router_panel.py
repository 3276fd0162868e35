"""The Graph inspector's Routing panel: which router decided a run, and the quantum student's circuit."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from qsm.ui import APP_PATH
from tests.ui.test_apptest import ask, texts

pytest.importorskip("pennylane")


def test_inspector_says_the_quantum_student_routed_and_draws_its_circuit(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("QSM_DEFAULTS__MODEL__BACKEND", "fake")
    monkeypatch.setenv("QSM_MEMORY__EMBEDDER", "minilm")
    monkeypatch.setenv("QSM_RUNTIME__ROUTER", "quantum")
    app = AppTest.from_file(str(APP_PATH), default_timeout=180)
    app.run()
    assert not app.exception, app.exception
    ask(app, "What is 17 + 25?")
    app.switch_page("pages/graph.py").run()
    assert not app.exception, app.exception
    shown = texts(app)
    assert "Routed to **WeQ** by the quantum student router" in shown
    assert "6 qubits, 4 entangling layers, 84 trainable parameters" in shown
    assert any("Rot(" in str(c.value) and "<Z>" in str(c.value) for c in app.code)
