"""Dynamic-directory memory on Chroma: entries at paths (``/users/<id>/chats``,
``/agents/<name>/lessons``, ``/knowledge/<topic>``) with facets and provenance, saved views,
per-agent rights per subtree, document ingestion, and logged curation (dedupe, summarise, re-file).

Usage::

    mem = open_memory(settings.memory, settings.data_dir)
    mem.write("asyncio.gather runs awaitables concurrently", path="/knowledge/python", as_agent="WeQ")
    hits = mem.search("run coroutines at once", under="/knowledge", as_agent="WeQ")
"""

from qsm.store.backend import InMemoryBackend, Record, VectorBackend
from qsm.store.embedder import Embedder, HashingEmbedder, make_embedder
from qsm.store.engine import EngineOptions
from qsm.store.fake import FakeMemoryStore
from qsm.store.ingest import chunk_text, read_document
from qsm.store.memory import DirectoryMemory
from qsm.store.minilm import MiniLMEmbedder
from qsm.store.models import (
    CurationRecord,
    DedupeReport,
    DirInfo,
    DirListing,
    DuplicateGroup,
    EntryDraft,
    ImportReport,
    IngestReport,
    MemoryEntry,
    Provenance,
    SearchHit,
    TreeNode,
    ViewDefinition,
    entry_id,
)
from qsm.store.opening import memory_directory, open_memory
from qsm.store.paths import agent_lessons_path, knowledge_path, user_chats_path
from qsm.store.protocol import MemoryStore
from qsm.store.rights import DEFAULT_RULES, AccessPolicy, AccessRule, PathAccessDenied
from qsm.store.settings import AccessRuleSettings, MemorySettings

__all__ = [
    "DEFAULT_RULES",
    "AccessPolicy",
    "AccessRule",
    "AccessRuleSettings",
    "CurationRecord",
    "DedupeReport",
    "DirInfo",
    "DirListing",
    "DirectoryMemory",
    "DuplicateGroup",
    "Embedder",
    "EngineOptions",
    "EntryDraft",
    "FakeMemoryStore",
    "HashingEmbedder",
    "ImportReport",
    "InMemoryBackend",
    "IngestReport",
    "MemoryEntry",
    "MemorySettings",
    "MemoryStore",
    "MiniLMEmbedder",
    "PathAccessDenied",
    "Provenance",
    "Record",
    "SearchHit",
    "TreeNode",
    "VectorBackend",
    "ViewDefinition",
    "agent_lessons_path",
    "chunk_text",
    "entry_id",
    "knowledge_path",
    "make_embedder",
    "memory_directory",
    "open_memory",
    "read_document",
    "user_chats_path",
]
