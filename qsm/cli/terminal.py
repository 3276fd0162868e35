"""Model text is untrusted on a terminal: escape sequences in it could recolour or clear the screen, set
the window title, write the clipboard (OSC 52) or fake a hyperlink. :func:`terminal_safe` leaves only
printable text, newlines and tabs."""

from __future__ import annotations

import re

__all__ = ["terminal_safe"]

_SEQUENCES = re.compile(
    r"\x1b\[[0-?]*[ -/]*[@-~]"  # CSI: colours, cursor moves, erase
    r"|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?"  # OSC: window title, hyperlinks, clipboard
    r"|\x1b[PX^_][^\x1b]*(?:\x1b\\)?"  # DCS, SOS, PM, APC strings
    r"|\x1b[ -/]*[0-~]"  # the other escape sequences
    r"|\x9b[0-?]*[ -/]*[@-~]"  # 8-bit CSI
    r"|\x9d[^\x07\x9c\x1b]*(?:\x07|\x9c)?"  # 8-bit OSC
)
# C0 controls but tab and newline, DEL, and the C1 controls (some terminals act on them).
_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def terminal_safe(text: str) -> str:
    """``text`` without terminal escape sequences and control characters (``\\n`` and ``\\t`` stay;
    ``\\r\\n`` becomes ``\\n``, a lone ``\\r``, which could overwrite a printed line, goes)."""
    if text.isprintable():
        return text
    return _CONTROLS.sub("", _SEQUENCES.sub("", text.replace("\r\n", "\n")))
