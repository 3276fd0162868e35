"""The default workflow: the whole topology on one screen.

user --UserRequest--> QSM --Plan--> SOM --Budget--> QSM --Task x N--> WeQ|SOM (drafts in parallel)
WeQ|SOM --Draft--> Ref --Verdict--> QSM            (accept / reject: the candidate is settled)
                   Ref --RepairPlan--> WeQ|SOM     (revise: bounded repair loop)
QSM --FinalAnswer--> user (collapse: ref_rank | vote | merge);  QSM --FinalAnswer--> SOM --CostReport--> user
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from langgraph.graph import END, START, StateGraph

from qsm.graph.channels import Channel
from qsm.graph.spec import Agent, Workflow
from qsm.graph.state import RunState

if TYPE_CHECKING:
    from qsm.graph.runtime import Runtime

__all__ = ["NODES", "build_team_graph", "default_workflow", "required_channels"]

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


def default_workflow() -> Workflow:
    channel = Channel
    return Workflow(
        name="team",
        kind="team",
        description="QSM plans and routes, SOM budgets, WeQ drafts N candidates, Ref verifies, QSM collapses",
        agents=[
            Agent(name="QSM", role="coordinator"),
            Agent(name="WeQ", role="communicator"),
            Agent(name="SOM", role="economist"),
            Agent(name="Ref", role="reflector"),
        ],
        channels=[
            channel(source="user", target="QSM", type="UserRequest", strength=1.0),
            channel(source="QSM", target="SOM", type="Plan", strength=0.8),
            channel(source="SOM", target="QSM", type="Budget", strength=0.8),
            channel(source="QSM", target="WeQ", type="Task", strength=0.9),
            channel(source="QSM", target="SOM", type="Task", strength=0.6),
            channel(source="WeQ", target="Ref", type="Draft", strength=0.9),
            channel(source="SOM", target="Ref", type="Draft", strength=0.6),
            channel(source="Ref", target="QSM", type="Verdict", strength=0.8),
            channel(source="Ref", target="WeQ", type="RepairPlan", strength=0.7),
            channel(source="Ref", target="SOM", type="RepairPlan", strength=0.5),
            channel(source="QSM", target="user", type="FinalAnswer", strength=1.0),
            channel(source="QSM", target="SOM", type="FinalAnswer", strength=0.5),
            channel(source="SOM", target="user", type="CostReport", strength=0.5),
        ],
    ).check()


def required_channels(workflow: Workflow) -> list[tuple[str, str, str]]:
    """Channels the team steps send on, named after the workflow's agents for each role."""
    q, w, s, r = (workflow.by_role(x).name for x in ("coordinator", "communicator", "economist", "reflector"))
    return [
        ("user", q, "UserRequest"),
        (q, s, "Plan"),
        (s, q, "Budget"),
        (q, w, "Task"),
        (w, r, "Draft"),
        (r, q, "Verdict"),
        (r, w, "RepairPlan"),
        (q, "user", "FinalAnswer"),
        (q, s, "FinalAnswer"),
        (s, "user", "CostReport"),
    ]


def build_team_graph(workflow: Workflow, runtime: Runtime) -> StateGraph:
    from qsm.graph.steps import TeamSteps

    steps = TeamSteps(workflow, runtime)
    graph = StateGraph(RunState)
    graph.add_node("QSM.plan", steps.plan)
    graph.add_node("SOM.budget", steps.budget)
    graph.add_node("QSM.dispatch", steps.dispatch, destinations=("draft", "QSM.collapse"))
    graph.add_node("draft", steps.draft, destinations=("Ref.verify", "QSM.collapse"))
    graph.add_node("Ref.verify", steps.verify, destinations=("Ref.diagnose", "QSM.collapse"))
    graph.add_node("Ref.diagnose", steps.diagnose, destinations=("draft", "QSM.collapse"))
    graph.add_node("QSM.collapse", steps.collapse, destinations=("SOM.settle", END))
    graph.add_node("SOM.settle", steps.settle)
    graph.add_node("QSM.commit", steps.commit)
    graph.add_edge(START, "QSM.plan")
    graph.add_conditional_edges("QSM.plan", steps.after_plan, ["SOM.budget", "QSM.collapse"])
    graph.add_conditional_edges("SOM.budget", steps.after_budget, ["QSM.dispatch", "QSM.collapse"])
    graph.add_edge("SOM.settle", "QSM.commit")
    graph.add_edge("QSM.commit", END)
    return graph
