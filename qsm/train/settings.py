"""Settings of the training pipeline: datasets, LoRA SFT, export and evaluation.

Every field has a default, so ``TrainSettings()`` trains the four bundled-model adapters on CPU. The CLI
flags of ``qsm train`` and ``qsm eval`` override single fields.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from qsm.agents.settings import AgentSettings

__all__ = ["DataSettings", "EvalSettings", "GrpoSettings", "LoraSettings", "TrainLayout", "TrainSettings"]

ALL_LINEAR = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]


class DataSettings(BaseModel):
    """Seed generation, splits and the optional teacher."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    seed: int = Field(7, description="generator seed: the same seed gives the same datasets")
    examples_per_role: int = Field(600, ge=12, le=100_000)
    test_fraction: float = Field(0.18, gt=0.0, lt=0.5, description="held-out test share (never trained on)")
    val_fraction: float = Field(0.08, ge=0.0, lt=0.5)
    teacher: AgentSettings | None = Field(
        None, description="a bigger model (GGUF path or OpenAI-compatible URL) whose traces expand train"
    )
    teacher_samples: int = Field(2, ge=1, le=16, description="teacher replies tried per seed task")
    teacher_tasks: int | None = Field(
        None, ge=1, description="at most this many train tasks per role go to it"
    )


class LoraSettings(BaseModel):
    """PEFT LoRA supervised fine-tuning (loss only on the assistant reply)."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    rank: int = Field(16, ge=1, le=256)
    alpha: float = Field(32.0, gt=0)
    dropout: float = Field(0.0, ge=0.0, lt=1.0, description="LoRA dropout (doubles CPU step time)")
    target_modules: list[str] = Field(default_factory=lambda: list(ALL_LINEAR))
    learning_rate: float = Field(5e-4, gt=0)
    epochs: int = Field(2, ge=1, le=100)
    max_steps: int | None = Field(None, ge=1, description="train exactly this many steps (overrides epochs)")
    batch_size: int = Field(8, ge=1, le=512)
    warmup_steps: int = Field(10, ge=0)
    weight_decay: float = Field(0.0, ge=0.0)
    grad_clip: float = Field(1.0, gt=0)
    max_length: int = Field(768, ge=32, description="longer examples are skipped (counted), never cut")
    decision_weight: float = Field(
        1.0,
        ge=1.0,
        le=50.0,
        description="loss weight of the reply tokens that carry its decision (decision, route_to, needs_memory, "
        "complexity values): a verdict is one token among dozens of reasons; 1 = plain SFT",
    )
    seed: int = 0
    device: Literal["auto", "cpu", "cuda", "mps"] = "auto"
    precision: Literal["auto", "fp32", "bf16"] = Field(
        "auto",
        description="auto: bf16 autocast on GPUs with bf16 and on CPUs with AVX512-BF16/AMX, else fp32",
    )
    threads: int | None = Field(None, ge=1, description="torch CPU threads (default: all cores)")
    export_type: Literal["f32", "f16"] = Field("f16", description="GGUF adapter tensor type")


class GrpoSettings(BaseModel):
    """GRPO (TRL) on top of a role's SFT adapter: sampled replies scored by a verifiable reward."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    steps: int = Field(40, ge=1, le=100_000, description="optimizer steps")
    prompts_per_step: int = Field(4, ge=1, le=256, description="train prompts per step")
    generations: int = Field(4, ge=2, le=64, description="sampled replies per prompt (the group)")
    learning_rate: float = Field(5e-5, gt=0)
    beta: float = Field(
        0.04, ge=0.0, description="KL penalty towards the SFT adapter (a frozen copy of it); 0 = none"
    )
    temperature: float = Field(1.0, gt=0.0, le=2.0, description="sampling temperature of the replies")
    max_completion_tokens: int = Field(64, ge=8, le=1024, description="a longer reply is cut (and scores 0)")
    seed: int = 0
    precision: Literal["auto", "fp32", "bf16"] = Field(
        "auto", description="auto: bf16 where the CPU or GPU computes it natively, else fp32"
    )
    device: Literal["auto", "cpu", "cuda", "mps"] = "cpu"
    threads: int | None = Field(1, ge=1, description="torch CPU threads")


class EvalSettings(BaseModel):
    """How ``qsm eval`` runs base and adapter through llama.cpp: greedy, no grammar."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    max_tokens: int = Field(160, ge=8, le=4096)
    repeat_penalty: float = Field(1.1, ge=0.5, le=2.0, description="the agents' default, as served")
    limit: int | None = Field(None, ge=1, description="evaluate at most this many test examples per role")
    n_threads: int = Field(2, ge=1, le=256)
    n_ctx: int = Field(2048, ge=256)


class TrainSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    base: Path | None = Field(None, description="base GGUF (None = the bundled SmolLM2-135M-Instruct)")
    dir: Path | None = Field(None, description="where datasets and adapters go (None = <data_dir>/train)")
    data: DataSettings = Field(default_factory=DataSettings)
    lora: LoraSettings = Field(default_factory=LoraSettings)
    grpo: GrpoSettings = Field(default_factory=GrpoSettings)
    eval: EvalSettings = Field(default_factory=EvalSettings)


class TrainLayout:
    """Where each artifact lives under the training directory (never inside the git checkout)."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def dataset(self, role: str) -> Path:
        return self.root / "data" / role

    def split(self, role: str, split: str) -> Path:
        return self.dataset(role) / f"{split}.jsonl"

    def card(self, role: str) -> Path:
        return self.dataset(role) / "CARD.md"

    def stats(self, role: str) -> Path:
        return self.dataset(role) / "stats.json"

    def rejection(self, role: str) -> Path:
        """The record of the examples `qsm train notes-rs` added by rejection sampling (absent: none)."""
        return self.dataset(role) / "rejection.json"

    def adapter(self, role: str) -> Path:
        """The PEFT adapter folder (adapter_config.json, adapter_model.safetensors, train_report.json)."""
        return self.root / "adapters" / role

    def adapter_gguf(self, role: str) -> Path:
        return self.root / "adapters" / f"{role.lower()}-lora.gguf"

    @property
    def base_config(self) -> Path:
        """The base model's Hugging Face config.json (all convert_lora_to_gguf needs of the base)."""
        return self.root / "base"

    def merged(self, role: str) -> Path:
        return self.root / "merged" / role

    @property
    def eval_json(self) -> Path:
        return self.root / "eval.json"
