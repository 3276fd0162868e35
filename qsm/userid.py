"""User ids: who is asking. An id becomes one segment of a memory path (``/users/<id>/chats``), so it is
checked wherever it enters (CLI ``--user``, :func:`qsm.run` / :func:`qsm.stream`, the app's "You are"):
a name such as ``alice/chats`` or ``..`` must never reach another user's memory."""

from __future__ import annotations

import re

from qsm.errors import InvalidUserIdError

__all__ = ["USER_ID_PATTERN", "check_user_id"]

USER_ID_PATTERN = r"[A-Za-z0-9_.-]{1,64}"
_VALID = re.compile(USER_ID_PATTERN)


def check_user_id(user: object) -> str:
    """``user`` if it is a safe id (1-64 of ``A-Z a-z 0-9 _ . -``, no ``..``, not ``.``), else raise
    :class:`InvalidUserIdError` (exit code 2)."""
    if not isinstance(user, str) or not _VALID.fullmatch(user) or ".." in user or user == ".":
        shown = repr(user)[:80]
        raise InvalidUserIdError(
            f"invalid user id {shown}: a user id is 1-64 letters, digits, '_', '.' or '-' "
            "(no '/', no spaces, no '..'), because it names that user's memory",
            hint="pick a plain name, e.g. --user alice",
        )
    return user
