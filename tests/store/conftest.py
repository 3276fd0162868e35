"""Fixtures for the memory tests: the same tests run on the in-memory fake and on real Chroma."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from qsm.store import DirectoryMemory, FakeMemoryStore, MemorySettings, open_memory


class TickingClock:
    """Each reading is one second after the previous one, so entry order is deterministic."""

    def __init__(self) -> None:
        self.now = datetime(2025, 1, 1, tzinfo=UTC)

    def __call__(self) -> datetime:
        self.now += timedelta(seconds=1)
        return self.now


@pytest.fixture
def clock() -> TickingClock:
    return TickingClock()


@pytest.fixture
def hashing_settings() -> MemorySettings:
    return MemorySettings(embedder="hashing")


@pytest.fixture(params=["fake", "chroma"])
def memory(request: pytest.FixtureRequest, tmp_path: Path, clock: TickingClock) -> Iterator[DirectoryMemory]:
    """A memory on each backend; behaviour must be identical."""
    if request.param == "fake":
        store: DirectoryMemory = FakeMemoryStore(clock=clock)
    else:
        store = open_memory(MemorySettings(embedder="hashing"), tmp_path, clock=clock)
    yield store
    store.close()


@pytest.fixture
def chroma_memory(tmp_path: Path, clock: TickingClock) -> Iterator[Callable[..., DirectoryMemory]]:
    """Opens (and finally closes) Chroma memories in ``tmp_path``; pass settings fields as kwargs."""
    opened: list[DirectoryMemory] = []

    def open_(**fields: object) -> DirectoryMemory:
        settings = MemorySettings.model_validate({"embedder": "hashing", **fields})
        store = open_memory(settings, tmp_path, clock=clock)
        opened.append(store)
        return store

    yield open_
    for store in opened:
        store.close()
