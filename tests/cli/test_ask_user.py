"""`qsm run` on a workflow that asks the user: the CLI prompts and goes on with the answer; without input
the run waits (exit 3) and `qsm resume THREAD --answer` finishes it."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from qsm.cli import cli

SPEC = """
name: approve-draft
kind: pipeline
agents:
  writer: {role: communicator}
channels:
  - "user -> writer: UserRequest"
  - "writer -> user: Draft"
approvals:
  - {agent: writer}
"""


def _setup(tmp_path: Path) -> tuple[Path, Path]:
    cfg = tmp_path / "fake.toml"
    cfg.write_text(
        f'data_dir = "{tmp_path / "d"}"\n[defaults.model]\nbackend = "fake"\n'
        "[memory]\nenabled = false\n[ledger]\nenabled = false\n"
    )
    spec = tmp_path / "approve.yaml"
    spec.write_text(SPEC)
    return cfg, spec


def _invoke(args: list[str], stdin: str | None = None) -> tuple[int, str]:
    result = CliRunner().invoke(cli, args, input=stdin)
    assert "Traceback" not in result.output, result.output
    return result.exit_code, result.output


def test_run_prompts_for_the_answer_and_goes_on(tmp_path: Path) -> None:
    cfg, spec = _setup(tmp_path)
    code, out = _invoke(
        ["--config", str(cfg), "run", str(spec), "Name a colour.", "--thread", "t1"], "Blue, said the user\n"
    )
    assert code == 0, out
    assert "writer proposes:" in out and "Approve?" in out
    assert "answer> " in out and out.split("Final answer", 1)[1].splitlines()[1] == "Blue, said the user", out


def test_run_without_input_waits_and_resume_answers(tmp_path: Path) -> None:
    cfg, spec = _setup(tmp_path)
    code, out = _invoke(["--config", str(cfg), "run", str(spec), "Name a colour.", "--thread", "t2"], "")
    assert code == 3, out
    assert "qsm resume t2 --answer" in out
    code, out = _invoke(["--config", str(cfg), "threads"])
    assert "waiting" in out, out
    code, out = _invoke(["--config", str(cfg), "resume", "t2", "--answer", "yes", "--quiet"])
    assert code == 0, out
    assert "Name a colour." in out  # the fake writer's echo, approved as it was


def test_chat_asks_for_the_answer_and_goes_on(tmp_path: Path) -> None:
    cfg, spec = _setup(tmp_path)
    typed = "Name a colour.\nPurple, typed in the chat\n/quit\n"
    code, out = _invoke(["--config", str(cfg), "chat", "--spec", str(spec)], typed)
    assert code == 0, out
    assert "writer proposes:" in out and "answer › " in out
    assert "qsm › Purple, typed in the chat" in out, out


def test_chat_leaves_a_turn_waiting_and_resume_asks_again(tmp_path: Path) -> None:
    cfg, spec = _setup(tmp_path)
    typed = "Name a colour.\n\n/resume\nyes\n/quit\n"
    code, out = _invoke(["--config", str(cfg), "chat", "--spec", str(spec)], typed)
    assert code == 0, out
    assert "the turn waits for your answer" in out
    assert "qsm › (fake model) reply to:" in out and "nothing to resume" not in out, out
