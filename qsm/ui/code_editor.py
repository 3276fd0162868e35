"""A code editor for Streamlit that checks as you type: a small ``st.components.v2`` component (plain
JavaScript and CSS shipped in ``qsm/ui/static/``, no build step, nothing from the network) that sends its text
to Python a moment after the last keystroke and shows the problems Python found at their lines.

The caller owns the text: :func:`code_editor` shows ``text`` and calls ``on_edit(new_text)`` (from a
widget callback, before the rerun's script runs) whenever the user changed it, so the checks, the
topology and the buttons of that rerun see the new text. ``revision`` tells the browser when the caller
replaced the text itself (opened another file, saved a rewritten one): only then does the box take
``text`` over what is being typed. Where the component cannot run (a Streamlit without components v2) or
``plain`` is set, a plain ``st.text_area`` stands in, checked when it loses focus or on Ctrl+Enter."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

import streamlit as st

__all__ = ["DEBOUNCE_MS", "LineMark", "code_editor", "component_available"]

DEBOUNCE_MS = 400
"""How long after the last keystroke the editor sends its text to Python."""

_NAME = "qsm_code_editor"


@dataclass(frozen=True)
class LineMark:
    """A problem to show in the editor: at ``line`` (1-based; None: the whole text) and ``column``."""

    line: int | None
    message: str
    column: int | None = None


@cache
def _component() -> Callable[..., Any] | None:
    """The registered component's mount function; None where this Streamlit has no components v2."""
    v2 = getattr(getattr(st, "components", None), "v2", None)
    if v2 is None or not hasattr(v2, "component"):
        return None
    static = resources.files("qsm.ui") / "static"
    mount: Callable[..., Any] = v2.component(
        _NAME,
        js=(static / "code_editor.js").read_text(encoding="utf-8"),
        css=(static / "code_editor.css").read_text(encoding="utf-8"),
    )
    return mount


def component_available() -> bool:
    """Whether the live editor can be shown (else :func:`code_editor` shows a plain text area)."""
    return _component() is not None


def _took_edit(key: str, on_edit: Callable[[str], None]) -> None:
    """The component sent new text: hand it to the caller."""
    state = st.session_state.get(key)
    text = state.get("text") if isinstance(state, Mapping) else None
    if isinstance(text, str):
        on_edit(text)


def _took_plain_edit(key: str, on_edit: Callable[[str], None]) -> None:
    on_edit(st.session_state[key])


def code_editor(
    label: str,
    *,
    key: str,
    text: str,
    revision: int,
    on_edit: Callable[[str], None],
    marks: Sequence[LineMark] = (),
    height: int = 360,
    help: str | None = None,
    plain: bool = False,
) -> None:
    """Show ``text`` in an editor keyed ``key``; ``on_edit`` gets each change (see the module's doc).

    ``marks`` are drawn at their lines (the line tinted, its number marked, the message after it) for as
    long as the text in the box is the ``text`` they were found in; the status line under the box says
    "Checking…" while a newer text is on its way. ``help`` is the live editor's tooltip."""
    mount = None if plain else _component()
    if mount is None:
        box = f"{key}-plain"
        st.session_state[box] = text  # the caller's text, set before the widget is drawn
        st.text_area(
            label,
            key=box,
            height=height,
            help="Checked when you click outside the box or press Ctrl+Enter.",
            on_change=_took_plain_edit,
            args=(box, on_edit),
        )
        return
    mount(
        key=key,
        data={
            "text": text,
            "revision": revision,
            "marks": [{"line": m.line, "column": m.column, "message": m.message} for m in marks],
            "label": label,
            "help": help or "",
            "height": height,
            "debounce_ms": DEBOUNCE_MS,
        },
        on_text_change=lambda: _took_edit(key, on_edit),
    )
