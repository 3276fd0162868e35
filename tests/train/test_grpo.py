"""GRPO for Ref: the verifiable reward, the decision rates, `qsm train grpo`'s checks and one real step."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from qsm.cli.main import cli
from qsm.train import (
    Example,
    LoraSettings,
    PeftTrainer,
    TrainingError,
    TrainLayout,
    TrainSettings,
    seed_examples,
)
from qsm.train.example import write_examples
from qsm.train.grpo import grpo_prompts, require_trl, train_grpo
from qsm.train.rewards import decision_rates, verdict_decision, verdict_reward, verdict_rewards
from qsm.train.settings import GrpoSettings
from qsm.train.stages import compare_stages
from tests.train.helpers import HAS_TRAIN_EXTRA, gold_model

needs_trl = pytest.mark.skipif(
    not (HAS_TRAIN_EXTRA and importlib.util.find_spec("trl")),
    reason="needs the [train] extra with trl: pip install torch==2.13.0 -e '.[train]'",
)

REJECT = json.dumps({"decision": "reject", "confidence": "high", "reasons": ["The number is wrong."]})
ACCEPT = json.dumps({"decision": "accept", "confidence": "high", "reasons": ["It answers the request."]})


def test_the_reward_is_one_only_for_a_valid_verdict_with_the_gold_decision() -> None:
    assert verdict_reward(REJECT, "reject") == 1.0
    assert verdict_reward(f"  {REJECT}\n", "reject") == 1.0
    assert verdict_reward(ACCEPT, "reject") == 0.0, "a wrong decision earns nothing"
    assert verdict_reward(REJECT[:-1], "reject") == 0.0, "cut-off JSON does not parse"
    assert verdict_reward(f"Verdict: {REJECT}", "reject") == 0.0, "text around the JSON is not a valid reply"
    no_reasons = json.dumps({"decision": "reject", "confidence": "high", "reasons": []})
    assert verdict_reward(no_reasons, "reject") == 0.0, "the schema is checked, not only the decision"
    assert verdict_reward(json.dumps({"decision": "maybe"}), "maybe") == 0.0


def test_the_trl_reward_function_takes_conversations_and_the_gold_column() -> None:
    completions = [[{"role": "assistant", "content": REJECT}], [{"role": "assistant", "content": ACCEPT}], []]
    rewards = verdict_rewards(completions, gold_decision=["reject", "reject", "accept"], prompts=["p"] * 3)
    assert rewards == [1.0, 0.0, 0.0]
    assert verdict_rewards([ACCEPT], gold_decision=["accept"]) == [1.0]


def test_decision_rates_count_false_accepts_and_false_rejects() -> None:
    replies = [ACCEPT, ACCEPT, REJECT, "not json", ACCEPT]
    gold = ["accept", "reject", "accept", "revise", "accept"]
    rates = decision_rates(replies, gold)
    assert verdict_decision(REJECT) == "reject" and verdict_decision("not json") is None
    assert rates == {
        "n": 5,
        "decision_accuracy": 0.4,
        "false_accept": 0.5,  # one of the two answers to refuse was accepted
        "false_reject": round(1 / 3, 4),  # one of three right answers was not accepted
        "unparsed": 0.2,
    }


def test_grpo_prompts_are_the_served_chats_of_verify_examples(small_sets: dict[str, list[Example]]) -> None:
    ref = small_sets["Ref"]
    rows = grpo_prompts("Ref", ref)
    verify = [e for e in ref if e.task == "Ref.verify"]
    assert len(rows) == len(verify) < len(ref)
    assert rows[0] == {"prompt": verify[0].chat, "gold_decision": verify[0].gold["decision"]}
    with pytest.raises(TrainingError, match="no verifiable reward for QSM"):
        grpo_prompts("QSM", small_sets["QSM"])
    with pytest.raises(TrainingError, match=r"no Ref\.verify example"):
        grpo_prompts("Ref", [e for e in ref if e.task == "Ref.diagnose"])


def _run(tmp_path: Path, *args: str) -> Result:
    return CliRunner().invoke(cli, ["--data-dir", str(tmp_path / "data"), *args], catch_exceptions=False)


def test_grpo_command_checks_its_arguments(tmp_path: Path) -> None:
    bad_role = _run(tmp_path, "train", "grpo", "--role", "Boss")
    assert bad_role.exit_code == TrainingError.exit_code and "QSM, WeQ, SOM, Ref" in bad_role.output
    one_generation = _run(tmp_path, "train", "grpo", "--generations", "1")
    assert one_generation.exit_code == 2 and "generations" in one_generation.output
    no_steps = _run(tmp_path, "train", "grpo", "--steps", "0")
    assert no_steps.exit_code == 2 and "steps" in no_steps.output
    assert "Traceback" not in bad_role.output + one_generation.output + no_steps.output


def test_grpo_without_trl_names_the_extra(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "trl", None)  # `import trl` raises ImportError
    with pytest.raises(TrainingError, match="GRPO needs trl") as caught:
        require_trl()
    assert "[train]" in (caught.value.hint or "")
    result = _run(tmp_path, "train", "grpo", "--role", "Ref", "--steps", "1")
    assert result.exit_code == TrainingError.exit_code
    assert "trl" in result.output and "[train]" in result.output


@needs_trl
def test_grpo_needs_the_sft_adapter_as_its_cold_start(tmp_path: Path) -> None:
    ref = seed_examples("Ref", 3, 30)
    with pytest.raises(TrainingError, match="no SFT adapter") as caught:
        train_grpo("Ref", ref, tmp_path / "missing", tmp_path / "out", GrpoSettings(steps=1))
    assert "qsm train lora --role Ref" in (caught.value.hint or "")


@pytest.mark.slow
@needs_trl
def test_one_grpo_step_from_a_tiny_sft_adapter_writes_a_peft_adapter(tmp_path: Path) -> None:
    ref = [e for e in seed_examples("Ref", 3, 60) if e.task == "Ref.verify"]
    sft = tmp_path / "sft"
    tiny = LoraSettings(rank=2, alpha=4, target_modules=["q_proj"], max_steps=1, batch_size=2, threads=1)
    PeftTrainer(tiny).train("Ref", ref[:2], [], sft)
    settings = GrpoSettings(steps=1, prompts_per_step=1, generations=2, max_completion_tokens=8, threads=1)
    logged: list[str] = []
    report = train_grpo("Ref", ref, sft, tmp_path / "grpo", settings, log=logged.append)
    assert report.steps == 1 and report.prompts == len(ref)
    assert [step for step, _ in report.reward_curve] == [1] and 0.0 <= report.reward_curve[0][1] <= 1.0
    assert "GRPO step 1/1" in logged[-1]
    written = sorted(p.name for p in (tmp_path / "grpo").iterdir())
    assert written == ["README.md", "adapter_config.json", "adapter_model.safetensors", "grpo_report.json"]
    assert json.loads((tmp_path / "grpo" / "adapter_config.json").read_text())["r"] == 2


def test_stages_score_base_sft_and_grpo_on_the_held_out_verdicts(
    tmp_path: Path, small_sets: dict[str, list[Example]]
) -> None:
    layout = TrainLayout(tmp_path)
    ref = small_sets["Ref"]
    write_examples(layout.split("Ref", "test"), ref)
    verify = [e for e in ref if e.task == "Ref.verify"]
    for name in ("Ref", "Ref-grpo"):
        layout.adapter_gguf(name).parent.mkdir(parents=True, exist_ok=True)
        layout.adapter_gguf(name).write_bytes(b"GGUF")
    replies = {  # the base always accepts, the SFT adapter is right, the GRPO one writes no JSON
        None: lambda _e: ACCEPT,
        layout.adapter_gguf("Ref"): lambda e: e.target,
        layout.adapter_gguf("Ref-grpo"): lambda _e: "yes",
    }
    report = compare_stages(
        "Ref", layout, TrainSettings(), model_for=lambda g: gold_model(verify, replies[g])
    )
    assert report["examples"] == len(verify) and list(report["stages"]) == ["base", "sft", "sft+grpo"]
    base, sft, grpo = (report["stages"][s] for s in ("base", "sft", "sft+grpo"))
    accepts = sum(e.gold["decision"] == "accept" for e in verify)
    assert base["decision_accuracy"] == round(accepts / len(verify), 4)
    assert (base["false_accept"], base["false_reject"]) == (1.0, 0.0)
    assert (sft["decision_accuracy"], sft["false_accept"], sft["false_reject"]) == (1.0, 0.0, 0.0)
    assert grpo["unparsed"] == 1.0 and grpo["decision_accuracy"] == 0.0
    assert compare_stages("QSM", layout, TrainSettings())["stages"] == {}
