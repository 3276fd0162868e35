"""Time travel: list a thread's checkpoints and re-run it from an earlier one as a new branch."""

from __future__ import annotations

from click.testing import CliRunner

from qsm.cli import cli
from qsm.graph import Workflow, history, resume, run
from tests.helpers import ACCEPT, fake_runtime, team_fakes


def test_rerun_from_the_checkpoint_before_drafting(tmp_path) -> None:
    fakes = team_fakes(WeQ=["first answer", "second answer"], Ref=[ACCEPT, ACCEPT])
    with fake_runtime(tmp_path, fakes) as rt:
        first = run(Workflow.default(), "What is 2+2?", runtime=rt, thread_id="tt")
        checkpoints = history("tt", rt)
        assert checkpoints[0].next == [] and len(checkpoints) >= 8
        before_dispatch = next(c for c in checkpoints if c.next == ["QSM.dispatch"])
        second = resume("tt", runtime=rt, checkpoint_id=before_dispatch.checkpoint_id)
        assert (first.text, second.text) == ("first answer", "second answer")
        assert len(fakes["QSM"].calls) == 1 and len(fakes["SOM"].calls) == 1  # plan and budget were reused
        assert len(history("tt", rt)) > len(checkpoints)  # the old branch is still there
        assert rt.runs.thread("tt").final_id == second.final_id


def test_cli_history_and_bad_checkpoint(tmp_path) -> None:
    cfg = tmp_path / "fake.toml"
    cfg.write_text(f'data_dir = "{tmp_path / "d"}"\n[defaults.model]\nbackend = "fake"\n')
    base = ["--config", str(cfg), "--data-dir", str(tmp_path / "d")]
    assert CliRunner().invoke(cli, [*base, "ask", "hi", "--thread", "h1", "--quiet"]).exit_code == 0
    out = CliRunner().invoke(cli, [*base, "history", "h1"])
    assert out.exit_code == 0 and "(done)" in out.output and "QSM.plan" in out.output
    bad = CliRunner().invoke(cli, [*base, "resume", "h1", "--from", "nope"])
    assert bad.exit_code == 1 and "no checkpoint nope" in bad.output and "Traceback" not in bad.output
