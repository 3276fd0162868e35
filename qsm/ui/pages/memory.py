"""Memory browser: the directory tree, search within a subtree, entries with their provenance."""

from __future__ import annotations

from typing import Any

import streamlit as st

from qsm.store.paths import is_under, normalize_path, parent_of, user_chats_path
from qsm.ui import services
from qsm.ui.login import signed_in

_MARKDOWN_SPECIAL = str.maketrans({c: "\\" + c for c in "\\`*_{}[]()#+-.!|<>~$"})


def _flatten(node: Any, depth: int = 0) -> list[tuple[str, str]]:
    """(path, label) per directory, depth first. Radio labels are markdown, where leading spaces make a
    code block: the label is indented with no-break spaces and its name escaped instead."""
    count = f" ({node.total})" if node.total is not None else " (view)"
    indent = "\u00a0\u00a0\u00a0" * (depth - 1) + "└\u00a0" if depth else ""
    rows = [(node.path, indent + (node.name or "/").translate(_MARKDOWN_SPECIAL) + count)]
    for child in node.children:
        rows += _flatten(child, depth + 1)
    return rows


def show_entry(entry: Any) -> None:
    st.markdown(entry.text)
    p = entry.provenance
    st.caption(
        f"`{entry.id}` · path `{entry.path}` · topic {entry.topic} · by {entry.writer} · "
        f"confidence {entry.confidence:.2f} · source {entry.source or '-'} · {entry.created_at:%Y-%m-%d %H:%M}"
    )
    st.caption(
        f"provenance: {p.operation} by {p.by} at {p.at:%Y-%m-%d %H:%M:%S}"
        + (f" · parents {', '.join(p.parents)}" if p.parents else "")
        + (f" · merged {', '.join(p.merged)}" if p.merged else "")
    )


def body() -> None:
    rt = services.runtime()
    st.title("Memory")
    mem = rt.memory
    if mem is None:
        st.info("Memory is not available in this runtime.")
        return
    me = signed_in()
    root = "/" if me is None else parent_of(user_chats_path(me))  # signed in: only the user's own subtree
    left, right = st.columns([1, 2])
    with left:
        st.subheader("Directories")
        rows = _flatten(mem.tree(root, depth=4))
        labels = dict(rows)
        path = st.radio(
            "Directory", [p for p, _ in rows], format_func=lambda p: labels[p], label_visibility="collapsed"
        )
        stats = mem.stats()
        st.caption(", ".join(f"{k}: {v}" for k, v in stats.items() if not isinstance(v, dict)))
    with right:
        query = st.text_input("Search", placeholder="what are you looking for?")
        under = st.text_input("within", value=path or root)
        if query and not is_under(normalize_path(under), root):
            st.error(f"You can search only within {root}.")
        elif query:
            hits = mem.search(query, under=under, k=8, as_agent="user")
            st.caption(f"{len(hits)} hit(s) under {under}")
            for hit in hits:
                with st.expander(f"{hit.score:.2f} · {hit.entry.path} · {hit.entry.text[:70]}"):
                    show_entry(hit.entry)
        else:
            listing = mem.ls(path or root, as_agent="user", limit=200)
            st.subheader(listing.path)
            if listing.view is not None:
                st.caption(
                    f"saved view: query={listing.view.query!r} where={listing.view.where} under {listing.view.under}"
                )
            for entry in listing.entries:
                with st.expander(f"{entry.topic} · {entry.text[:80]}"):
                    show_entry(entry)
            if not listing.entries:
                st.caption("No entries directly here; pick a subdirectory.")
        with st.expander("Curation log (Ref's dedupe, summaries, re-filing)"):
            for record in mem.curation_log(limit=50):
                if not is_under(record.path, root):
                    continue
                st.caption(
                    f"#{record.seq} {record.at:%Y-%m-%d %H:%M} {record.by} {record.operation} {record.path}: "
                    f"{len(record.inputs)} in → {len(record.outputs)} out"
                )


services.guarded(body)
