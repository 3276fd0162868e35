"""Graphviz DOT of a workflow's topology (rendered offline by Streamlit's bundled Graphviz)."""

from __future__ import annotations

from qsm.graph import Channel, Envelope, Workflow
from qsm.graph.export import channel_traffic
from qsm.graph.spec import USER

__all__ = ["ROLE_COLOURS", "dark_theme", "topology_dot"]

ROLE_COLOURS = {
    "coordinator": "#e3f2fd",
    "communicator": "#e8f5e9",
    "economist": "#fff3e0",
    "reflector": "#f3e5f5",
    "custom": "#eceff1",
}


_EDGE = {False: "#455a64", True: "#b0bec5"}  # an edge and its label on a light / a dark background


def dark_theme() -> bool:
    """Whether the page is drawn in a dark theme (the person's or the app's choice), so that graphs draw
    their edges light."""
    import streamlit as st  # the page's context; the drawing below needs no Streamlit

    try:
        return st.context.theme.type == "dark"
    except (AttributeError, RuntimeError):  # outside a page run (a script or a test without a session)
        return False


def topology_dot(
    workflow: Workflow,
    channels: list[Channel],
    *,
    trace: list[Envelope] | None = None,
    active_agent: str | None = None,
    active_channel: str | None = None,
    compact: bool = False,
    dark: bool = False,
) -> str:
    """Agents as boxes coloured by role; channels as edges whose width follows strength, dashed when
    dormant, dotted grey when isolated; ``active_*`` highlight the live (or replayed) step.

    ``compact`` is for a narrow column (the chat's live graph, a few hundred pixels wide): top to
    bottom, edge labels without the strength (the line width shows it), so that scaled to the column
    the labels stay readable. ``dark`` draws the edges and their labels light, for a dark theme (the boxes
    keep their light fills)."""
    counts = {k: len(v) for k, v in channel_traffic(trace or []).items()}
    layout = (
        "rankdir=TB; nodesep=0.25; ranksep=0.45; pad=0.1;"
        if compact
        else "rankdir=LR; nodesep=0.5; ranksep=0.9; pad=0.3;"
    )
    node_size, edge_size = (22, 18) if compact else (14, 11)
    lines = [
        "digraph qsm {",
        f'  {layout} bgcolor="transparent";',
        f'  node [shape=box, style="rounded,filled", fontname="Helvetica", fontsize={node_size}, '
        'penwidth=1.2, margin="0.15,0.06"];',
        f'  edge [fontname="Helvetica", fontsize={edge_size}, arrowsize=0.7];',
        f'  "{USER}" [shape=ellipse, fillcolor="#fafafa", label="user"];',
    ]
    for agent in workflow.agents:
        colour = "#ffd54f" if agent.name == active_agent else ROLE_COLOURS.get(agent.role, "#eceff1")
        width = 3 if agent.name == active_agent else 1.2
        lines.append(
            f'  "{agent.name}" [fillcolor="{colour}", penwidth={width}, label="{agent.name}\\n{agent.role}"];'
        )
    for node in workflow.nodes:  # Python functions (qsm.graph.flow): a note shape, labelled "python"
        colour = "#ffd54f" if node.name == active_agent else "#fffde7"
        lines.append(f'  "{node.name}" [shape=note, fillcolor="{colour}", label="{node.name}\\npython"];')
    for ch in channels:
        strength = "" if compact else f" {ch.strength:.2f}"
        label = f"{ch.type}{strength}" + (f" ×{counts[ch.key]}" if ch.key in counts else "")
        style = {"active": "solid", "dormant": "dashed", "isolated": "dotted"}[ch.state]
        colour = ("#757575" if dark else "#9e9e9e") if ch.state == "isolated" else _EDGE[dark]
        if ch.key == active_channel:
            colour, style = "#d84315", "bold"
        lines.append(
            f'  "{ch.source}" -> "{ch.target}" [label="{label}", style={style}, color="{colour}", '
            f'fontcolor="{colour}", penwidth={0.6 + 3.4 * ch.strength:.2f}];'
        )
    lines.append("}")
    return "\n".join(lines)
