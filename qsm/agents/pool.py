"""Builds and owns the models behind agents: loads on demand, shares one llama.cpp base per GGUF."""

from __future__ import annotations

import threading
from pathlib import Path

from qsm.agents.backend import ChatModel
from qsm.agents.fake import KEPT_CALLS, FakeChatModel
from qsm.agents.llama import LlamaBase, LlamaCppModel
from qsm.agents.locate import resolve_model_path
from qsm.agents.openai_http import OpenAIChatModel
from qsm.agents.settings import AgentSettings, ModelSettings
from qsm.agents.shipped import resolve_adapter

__all__ = ["ModelPool"]

_BaseKey = tuple[Path, int, int, int]


class ModelPool:
    """``model_for(agent, settings)`` returns the agent's :class:`ChatModel`, created on first use.

    Agents whose settings name the same GGUF (and context size, threads, GPU layers) share one
    :class:`LlamaBase`; each keeps its own adapter (:func:`qsm.agents.shipped.resolve_adapter`: the agent's
    ``model.adapter``, else its role's shipped adapter on the bundled base). ``overrides`` pins a ready
    model to an agent name (tests inject fakes this way); ``"*"`` pins one model to every agent.
    """

    def __init__(self, overrides: dict[str, ChatModel] | None = None) -> None:
        self._overrides = {k.lower(): v for k, v in (overrides or {}).items()}
        self._bases: dict[_BaseKey, LlamaBase] = {}
        self._models: dict[str, ChatModel] = {}
        self._lock = threading.Lock()

    def model_for(self, agent: str, settings: AgentSettings) -> ChatModel:
        key = agent.lower()
        if key in self._overrides:
            return self._overrides[key]
        if "*" in self._overrides:
            return self._overrides["*"]
        with self._lock:
            model = self._models.get(key)
            if model is None:
                model = self._build(agent, settings.model)
                self._models[key] = model
            return model

    def _build(self, agent: str, model: ModelSettings) -> ChatModel:
        if model.backend == "fake":
            return FakeChatModel(
                list(model.fake_replies),
                delay_s=model.fake_delay_s,
                context_window=model.n_ctx,
                log=model.fake_log,
                kept_calls=KEPT_CALLS,
            )
        if model.backend == "openai":
            return OpenAIChatModel(model)
        path = resolve_model_path(model.path)
        base_key = (path, model.n_ctx, model.n_threads, model.n_gpu_layers)
        base = self._bases.get(base_key)
        if base is None:
            base = LlamaBase(
                path,
                n_ctx=model.n_ctx,
                n_threads=model.n_threads,
                n_gpu_layers=model.n_gpu_layers,
                max_instances=model.max_instances,
            )
            self._bases[base_key] = base
        else:
            base.max_instances = max(base.max_instances, model.max_instances)
        adapter = resolve_adapter(agent, model).path  # custom, shipped (bundled base only) or none
        return LlamaCppModel(
            base, adapter=adapter, adapter_scale=model.adapter_scale, chat_template=model.chat_template
        )

    @property
    def llama_bases(self) -> list[LlamaBase]:
        return list(self._bases.values())

    def close(self) -> None:
        with self._lock:
            for model in self._models.values():
                model.close()
            for base in self._bases.values():
                base.close()
            self._models.clear()
            self._bases.clear()
