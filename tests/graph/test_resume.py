"""Kill a run mid-way (SIGKILL) and resume the thread: it continues from the last checkpoint."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from qsm.graph import Runtime, load_result, resume
from qsm.settings import load_settings


def _config(tmp: Path, delay: float) -> Path:
    cfg = tmp / "qsm.toml"
    cfg.write_text(
        f'data_dir = "{tmp / "data"}"\n[defaults.model]\nbackend = "fake"\nfake_delay_s = {delay}\n'
        f'fake_log = "{tmp / "calls.jsonl"}"\n'
        # the team's LLM path, so that every step is a model call the test can watch and kill
        '[runtime]\nrouter = "llm"\ntools = false\nref_judge = "checks+model"\n[memory]\nembedder = "hashing"\n'
    )
    return cfg


def _calls(tmp: Path) -> list[dict]:
    log = tmp / "calls.jsonl"
    return [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []


def _wait_for(predicate, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError("condition not reached")
        time.sleep(0.05)


@pytest.mark.slow
def test_sigkill_mid_run_then_resume_continues_from_checkpoint(tmp_path: Path) -> None:
    cfg = _config(tmp_path, delay=1.5)
    cmd = [
        sys.executable,
        "-m",
        "qsm.cli",
        "--config",
        str(cfg),
        "ask",
        "What is 2+2?",
        "--thread",
        "t-kill",
    ]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env={**os.environ})
    try:
        _wait_for(lambda: len(_calls(tmp_path)) >= 2)  # QSM planned, SOM budgeted; WeQ is drafting now
        time.sleep(0.5)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == -signal.SIGKILL
    before = _calls(tmp_path)
    assert [c["agent"] for c in before] == ["QSM", "SOM"]

    settings = load_settings(cfg)
    with Runtime(settings) as rt:
        assert rt.runs.thread("t-kill").status == "running"  # killed: never marked finished
        result = resume("t-kill", runtime=rt)
        assert rt.runs.thread("t-kill").status == "ok"
    agents = [c["agent"] for c in _calls(tmp_path)]
    assert agents == ["QSM", "SOM", "WeQ", "Ref"], "plan and budget must not run again after resume"
    assert result.status == "ok" and result.final_id
    kinds = [e.type for e in result.trace]
    assert kinds.count("Plan") == 1 and kinds.count("Budget") == 1 and kinds.count("Draft") == 1

    out = subprocess.run(
        [sys.executable, "-m", "qsm.cli", "--config", str(cfg), "resume", "t-kill"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0 and "Final answer" in out.stdout  # finished threads just report their answer
    assert len(_calls(tmp_path)) == 4


# Issue 17 item 10: a run killed right after its question was recorded resumes, and a resumed run keeps
# its own fan-out and budget.
def _options_config(tmp: Path) -> Path:
    cfg = tmp / "qsm.toml"
    cfg.write_text(
        f'data_dir = "{tmp / "data"}"\n[defaults.model]\nbackend = "fake"\n[memory]\nembedder = "hashing"\n'
    )
    return cfg


def _killed_at(point: str, cfg: Path, *args: str) -> None:
    child = Path(__file__).with_name("kill_child.py")
    proc = subprocess.run(
        [sys.executable, str(child), "--config", str(cfg), *args],
        env={**os.environ, "KILL_AT": point},
        capture_output=True,
        timeout=120,
    )
    assert proc.returncode == -signal.SIGKILL, proc.stderr.decode()


def _resume_json(cfg: Path, thread: str, *flags: str) -> dict:
    out = subprocess.run(
        [sys.executable, "-m", "qsm.cli", "--config", str(cfg), "resume", thread, "--json", *flags],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stdout + out.stderr
    return json.loads(out.stdout)


RUN_FLAGS = ("--fan-out", "2", "--budget-calls", "30", "--budget-seconds", "200")


@pytest.mark.parametrize("point", ["recorded", "input"])
def test_kill_right_after_the_question_then_resume_answers_with_the_runs_options(
    tmp_path: Path, point: str
) -> None:
    cfg = _options_config(tmp_path)
    _killed_at(point, cfg, "ask", "What is 2+2?", "--thread", "t", *RUN_FLAGS)
    with Runtime(load_settings(cfg)) as rt:
        info = rt.runs.thread("t")
        assert info.status == "running" and info.options["runtime"]["fan_out"] == 2
        assert (rt.runs.last_checkpoint("t") is None) == (point == "recorded")

    result = _resume_json(cfg, "t")  # no flags: the run's own fan-out and budget
    assert result["status"] == "ok" and "4" in result["final"]["text"]
    assert result["final"]["candidates"] == 2, "resume kept --fan-out 2"
    unkilled = subprocess.run(
        [sys.executable, "-m", "qsm.cli", "--config", str(cfg), "ask", "What is 2+2?", "--json", *RUN_FLAGS],
        capture_output=True,
        timeout=120,
    )
    budget = ("budget_tokens", "budget_calls", "budget_seconds")
    expected = {k: json.loads(unkilled.stdout)["cost"][k] for k in budget}
    assert {k: result["cost"][k] for k in budget} == expected and expected["budget_calls"] == 30
    kinds = [e["type"] for e in result["trace"]]
    assert kinds.count("UserRequest") == 1 and kinds.count("Plan") == 1 and kinds.count("FinalAnswer") == 2


def test_a_second_turn_killed_after_its_question_resumes_that_question(tmp_path: Path) -> None:
    cfg = _options_config(tmp_path)
    first = subprocess.run(
        [sys.executable, "-m", "qsm.cli", "--config", str(cfg), "ask", "What is 2+2?", "--thread", "t"],
        capture_output=True,
        timeout=120,
    )
    assert first.returncode == 0
    _killed_at("recorded", cfg, "ask", "What is 3+3?", "--thread", "t", "--fan-out", "3")
    with Runtime(load_settings(cfg)) as rt:
        shown, _ = load_result("t", rt)
        assert shown.status == "running" and shown.final is None, "not the first turn's answer"

    result = _resume_json(cfg, "t", "--budget-calls", "9")  # an explicit flag overrides the run's own
    assert "6" in result["final"]["text"] and result["trace"][0]["payload"]["text"] == "What is 3+3?"
    assert result["final"]["candidates"] == 3 and result["cost"]["budget_calls"] == 9
    with Runtime(load_settings(cfg)) as rt:
        options = rt.runs.thread("t").options
    assert options["budget"]["calls"] == 9 and options["runtime"]["fan_out"] == 3
