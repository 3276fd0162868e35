"""The checkpoint serializer: the run database is untrusted input, so loading it never runs code.

LangGraph's default :class:`JsonPlusSerializer` rebuilds any Python object a checkpoint names (module,
name, arguments), so a patched ``runs.sqlite`` could call ``os.system`` when a thread is read. qsm's
serializer rebuilds only the types on an allow-list: LangGraph's own safe set (``Send``, ``Command``,
``Interrupt``, datetimes, ...) and qsm's channel message types. A checkpoint naming anything else, in any
format other than msgpack (``pickle``, legacy ``json`` constructors), is refused with
:class:`UnsafeCheckpointError` before anything is built from it.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from langgraph.checkpoint.serde.event_hooks import SerdeEvent, register_serde_event_listener
from langgraph.checkpoint.serde.jsonplus import JsonPlusSerializer

from qsm.agents.messages import MESSAGE_TYPES
from qsm.errors import UnsafeCheckpointError

__all__ = ["ALLOWED_TYPES", "SafeSerializer"]

ALLOWED_TYPES: frozenset[tuple[str, str]] = frozenset(
    (cls.__module__, cls.__name__) for cls in MESSAGE_TYPES.values()
)
"""qsm's own types a checkpoint may hold, besides LangGraph's built-in safe set."""

# Formats a checkpoint may use: qsm writes msgpack (plus LangGraph's markers for empty and raw values).
_FORMATS = frozenset({"msgpack", "null", "bytes", "bytearray"})
_BLOCKED = frozenset({"msgpack_blocked", "msgpack_method_blocked"})
_HINT = (
    "the run database was changed by something other than qsm; move runs.sqlite (in the data dir) aside "
    "to start afresh (on PostgreSQL: remove the thread's rows or use a new database), or restore it from a "
    "backup"
)
_loading = threading.local()


def _record_blocked(event: SerdeEvent) -> None:
    refused: list[str] | None = getattr(_loading, "refused", None)
    if refused is not None and event["kind"] in _BLOCKED:
        method = f".{event['method']}" if event.get("method") else ""
        refused.append(f"{event['module']}.{event['name']}{method}")


class _DropBlockedWarnings(logging.Filter):
    """LangGraph also logs each blocked type with advice to allow it; qsm's error replaces that."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith("Blocked deserialization")


register_serde_event_listener(_record_blocked)
logging.getLogger(JsonPlusSerializer.__module__).addFilter(_DropBlockedWarnings())


class SafeSerializer(JsonPlusSerializer):
    """:class:`JsonPlusSerializer` in strict mode with qsm's allow-list; a refused type is an error
    (:class:`UnsafeCheckpointError`), never a silently changed value."""

    def __init__(self) -> None:
        super().__init__(
            pickle_fallback=False, allowed_json_modules=None, allowed_msgpack_modules=tuple(ALLOWED_TYPES)
        )

    def loads_typed(self, data: tuple[str, bytes]) -> Any:
        kind = data[0]
        if kind not in _FORMATS:
            raise UnsafeCheckpointError(
                f"the run database holds a checkpoint in the {kind!r} format, which qsm never writes "
                "and does not load (it could run code)",
                hint=_HINT,
            )
        _loading.refused = []
        try:
            value = super().loads_typed(data)
            refused = _loading.refused
        finally:
            _loading.refused = None
        if refused:
            names = ", ".join(sorted(set(refused)))
            raise UnsafeCheckpointError(
                f"the run database holds a checkpoint that names {names}; qsm loads only its own types "
                "and LangGraph's, so it was not loaded and nothing in it ran",
                hint=_HINT,
            )
        return value
