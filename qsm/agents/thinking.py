"""Split a reasoning model's ``<think>...</think>`` from its answer."""

from __future__ import annotations

import re

__all__ = ["THINK_CLOSE", "THINK_OPEN", "ThinkStream", "split_thinking"]

THINK_OPEN = "<think>"
THINK_CLOSE = "</think>"
_BLOCK = re.compile(r"<think>(.*?)</think>", re.DOTALL)


def split_thinking(text: str) -> tuple[str, str]:
    """Return ``(thinking, answer)``.

    Handles several closed blocks, a block left open (the model ran out of tokens while thinking: all
    of it is thinking), and the DeepSeek-R1 style where the template already opened the block so the
    output starts inside it and only ``</think>`` appears.
    """
    thoughts = [m.strip() for m in _BLOCK.findall(text)]
    rest = _BLOCK.sub("", text)
    if THINK_OPEN in rest:  # an unclosed block: everything after it is thinking
        before, _, after = rest.partition(THINK_OPEN)
        thoughts.append(after.strip())
        rest = before
    elif THINK_CLOSE in rest:  # the template opened the block for the model
        inside, _, after = rest.partition(THINK_CLOSE)
        thoughts.insert(0, inside.strip())
        rest = after
    return "\n\n".join(t for t in thoughts if t), rest.strip()


class ThinkStream:
    """Classifies streamed pieces as thinking or answer, even when a tag is split across pieces."""

    def __init__(self) -> None:
        self.inside = False
        self._held = ""

    def feed(self, piece: str) -> list[tuple[bool, str]]:
        """Returns ``[(is_thinking, text), ...]`` for what can be released now."""
        out: list[tuple[bool, str]] = []
        buffer = self._held + piece
        self._held = ""
        while buffer:
            tag = THINK_CLOSE if self.inside else THINK_OPEN
            at = buffer.find(tag)
            if at >= 0:
                if at:
                    out.append((self.inside, buffer[:at]))
                self.inside = not self.inside
                buffer = buffer[at + len(tag) :]
                continue
            keep = _partial_tag_suffix(buffer, tag)
            if len(buffer) > keep:
                out.append((self.inside, buffer[: len(buffer) - keep]))
            self._held = buffer[len(buffer) - keep :] if keep else ""
            break
        return out

    def flush(self) -> list[tuple[bool, str]]:
        held, self._held = self._held, ""
        return [(self.inside, held)] if held else []


def _partial_tag_suffix(text: str, tag: str) -> int:
    for size in range(min(len(tag) - 1, len(text)), 0, -1):
        if text.endswith(tag[:size]):
            return size
    return 0
