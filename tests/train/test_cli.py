"""`qsm train` and `qsm eval` through click: files written, errors with hints and exit codes, no tracebacks."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from qsm.cli import train_cmds
from qsm.cli.main import cli
from qsm.train import TRAIN_EXTRA_HINT, TrainingError, llama_tools_dir, read_examples
from tests.train.helpers import needs_train_extra


def _run(tmp_path: Path, *args: str) -> Result:
    return CliRunner().invoke(cli, ["--data-dir", str(tmp_path / "data"), *args], catch_exceptions=False)


def test_data_builds_the_chosen_roles(tmp_path: Path) -> None:
    result = _run(tmp_path, "train", "data", "--role", "qsm,ref", "--examples", "40", "--seed", "4")
    assert result.exit_code == 0, result.output
    root = tmp_path / "data" / "train" / "data"
    assert sorted(p.name for p in root.iterdir()) == ["QSM", "Ref"]
    assert "QSM: {'train'" in result.output and "CARD.md" in result.output
    assert sum(len(read_examples(root / "QSM" / f"{s}.jsonl")) for s in ("train", "val", "test")) == 40
    again = _run(tmp_path, "train", "data", "--role", "QSM")
    assert "exists" in again.output and "--force" in again.output


def test_bad_input_is_an_error_with_a_hint(tmp_path: Path) -> None:
    bad_role = _run(tmp_path, "train", "data", "--role", "Boss")
    assert bad_role.exit_code == TrainingError.exit_code
    assert "unknown role 'Boss'" in bad_role.output and "QSM, WeQ, SOM, Ref" in bad_role.output
    two_teachers = _run(
        tmp_path, "train", "data", "--teacher-url", "http://x/v1", "--teacher-model", "m.gguf"
    )
    assert two_teachers.exit_code == TrainingError.exit_code and "choose one teacher" in two_teachers.output
    bad_value = _run(tmp_path, "train", "data", "--examples", "3")
    assert bad_value.exit_code == 2 and "examples_per_role" in bad_value.output
    assert "Traceback" not in bad_role.output + two_teachers.output + bad_value.output


def test_eval_and_config_need_exported_adapters(tmp_path: Path) -> None:
    _run(tmp_path, "train", "data", "--role", "SOM", "--examples", "30")
    result = _run(tmp_path, "eval", "--role", "SOM", "--json")
    assert result.exit_code == TrainingError.exit_code
    assert "no GGUF adapter for SOM" in result.output and "qsm train lora" in result.output
    config = _run(tmp_path, "train", "config")
    assert config.exit_code == TrainingError.exit_code and "no exported adapters" in config.output


def test_lora_without_the_train_extra_names_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def missing() -> None:
        raise TrainingError("training needs torch, which is not installed", hint=TRAIN_EXTRA_HINT)

    monkeypatch.setattr(train_cmds, "require_train_extra", missing)
    result = _run(tmp_path, "train", "lora", "--role", "all")
    assert result.exit_code == TrainingError.exit_code
    assert "[train]" in result.output and "torch==2.13.0" in result.output


def test_teacher_agent_comes_from_the_config_file(tmp_path: Path) -> None:
    replies = [json.dumps({"decision": "accept", "confidence": "high", "reasons": ["fine"]})] * 3
    config = tmp_path / "qsm.toml"
    config.write_text(f"[agents.Teacher.model]\nbackend = 'fake'\nfake_replies = {json.dumps(replies)}\n")
    result = CliRunner().invoke(
        cli,
        [
            *("--config", str(config), "--data-dir", str(tmp_path / "d"), "train", "data", "--role", "Ref"),
            *(
                "--examples",
                "40",
                "--teacher-agent",
                "Teacher",
                "--teacher-tasks",
                "3",
                "--teacher-samples",
                "1",
            ),
        ],
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.output
    stats = json.loads((tmp_path / "d" / "train" / "data" / "Ref" / "stats.json").read_text())
    assert stats["teacher"] == "fake (scripted replies)" and stats["teacher_stats"]["replies"] == 3


def test_train_table_of_the_config_file_sets_defaults_and_flags_win(tmp_path: Path) -> None:
    config = tmp_path / "qsm.toml"
    config.write_text(
        f"[train]\ndir = {json.dumps(str(tmp_path / 'mine'))}\n[train.data]\nexamples_per_role = 30\n"
    )
    base = ("--config", str(config), "--data-dir", str(tmp_path / "d"), "train", "data", "--role", "SOM")
    result = CliRunner().invoke(cli, list(base), catch_exceptions=False)
    assert result.exit_code == 0, result.output
    stats = json.loads((tmp_path / "mine" / "data" / "SOM" / "stats.json").read_text())
    assert sum(stats["splits"].values()) == 30
    again = CliRunner().invoke(cli, [*base, "--examples", "36", "--force"], catch_exceptions=False)
    assert again.exit_code == 0, again.output
    stats = json.loads((tmp_path / "mine" / "data" / "SOM" / "stats.json").read_text())
    assert sum(stats["splits"].values()) == 36
    bad = tmp_path / "bad.toml"
    bad.write_text("[train.lora]\nrank = 0\n")
    refused = CliRunner().invoke(cli, ["--config", str(bad), "train", "config"], catch_exceptions=False)
    assert refused.exit_code != 0 and "rank" in refused.output and "Traceback" not in refused.output


@pytest.mark.slow
@pytest.mark.real_model
@needs_train_extra
def test_user_path_data_lora_eval_config_then_the_agent_serves_it(tmp_path: Path) -> None:
    """The commands a user types, in order, on a tiny budget: the adapter lands where `qsm train config`
    says, and a config built from those lines makes `qsm agents` serve it on the shared base."""
    try:
        llama_tools_dir()
    except TrainingError as exc:
        pytest.skip(f"llama.cpp converters not installed: {exc}")
    data = _run(tmp_path, "train", "data", "--role", "Ref", "--examples", "40")
    assert data.exit_code == 0, data.output
    lora = _run(
        tmp_path,
        *("train", "lora", "--role", "Ref", "--max-steps", "2", "--batch-size", "2", "--rank", "4"),
        "--threads",
        "2",
    )
    assert lora.exit_code == 0, lora.output
    gguf = tmp_path / "data" / "train" / "adapters" / "ref-lora.gguf"
    assert gguf.read_bytes()[:4] == b"GGUF" and "[agents.Ref.model]" in lora.output
    evaluated = _run(tmp_path, "eval", "--role", "Ref", "--limit", "2", "--max-tokens", "24", "--json")
    assert evaluated.exit_code == 0, evaluated.output
    report = json.loads(evaluated.output)
    ref = report["roles"]["Ref"]
    assert ref["examples"] == 2 and set(ref["base"]) >= {"format_valid", "tasks"}
    on_disk = json.loads((tmp_path / "data" / "train" / "eval.json").read_text())
    assert on_disk["roles"]["Ref"]["base"]["tasks"] == ref["base"]["tasks"]
    lines = _run(tmp_path, "train", "config")
    assert lines.exit_code == 0 and str(gguf) in lines.output
    config = tmp_path / "qsm.toml"
    config.write_text(lines.output)
    agents = CliRunner().invoke(cli, ["--config", str(config), "agents"], catch_exceptions=False)
    assert agents.exit_code == 0 and f"adapter custom: {gguf}" in agents.output
