"""Secrets never reach logs, errors, reprs or files; many runs share one SQLite checkpointer safely."""

from __future__ import annotations

import logging
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from click.testing import CliRunner

from qsm.agents import ModelRequest, OpenAIChatModel, Sampling
from qsm.agents.settings import ModelSettings
from qsm.cli import cli
from qsm.errors import ModelCallError
from qsm.graph import Runtime, Workflow, load_result, run
from tests.helpers import fake_runtime, settings

SECRET = "sk-test-0123456789abcdefSECRET"


@pytest.mark.real_model
def test_api_key_never_in_errors_reprs_logs_or_files(tmp_path: Path, monkeypatch, caplog) -> None:
    monkeypatch.setenv("MY_KEY", SECRET)
    caplog.set_level(logging.DEBUG)
    model = OpenAIChatModel(
        ModelSettings(backend="openai", url="http://127.0.0.1:9/v1", api_key_env="MY_KEY")
    )
    assert SECRET not in repr(model)
    with pytest.raises(ModelCallError) as info:
        model.complete(ModelRequest([{"role": "user", "content": "hi"}], sampling=Sampling(max_tokens=4)))
    assert SECRET not in str(info.value) and SECRET not in caplog.text
    cfg = tmp_path / "qsm.toml"
    cfg.write_text(
        f'data_dir = "{tmp_path / "d"}"\n[defaults.model]\nbackend = "openai"\n'
        'url = "http://127.0.0.1:9/v1"\napi_key_env = "MY_KEY"\n'
    )
    for args in (["agents", "--json"], ["ask", "hello"], ["threads"]):
        result = CliRunner().invoke(cli, ["--config", str(cfg), "--data-dir", str(tmp_path / "d"), *args])
        assert SECRET not in result.output
    files = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert any(p.name == "runs.sqlite" for p in files), (
        "the run store was written (so the scan means something)"
    )
    for path in files:
        assert SECRET.encode() not in path.read_bytes(), f"secret written to {path}"


def test_missing_key_env_is_a_clear_config_error(monkeypatch) -> None:
    from qsm.errors import ConfigError

    monkeypatch.delenv("ABSENT_KEY", raising=False)
    with pytest.raises(ConfigError, match="ABSENT_KEY"):
        OpenAIChatModel(
            ModelSettings(backend="openai", url="http://127.0.0.1:9/v1", api_key_env="ABSENT_KEY")
        )


def test_concurrent_runs_in_threads_share_one_checkpointer(tmp_path: Path) -> None:
    from qsm.agents import FakeChatModel

    rt = fake_runtime(tmp_path, {"*": FakeChatModel(delay_s=0.05)})
    errors: list[BaseException] = []

    def ask(i: int) -> None:
        try:
            run(Workflow.default(), f"question {i}", runtime=rt, thread_id=f"th{i}")
        except BaseException as exc:
            errors.append(exc)

    workers = [threading.Thread(target=ask, args=(i,)) for i in range(6)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    assert not errors, errors
    for i in range(6):
        result, _ = load_result(f"th{i}", rt)
        assert result.status == "ok" and f"question {i}" in result.trace[0].payload["text"]
    rt.close()


@pytest.mark.slow
def test_concurrent_processes_share_one_data_dir(tmp_path: Path) -> None:
    cfg = tmp_path / "qsm.toml"
    cfg.write_text(
        f'data_dir = "{tmp_path / "shared"}"\n[defaults.model]\nbackend = "fake"\nfake_delay_s = 0.2\n'
        '[memory]\nembedder = "hashing"\n'
    )
    procs = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "qsm.cli",
                "--config",
                str(cfg),
                "--data-dir",
                str(tmp_path / "shared"),
                "ask",
                f"q{i}",
                "--thread",
                f"p{i}",
                "--quiet",
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for i in range(4)
    ]
    outs = [p.communicate(timeout=300) for p in procs]
    failed = [
        (i, p.returncode, err[-3000:])
        for i, (p, (_, err)) in enumerate(zip(procs, outs, strict=True))
        if p.returncode
    ]
    assert not failed, failed
    with Runtime(settings(tmp_path, data_dir=str(tmp_path / "shared"))) as rt:
        assert {t.thread_id for t in rt.runs.threads()} >= {f"p{i}" for i in range(4)}
        assert all(load_result(f"p{i}", rt)[0].status == "ok" for i in range(4))
