"""`qsm trace THREAD` and `qsm graph --thread THREAD` show a past run's channel messages (both read the
thread through qsm.graph.load_result)."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from qsm.cli import cli


def _invoke(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args))
    assert "Traceback" not in result.output, result.output
    return result.exit_code, result.output


def _asked(tmp_path: Path) -> Path:
    cfg = tmp_path / "fake.toml"
    cfg.write_text(
        f'data_dir = "{tmp_path / "d"}"\n[defaults.model]\nbackend = "fake"\n'
        "[memory]\nenabled = false\n[ledger]\nenabled = false\n"
    )
    code, out = _invoke("--config", str(cfg), "ask", "What is 2+2?", "--thread", "t-view")
    assert code == 0, out
    return cfg


def test_trace_lists_every_channel_message_of_a_thread(tmp_path: Path) -> None:
    cfg = _asked(tmp_path)
    code, out = _invoke("--config", str(cfg), "trace", "t-view")
    assert code == 0, out
    lines = out.strip().splitlines()
    assert lines[0].split()[:4] == ["user", "->", "QSM", "UserRequest"], lines[0]
    assert any(" FinalAnswer " in line and line.split()[2] == "user" for line in lines), out
    assert all("parents:" in line for line in lines)


def test_graph_of_a_thread_is_its_message_dag(tmp_path: Path) -> None:
    cfg = _asked(tmp_path)
    code, out = _invoke("--config", str(cfg), "graph", "--thread", "t-view", "--format", "json")
    assert code == 0, out
    dag = json.loads(out)
    ids = {node["id"] for node in dag["nodes"]}
    assert ids and all(a in ids and b in ids for a, b in dag["edges"])
    _, trace = _invoke("--config", str(cfg), "trace", "t-view")
    assert ids == {line.split()[4] for line in trace.strip().splitlines()}


def test_unknown_thread_is_a_clear_error(tmp_path: Path) -> None:
    cfg = _asked(tmp_path)
    for args in (["trace", "nope"], ["graph", "--thread", "nope"]):
        code, out = _invoke("--config", str(cfg), *args)
        assert code != 0 and "no thread 'nope'" in out and "qsm threads" in out, out
