"""Shared test helpers: runtimes on fake models, canned replies for the team workflow."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from qsm.agents import FakeChatModel, ModelPool
from qsm.graph import Runtime
from qsm.settings import QsmSettings, load_settings

PLAN = json.dumps(
    {"goal": "add two numbers", "steps": ["compute 2+2"], "route_to": "WeQ", "needs_memory": False}
)
BUDGET = json.dumps(
    {"complexity": "low", "weights": {"QSM": 2, "WeQ": 6, "Ref": 2}, "rationale": "simple sum"}
)
ACCEPT = json.dumps({"decision": "accept", "confidence": "high", "reasons": ["correct"]})
REVISE = json.dumps({"decision": "revise", "confidence": "medium", "reasons": ["too short"]})
REJECT = json.dumps({"decision": "reject", "confidence": "high", "reasons": ["wrong"]})
DIAGNOSIS = json.dumps(
    {"problems": [{"problem": "too short", "solution": "say the sum"}], "instruction": "State 4."}
)


LLM_PATH = {"router": "llm", "tools": False, "ref_judge": "checks+model"}


def settings(tmp: Path, **overrides: Any) -> QsmSettings:
    return load_settings(overrides={"data_dir": str(tmp / "data"), **overrides})


def fake_runtime(
    tmp: Path,
    models: dict[str, FakeChatModel],
    persist: bool = True,
    memory: Any = None,
    ledger: Any = None,
    embedder: str = "hashing",
    **overrides: Any,
) -> Runtime:
    """Fake models, real run store; no memory or ledger unless given (their own tests cover them).

    The team runs its LLM path unless ``runtime`` says otherwise: QSM's LLM routes, no tools, and Ref's LLM
    judges what its checks leave open, so scripted replies drive every step. Memory settings embed by
    hashing (no model to load) unless ``embedder`` says "minilm" (the student router needs it).
    """
    overrides["runtime"] = {**LLM_PATH, **overrides.get("runtime", {})}
    overrides["memory"] = {"embedder": embedder}
    return Runtime(
        settings(tmp, **overrides),
        models=ModelPool(overrides=models),
        persist=persist,
        memory=memory,
        ledger=ledger,
    )


def team_fakes(**replies: list[Any]) -> dict[str, FakeChatModel]:
    """One queue-driven fake per agent; defaults make a clean accept run."""
    return {
        "QSM": FakeChatModel(replies.get("QSM", [PLAN]), auto=False),
        "SOM": FakeChatModel(replies.get("SOM", [BUDGET]), auto=False),
        "WeQ": FakeChatModel(replies.get("WeQ", ["2 + 2 = 4"]), auto=False),
        "Ref": FakeChatModel(replies.get("Ref", [ACCEPT]), auto=False),
    }
