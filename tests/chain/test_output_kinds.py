"""With ``ledger.anchor_messages`` on, every channel message of a run is recorded as a ``message`` and the
final answer as a ``final_answer``, although the final answer is also a channel message (QSM -> user) and
reaches the ledger first as one."""

from __future__ import annotations

from pathlib import Path

import pytest

from qsm.agents import FakeChatModel, ModelPool
from qsm.chain import FakeLedger, Ledger, LedgerProtocol
from qsm.graph import Runtime, Workflow, run
from qsm.settings import load_settings
from tests.chain.conftest import embedded_settings
from tests.helpers import team_fakes


def _ledger(backend: str, data_dir: Path) -> LedgerProtocol:
    if backend == "fake":
        return FakeLedger(anchor_messages=True)
    return Ledger(embedded_settings(anchor_messages=True), data_dir)


@pytest.mark.parametrize("backend", ["embedded", "fake"])
def test_final_answer_keeps_its_kind_when_messages_are_anchored(tmp_path: Path, backend: str) -> None:
    settings = load_settings(overrides={"data_dir": str(tmp_path / "d"), "ledger": {"anchor_messages": True}})
    ledger = _ledger(backend, tmp_path / "d")
    try:
        with Runtime(settings, models=ModelPool(overrides=team_fakes()), memory=None, ledger=ledger) as rt:
            result = run(Workflow.default(), "What is 2+2?", runtime=rt)
        assert result.final_id is not None and result.receipt is not None
        assert result.receipt["kind"] == "final_answer"
        sent = [env for env in result.trace if env.source != "user"]
        assert any(env.id == result.final_id for env in sent), "the final answer is also a channel message"
        # Recording an id again is a no-op that hands back the stored receipt: the outbox row's kind.
        kinds = {env.id: ledger.record(env.id).kind for env in sent}
        assert kinds.pop(result.final_id) == "final_answer"
        assert kinds and set(kinds.values()) == {"message"}
    finally:
        ledger.close()


def test_the_ledger_in_use_decides_whether_messages_are_recorded(tmp_path: Path) -> None:
    """A ledger passed to the Runtime answers ``anchor_messages`` itself; the settings describe only the
    ledger the Runtime would open."""
    settings = load_settings(overrides={"data_dir": str(tmp_path / "d"), "ledger": {"anchor_messages": True}})
    ledger = FakeLedger(anchor_messages=False)
    with Runtime(settings, models=ModelPool(overrides=team_fakes()), memory=None, ledger=ledger) as rt:
        result = run(Workflow.default(), "What is 2+2?", runtime=rt)
    assert sum(ledger.status().outputs.values()) == 1, ledger.status()
    assert result.receipt is not None and result.receipt["content_id"] == result.final_id


PIPELINE = """
name: one-boss
kind: pipeline
agents:
  Boss: {role: coordinator}
channels:
  - "user -> Boss: UserRequest"
  - "Boss -> user: FinalAnswer"
"""


def test_only_the_runs_final_answer_is_recorded_as_one(tmp_path: Path) -> None:
    """In a pipeline an agent's FinalAnswer to the user is a channel message; the run's final answer is
    the one ``finish`` makes of what reached the user (another id)."""
    settings = load_settings(overrides={"data_dir": str(tmp_path / "d")})
    ledger = FakeLedger(anchor_messages=True)
    models = ModelPool(overrides={"Boss": FakeChatModel(["42"], auto=False)})
    with Runtime(settings, models=models, memory=None, ledger=ledger) as rt:
        result = run(Workflow.from_yaml(PIPELINE), "What is 6*7?", runtime=rt)
    assert result.text == "42" and result.receipt is not None and result.receipt["kind"] == "final_answer"
    boss_says = next(env for env in result.trace if env.source == "Boss" and env.id != result.final_id)
    assert ledger.record(boss_says.id).kind == "message"
    assert ledger.record(result.final_id or "").kind == "final_answer"
