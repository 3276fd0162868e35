"""Facet filters mean the same on the in-memory backend as in Chroma (checked on random filters)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qsm.errors import MemoryStoreError
from qsm.store import InMemoryBackend, Record
from qsm.store.chroma_backend import ChromaBackend
from qsm.store.filters import subtree, translate
from qsm.store.paths import ancestors

PATHS = [
    "/knowledge/python",
    "/knowledge/python/async",
    "/knowledge/rust",
    "/users/alice/chats",
    "/agents/Ref",
]
WRITERS = ["WeQ", "Ref", "user"]
LANGS = ["en", "de"]


def _records() -> list[Record]:
    rng = np.random.default_rng(7)
    records = []
    for i in range(40):
        path = PATHS[i % len(PATHS)]
        meta: dict[str, Any] = {
            "path": path,
            "ancestors": ancestors(path),
            "writer": WRITERS[i % 3],
            "confidence": round(float(rng.choice([0.1, 0.5, 0.9, 1.0])), 2),
            "created_ms": 1_700_000_000_000 + i * 1000,
        }
        if i % 4:
            meta["x_lang"] = LANGS[i % 2]
        if i % 5 == 0:
            meta["x_flag"] = bool(i % 2)
        vector = rng.normal(size=8).astype(np.float32)
        records.append(Record(f"r{i:02d}", f"doc {i}", meta, vector / np.linalg.norm(vector)))
    return records


@pytest.fixture(scope="module")
def backends(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[InMemoryBackend, ChromaBackend]]:
    fake = InMemoryBackend({})
    chroma = ChromaBackend.persistent(Path(tmp_path_factory.mktemp("filters")))
    chroma.open_collection("filter-parity", {"qsm_format": 1}, create=True)
    records = _records()
    fake.add(records)
    chroma.add(records)
    yield fake, chroma
    chroma.close()


COMPARE = st.sampled_from(["$gt", "$gte", "$lt", "$lte"])
leaf = st.one_of(
    st.builds(lambda w: {"writer": w}, st.sampled_from(WRITERS)),
    st.builds(lambda op, c: {"confidence": {op: c}}, COMPARE, st.sampled_from([0.1, 0.5, 0.9])),
    st.builds(
        lambda op, ws: {"writer": {op: ws}},
        st.sampled_from(["$in", "$nin"]),
        st.lists(st.sampled_from(WRITERS), min_size=1, max_size=2),
    ),
    st.builds(lambda op, lang: {"lang": {op: lang}}, st.sampled_from(["$eq", "$ne"]), st.sampled_from(LANGS)),
    st.builds(lambda flag: {"flag": flag}, st.booleans()),
    st.builds(lambda n: {"created_at": {"$gte": 1_700_000_000_000 + n * 1000}}, st.integers(0, 40)),
    st.builds(lambda p: {"path": p}, st.sampled_from(PATHS)),
)


def _combined(inner: st.SearchStrategy[dict[str, Any]]) -> st.SearchStrategy[dict[str, Any]]:
    parts = st.lists(inner, min_size=2, max_size=3)
    return st.builds(lambda op, items: {op: items}, st.sampled_from(["$and", "$or"]), parts)


filters = st.recursive(leaf, _combined, max_leaves=5)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(where=filters, under=st.sampled_from(["/", "/knowledge", "/knowledge/python", "/users"]))
def test_filters_select_the_same_records(
    backends: tuple[InMemoryBackend, ChromaBackend], where: dict[str, Any], under: str
) -> None:
    fake, chroma = backends
    translated = translate(where)
    clause = translated if under == "/" else {"$and": [subtree(under), translated]}
    expected = sorted(r.id for r in fake.find(clause))
    assert sorted(r.id for r in chroma.find(clause)) == expected
    query = _records()[3].vector
    assert query is not None
    near_fake = [r.id for r, _ in fake.nearest(query, 5, clause)]
    near_chroma = [r.id for r, _ in chroma.nearest(query, 5, clause)]
    assert near_chroma == near_fake  # tiny collection: Chroma's index is exact here


def test_translate_maps_facets_and_rejects_unknown_operators() -> None:
    assert translate({"writer": "WeQ", "lang": {"$in": ["en"]}}) == {
        "$and": [{"writer": {"$eq": "WeQ"}}, {"x_lang": {"$in": ["en"]}}]
    }
    assert translate({"$or": [{"topic": "a"}]}) == {"topic": {"$eq": "a"}}
    assert translate(None) is None and translate({}) is None
    for bad in (
        {"$not": {}},
        {"writer": {"$like": "W"}},
        {"writer": {"$eq": "a", "$ne": "b"}},
        {"n": {"$eq": {}}},
    ):
        with pytest.raises(MemoryStoreError):
            translate(bad)
