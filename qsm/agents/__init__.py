"""qsm.agents: model backends (llama.cpp, OpenAI-compatible HTTP, fake), the four roles, messages, and an
agent as a langchain-core chat model (``AgentChatModel``).

Names are imported on first use (:mod:`qsm.lazy`): ``qsm.agents.settings`` loads without llama.cpp.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from qsm.lazy import lazy_exports

if TYPE_CHECKING:
    from qsm.agents.backend import (
        ChatModel,
        ModelRequest,
        allow_real_models,
        real_models_allowed,
        set_real_models_allowed,
    )
    from qsm.agents.fake import FakeChatModel
    from qsm.agents.langchain_model import AgentChatModel
    from qsm.agents.llama import LlamaBase, LlamaCppModel
    from qsm.agents.locate import bundled_model_path
    from qsm.agents.openai_http import OpenAIChatModel
    from qsm.agents.pool import ModelPool
    from qsm.agents.settings import AgentSettings, Sampling
    from qsm.agents.structured import generate_structured

__all__ = [
    "AgentChatModel",
    "AgentSettings",
    "ChatModel",
    "FakeChatModel",
    "LlamaBase",
    "LlamaCppModel",
    "ModelPool",
    "ModelRequest",
    "OpenAIChatModel",
    "Sampling",
    "allow_real_models",
    "bundled_model_path",
    "generate_structured",
    "real_models_allowed",
    "set_real_models_allowed",
]

_EXPORTS = {
    "qsm.agents.backend": (
        "ChatModel",
        "ModelRequest",
        "allow_real_models",
        "real_models_allowed",
        "set_real_models_allowed",
    ),
    "qsm.agents.fake": ("FakeChatModel",),
    "qsm.agents.langchain_model": ("AgentChatModel",),
    "qsm.agents.llama": ("LlamaBase", "LlamaCppModel"),
    "qsm.agents.locate": ("bundled_model_path",),
    "qsm.agents.openai_http": ("OpenAIChatModel",),
    "qsm.agents.pool": ("ModelPool",),
    "qsm.agents.settings": ("AgentSettings", "Sampling"),
    "qsm.agents.structured": ("generate_structured",),
}
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
