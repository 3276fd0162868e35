"""GRPO on top of a role's SFT adapter (the cold start), with TRL's ``GRPOTrainer`` and a verifiable reward.

For each train prompt, exactly as the graph renders it (the dataset stores the chat), the policy samples a
group of replies; each is scored by :func:`qsm.train.rewards.verdict_rewards` (valid verdict JSON with the
gold decision), and the LoRA weights move towards the replies that beat their group's mean. With ``beta``
above 0, TRL keeps a frozen copy of the SFT adapter as the reference of the KL penalty. Only Ref has a
verifiable reward so far (its verdicts); the adapter is saved as a PEFT folder next to the SFT one and
exported to GGUF the same way.
"""

from __future__ import annotations

import json
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from qsm.train.errors import TRAIN_EXTRA_HINT, TrainingError, require_train_extra
from qsm.train.example import Example, RoleName
from qsm.train.hfbase import autocast_dtype, load_base, resolve_device
from qsm.train.rewards import verdict_rewards
from qsm.train.settings import GrpoSettings

__all__ = ["GRPO_ROLES", "GrpoReport", "grpo_prompts", "require_trl", "stage_name", "train_grpo"]

# Roles with a verifiable reward, and the task whose prompts GRPO trains on.
GRPO_ROLES: dict[RoleName, str] = {"Ref": "Ref.verify"}
REPORT_FILE = "grpo_report.json"


def stage_name(role: RoleName) -> str:
    """The layout name of a role's GRPO adapter (``Ref-grpo``: adapters/Ref-grpo, ref-grpo-lora.gguf)."""
    return f"{role}-grpo"


@dataclass
class GrpoReport:
    """What a GRPO run did; saved as ``grpo_report.json`` in the adapter folder."""

    role: str
    adapter_dir: str
    cold_start: str
    prompts: int
    steps: int
    seconds: float
    device: str
    precision: str
    reward_curve: list[tuple[int, float]] = field(default_factory=list)
    settings: dict[str, Any] = field(default_factory=dict)
    versions: dict[str, str] = field(default_factory=dict)

    def save(self) -> Path:
        path = Path(self.adapter_dir) / REPORT_FILE
        path.write_text(json.dumps(asdict(self), indent=2) + "\n", encoding="utf-8")
        return path


def require_trl() -> None:
    """Raise :class:`TrainingError` naming the ``[train]`` extra if torch, transformers, peft or trl (and
    its ``datasets``) are missing."""
    require_train_extra()
    missing = []
    for module in ("trl", "datasets"):
        try:
            __import__(module)
        except ImportError:
            missing.append(module)
    if missing:
        raise TrainingError(f"GRPO needs {', '.join(missing)}, which is not installed", hint=TRAIN_EXTRA_HINT)


def grpo_prompts(role: RoleName, examples: list[Example]) -> list[dict[str, Any]]:
    """The rows GRPO samples from: the served chat as ``prompt`` and the gold decision, for the role's
    verifiable task only."""
    if role not in GRPO_ROLES:
        raise TrainingError(
            f"GRPO has no verifiable reward for {role}", hint=f"use --role {', '.join(GRPO_ROLES)}"
        )
    task = GRPO_ROLES[role]
    rows = [{"prompt": e.chat, "gold_decision": e.gold["decision"]} for e in examples if e.task == task]
    if not rows:
        raise TrainingError(
            f"no {task} example in the {role} train split", hint="rebuild it: `qsm train data --force`"
        )
    return rows


def train_grpo(
    role: RoleName,
    train: list[Example],
    cold_start: Path,
    out_dir: Path,
    settings: GrpoSettings,
    *,
    base: Path | None = None,
    log: Callable[[str], None] = lambda _m: None,
) -> GrpoReport:
    """GRPO from the PEFT adapter in ``cold_start`` on ``train``'s prompts; the result goes to ``out_dir``."""
    rows = grpo_prompts(role, train)
    require_trl()
    if not (cold_start / "adapter_config.json").is_file():
        raise TrainingError(
            f"no SFT adapter in {cold_start} to start GRPO from",
            hint=f"train it first: `qsm train lora --role {role}`",
        )
    import datasets
    import peft
    import torch
    import transformers
    import trl

    s = settings
    if s.threads:
        torch.set_num_threads(s.threads)
    device = resolve_device(s.device)
    bf16 = autocast_dtype(s.precision, device) is not None
    transformers.set_seed(s.seed)
    model, tokenizer = load_base(base, device)
    _forget_gguf_quantization(model)
    tokenizer.padding_side = "left"  # TRL generates a batch of prompts: pad on the left
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    model = peft.PeftModel.from_pretrained(model, str(cold_start), is_trainable=True)
    with tempfile.TemporaryDirectory(prefix="qsm-grpo-") as scratch:
        config = trl.GRPOConfig(
            output_dir=scratch,
            max_steps=s.steps,
            per_device_train_batch_size=s.prompts_per_step * s.generations,
            num_generations=s.generations,
            learning_rate=s.learning_rate,
            lr_scheduler_type="constant_with_warmup",
            warmup_steps=min(5, s.steps // 10),
            beta=s.beta,
            temperature=s.temperature,
            max_completion_length=s.max_completion_tokens,
            seed=s.seed,
            data_seed=s.seed,
            bf16=bf16,
            use_cpu=device == "cpu",
            logging_steps=1,
            save_strategy="no",
            report_to="none",
            disable_tqdm=True,
            dataloader_num_workers=0,
        )
        trainer = trl.GRPOTrainer(
            model=model,
            reward_funcs=verdict_rewards,
            args=config,
            train_dataset=datasets.Dataset.from_list(rows),
            processing_class=tokenizer,
            callbacks=[_reward_logger(role, s.steps, log)],
        )
        trainer.remove_callback(transformers.PrinterCallback)  # the reward logger reports instead
        started = time.perf_counter()
        trainer.train()
        seconds = round(time.perf_counter() - started, 2)
    out_dir.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(str(out_dir), selected_adapters=["default"])  # not TRL's "ref" copy
    report = GrpoReport(
        role=role,
        adapter_dir=str(out_dir),
        cold_start=str(cold_start),
        prompts=len(rows),
        steps=int(trainer.state.global_step),
        seconds=seconds,
        device=device,
        precision="bf16" if bf16 else "fp32",
        reward_curve=[
            (int(entry["step"]), round(float(entry["reward"]), 4))
            for entry in trainer.state.log_history
            if "reward" in entry
        ],
        settings=s.model_dump(),
        versions={
            "torch": torch.__version__,
            "transformers": transformers.__version__,
            "peft": peft.__version__,
            "trl": trl.__version__,
        },
    )
    report.save()
    return report


def _forget_gguf_quantization(model: Any) -> None:
    """transformers dequantizes a GGUF to float weights but still marks the model as GGUF-quantized, and its
    Trainer (under TRL) refuses to train such a model; the marker describes the file, not these weights."""
    model.hf_quantizer = None
    model.is_quantized = False
    if hasattr(model.config, "quantization_config"):
        del model.config.quantization_config


def _reward_logger(role: str, total: int, log: Callable[[str], None]) -> Any:
    """A TRL callback that reports the mean reward of each step."""
    import transformers

    started = time.perf_counter()

    class LogRewards(transformers.TrainerCallback):
        def on_log(self, args: Any, state: Any, control: Any, logs: Any = None, **kwargs: Any) -> None:
            step = int(state.global_step)
            if logs and "reward" in logs:
                elapsed = time.perf_counter() - started
                log(f"{role}: GRPO step {step}/{total} reward {logs['reward']:.3f} ({elapsed:.0f} s)")

    return LogRewards()
