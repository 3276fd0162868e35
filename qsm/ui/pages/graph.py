"""Graph inspector: the topology with live channel strengths, messages per channel, replay of a run."""

from __future__ import annotations

import streamlit as st

from qsm.graph import Workflow, load_result
from qsm.graph.export import channel_traffic
from qsm.ui import services
from qsm.ui.graph_view import dark_theme, topology_dot
from qsm.ui.login import own_threads
from qsm.ui.router_view import show_routing
from qsm.ui.run_diff_view import show_run_diff
from qsm.ui.run_view import render_message


def body() -> None:
    rt = services.runtime()
    st.title("Graph inspector")
    threads = own_threads(rt.runs.threads(50))
    options = ["(topology only)"] + [t.thread_id for t in threads]
    labels = {t.thread_id: f"{t.thread_id} · {t.workflow} · {t.request[:50]}" for t in threads}
    chosen = st.selectbox("Run", options, index=1 if threads else 0, format_func=lambda v: labels.get(v, v))
    workflow, trace = Workflow.default(), []
    if chosen != "(topology only)":
        loaded = load_result(chosen, rt)
        if loaded is not None:
            result, workflow = loaded
            trace = result.trace
    channels = rt.channel_book(workflow).channels()
    step = None
    if trace:
        step = st.slider(
            "Replay step", 0, len(trace), len(trace), help="0 = before the run; move to replay it"
        )
    shown = trace[:step] if step is not None else trace
    current = shown[-1] if shown else None
    st.graphviz_chart(
        topology_dot(
            workflow,
            channels,
            trace=shown,
            active_agent=current.source if current and step != len(trace) else None,
            active_channel=f"{current.source}->{current.target}:{current.type}"
            if current and step != len(trace)
            else None,
            dark=dark_theme(),
        ),
        width="stretch",
    )
    if current is not None and step:
        st.markdown(f"**Step {step}/{len(trace)}**")
        render_message(st, current)
        st.json(current.payload, expanded=False)
    show_routing(st, trace, rt.settings.runtime.router_path)
    st.subheader("Channels")
    traffic = channel_traffic(trace)
    rows = [
        {
            "channel": c.key,
            "type": c.type,
            "strength": round(c.strength, 3),
            "state": c.state,
            "messages": len(traffic.get(c.key, [])),
        }
        for c in channels
    ]
    st.dataframe(rows, hide_index=True, width="stretch")
    keys = [c.key for c in channels]
    picked = st.selectbox(
        "Messages on channel", keys, index=next((i for i, k in enumerate(keys) if traffic.get(k)), 0)
    )
    for env in traffic.get(picked, []):
        with st.expander(f"{env.type} · {env.id[:24]}…"):
            render_message(st, env)
            st.caption("parents: " + (", ".join(f"`{p}`" for p in env.parents) or "none"))
            st.json(env.payload)
    if not traffic.get(picked):
        st.caption("No messages on this channel in the selected run.")
    if chosen != "(topology only)":
        show_run_diff(st, rt, chosen, trace)


services.guarded(body)
