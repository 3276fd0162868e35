"""Pipeline steps with the fake trainer, the served-adapter config lines, and the export preconditions."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from qsm.settings import load_settings
from qsm.train import (
    DataSettings,
    FakeTrainer,
    Trainer,
    TrainingError,
    TrainLayout,
    TrainSettings,
    adapter_config_lines,
    export_adapter,
    layout_for,
    llama_tools_dir,
    make_datasets,
    read_examples,
    read_report,
    train_roles,
)
from qsm.train.dataset import load_split
from qsm.train.pipeline import spread


def test_train_roles_feeds_each_role_its_own_splits(tmp_path: Path) -> None:
    layout = TrainLayout(tmp_path)
    make_datasets(["WeQ", "Ref"], TrainSettings(data=DataSettings(examples_per_role=50)), layout)
    trainer = FakeTrainer()
    assert isinstance(trainer, Trainer)
    reports = train_roles(["WeQ", "Ref"], layout, trainer)
    assert [c[0] for c in trainer.calls] == ["WeQ", "Ref"]
    for role, train, val, out in trainer.calls:
        assert {e.role for e in train} == {role} and {e.role for e in val} == {role}
        assert out == layout.adapter(role) and (out / "adapter_config.json").is_file()
        assert read_report(out) == reports[role] and reports[role].examples == len(train)
    test_prompts = {e.messages[-1]["content"] for e in read_examples(layout.split("WeQ", "test"))}
    trained = {e.messages[-1]["content"] for e in trainer.calls[0][1]}
    assert test_prompts and not test_prompts & trained, "the held-out set is never trained on"


def test_config_lines_serve_each_exported_adapter(tmp_path: Path) -> None:
    layout = layout_for(TrainSettings(), tmp_path / "data dir")
    assert layout.root == tmp_path / "data dir" / "train"
    for role in ("QSM", "Ref"):
        layout.adapter_gguf(role).parent.mkdir(parents=True, exist_ok=True)
        layout.adapter_gguf(role).write_bytes(b"GGUF")
    lines = adapter_config_lines(layout, ["QSM", "WeQ", "SOM", "Ref"])
    assert set(tomllib.loads(lines)["agents"]) == {"QSM", "Ref"}, "only exported adapters are listed"
    config = tmp_path / "qsm.toml"
    config.write_text(lines)
    settings = load_settings(config)
    assert settings.agent("Ref").model.adapter == layout.adapter_gguf("Ref")
    assert settings.agent("WeQ").model.adapter is None
    assert settings.agent("QSM").model.path is None, "the adapters ride on the shared (default) base"


def test_missing_llama_tools_say_how_to_fetch_them(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QSM_LLAMA_TOOLS", str(tmp_path / "nowhere"))
    with pytest.raises(TrainingError, match=r"convert_lora_to_gguf\.py") as err:
        llama_tools_dir()
    assert "scripts/fetch_llama_tools.sh" in err.value.hint
    (tmp_path / "tools").mkdir()
    for name in ("convert_lora_to_gguf.py", "convert_hf_to_gguf.py"):
        (tmp_path / "tools" / name).write_text("")
    monkeypatch.setenv("QSM_LLAMA_TOOLS", str(tmp_path / "tools"))
    assert llama_tools_dir() == tmp_path / "tools"


def test_export_refuses_an_adapter_without_weights(tmp_path: Path) -> None:
    pytest.importorskip("peft", reason="needs the [train] extra (torch, transformers, peft)")
    layout = TrainLayout(tmp_path)
    with pytest.raises(TrainingError, match="no trained adapter"):
        export_adapter(
            layout.adapter("SOM"), layout.adapter_gguf("SOM"), base=None, base_config_dir=layout.base_config
        )
    FakeTrainer().train("SOM", [], [], layout.adapter("SOM"))
    with pytest.raises(TrainingError, match="no weights"):
        export_adapter(
            layout.adapter("SOM"), layout.adapter_gguf("SOM"), base=None, base_config_dir=layout.base_config
        )
    assert not layout.adapter_gguf("SOM").exists()


def test_eval_limit_spreads_over_every_task_and_category(tmp_path: Path) -> None:
    layout = TrainLayout(tmp_path)
    make_datasets(["QSM"], TrainSettings(data=DataSettings(examples_per_role=300)), layout)
    test = load_split(layout, "QSM", "test")
    picked = spread(test, 20)
    assert len(picked) == 20 == len({e.id for e in picked})
    assert {e.task for e in picked} == {e.task for e in test}, "a prefix would hold only QSM.merge"
    assert len({e.category for e in picked}) >= 8
    assert spread(test, None) == test == spread(test, 10_000)
