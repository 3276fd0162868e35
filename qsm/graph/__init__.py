"""qsm.graph: workflows of agents joined by typed entanglement channels, run on LangGraph."""

from qsm.graph.channels import Channel, ChannelBook, ChannelState
from qsm.graph.envelope import Envelope, StepCost
from qsm.graph.runner import (
    Checkpoint,
    RunEvent,
    RunResult,
    history,
    load_result,
    resume,
    run,
    stream,
    stream_resume,
)
from qsm.graph.runtime import Runtime
from qsm.graph.spec import Agent, Workflow

__all__ = [
    "Agent",
    "Channel",
    "ChannelBook",
    "ChannelState",
    "Checkpoint",
    "Envelope",
    "RunEvent",
    "RunResult",
    "Runtime",
    "StepCost",
    "Workflow",
    "history",
    "load_result",
    "resume",
    "run",
    "stream",
    "stream_resume",
]
