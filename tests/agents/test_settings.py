from __future__ import annotations

import pytest

from qsm.errors import ConfigError
from qsm.settings import load_settings


def test_layers_file_env_overrides(tmp_path, monkeypatch) -> None:
    cfg = tmp_path / "qsm.toml"
    cfg.write_text(
        "[budget]\ntokens = 1000\ncalls = 5\n[defaults.sampling]\ntemperature = 0.5\n"
        '[agents.WeQ.sampling]\ntemperature = 0.9\n[agents.Ref]\nsystem_prompt = "Be strict."\n'
    )
    monkeypatch.setenv("QSM_BUDGET__CALLS", "7")
    s = load_settings(cfg, overrides={"runtime": {"fan_out": 3}})
    assert (s.budget.tokens, s.budget.calls, s.runtime.fan_out) == (1000, 7, 3)
    assert s.agent("weq").sampling.temperature == 0.9
    assert s.agent("QSM").sampling.temperature == 0.5
    assert s.agent("Ref").system_prompt == "Be strict."


def test_cwd_config_is_found(tmp_path) -> None:
    (tmp_path / "qsm.toml").write_text("[runtime]\nrepair_limit = 3\n")
    assert load_settings().runtime.repair_limit == 3


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("[budget\ntokens = 1", "not valid TOML"),
        ("[budget]\ntokens = -5", "budget.tokens"),
        ("[agents.WeQ.sampling]\ntemperature = 9", "agents.WeQ"),
        ("[defaults.model]\nbackend = 'gpu'", "defaults.model.backend"),
        ("surprise = 1", "surprise"),
    ],
)
def test_bad_config_names_file_and_field(tmp_path, text: str, fragment: str) -> None:
    cfg = tmp_path / "bad.toml"
    cfg.write_text(text)
    with pytest.raises(ConfigError) as info:
        load_settings(cfg)
    assert fragment in info.value.message and info.value.exit_code == 2


def test_missing_config_file_is_clear(tmp_path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        load_settings(tmp_path / "absent.toml")
