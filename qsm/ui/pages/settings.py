"""Settings: each agent's model, adapter, sampling and prompt; the run budget; SOM's cost per run."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import streamlit as st
import tomli_w

from qsm.agents.shipped import resolve_adapter
from qsm.errors import ConfigError
from qsm.graph import Workflow, load_result
from qsm.merge import deep_merge
from qsm.settings import QsmSettings
from qsm.ui import services
from qsm.ui.login import own_threads, signed_in

AGENTS = ("QSM", "WeQ", "SOM", "Ref")


def agent_form(name: str, current: Any) -> dict[str, Any]:
    model, sampling = current.model, current.sampling
    c1, c2 = st.columns(2)
    backend = c1.selectbox(
        "backend",
        ["llama", "openai", "fake"],
        index=["llama", "openai", "fake"].index(model.backend),
        key=f"{name}-backend",
    )
    out: dict[str, Any] = {"model": {"backend": backend}, "sampling": {}}
    if backend == "llama":
        out["model"]["path"] = (
            c2.text_input("GGUF path (empty = bundled SmolLM2)", str(model.path or ""), key=f"{name}-path")
            or None
        )
        out["model"]["adapter"] = (
            c1.text_input(
                "LoRA adapter (GGUF, empty = shipped)", str(model.adapter or ""), key=f"{name}-adapter"
            )
            or None
        )
        for where, what in ((c2, "model"), (c1, "LoRA adapter")):
            value = out["model"]["path" if what == "model" else "adapter"]
            if value and (problem := gguf_problem(value)):
                where.error(f"{what} file {problem}")
        shipped = c2.checkbox(
            "shipped role adapter on the bundled base",
            model.shipped_adapter is not False,
            key=f"{name}-shipped",
            help="qsm ships a LoRA adapter per role, trained on the bundled SmolLM2; it never applies to another GGUF",
        )
        out["model"]["shipped_adapter"] = (model.shipped_adapter or True) if shipped else False
    if backend == current.model.backend:
        st.caption(f"Adapter this agent runs: {resolve_adapter(name, model).describe()}")
        out["model"]["n_ctx"] = c2.number_input(
            "context tokens", 256, 131072, model.n_ctx, key=f"{name}-nctx"
        )
    elif backend == "openai":
        out["model"]["url"] = c2.text_input("server URL (…/v1)", model.url or "", key=f"{name}-url") or None
        out["model"]["name"] = c1.text_input("model name", model.name or "", key=f"{name}-mname") or None
    out["sampling"]["temperature"] = c1.slider(
        "temperature", 0.0, 2.0, sampling.temperature, 0.05, key=f"{name}-t"
    )
    out["sampling"]["top_p"] = c2.slider("top_p", 0.05, 1.0, sampling.top_p, 0.05, key=f"{name}-p")
    out["sampling"]["max_tokens"] = c1.number_input(
        "max tokens per call", 1, 32768, sampling.max_tokens, key=f"{name}-max"
    )
    prompt = st.text_area(
        "system prompt (empty = the role's built-in prompt)",
        current.system_prompt or "",
        key=f"{name}-prompt",
    )
    out["system_prompt"] = prompt or None
    return out


def gguf_problem(value: str) -> str | None:
    """Why ``value`` cannot be loaded as a GGUF file (``"… does not exist"``, ``"… is not a GGUF file"``),
    or None when it can."""
    path = Path(os.path.expandvars(value.strip())).expanduser()
    if path.is_dir():
        return f"{path} is a directory, not a file"
    if not path.is_file():
        return f"{path} does not exist"
    try:
        with path.open("rb") as fh:
            magic = fh.read(4)
    except OSError as exc:
        return f"{path} cannot be read ({exc.strerror})"
    if magic != b"GGUF":
        return f"{path} is not a GGUF file (it does not start with the GGUF magic bytes)"
    return None


def check_model_files(overrides: dict[str, Any]) -> None:
    """Refuse model and adapter paths that llama.cpp could not load, naming the agent and the field."""
    for name, agent in overrides["agents"].items():
        model = agent["model"]
        for key, what in (("path", "model"), ("adapter", "LoRA adapter")):
            if model.get(key) and (problem := gguf_problem(model[key])):
                raise ConfigError(
                    f"{name}: {what} file {problem}",
                    hint=f"fix the path in the {name} tab (a .gguf file on this machine), or leave it "
                    "empty for the bundled one",
                )


def costs_table() -> None:
    rt = services.runtime()
    rows = []
    for info in own_threads(rt.runs.threads(20)):
        loaded = load_result(info.thread_id, rt)
        cost = loaded[0].cost if loaded else None
        if cost is not None:
            rows.append(
                {
                    "thread": info.thread_id,
                    "request": info.request[:40],
                    "status": info.status,
                    "tokens": f"{cost.tokens}/{cost.budget_tokens}",
                    "calls": f"{cost.calls}/{cost.budget_calls}",
                    "seconds": f"{cost.seconds:.1f}/{cost.budget_seconds:.0f}",
                    "credits": ", ".join(f"{k} {v:.2f}" for k, v in cost.credits.items()),
                }
            )
    if rows:
        st.dataframe(rows, hide_index=True, width="stretch")
    else:
        st.caption("No runs yet.")


def body() -> None:
    st.title("Settings")
    settings = services.current_settings()
    overrides: dict[str, Any] = {"agents": {}}
    tabs = st.tabs([*AGENTS, "Budget & run", "Costs"])
    for tab, name in zip(tabs, AGENTS, strict=False):
        with tab:
            overrides["agents"][name] = agent_form(name, settings.agent(name))
    with tabs[4]:
        b, r = settings.budget, settings.runtime
        c1, c2, c3 = st.columns(3)
        overrides["budget"] = {
            "tokens": c1.number_input("token budget", 1, 10_000_000, b.tokens),
            "seconds": c2.number_input("time budget (s)", 1.0, 86_400.0, float(b.seconds)),
            "calls": c3.number_input("model-call budget", 1, 10_000, b.calls),
        }
        overrides["runtime"] = {
            "fan_out": c1.number_input("candidates (fan-out)", 1, 16, r.fan_out),
            "repair_limit": c2.number_input("repair rounds", 0, 8, r.repair_limit),
            "collapse": c3.selectbox(
                "collapse",
                ["ref_rank", "vote", "merge"],
                index=["ref_rank", "vote", "merge"].index(r.collapse),
            ),
        }
    with tabs[5]:
        costs_table()
    if signed_in() is not None:  # an app shared over the network: its settings are its owner's
        st.info(
            "Settings are read-only when you sign in: the app is shared, and its models, servers and budgets "
            "are set by whoever runs it (in its config file or QSM_* variables on that machine)."
        )
    else:
        _apply_or_save(settings, overrides)
    st.caption(
        f"data dir: `{settings.data_dir}` · config: `{services.config_path() or './qsm.toml if present'}` · "
        f"workflow: {Workflow.default().name}"
    )


def _apply_or_save(settings: QsmSettings, overrides: dict[str, Any]) -> None:
    apply_col, save_col = st.columns(2)
    if apply_col.button("Apply to this session", type="primary", icon=":material/check:"):
        check_model_files(overrides)
        settings.with_overrides(overrides)  # raises ConfigError with the field named
        services.set_overrides(deep_merge(st.session_state.get("qsm_overrides") or {}, overrides))
        st.success("Applied. New runs use these settings.")
    if save_col.button("Save to config file", icon=":material/save:"):
        check_model_files(overrides)
        settings.with_overrides(overrides)
        path = services.config_path() or Path.cwd() / "qsm.toml"
        existing = path.read_text(encoding="utf-8") if path.is_file() else ""
        import tomllib

        merged = deep_merge(tomllib.loads(existing) if existing else {}, _drop_none(overrides))
        path.write_text(tomli_w.dumps(merged), encoding="utf-8")
        st.success(f"Saved to {path}.")


def _drop_none(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _drop_none(v) for k, v in value.items() if v is not None}
    return value


services.guarded(body)
