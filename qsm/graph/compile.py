"""Compile a workflow into its LangGraph graph with the runtime's checkpointer, once per runtime and spec."""

from __future__ import annotations

import threading
import weakref
from typing import Any

from qsm.graph.pipeline import build_pipeline_graph
from qsm.graph.runtime import Runtime, workflow_key
from qsm.graph.spec import Workflow
from qsm.graph.team import build_team_graph

__all__ = ["compiled"]

_cache: weakref.WeakKeyDictionary[Runtime, dict[str, Any]] = weakref.WeakKeyDictionary()
_lock = threading.Lock()


def compiled(runtime: Runtime, workflow: Workflow) -> Any:
    """The compiled graph of ``workflow`` on ``runtime`` (cached while the runtime lives)."""
    key = workflow_key(workflow)
    with _lock:
        graph = _cache.setdefault(runtime, {}).get(key)
    if graph is None:
        build = build_team_graph if workflow.kind == "team" else build_pipeline_graph
        graph = build(workflow, runtime).compile(checkpointer=runtime.runs.saver, name=workflow.name)
        with _lock:
            graph = _cache[runtime].setdefault(key, graph)
    return graph
