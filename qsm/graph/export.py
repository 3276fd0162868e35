"""Export a workflow's topology and a run's traffic as networkx graphs, mermaid text or JSON."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import networkx as nx

from qsm.graph.channels import Channel
from qsm.graph.envelope import Envelope
from qsm.graph.spec import USER, Workflow

__all__ = ["channel_traffic", "mermaid", "topology_graph", "topology_text", "traffic_graph"]


def topology_graph(workflow: Workflow, channels: list[Channel] | None = None) -> nx.MultiDiGraph[str]:
    """Agents as nodes (with role), channels as keyed edges (type, strength, state)."""
    graph: nx.MultiDiGraph[str] = nx.MultiDiGraph(name=workflow.name, kind=workflow.kind)
    graph.add_node(USER, role="user")
    for agent in workflow.agents:
        graph.add_node(agent.name, role=agent.role)
    for channel in channels or workflow.channels:
        graph.add_edge(
            channel.source,
            channel.target,
            key=channel.type,
            type=channel.type,
            strength=round(channel.strength, 3),
            state=channel.state,
        )
    return graph


def traffic_graph(trace: list[Envelope]) -> nx.DiGraph[str]:
    """The run as a hash-linked DAG: one node per content id, edges from parent to child."""
    graph: nx.DiGraph[str] = nx.DiGraph()
    for env in trace:
        graph.add_node(
            env.id,
            type=env.type,
            source=env.source,
            target=env.target,
            node=env.node,
            tokens=env.cost.tokens,
            created_at=env.created_at,
        )
        for parent in env.parents:
            graph.add_edge(parent, env.id)
    return graph


def channel_traffic(trace: list[Envelope]) -> dict[str, list[Envelope]]:
    """Messages per channel key ``source->target:Type``, in order."""
    out: dict[str, list[Envelope]] = defaultdict(list)
    for env in trace:
        out[f"{env.source}->{env.target}:{env.type}"].append(env)
    return dict(out)


def mermaid(
    workflow: Workflow,
    channels: list[Channel] | None = None,
    trace: list[Envelope] | None = None,
    active: str | None = None,
) -> str:
    """Mermaid flowchart: edge labels show type, strength and (with a trace) the message count; dormant
    channels are dotted, isolated ones crossed out; ``active`` highlights the agent speaking now."""
    counts = {k: len(v) for k, v in channel_traffic(trace or []).items()}
    lines = ["flowchart LR", f"  {USER}([user])"]
    for agent in workflow.agents:
        lines.append(f'  {agent.name}["{agent.name}<br/><small>{agent.role}</small>"]')
    for ch in channels or workflow.channels:
        label = f"{ch.type} {ch.strength:.2f}"
        if n := counts.get(ch.key):
            label += f" ×{n}"
        arrow = {"active": "-->", "dormant": "-.->", "isolated": "--x"}[ch.state]
        lines.append(f'  {ch.source} {arrow}|"{label}"| {ch.target}')
    if active:
        lines.append(f"  style {active} fill:#ffd54f,stroke:#f57f17,stroke-width:3px")
    return "\n".join(lines)


def topology_text(workflow: Workflow, channels: list[Channel] | None = None) -> str:
    rows = [f"workflow {workflow.name} ({workflow.kind}): {workflow.description}".rstrip(": "), "agents:"]
    rows += [f"  {a.name:<10} {a.role}" for a in workflow.agents]
    rows.append("channels:")
    for ch in channels or workflow.channels:
        rows.append(
            f"  {ch.source:>8} -> {ch.target:<8} {ch.type:<12} strength {ch.strength:.2f}  {ch.state}"
        )
    return "\n".join(rows)


def as_json(workflow: Workflow, channels: list[Channel] | None = None) -> dict[str, Any]:
    return nx.node_link_data(topology_graph(workflow, channels), edges="edges")
