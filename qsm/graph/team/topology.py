"""The team graph: the whole topology on one screen (the channels are in :mod:`qsm.graph.builtin_team`).

QSM.plan -> SOM.budget -> QSM.dispatch -> draft x N -> Ref.verify -> (Ref.diagnose -> draft)* -> QSM.collapse
-> SOM.settle -> QSM.commit; a spent budget goes straight to QSM.collapse.
"""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING

from langgraph.graph import END, START, StateGraph

from qsm.graph.spec import Workflow
from qsm.graph.state import RunState
from qsm.graph.team import candidate, measure, plan
from qsm.graph.team.context import TeamContext

if TYPE_CHECKING:
    from qsm.graph.runtime import Runtime

__all__ = ["NODES", "build_team_graph"]

NODES = (
    "QSM.plan",
    "SOM.budget",
    "QSM.dispatch",
    "draft",
    "Ref.verify",
    "Ref.diagnose",
    "QSM.collapse",
    "SOM.settle",
    "QSM.commit",
)


def build_team_graph(workflow: Workflow, runtime: Runtime) -> StateGraph:
    ctx = TeamContext(workflow, runtime)
    graph = StateGraph(RunState)
    graph.add_node("QSM.plan", partial(plan.plan, ctx))
    graph.add_node("SOM.budget", partial(plan.budget, ctx))
    graph.add_node("QSM.dispatch", partial(plan.dispatch, ctx), destinations=("draft", "QSM.collapse"))
    graph.add_node("draft", partial(candidate.draft, ctx), destinations=("Ref.verify", "QSM.collapse"))
    graph.add_node(
        "Ref.verify", partial(candidate.verify, ctx), destinations=("Ref.diagnose", "QSM.collapse")
    )
    graph.add_node("Ref.diagnose", partial(candidate.diagnose, ctx), destinations=("draft", "QSM.collapse"))
    graph.add_node("QSM.collapse", partial(measure.collapse, ctx), destinations=("SOM.settle", END))
    graph.add_node("SOM.settle", partial(measure.settle_costs, ctx))
    graph.add_node("QSM.commit", ctx.steps.commit)
    graph.add_edge(START, "QSM.plan")
    graph.add_conditional_edges("QSM.plan", plan.after_plan, ["SOM.budget", "QSM.collapse"])
    graph.add_conditional_edges("SOM.budget", plan.after_budget, ["QSM.dispatch", "QSM.collapse"])
    graph.add_edge("SOM.settle", "QSM.commit")
    graph.add_edge("QSM.commit", END)
    return graph
