"""Run-time settings of the default workflow: fan-out, repair loop, collapse mode, budget caps."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

__all__ = ["BudgetSettings", "CollapseMode", "RefJudge", "RouterKind", "RunSettings", "RuntimeSettings"]

CollapseMode = Literal["ref_rank", "vote", "merge"]
RouterKind = Literal["student", "quantum", "llm"]
"""Who routes each request: ``student`` (the shipped classifier over the MiniLM embedding; QSM's LLM plans only
when the student is unsure or the request needs steps), ``quantum`` (the same, with the shipped quantum
student circuit; needs the ``quantum`` extra) or ``llm`` (QSM's LLM plans every request)."""
RefJudge = Literal["checks", "checks+model"]
"""How Ref decides: ``checks`` (its checks decide; an answer no check can fault is accepted at medium
confidence) or ``checks+model`` (its LLM also judges answers that no check verified)."""


class BudgetSettings(BaseModel):
    """Hard caps for one run. SOM splits them across agents; the graph stops cleanly when one is spent."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    # bounded (and finite, as every setting): the caps go into checkpoints (64-bit numbers), SOM splits them
    tokens: int = Field(
        6000, ge=1, le=1_000_000_000, description="prompt + completion tokens over all model calls"
    )
    seconds: float = Field(300.0, gt=0, le=1_000_000, description="wall-clock seconds for the whole run")
    calls: int = Field(24, ge=1, le=1_000_000, description="model calls over all agents")


class RunSettings(BaseModel):
    """``[runs]``: where checkpoints and the thread index live. ``sqlite`` is ``<data_dir>/runs.sqlite``
    (one machine); ``postgres`` is a PostgreSQL database that several API workers share (``url``), so a run
    a worker started resumes on another (needs the ``postgres`` extra)."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    backend: Literal["sqlite", "postgres"] = "sqlite"
    url: str | None = Field(
        None,
        description="PostgreSQL connection URL (postgresql://user:password@host:port/db); backend postgres",
    )
    pool_size: int = Field(8, ge=1, le=256, description="connections one process keeps to PostgreSQL")

    @field_validator("url")
    @classmethod
    def _postgres_url(cls, value: str | None) -> str | None:
        if value and not value.startswith(("postgresql://", "postgres://")):
            raise ValueError(f"runs.url must start with postgresql://, got {value.split('@')[-1]!r}")
        return value or None

    @model_validator(mode="after")
    def _url_for_postgres(self) -> RunSettings:
        if self.backend == "postgres" and not self.url:
            raise ValueError("runs.backend = 'postgres' needs runs.url (postgresql://user@host:port/db)")
        return self


class RuntimeSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    fan_out: int = Field(1, ge=1, le=16, description="candidate drafts run in parallel (superposition)")
    repair_limit: int = Field(1, ge=0, le=8, description="revise rounds Ref may ask for per candidate")
    collapse: CollapseMode = "ref_rank"
    max_prompt_chars: int = Field(24000, ge=100, description="refuse user prompts longer than this outright")
    history_tokens: int = Field(
        512,
        ge=0,
        le=8192,
        description="earlier turns of a conversation that reach QSM and WeQ, in tokens; WeQ summarises the "
        "older turns beyond it (0: none)",
    )
    recall_k: int = Field(4, ge=0, le=32, description="memory entries WeQ may put into a draft's context")
    recall_min_score: float = Field(0.35, ge=-1.0, le=1.0, description="cosine similarity a note needs")
    recall_chat_min_score: float = Field(
        0.5,
        ge=-1.0,
        le=1.0,
        description="cosine similarity one of the user's past chats needs (more than knowledge: a chat about "
        "another city or another word problem misleads the draft)",
    )
    remember_chats: bool = Field(True, description="store each finished run under /users/<user>/chats")
    ref_lessons: bool = Field(True, description="Ref writes lessons from rejected drafts and consults them")
    router: RouterKind = "student"
    router_path: Path | None = Field(None, description="a student router file; default: the shipped one")
    router_threshold: float = Field(0.7, ge=0.0, le=1.0, description="student confidence needed to route")
    tools: bool = Field(True, description="agents use the calculator, unit converter and memory search")
    ref_judge: RefJudge = "checks"
    greedy_first: bool = Field(
        True,
        description="candidate 0 decodes greedily; the others sample at the agent's temperature (0.7 if it is 0)",
    )
