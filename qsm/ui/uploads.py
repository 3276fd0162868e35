"""Saving a browser upload before it is ingested into memory.

The name a browser sends is untrusted (``../../x.md``, ``/etc/cron.d/x``, ``C:\\x``): it never becomes a
path. Each upload goes into its own new private directory (``mkdtemp``, mode 0700) under a file name built
only from a whitelist of characters, so the ingest can still label its chunks ``notes.md``; the file is
created exclusively and the result is checked to lie directly inside that directory.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

__all__ = ["display_name", "saved_upload"]

_UNSAFE = re.compile(r"[^A-Za-z0-9_.-]+")
_MAX_STEM = 80
_MAX_SUFFIX = 10


def display_name(client_name: str) -> str:
    """A safe file name for ``client_name``: its last path part (either slash), characters outside
    ``A-Z a-z 0-9 _ . -`` turned into ``_`` (dropped from the suffix), no leading dots, at most 80
    characters before the suffix. The suffix is kept, so the ingest still refuses what it cannot read."""
    base = re.split(r"[\\/]", client_name)[-1]
    stem, dot, suffix = base.rpartition(".")
    if not dot:
        stem, suffix = base, ""
    suffix = _UNSAFE.sub("", suffix)[:_MAX_SUFFIX].lower()
    stem = _UNSAFE.sub("_", stem).lstrip(".").strip("_")[:_MAX_STEM] or "upload"
    return f"{stem}.{suffix}" if suffix else stem


@contextmanager
def saved_upload(data: bytes, client_name: str, parent: Path | None = None) -> Iterator[Path]:
    """Write ``data`` to a fresh private directory (under ``parent``, default the system temp dir) as
    :func:`display_name` of ``client_name``; yield the file's path; remove the directory afterwards."""
    if parent is not None:
        parent.mkdir(parents=True, exist_ok=True)
    private = Path(tempfile.mkdtemp(prefix="qsm-upload-", dir=parent))
    try:
        path = private / display_name(client_name)
        if path.parent != private:  # display_name cannot produce a separator; this guards any change to it
            raise ValueError(f"upload name {client_name!r} does not stay inside {private}")
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
        fd = os.open(path, flags, 0o600)
        with os.fdopen(fd, "wb") as out:
            out.write(data)
        yield path
    finally:
        shutil.rmtree(private, ignore_errors=True)
