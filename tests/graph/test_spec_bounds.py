"""Workflow specs and config files are bounded: a YAML alias bomb, deep nesting or an oversize file is
refused at once with a clear error; what qsm writes as YAML never uses aliases."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from qsm.cli import cli
from qsm.errors import ConfigError, SpecError
from qsm.graph import Workflow
from qsm.graph.spec_yaml import MAX_SPEC_BYTES, MAX_SPEC_DEPTH, dump_spec_yaml, parse_spec_yaml
from qsm.settings import MAX_CONFIG_BYTES, load_settings

TAIL = "name: bomb\nagents: {w: {role: communicator}}\nchannels: ['user -> w: UserRequest', 'w -> user: Draft']\n"


def billion_laughs(levels: int = 9) -> str:
    """Nine levels of nine aliases: 9**9 (387 million) strings once expanded, from under 1 KB."""
    lines = ['l0: &l0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for i in range(1, levels):
        lines.append(f"l{i}: &l{i} [" + ",".join([f"*l{i - 1}"] * 9) + "]")
    return "\n".join(lines) + "\n" + TAIL


def test_billion_laughs_is_refused_at_once_with_a_clear_error(tmp_path: Path) -> None:
    spec = tmp_path / "bomb.yaml"
    spec.write_text(billion_laughs())
    assert spec.stat().st_size < 1024
    started = time.perf_counter()
    with pytest.raises(SpecError) as info:
        Workflow.from_yaml(spec)
    assert time.perf_counter() - started < 5  # measured well under 1 s; the bound leaves room for a busy CI
    assert "YAML alias (*l0, line 2)" in info.value.message and "anchors and aliases" in info.value.message
    assert "&name / *name" in info.value.hint
    result = CliRunner().invoke(cli, ["run", str(spec), "hi"])
    assert result.exit_code == 2 and "YAML alias" in result.output and "Traceback" not in result.output


def test_merge_keys_and_single_aliases_are_refused_too() -> None:
    text = "base: &b {role: communicator}\nname: m\nagents: {w: {<<: *b}}\nchannels: []\n"
    with pytest.raises(SpecError, match=r"YAML alias \(\*b, line 3\)"):
        Workflow.from_yaml(text)


def test_deep_nesting_is_refused_not_a_recursion_error() -> None:
    deep = "[" * 50_000 + "]" * 50_000
    with pytest.raises(SpecError, match=f"nested more than {MAX_SPEC_DEPTH} levels"):
        parse_spec_yaml(deep, "<yaml>")
    assert parse_spec_yaml("[" * 10 + "]" * 10, "<yaml>") == [[[[[[[[[[]]]]]]]]]]


def test_oversize_spec_is_refused_before_parsing(tmp_path: Path) -> None:
    spec = tmp_path / "big.yaml"
    spec.write_text(TAIL + "description: '" + "x" * MAX_SPEC_BYTES + "'\n")
    with pytest.raises(SpecError, match="larger than 256 KB"):
        Workflow.from_yaml(spec)
    with pytest.raises(SpecError, match="larger than 256 KB"):
        Workflow.from_yaml(spec.read_text())


def test_binary_spec_file_is_a_clear_error(tmp_path: Path) -> None:
    spec = tmp_path / "bin.yaml"
    spec.write_bytes(b"\xff\xfe\x00bad")
    with pytest.raises(SpecError, match="is not UTF-8 text"):
        Workflow.from_yaml(spec)


def test_oversize_config_file_is_refused(tmp_path: Path) -> None:
    cfg = tmp_path / "qsm.toml"
    cfg.write_text("# padding\n" * (MAX_CONFIG_BYTES // 10 + 1) + "[runtime]\nfan_out = 2\n")
    with pytest.raises(ConfigError, match="larger than 256 KB"):
        load_settings(cfg)
    result = CliRunner().invoke(cli, ["--config", str(cfg), "ask", "hi"])
    assert result.exit_code == 2 and "larger than 256 KB" in result.output


def test_written_yaml_never_uses_aliases_and_reads_back() -> None:
    shared = {"sampling": {"temperature": 0.2}}
    text = dump_spec_yaml({"a": shared, "b": shared, "list": [shared, shared]})
    assert "&" not in text and "*" not in text
    assert parse_spec_yaml(text, "<yaml>")["list"][1] == shared
    workflow = Workflow.default()
    assert Workflow.from_yaml(workflow.to_yaml()) == workflow
