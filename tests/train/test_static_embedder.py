"""`qsm train embedder`: the static stand-in of MiniLM is distilled on local text (a small corpus here) and
written with its card; the teacher's vectors are cached for the next run."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from qsm.cli import cli
from qsm.store import MiniLMEmbedder
from qsm.store.static_embedder import StaticEmbedder
from qsm.train.static_embedder import training_texts


def test_the_corpus_is_local_deterministic_and_leaves_the_benchmark_text_out() -> None:
    texts = training_texts(60_000, seed=3)
    assert texts == training_texts(60_000, seed=3) and texts != training_texts(60_000, seed=4)
    assert 60_000 <= sum(map(len, texts)) < 60_000 + 1_300
    from pydoc_data.topics import topics

    reference = {topics[name].strip()[:200] for name in topics}
    assert not any(text[:200] in reference for text in texts)


def test_train_embedder_writes_a_table_that_moves_towards_minilm(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("QSM_DATA_DIR", str(tmp_path / "data"))
    out = tmp_path / "table.npz"
    args = ["train", "embedder", "--corpus-mb", "0.1", "--epochs", "2", "--seed", "1", "--out", str(out)]
    result = CliRunner().invoke(cli, args, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "epoch 2/2" in result.output and f"static embedder: {out}" in result.output
    card = out.with_name("table.md").read_text()
    assert "qsm train embedder --seed 1 --epochs 2 --corpus-mb 0.1" in card
    start, end = (
        float(x) for x in card.split("cosine to MiniLM ")[1].split(" after")[0].split(" at the start,\n  ")
    )
    assert end > start + 0.03, card

    again = CliRunner().invoke(cli, args, catch_exceptions=False)
    assert "teacher vectors from" in again.output, "the teacher's vectors are cached"
    static = StaticEmbedder(out)
    texts = ["How to install a Python package with pip.", "A recipe for sourdough bread."]
    assert static.embed(texts).shape == (2, 384)
    assert np.argmax(MiniLMEmbedder().embed(texts) @ static.embed(texts).T, axis=1).tolist() == [0, 1]
