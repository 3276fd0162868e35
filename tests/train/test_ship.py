"""`qsm train ship` on fakes: adapters land in role folders with CARD.md and card.json holding the data, the
training run, held-out metrics base vs adapter and the commands that reproduce them; oversize adapters and
missing evaluations are refused with what to run."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from qsm.agents import FakeChatModel
from qsm.train import DataSettings, LoraSettings, TrainingError, TrainLayout, TrainSettings, make_datasets
from qsm.train.dataset import load_split
from qsm.train.example import RoleName
from qsm.train.pipeline import run_eval
from qsm.train.ship import MAX_ADAPTER_BYTES, ship_roles
from qsm.train.trainer import TrainReport
from tests.train.helpers import gold_model

ROLES: list[RoleName] = ["WeQ", "Ref"]


def _trained(tmp_path: Path, size: int = 200_000) -> TrainLayout:
    layout = TrainLayout(tmp_path / "train")
    make_datasets(ROLES, TrainSettings(data=DataSettings(examples_per_role=60, seed=7)), layout)
    for role in ROLES:
        folder = layout.adapter(role)
        folder.mkdir(parents=True)
        settings = LoraSettings(rank=8, alpha=16, threads=1, max_steps=12).model_dump()
        TrainReport(role, str(folder), 40, 0, 12, 1, 30.0, 4000, 133.3, "cpu", "fp32", settings=settings,
                    val_loss_before=2.0, val_loss=[0.5], final_train_loss=0.4).save()  # fmt: skip
        layout.adapter_gguf(role).write_bytes(b"GGUF" + bytes(size))
    return layout


def _evaluate(layout: TrainLayout) -> None:
    def models(role: RoleName, _gguf: Path) -> tuple[FakeChatModel, FakeChatModel]:
        examples = load_split(layout, role, "test")
        rambling = FakeChatModel(auto=False)
        rambling.enqueue(*(["Well, it depends."] * 10_000))
        return rambling, gold_model(examples)

    run_eval(ROLES, layout, TrainSettings(), models=models)


def test_ship_writes_adapters_with_cards(tmp_path: Path) -> None:
    layout = _trained(tmp_path)
    _evaluate(layout)
    shipped = ship_roles(ROLES, layout, tmp_path / "adapters", base=None)
    for role in ROLES:
        folder = tmp_path / "adapters" / role.lower()
        assert shipped[role] == folder / "adapter.gguf" and shipped[role].read_bytes()[:4] == b"GGUF"
        meta = json.loads((folder / "card.json").read_text(encoding="utf-8"))
        assert meta["training"]["steps"] == 12 and meta["training"]["threads"] == 1
        assert meta["data"]["seed"] == 7 and meta["data"]["splits"]["test"] > 0
        assert meta["eval"]["adapter"]["format_valid"] == 1.0 > meta["eval"]["base"]["format_valid"]
        card = (folder / "CARD.md").read_text(encoding="utf-8")
        assert "## Held-out evaluation" in card and "0.00 → 1.00" in card
        assert f"qsm train lora --role {role} --rank 8 --alpha 16" in card and "--seed 0 --threads 1" in card
        assert "qsm train data --role all --seed 7 --examples 60" in card


def test_ship_refuses_oversize_adapters_and_missing_eval(tmp_path: Path) -> None:
    layout = _trained(tmp_path)
    with pytest.raises(TrainingError, match=r"eval\.json does not exist"):
        ship_roles(ROLES, layout, tmp_path / "adapters", base=None)
    _evaluate(layout)
    layout.adapter_gguf("Ref").write_bytes(b"GGUF" + bytes(MAX_ADAPTER_BYTES))
    with pytest.raises(TrainingError, match="over the 12 MB"):
        ship_roles(["Ref"], layout, tmp_path / "adapters", base=None)


def test_a_card_tells_how_rejection_sampled_examples_were_added(tmp_path: Path) -> None:
    layout = _trained(tmp_path)
    _evaluate(layout)
    record = {
        "settings": {
            "prompts": 160,
            "samples": 4,
            "keep": 2,
            "temperature": 0.8,
            "seed": 7,
            "model": "WeQ v1",
        },
        "counts": {"train": 70, "train_added": 10, "val": 9, "val_added": 1, "test": 12, "test_added": 2},
        "rejection": {"prompts": 8, "accepted": 12, "gold_fallback": 1},
    }
    layout.rejection("WeQ").write_text(json.dumps(record), encoding="utf-8")
    ship_roles(ROLES, layout, tmp_path / "adapters", base=None)
    card = (tmp_path / "adapters" / "weq" / "CARD.md").read_text(encoding="utf-8")
    assert "Rejection-sampled SFT (`qsm train notes-rs`): WeQ v1 answered 8 train prompts" in card
    assert "Added: train +10, validation +1, test +2" in card
    commands = json.loads((tmp_path / "adapters" / "weq" / "card.json").read_text())["commands"]
    assert commands[2].startswith("qsm train notes-rs --prompts 160 --samples 4 --keep 2 --temperature 0.8")
    assert commands[3].startswith("qsm train lora --role WeQ")
    ref_card = (tmp_path / "adapters" / "ref" / "CARD.md").read_text(encoding="utf-8")
    assert "notes-rs" not in ref_card
