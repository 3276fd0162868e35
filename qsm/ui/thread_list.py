"""How the chat's sidebar names a thread: its question cut at a word boundary, and its status in words."""

from __future__ import annotations

__all__ = ["short_title", "status_words", "thread_label"]

_WORDS = {
    "ok": ("answered", "green"),
    "rejected": ("no verified answer", "orange"),
    "budget_exhausted": ("out of budget", "orange"),
    "failed": ("failed", "red"),
    "error": ("error", "red"),
    "incomplete": ("incomplete", "grey"),
    "interrupted": ("stopped", "grey"),
    "running": ("running", "blue"),
}
_MARKDOWN_SPECIAL = str.maketrans({c: "\\" + c for c in "\\`*_{}[]()#+-.!|<>~$:"})


def short_title(text: str, limit: int = 40) -> str:
    """``text`` on one line, cut to at most ``limit`` characters at a word boundary, with an ellipsis
    when cut. A first word longer than half the limit is cut inside the word."""
    line = " ".join(text.split())
    if len(line) <= limit:
        return line or "(empty)"
    head = line[: limit + 1]  # one more: a space right after the limit means the last word fits whole
    cut = head.rsplit(" ", 1)[0] if " " in head else ""
    if len(cut) < limit // 2:
        cut = line[: limit - 1]
    return cut.rstrip(" ,.;:-–—") + "…"


def status_words(status: str, *, live: bool) -> tuple[str, str]:
    """(words, colour) for a run store status. A thread marked ``running`` that no run in this app
    drives (``live`` false) was stopped, or its process died: it reads ``stopped``."""
    if status == "running" and not live:
        status = "interrupted"
    return _WORDS.get(status, (status.replace("_", " "), "grey"))


def thread_label(request: str, status: str, *, live: bool) -> str:
    """The thread's button label (Streamlit markdown): short title, then its status in colour."""
    words, colour = status_words(status, live=live)
    return f"{short_title(request).translate(_MARKDOWN_SPECIAL)} · :{colour}[{words}]"
