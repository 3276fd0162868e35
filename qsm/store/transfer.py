"""Export a memory to JSON Lines and import it back (a backup that needs no vectors: they are
recomputed on import, so an export also moves a memory to another embedder).

Line 1 is a header; then one object per entry, view, redirect and curation record, each with a
``type`` field. Import checks every line before it writes anything.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any, TextIO

from pydantic import ValidationError

from qsm.errors import MemoryStoreError
from qsm.store.engine import FORMAT_VERSION, MemoryEngine, entry_order
from qsm.store.listing import check_view
from qsm.store.models import CurationRecord, ImportReport, MemoryEntry, ViewDefinition, entry_id

__all__ = ["EXPORT_FORMAT", "export_memory", "import_memory"]

EXPORT_FORMAT = "qsm-memory-export"
_BATCH = 500


def export_memory(engine: MemoryEngine, out: TextIO) -> int:
    """Write every entry, view, redirect and log record; return the number of entries."""
    entries = sorted(engine.find(None), key=lambda e: (e.path, *entry_order(e)))
    header = {
        "type": "header",
        "format": EXPORT_FORMAT,
        "version": FORMAT_VERSION,
        "embedder": engine.embedder.name,
        "exported_at": engine.now().isoformat(),
        "entries": len(entries),
    }
    _write(out, [header])
    _write(out, ({"type": "entry", **e.model_dump(mode="json")} for e in entries))
    _write(out, ({"type": "view", **v.model_dump(mode="json")} for v in engine.sidecar.views()))
    _write(
        out, ({"type": "redirect", "old": o, "new": n} for o, n in sorted(engine.sidecar.redirects().items()))
    )
    _write(out, ({"type": "log", **r.model_dump(mode="json", exclude={"seq"})} for r in engine.sidecar.log()))
    return len(entries)


def _write(out: TextIO, objects: Iterable[dict[str, Any]]) -> None:
    for obj in objects:
        out.write(json.dumps(obj, ensure_ascii=False, sort_keys=True) + "\n")


def import_memory(engine: MemoryEngine, source: TextIO, as_agent: str) -> ImportReport:
    """Restore an export; entries already present are skipped, provenance is kept as exported."""
    entries: list[MemoryEntry] = []
    views: list[ViewDefinition] = []
    redirects: dict[str, str] = {}
    records: list[CurationRecord] = []
    saw_header = False
    for number, line in enumerate(source, start=1):
        if not line.strip():
            continue
        obj = _parse(line, number)
        kind = obj.pop("type", None)
        if not saw_header:
            if kind != "header" or obj.get("format") != EXPORT_FORMAT:
                raise MemoryStoreError(
                    f"line {number} is not a qsm memory export header",
                    hint="pass a file made by `qsm memory export`",
                )
            saw_header = True
            continue
        try:
            if kind == "entry":
                entry = MemoryEntry.model_validate(obj)
                if entry.id != entry_id(entry.text, entry.path, entry.key):
                    raise ValueError("its id does not match its text and path (edited or damaged)")
                engine.entry_path(entry.path)
                entries.append(entry)
            elif kind == "view":
                views.append(check_view(ViewDefinition.model_validate(obj)))
            elif kind == "redirect":
                redirects[str(obj["old"])] = str(obj["new"])
            elif kind == "log":
                records.append(CurationRecord.model_validate({**obj, "seq": 0}))
            else:
                raise ValueError(f"unknown line type {kind!r}")
        except (ValidationError, ValueError, KeyError, MemoryStoreError) as exc:
            problem = exc.errors()[0]["msg"] if isinstance(exc, ValidationError) else str(exc)
            first_hint = ""
            if isinstance(exc, MemoryStoreError):
                problem, first_hint = exc.message, f"{exc.hint}; " if exc.hint else ""
            raise MemoryStoreError(
                f"line {number} of the export is invalid: {problem}",
                hint=f"{first_hint}nothing was imported; fix or re-export",
            ) from None
    if not saw_header:
        raise MemoryStoreError("the export is empty", hint="pass a file made by `qsm memory export`")
    for path in sorted({e.path for e in entries} | {v.path for v in views}):
        engine.policy.require(as_agent, "curate", path)
    added: list[str] = []
    for start in range(0, len(entries), _BATCH):
        added += engine.store(entries[start : start + _BATCH])[1]
    for view in views:
        engine.sidecar.put_view(view, None, None)
    engine.sidecar.add_redirects(redirects)
    logged = sum(engine.sidecar.import_log_record(r) for r in records)
    if added:
        engine.log(as_agent, "import", "/", inputs=[], outputs=added)
    return ImportReport(
        entries_added=len(added),
        entries_skipped=len(entries) - len(added),
        views=len(views),
        log_records=logged,
    )


def _parse(line: str, number: int) -> dict[str, Any]:
    try:
        obj = json.loads(line)
    except json.JSONDecodeError as exc:
        raise MemoryStoreError(
            f"line {number} of the export is not JSON ({exc.msg})",
            hint="nothing was imported; fix or re-export",
        ) from None
    if not isinstance(obj, dict):
        raise MemoryStoreError(
            f"line {number} of the export is not a JSON object", hint="nothing was imported"
        )
    return obj
