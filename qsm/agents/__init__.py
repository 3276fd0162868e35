"""qsm.agents: model backends (llama.cpp, OpenAI-compatible HTTP, fake), the four roles, messages."""

from qsm.agents.backend import (
    ChatMessage,
    ChatModel,
    Completion,
    allow_real_models,
    real_models_allowed,
    set_real_models_allowed,
)
from qsm.agents.fake import FakeCall, FakeChatModel
from qsm.agents.llama import LlamaBase, LlamaCppModel
from qsm.agents.locate import bundled_model_path
from qsm.agents.openai_http import OpenAIChatModel
from qsm.agents.pool import ModelPool
from qsm.agents.settings import AgentSettings, ModelSettings, Sampling
from qsm.agents.structured import generate_structured

__all__ = [
    "AgentSettings",
    "ChatMessage",
    "ChatModel",
    "Completion",
    "FakeCall",
    "FakeChatModel",
    "LlamaBase",
    "LlamaCppModel",
    "ModelPool",
    "ModelSettings",
    "OpenAIChatModel",
    "Sampling",
    "allow_real_models",
    "bundled_model_path",
    "generate_structured",
    "real_models_allowed",
    "set_real_models_allowed",
]
