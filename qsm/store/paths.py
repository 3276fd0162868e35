"""Memory paths (``/knowledge/python``) and path globs (``/agents/{agent}/**``)."""

from __future__ import annotations

import fnmatch
import re

from qsm.errors import MemoryStoreError

__all__ = [
    "MAX_DEPTH",
    "VIEWS_ROOT",
    "agent_lessons_path",
    "ancestors",
    "glob_literal_prefix",
    "glob_matches",
    "is_under",
    "join",
    "knowledge_path",
    "normalize_path",
    "parent_of",
    "slug",
    "topic_from_path",
    "user_chats_path",
]

MAX_DEPTH = 16
VIEWS_ROOT = "/views"
_BAD_SEGMENT = re.compile(r"[\x00-\x1f\x7f*?\[\]{}\\]")
_GLOB_CHARS = re.compile(r"[*?\[]")


def normalize_path(path: str, *, allow_root: bool = True) -> str:
    """``/a//b/`` -> ``/a/b``; raise :class:`MemoryStoreError` for relative or malformed paths."""
    if not isinstance(path, str) or not path.strip().startswith("/"):
        raise MemoryStoreError(
            f"memory path {path!r} is not absolute", hint="paths start with '/', e.g. /knowledge/python"
        )
    segments = [s for s in path.strip().split("/") if s]
    for segment in segments:
        if segment in {".", ".."} or _BAD_SEGMENT.search(segment) or segment != segment.strip():
            raise MemoryStoreError(
                f"memory path {path!r} has an invalid segment {segment!r}",
                hint="use names without control characters, glob characters (*?[]{}), '.' or '..'",
            )
        if len(segment) > 128:
            raise MemoryStoreError(f"memory path segment {segment[:20]!r}... is longer than 128 characters")
    if len(segments) > MAX_DEPTH:
        raise MemoryStoreError(f"memory path {path!r} is deeper than {MAX_DEPTH} levels")
    if not segments and not allow_root:
        raise MemoryStoreError(
            "entries cannot live at '/'", hint="choose a directory such as /knowledge/notes"
        )
    return "/" + "/".join(segments)


def ancestors(path: str) -> list[str]:
    """Every prefix of a normalised path, itself included: ``/a/b`` -> ``['/a', '/a/b']``."""
    segments = [s for s in path.split("/") if s]
    return ["/" + "/".join(segments[: i + 1]) for i in range(len(segments))]


def is_under(path: str, prefix: str) -> bool:
    """True when ``path`` is ``prefix`` or below it (both normalised)."""
    return prefix == "/" or path == prefix or path.startswith(prefix + "/")


def parent_of(path: str) -> str:
    return path.rsplit("/", 1)[0] or "/"


def join(base: str, name: str) -> str:
    return f"{base.rstrip('/')}/{name}"


def topic_from_path(path: str) -> str:
    """``/knowledge/python/asyncio`` -> ``python/asyncio``; elsewhere the last segment."""
    segments = [s for s in path.split("/") if s]
    if len(segments) > 1 and segments[0] == "knowledge":
        return "/".join(segments[1:])
    return segments[-1] if segments else ""


def slug(text: str) -> str:
    """A path-safe segment made from a file name or title."""
    cleaned = re.sub(r"[^A-Za-z0-9._-]+", "-", text).strip("-.").lower()
    return cleaned[:64] or "untitled"


def glob_matches(pattern: str, path: str) -> bool:
    """Segment-wise glob match: ``*`` one segment (or part of one), ``**`` zero or more segments."""
    return _match([s for s in pattern.split("/") if s], [s for s in path.split("/") if s])


def _match(pattern: list[str], segments: list[str]) -> bool:
    if not pattern:
        return not segments
    head, rest = pattern[0], pattern[1:]
    if head == "**":
        return any(_match(rest, segments[i:]) for i in range(len(segments) + 1))
    return bool(segments) and fnmatch.fnmatchcase(segments[0], head) and _match(rest, segments[1:])


def glob_literal_prefix(pattern: str) -> str:
    """The directory a glob cannot leave: ``/users/*/chats`` -> ``/users``, ``/**`` -> ``/``."""
    literal: list[str] = []
    for segment in (s for s in pattern.split("/") if s):
        if _GLOB_CHARS.search(segment):
            break
        literal.append(segment)
    return "/" + "/".join(literal)


def user_chats_path(user_id: str) -> str:
    """Where a user's conversation lives: ``/users/<id>/chats`` (the id made path-safe)."""
    return f"/users/{_segment(user_id)}/chats"


def agent_lessons_path(agent: str) -> str:
    """Where an agent keeps what it learned: ``/agents/<name>/lessons``."""
    return f"/agents/{_segment(agent)}/lessons"


def knowledge_path(topic: str) -> str:
    """``/knowledge/<topic>``; a topic may have levels (``python/asyncio``)."""
    return "/knowledge/" + "/".join(_segment(part) for part in topic.split("/") if part.strip())


def _segment(name: str) -> str:
    """``name`` if it is a valid path segment, else a slug of it."""
    name = name.strip()
    valid = name and name not in {".", ".."} and "/" not in name and not _BAD_SEGMENT.search(name)
    return name if valid and len(name) <= 128 else slug(name)
