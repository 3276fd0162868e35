"""How the chat's sidebar names a thread (its title or question cut at a word boundary, and its status in
words), groups threads by day, and which threads a search keeps."""

from __future__ import annotations

import time

__all__ = ["day_group", "matches", "short_title", "status_words", "thread_label"]

_WORDS = {
    "ok": ("answered", "green"),
    "rejected": ("no verified answer", "orange"),
    "budget_exhausted": ("out of budget", "orange"),
    "failed": ("failed", "red"),
    "error": ("error", "red"),
    "incomplete": ("incomplete", "grey"),
    "interrupted": ("stopped", "grey"),
    "running": ("running", "blue"),
    "waiting": ("waits for you", "violet"),
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


def matches(query: str, *texts: str) -> bool:
    """Whether every word of ``query`` is in one of ``texts`` (any case); an empty query keeps all."""
    words = query.lower().split()
    haystack = " ".join(texts).lower()
    return all(word in haystack for word in words)


def day_group(when: float, now: float) -> str:
    """The heading a thread last changed at ``when`` goes under (local time): Today, Yesterday, a weekday
    in the last week, then its date."""
    day, today = time.localtime(when), time.localtime(now)
    days = (_midnight(today) - _midnight(day)) // 86400
    if days <= 0:
        return "Today"
    if days == 1:
        return "Yesterday"
    if days < 7:
        return time.strftime("%A", day)
    return time.strftime("%d %b %Y", day).lstrip("0")


def _midnight(t: time.struct_time) -> int:
    return int(time.mktime((t.tm_year, t.tm_mon, t.tm_mday, 0, 0, 0, 0, 0, -1)))
