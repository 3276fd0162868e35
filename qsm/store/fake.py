"""An in-memory memory store for unit tests: same behaviour as the Chroma one, no files, no model."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from qsm.store.backend import InMemoryBackend
from qsm.store.embedder import Embedder, HashingEmbedder
from qsm.store.engine import EngineOptions, MemoryEngine, backend_info
from qsm.store.memory import DirectoryMemory
from qsm.store.rights import AccessPolicy
from qsm.store.sidecar import Sidecar

__all__ = ["FakeMemoryStore"]


class FakeMemoryStore(DirectoryMemory):
    """:class:`DirectoryMemory` on an exact in-process index and the hashing embedder."""

    def __init__(
        self,
        *,
        policy: AccessPolicy | None = None,
        embedder: Embedder | None = None,
        options: EngineOptions | None = None,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        embedder = embedder or HashingEmbedder()
        engine = MemoryEngine(
            InMemoryBackend(backend_info(embedder)),
            Sidecar.in_memory(),
            embedder,
            policy or AccessPolicy(),
            options or EngineOptions(),
            clock,
        )
        super().__init__(engine)
