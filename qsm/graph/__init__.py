"""qsm.graph: workflows of agents joined by typed entanglement channels, run on LangGraph.

Names are imported on first use (:mod:`qsm.lazy`): ``qsm.graph.settings`` loads without LangGraph.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from qsm.lazy import lazy_exports

if TYPE_CHECKING:
    from qsm.graph.aio import aresume, arun, astream, astream_resume
    from qsm.graph.channels import Channel, ChannelBook
    from qsm.graph.conversation import Conversation
    from qsm.graph.embed import as_langgraph
    from qsm.graph.envelope import Envelope
    from qsm.graph.human import ask_user
    from qsm.graph.runner import RunEvent, RunResult, history, load_result, resume, run, stream, stream_resume
    from qsm.graph.runtime import Runtime
    from qsm.graph.spec import Agent, Workflow

__all__ = [
    "Agent",
    "Channel",
    "ChannelBook",
    "Conversation",
    "Envelope",
    "RunEvent",
    "RunResult",
    "Runtime",
    "Workflow",
    "aresume",
    "arun",
    "as_langgraph",
    "ask_user",
    "astream",
    "astream_resume",
    "history",
    "load_result",
    "resume",
    "run",
    "stream",
    "stream_resume",
]

_EXPORTS = {
    "qsm.graph.aio": ("aresume", "arun", "astream", "astream_resume"),
    "qsm.graph.embed": ("as_langgraph",),
    "qsm.graph.human": ("ask_user",),
    "qsm.graph.channels": ("Channel", "ChannelBook"),
    "qsm.graph.conversation": ("Conversation",),
    "qsm.graph.envelope": ("Envelope",),
    "qsm.graph.runner": (
        "RunEvent",
        "RunResult",
        "history",
        "load_result",
        "resume",
        "run",
        "stream",
        "stream_resume",
    ),
    "qsm.graph.runtime": ("Runtime",),
    "qsm.graph.spec": ("Agent", "Workflow"),
}
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
