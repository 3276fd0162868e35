"""Per-agent configuration: which model backs an agent, how it samples, what it is told.

One pydantic model feeds the TOML config file, ``QSM_*`` env vars and CLI flags (see ``qsm.settings``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

__all__ = ["AgentSettings", "BackendKind", "ModelSettings", "Sampling"]

BackendKind = Literal["llama", "openai", "fake"]


class Sampling(BaseModel):
    """Decoding settings for one agent."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    temperature: float = Field(0.2, ge=0.0, le=2.0)
    top_p: float = Field(0.95, gt=0.0, le=1.0)
    top_k: int = Field(40, ge=0)
    repeat_penalty: float = Field(1.1, ge=0.5, le=2.0)
    max_tokens: int = Field(256, ge=1, le=32768)
    seed: int | None = None


class ModelSettings(BaseModel):
    """Where an agent's model lives and how to load it.

    ``backend = "llama"`` runs a GGUF in process (``path`` empty = the bundled SmolLM2-135M-Instruct);
    ``"openai"`` talks to an OpenAI-compatible server at ``url``; ``"fake"`` is the scripted test model.
    """

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    backend: BackendKind = "llama"
    path: Path | None = None
    adapter: Path | None = Field(
        None, description="a LoRA GGUF for this agent (custom); set, it replaces the shipped adapter"
    )
    shipped_adapter: bool | Literal["QSM", "WeQ", "SOM", "Ref"] = Field(
        True,
        description="serve the role adapter shipped with qsm when the agent runs the bundled base: true = the "
        "agent's own role (by name), a role name = that role's adapter, false = none",
    )
    adapter_scale: float = Field(1.0, ge=0.0, le=4.0)
    n_ctx: int = Field(2048, ge=256, le=1_048_576)
    n_threads: int = Field(1, ge=1, le=256)
    n_gpu_layers: int = Field(0, ge=-1)
    max_instances: int = Field(
        4, ge=1, le=64, description="llama.cpp contexts per GGUF (parallel calls; weights are shared)"
    )
    url: str | None = None
    name: str | None = None
    api_key_env: str | None = Field(
        None,
        description="name of the env var that holds the server's API key (the key itself is never stored)",
    )
    chat_template: str | None = Field(
        None, description="Jinja chat template overriding the GGUF's (llama backend), e.g. to open <think>"
    )
    response_format: Literal["json_schema", "json_object", "none"] = "json_schema"
    timeout_s: float = Field(300.0, gt=0)
    fake_replies: list[str] = Field(default_factory=list)
    fake_delay_s: float = Field(0.0, ge=0.0)
    fake_log: Path | None = Field(None, description="fake backend: append each call as a JSON line here")

    @model_validator(mode="after")
    def _backend_needs(self) -> ModelSettings:
        if self.backend == "openai" and not self.url:
            raise ValueError("backend 'openai' needs url = 'http://host:port/v1'")
        return self


class AgentSettings(BaseModel):
    """Everything one agent needs: model, sampling, system prompt (None = the role's built-in prompt)."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    model: ModelSettings = Field(default_factory=ModelSettings)
    sampling: Sampling = Field(default_factory=Sampling)
    system_prompt: str | None = None
    thinking_budget: int | None = Field(
        None, ge=1, description="max tokens inside <think>...</think> before the answer is forced"
    )
    structured_retries: int = Field(2, ge=0, le=10)
