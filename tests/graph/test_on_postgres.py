"""The thread, turn, conversation, time-travel, stop-and-resume and concurrency tests again, with every runtime on
PostgreSQL (those that store threads; the stop-anywhere sweep stays on SQLite to keep this short).

The tests are the SQLite ones, imported as they are; the autouse fixture points ``[runs]`` at a fresh
database on the session's server through the environment (``QSM_RUNS__*``), which the runtimes they open,
and the ``qsm`` processes they start, read."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.graph.test_conversation import (
    test_a_follow_up_sees_the_turn_before_it,
    test_conversation_asks_streams_and_lists_turns,
    test_conversation_resume_finishes_a_stopped_turn,
    test_long_history_is_summarised_by_weq_and_kept_within_budget,
)
from tests.graph.test_stop_and_resume import (
    test_a_stop_before_the_run_is_asked_leaves_nothing_half_done,
    test_a_stop_while_weq_summarises_earlier_turns_restarts_the_turn_on_resume,
)
from tests.graph.test_thread_turns import (
    test_interrupted_second_turn_resumes_its_own_state,
    test_qsm_ask_thread_continues_with_a_new_turn,
    test_second_turn_on_a_pipeline_thread_is_its_own_run,
    test_second_turn_on_a_team_thread_is_its_own_run,
)
from tests.graph.test_time_travel import (
    test_cli_history_and_bad_checkpoint,
    test_rerun_from_the_checkpoint_before_drafting,
)
from tests.postgres_fixture import postgres_server, postgres_url  # noqa: F401
from tests.reliability.test_secrets_and_concurrency import (
    test_concurrent_runs_in_threads_share_one_checkpointer,
)

__all__ = [
    "test_a_follow_up_sees_the_turn_before_it",
    "test_a_stop_before_the_run_is_asked_leaves_nothing_half_done",
    "test_a_stop_while_weq_summarises_earlier_turns_restarts_the_turn_on_resume",
    "test_cli_history_and_bad_checkpoint",
    "test_concurrent_runs_in_threads_share_one_checkpointer",
    "test_conversation_asks_streams_and_lists_turns",
    "test_conversation_resume_finishes_a_stopped_turn",
    "test_interrupted_second_turn_resumes_its_own_state",
    "test_long_history_is_summarised_by_weq_and_kept_within_budget",
    "test_qsm_ask_thread_continues_with_a_new_turn",
    "test_rerun_from_the_checkpoint_before_drafting",
    "test_second_turn_on_a_pipeline_thread_is_its_own_run",
    "test_second_turn_on_a_team_thread_is_its_own_run",
]


@pytest.fixture(autouse=True)
def _runs_on_postgres(
    postgres_url: str,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> Iterator[None]:
    monkeypatch.setenv("QSM_RUNS__BACKEND", "postgres")
    monkeypatch.setenv("QSM_RUNS__URL", postgres_url)
    yield
    assert not list(tmp_path.rglob("runs.sqlite")), "a runtime of this test kept its runs in SQLite"
