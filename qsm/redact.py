"""Keep credentials written inside URLs (``http://user:password@host/v1``) out of what qsm shows or stores.

Every :class:`qsm.errors.QsmError` passes its message and hint through :func:`redact_urls`, and the run store
passes what it records through it too, so a model-server password in ``model.url`` reaches neither the
terminal, the app, nor ``runs.sqlite``.
"""

from __future__ import annotations

import re

__all__ = ["REDACTED", "redact_url", "redact_urls"]

REDACTED = "***"

# scheme://userinfo@ where userinfo has no '/', '@' or whitespace; the scheme is what RFC 3986 allows.
_USERINFO = re.compile(r"(?P<scheme>\b[A-Za-z][A-Za-z0-9+.-]*://)(?P<userinfo>[^/@\s'\"<>]+)@")


def redact_urls(text: str) -> str:
    """``text`` with the user-info part of every URL in it replaced: ``http://***@host/v1``."""
    if "@" not in text:
        return text
    return _USERINFO.sub(lambda m: f"{m['scheme']}{REDACTED}@", text)


def redact_url(url: str | None) -> str | None:
    """One URL without its user name and password (None stays None)."""
    return None if url is None else redact_urls(url)
