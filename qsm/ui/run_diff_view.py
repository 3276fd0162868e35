"""The inspector's comparison of two runs of one workflow: which messages changed, by content id."""

from __future__ import annotations

from collections import Counter
from typing import Any

from qsm.graph import Envelope, load_result
from qsm.graph.run_diff import diff_runs
from qsm.graph.runtime import Runtime

__all__ = ["show_run_diff"]


def _short(env: Envelope | None) -> str:
    return env.id[:22] + "…" if env is not None else "—"


def show_run_diff(st: Any, rt: Runtime, thread_id: str, trace: list[Envelope]) -> None:
    """Offer the other runs of ``thread_id``'s workflow and show how the chosen one differs."""
    info = rt.runs.thread(thread_id)
    if info is None:
        return
    others = [t for t in rt.runs.threads(200) if t.workflow == info.workflow and t.thread_id != thread_id]
    st.subheader(f"Compare with another run of {info.workflow}")
    if not others:
        st.caption(f"No other run of {info.workflow} yet.")
        return
    labels = {t.thread_id: f"{t.thread_id} · {t.request[:50]}" for t in others}
    other = st.selectbox(
        "Other run", [t.thread_id for t in others], format_func=lambda v: labels[v], key="diff-other"
    )
    loaded = load_result(other, rt)
    if loaded is None:
        return
    diffs = diff_runs(trace, loaded[0].trace)
    counts = Counter(d.status for d in diffs)
    st.markdown(" · ".join(f"**{n}** {status}" for status, n in counts.items()))
    st.dataframe(
        [
            {
                "channel": d.channel,
                "#": d.index,
                "status": d.status,
                "this run": _short(d.first),
                "other run": _short(d.second),
                "fields changed": ", ".join(d.changed_fields),
            }
            for d in diffs
        ],
        hide_index=True,
        width="stretch",
    )
