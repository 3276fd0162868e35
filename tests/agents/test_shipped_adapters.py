"""Which adapter each agent runs: the shipped role adapter on the bundled base by default, a custom one when
configured, none when turned off or on another base; every shipped adapter has its card and fits 12 MB."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from qsm.agents import bundled_model_path
from qsm.agents.settings import ModelSettings
from qsm.agents.shipped import SHIPPED_ROLES, resolve_adapter, shipped_adapter_path, shipped_dir
from qsm.errors import ConfigError
from qsm.settings import load_settings

MAX_BYTES = 12 * 1024 * 1024


@pytest.mark.parametrize("role", SHIPPED_ROLES)
def test_a_fresh_install_serves_each_role_its_shipped_adapter(role: str) -> None:
    settings = load_settings()  # no config file, no env: a fresh install's defaults
    choice = resolve_adapter(role, settings.agent(role).model)
    assert choice.source == "shipped"
    assert choice.path == shipped_dir() / role.lower() / "adapter.gguf" == shipped_adapter_path(role.lower())
    explicit = ModelSettings(path=bundled_model_path())  # the bundled file named explicitly is the same base
    assert resolve_adapter(role, explicit).path == choice.path


@pytest.mark.parametrize("role", SHIPPED_ROLES)
def test_every_shipped_adapter_has_a_card_and_fits_the_size_limit(role: str) -> None:
    folder = shipped_dir() / role.lower()
    adapter = folder / "adapter.gguf"
    assert adapter.read_bytes()[:4] == b"GGUF"
    assert 100_000 < adapter.stat().st_size <= MAX_BYTES
    card = (folder / "CARD.md").read_text(encoding="utf-8")
    for section in ("## Data", "## Training", "## Held-out evaluation", "## Reproduce", "qsm train lora"):
        assert section in card, (role, section)
    meta = json.loads((folder / "card.json").read_text(encoding="utf-8"))
    assert meta["role"] == role and meta["adapter_bytes"] == adapter.stat().st_size
    assert meta["training"]["seed"] == 0 and meta["training"]["threads"] == 1
    assert meta["data"]["splits"]["test"] > 0 and meta["data"]["seed"] == 7
    base, tuned = meta["eval"]["base"], meta["eval"]["adapter"]
    assert tuned["format_valid"] > base["format_valid"], "the card records what the adapter gains"


def test_shipped_adapters_can_be_turned_off(tmp_path: Path) -> None:
    cfg = tmp_path / "qsm.toml"
    cfg.write_text("[defaults.model]\nshipped_adapter = false\n")
    settings = load_settings(cfg)
    for role in SHIPPED_ROLES:
        choice = resolve_adapter(role, settings.agent(role).model)
        assert (choice.source, choice.path) == ("none", None)
        assert "shipped_adapter = false" in choice.reason


def test_env_var_turns_one_agent_off(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QSM_AGENTS__REF__MODEL__SHIPPED_ADAPTER", "false")
    settings = load_settings()
    assert resolve_adapter("Ref", settings.agent("Ref").model).source == "none"
    assert resolve_adapter("WeQ", settings.agent("WeQ").model).source == "shipped"


def test_a_custom_adapter_replaces_the_shipped_one(tmp_path: Path) -> None:
    mine = tmp_path / "my-weq.gguf"
    cfg = tmp_path / "qsm.toml"
    cfg.write_text(f'[agents.WeQ.model]\nadapter = "{mine}"\n')
    settings = load_settings(cfg)
    choice = resolve_adapter("WeQ", settings.agent("WeQ").model)
    assert (choice.source, choice.path) == ("custom", mine)
    assert resolve_adapter("QSM", settings.agent("QSM").model).source == "shipped"


def test_another_base_never_gets_a_shipped_adapter(tmp_path: Path) -> None:
    other = tmp_path / "qwen.gguf"
    other.write_bytes(b"GGUF" + bytes(16))
    choice = resolve_adapter("WeQ", ModelSettings(path=other))
    assert choice.source == "none" and "not the bundled model" in choice.reason
    custom = tmp_path / "qwen-lora.gguf"
    assert resolve_adapter("WeQ", ModelSettings(path=other, adapter=custom)).path == custom


def test_other_backends_and_names_get_none_and_a_role_can_be_named() -> None:
    assert resolve_adapter("WeQ", ModelSettings(backend="fake")).source == "none"
    assert resolve_adapter("Critic", ModelSettings()).source == "none"
    named = resolve_adapter("Critic", ModelSettings(shipped_adapter="Ref"))
    assert named.source == "shipped" and named.path == shipped_adapter_path("Ref")


def test_a_bad_shipped_adapter_value_is_a_clear_config_error(tmp_path: Path) -> None:
    cfg = tmp_path / "qsm.toml"
    cfg.write_text('[agents.WeQ.model]\nshipped_adapter = "Critic"\n')
    with pytest.raises(ConfigError, match="shipped_adapter"):
        load_settings(cfg)
