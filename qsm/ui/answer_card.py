"""The final answer as people expect it in a chat: inline citations ``[n]`` linked to a numbered sources list
under the answer, a copy button, and the page's keyboard: Esc presses Stop (``st.chat_input`` already sends
on Enter and breaks the line on Shift+Enter)."""

from __future__ import annotations

import html
import json
import re
from collections.abc import Sequence
from typing import Any

from qsm.agents.messages import Citation

__all__ = ["copy_button", "esc_stops", "linked_citations", "source_anchor", "sources_html"]

_CITE = re.compile(r"\[(\d{1,3})\](?!\()")  # [3], not a markdown link's [3](...)


def source_anchor(final_id: str | None, n: int) -> str:
    """The HTML id of source ``n`` of the answer ``final_id`` (unique on a page of several answers)."""
    tail = re.sub(r"[^0-9A-Za-z]", "", final_id or "")[-10:] or "answer"
    return f"source-{tail}-{n}"


def linked_citations(text: str, citations: Sequence[Citation], final_id: str | None) -> str:
    """``text`` (markdown) with each ``[n]`` that names one of ``citations`` turned into a link to that
    source in the list under the answer; other brackets stay as they are."""

    def link(match: re.Match[str]) -> str:
        n = int(match.group(1))
        if not 1 <= n <= len(citations):
            return match.group(0)
        return f"[\\[{n}\\]](#{source_anchor(final_id, n)} {json.dumps(citations[n - 1].path)})"

    return _CITE.sub(link, text)


def sources_html(citations: Sequence[Citation], final_id: str | None) -> str:
    """The numbered sources list (HTML for ``st.markdown(..., unsafe_allow_html=True)``): each item is the
    target of its ``[n]`` links, with its memory path, entry id and quote; everything is escaped."""
    items = []
    for n, cite in enumerate(citations, 1):
        quote = f"<br><small>{html.escape(cite.quote[:400])}</small>" if cite.quote else ""
        items.append(
            f'<li id="{source_anchor(final_id, n)}"><code>{html.escape(cite.path)}</code> · '
            f"<code>{html.escape(cite.entry_id)}</code>{quote}</li>"
        )
    return '<ol class="qsm-sources">' + "".join(items) + "</ol>"


_COPY = """<style>html, body {{ margin: 0; overflow: hidden; }}</style><div style="font-family:sans-serif">
<button id="copy" type="button" title="Copy the answer (markdown)" style="cursor:pointer;
 border:1px solid rgba(128,128,128,.45);border-radius:.5rem;background:transparent;color:#888;
 padding:.2rem .7rem;font-size:.85rem">Copy</button>
<textarea id="text" readonly style="position:absolute;left:-9999px">{text}</textarea></div>
<script>
const button = document.getElementById("copy"), area = document.getElementById("text");
function copied(ok) {{ button.textContent = ok ? "Copied" : "Copy failed"; }}
button.addEventListener("click", () => {{
  const text = area.value;
  const fallback = () => {{ area.select(); let ok = false;
    try {{ ok = document.execCommand("copy"); }} catch (e) {{}} copied(ok); }};
  if (navigator.clipboard && window.isSecureContext) {{
    navigator.clipboard.writeText(text).then(() => copied(true), fallback);
  }} else {{ fallback(); }}
}});
</script>"""


def copy_button(where: Any, text: str) -> None:
    """A Copy button in ``where`` that puts ``text`` on the clipboard and then reads "Copied"."""
    where.iframe(_COPY.format(text=html.escape(text)), width=84, height=34)


# Runs in the page itself (not the component's frame, which Streamlit may drop at any rerun), once per page.
_ESC = """<script>
const page = window.parent.document;
if (!page.getElementById("qsm-esc-stops")) {
  const script = page.createElement("script");
  script.id = "qsm-esc-stops";
  script.textContent = `document.addEventListener("keydown", (event) => {
    if (event.key !== "Escape" || event.isComposing) return;
    const stop = document.querySelector(".st-key-stop button");
    if (stop) { event.preventDefault(); stop.click(); }
  }, true);`;
  page.head.appendChild(script);
}
</script>"""


def esc_stops() -> None:
    """Esc anywhere on the page (the message box included) presses the running chat's Stop button."""
    import streamlit as st

    with st.container(key="esc-stops", height=1, border=False):
        st.iframe(_ESC, height=1)
