"""Dynamic-directory memory on Chroma: entries at paths (``/users/<id>/chats``,
``/agents/<name>/lessons``, ``/knowledge/<topic>``) with facets and provenance, saved views,
per-agent rights per subtree, document ingestion, and logged curation (dedupe, summarise, re-file).

Usage::

    mem = open_memory(settings.memory, settings.data_dir)
    mem.write("asyncio.gather runs awaitables concurrently", path="/knowledge/python", as_agent="WeQ")
    hits = mem.search("run coroutines at once", under="/knowledge", as_agent="WeQ")

Names are imported on first use (:mod:`qsm.lazy`): ``qsm.store.settings`` loads without Chroma.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from qsm.lazy import lazy_exports

if TYPE_CHECKING:
    from qsm.store.backend import InMemoryBackend, Record
    from qsm.store.embedder import Embedder, HashingEmbedder, make_embedder
    from qsm.store.fake import FakeMemoryStore
    from qsm.store.ingest import chunk_text, read_document
    from qsm.store.memory import DirectoryMemory
    from qsm.store.minilm import MiniLMEmbedder
    from qsm.store.models import EntryDraft, entry_id
    from qsm.store.opening import open_memory
    from qsm.store.protocol import MemoryStore
    from qsm.store.rights import AccessPolicy, PathAccessDenied
    from qsm.store.settings import AccessRuleSettings, MemorySettings

__all__ = [
    "AccessPolicy",
    "AccessRuleSettings",
    "DirectoryMemory",
    "Embedder",
    "EntryDraft",
    "FakeMemoryStore",
    "HashingEmbedder",
    "InMemoryBackend",
    "MemorySettings",
    "MemoryStore",
    "MiniLMEmbedder",
    "PathAccessDenied",
    "Record",
    "chunk_text",
    "entry_id",
    "make_embedder",
    "open_memory",
    "read_document",
]

_EXPORTS = {
    "qsm.store.backend": ("InMemoryBackend", "Record"),
    "qsm.store.embedder": ("Embedder", "HashingEmbedder", "make_embedder"),
    "qsm.store.fake": ("FakeMemoryStore",),
    "qsm.store.ingest": ("chunk_text", "read_document"),
    "qsm.store.memory": ("DirectoryMemory",),
    "qsm.store.minilm": ("MiniLMEmbedder",),
    "qsm.store.models": ("EntryDraft", "entry_id"),
    "qsm.store.opening": ("open_memory",),
    "qsm.store.protocol": ("MemoryStore",),
    "qsm.store.rights": ("AccessPolicy", "PathAccessDenied"),
    "qsm.store.settings": ("AccessRuleSettings", "MemorySettings"),
}
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
