"""Evaluation on fakes: rates, the constrained pass, 'beats the base', and the eval.json of run_eval."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from qsm.agents import FakeChatModel
from qsm.train import (
    DataSettings,
    EvalSettings,
    Example,
    TrainingError,
    TrainLayout,
    TrainSettings,
    build_dataset,
    evaluate_role,
    read_examples,
)
from qsm.train.evaluate import eval_sampling
from qsm.train.pipeline import run_eval
from tests.train.helpers import gold_model

SAMPLING = eval_sampling(64, 1.1)


def test_gold_adapter_beats_a_rambling_base(small_sets: dict[str, list[Example]]) -> None:
    examples = small_sets["Ref"]
    base = FakeChatModel(auto=False)
    base.enqueue(*(["The answer looks fine to me, I think."] * len(examples)))
    base.enqueue(*(['{"decision": "accept", "confidence": "high", "reasons": ["ok"]}'] * len(examples)))
    result = evaluate_role("Ref", examples, base, gold_model(examples), SAMPLING)
    assert result.examples == 60
    assert result.adapter["format_valid"] == 1.0 and result.base["format_valid"] == 0.0
    verify = result.adapter["tasks"]["Ref.verify"]
    assert (
        verify["decision_accuracy"] == 1.0
        and verify["n"] + result.adapter["tasks"]["Ref.diagnose"]["n"] == 60
    )
    constrained = result.base["constrained"]["tasks"]["Ref.verify"]
    accepts = sum(e.gold.get("decision") == "accept" for e in examples) / verify["n"]
    assert constrained["decision_accuracy"] == pytest.approx(accepts, abs=1e-3), "always-accept base"
    assert result.beats_base["overall"] and result.beats_base["format_valid"]
    assert result.beats_base["judgement_metrics_better"] == ["decision_accuracy"]
    assert result.beats_base["constrained_judgement_metrics_better"] == ["decision_accuracy"]
    assert len(result.samples) == 3 and result.samples[0]["adapter"] == examples[0].target


def test_grammar_is_off_in_the_main_pass_and_on_in_the_constrained_one(
    small_sets: dict[str, list[Example]],
) -> None:
    examples = small_sets["SOM"]
    model = gold_model(examples)
    evaluate_role("SOM", examples, model, gold_model(examples), SAMPLING)
    structured = sum(e.task == "SOM.budget" for e in examples)
    assert len(model.calls) == len(examples) + structured
    assert all(c.json_schema is None for c in model.calls[: len(examples)])
    assert all(c.json_schema is not None for c in model.calls[len(examples) :])
    assert all(c.sampling.temperature == 0.0 for c in model.calls)


def test_an_adapter_no_better_than_base_does_not_beat_it(small_sets: dict[str, list[Example]]) -> None:
    examples = small_sets["WeQ"]
    result = evaluate_role("WeQ", examples, gold_model(examples), gold_model(examples), SAMPLING)
    assert not result.beats_base["overall"] and result.beats_base["judgement_metrics_better"] == []
    assert "constrained" not in result.base, "text tasks have no grammar pass"


def test_run_eval_writes_the_report_and_needs_exported_adapters(tmp_path: Path) -> None:
    layout = TrainLayout(tmp_path)
    train = TrainSettings(data=DataSettings(examples_per_role=40), eval=EvalSettings(limit=5))
    for role in ("QSM", "SOM"):
        build_dataset(role, train.data, layout)
    with pytest.raises(TrainingError, match="no GGUF adapter for QSM, SOM") as err:
        run_eval(["QSM", "SOM"], layout, train)
    assert "qsm train lora" in err.value.hint
    for role in ("QSM", "SOM"):
        layout.adapter_gguf(role).parent.mkdir(parents=True, exist_ok=True)
        layout.adapter_gguf(role).write_bytes(b"GGUF")
    seen: list[tuple[str, Path]] = []

    def models(role: str, gguf: Path) -> tuple[FakeChatModel, FakeChatModel]:
        seen.append((role, gguf))
        return FakeChatModel(), gold_model(read_examples(layout.split(role, "test")))

    report = run_eval(["QSM", "SOM"], layout, train, models=models)
    assert [r for r, _ in seen] == ["QSM", "SOM"] and seen[0][1] == layout.adapter_gguf("QSM")
    assert report["roles"]["QSM"]["examples"] == 5
    assert report["all_beat_base"] is True, "without a schema the fake base echoes prose, not JSON"
    assert json.loads(layout.eval_json.read_text()) == report
    assert report["sampling"]["temperature"] == 0.0
