"""Distil the static embedding table (:mod:`qsm.store.static_embedder`) from MiniLM: ``qsm train embedder``.

Corpus: English text every install has, read in a fixed order: the descriptions of the installed Python
distributions (their METADATA) and the docstrings of the standard library, cut as ingest cuts documents
(plus shorter windows of the same text, since documents end in short chunks). ``pydoc_data`` (Python's
reference topics) is left out: the ingest benchmark measures retrieval on it.

Teacher: the MiniLM sentence embedding of each text (cached under the training directory). Student: one
vector per token; a text's vector is the mean of its tokens' vectors. Starting from each token's own
MiniLM output, centred (tokens the corpus never shows keep it), the table is fitted with Adam to maximise
the cosine to the teacher, then stored as int8 rows with a scale each.
"""

from __future__ import annotations

import ast
import hashlib
import json
import random
import sysconfig
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np

from qsm.store.ingest import chunk_text
from qsm.store.minilm import MiniLMEmbedder, locate_model_files
from qsm.store.static_embedder import StaticEmbedder, save_static_table

__all__ = ["StaticFit", "distil_static_embedder", "training_texts"]

SHORT_WINDOWS = 0.5  # shorter windows per chunk, as a share of the chunks


@dataclass(frozen=True)
class StaticFit:
    """What a distillation did, for the card."""

    texts: int
    corpus_bytes: int
    tokens_seen: int
    epochs: int
    seed: int
    teacher: str
    teacher_seconds: float
    fit_seconds: float
    held_out_cosine_start: float
    held_out_cosine: float
    bytes_written: int


def _metadata_texts() -> Iterator[str]:
    dists = sorted(metadata.distributions(), key=lambda d: (d.metadata["Name"] or "").lower())
    for dist in dists:
        message: Any = dist.metadata  # an email.message.Message: the description is its payload
        body = message.get_payload()
        if isinstance(body, str) and body.strip():
            yield body


def _docstrings() -> Iterator[str]:
    stdlib = Path(sysconfig.get_paths()["stdlib"])
    for file in sorted(stdlib.rglob("*.py")):
        parts = set(file.relative_to(stdlib).parts)
        if parts & {"pydoc_data", "test", "tests", "site-packages", "idlelib", "lib2to3"}:
            continue
        try:
            tree = ast.parse(file.read_text(encoding="utf-8", errors="ignore"))
        except (SyntaxError, ValueError):
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
                doc = ast.get_docstring(node)
                if doc and len(doc) >= 80:
                    yield doc


def training_texts(max_bytes: int, seed: int) -> list[str]:
    """Chunks (and shorter windows) of the corpus, shuffled by ``seed``, up to ``max_bytes`` of text."""
    rng = random.Random(seed)
    chunks = [
        c.text for doc in (*_metadata_texts(), *_docstrings()) for c in chunk_text(doc) if len(c.text) > 60
    ]
    rng.shuffle(chunks)
    texts: list[str] = []
    size = 0
    for chunk in chunks:
        texts.append(chunk)
        size += len(chunk)
        if rng.random() < SHORT_WINDOWS:
            n = rng.randint(40, min(400, len(chunk)))
            start = rng.randint(0, len(chunk) - n)
            texts.append(chunk[start : start + n])
            size += n
        if size >= max_bytes:
            break
    return texts


def _teacher_vectors(
    texts: list[str], teacher: MiniLMEmbedder, cache: Path, log: Callable[[str], None]
) -> tuple[np.ndarray, float]:
    key = hashlib.sha256(json.dumps([teacher.name, texts]).encode("utf-8")).hexdigest()
    if cache.is_file():
        with np.load(cache, allow_pickle=False) as data:
            if str(data["key"]) == key:
                log(f"teacher vectors from {cache}")
                return data["vectors"], float(data["seconds"])
    log(f"embedding {len(texts)} texts with {teacher.name} (the teacher; cached in {cache})")
    start = time.perf_counter()
    vectors = teacher.embed(texts)
    seconds = time.perf_counter() - start
    cache.parent.mkdir(parents=True, exist_ok=True)
    with cache.open("wb") as out:
        np.savez(out, key=np.array(key), vectors=vectors, seconds=np.array(seconds))
    return vectors, seconds


def _token_alone(session: Any, tokenizer: Any, dim: int) -> np.ndarray:
    """The starting table: each token's MiniLM output in ``[CLS] token [SEP]``, less the mean over the
    vocabulary (the part every token shares). Tokens the corpus never shows keep these vectors."""
    vocab, cls, sep = (
        tokenizer.get_vocab_size(),
        tokenizer.token_to_id("[CLS]"),
        tokenizer.token_to_id("[SEP]"),
    )
    table = np.zeros((vocab, dim), dtype=np.float32)
    for start in range(0, vocab, 512):
        rows = np.arange(start, min(vocab, start + 512))
        ids = np.stack([np.full(len(rows), cls), rows, np.full(len(rows), sep)], axis=1).astype(np.int64)
        feed = {"input_ids": ids, "attention_mask": np.ones_like(ids), "token_type_ids": np.zeros_like(ids)}
        table[rows] = session.run(None, feed)[0][:, 1]
    return table - table.mean(axis=0)


def distil_static_embedder(
    out: Path,
    cache_dir: Path,
    *,
    seed: int = 0,
    epochs: int = 12,
    max_bytes: int = 4_000_000,
    learning_rate: float = 5e-3,
    threads: int = 2,
    log: Callable[[str], None] = print,
) -> StaticFit:
    """Fit the token table to MiniLM on the corpus and write it to ``out`` (int8, compressed)."""
    import torch

    torch.manual_seed(seed)
    torch.set_num_threads(threads)
    teacher = MiniLMEmbedder(threads=threads, batch_size=8)
    texts = training_texts(max_bytes, seed)
    targets, teacher_seconds = _teacher_vectors(texts, teacher, cache_dir / "teacher.npz", log)
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(locate_model_files()[1]))
    tokenizer.enable_truncation(max_length=256)
    tokenizer.no_padding()
    ids = [torch.tensor(e.ids) for e in tokenizer.encode_batch(texts)]
    vocab = tokenizer.get_vocab_size()
    session, _ = teacher._load()
    start = time.perf_counter()
    table = torch.nn.EmbeddingBag(vocab, targets.shape[1], mode="mean")
    table.weight.data = torch.tensor(_token_alone(session, tokenizer, targets.shape[1]))
    goal = torch.tensor(targets)
    order = np.random.default_rng(seed).permutation(len(texts))
    held, train = order[: max(1, len(texts) // 12)], order[len(texts) // 12 :]

    def cosine(rows: np.ndarray) -> Any:
        flat = torch.cat([ids[i] for i in rows])
        offsets = torch.tensor(np.cumsum([0] + [len(ids[i]) for i in rows[:-1]]))
        guess = torch.nn.functional.normalize(table(flat, offsets), dim=1)
        return (guess * goal[rows]).sum(dim=1).mean()

    with torch.no_grad():
        before = float(cosine(held))
    optimiser = torch.optim.Adam(table.parameters(), lr=learning_rate)
    schedule = torch.optim.lr_scheduler.CosineAnnealingLR(optimiser, T_max=epochs)
    shuffle = np.random.default_rng(seed + 1)
    for epoch in range(epochs):
        shuffle.shuffle(train)
        for batch in range(0, len(train), 64):
            loss = 1.0 - cosine(train[batch : batch + 64])
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
        schedule.step()
        with torch.no_grad():
            log(f"epoch {epoch + 1}/{epochs}: held-out cosine to MiniLM {float(cosine(held)):.4f}")
    with torch.no_grad():
        after = float(cosine(held))
    fit_seconds = time.perf_counter() - start
    save_static_table(out, table.weight.data.numpy(), teacher.name)
    StaticEmbedder(out).embed(["check that the written table loads"])
    return StaticFit(
        texts=len(texts),
        corpus_bytes=sum(len(t) for t in texts),
        tokens_seen=len(set(torch.cat(ids).tolist())),
        epochs=epochs,
        seed=seed,
        teacher=teacher.name,
        teacher_seconds=round(teacher_seconds, 1),
        fit_seconds=round(fit_seconds, 1),
        held_out_cosine_start=round(before, 4),
        held_out_cosine=round(after, 4),
        bytes_written=out.stat().st_size,
    )


def card_text(fit: StaticFit, command: str) -> str:
    """The table's card: data, steps, figures, and how to rebuild it."""
    return f"""# Static MiniLM stand-in (`minilm-static.npz`)

One learned vector per token of MiniLM's tokenizer; a text's vector is the mean of its tokens' vectors,
L2-normalised, in the vector space of `{fit.teacher}` (queries embedded by MiniLM search it). Ingest uses
it to make a document searchable at once; `qsm memory refine` re-embeds the chunks with MiniLM.

- Data: {fit.texts} texts, {fit.corpus_bytes / 1e6:.1f} MB: the descriptions (METADATA) of the installed
  Python distributions and the docstrings of the standard library, cut as ingest cuts documents (800
  characters, 100 overlap) plus shorter windows; `pydoc_data` left out (the benchmark measures on it).
  {fit.tokens_seen} distinct tokens seen; the others keep their starting vectors.
- Teacher: {fit.teacher}, mean-pooled sentence embeddings ({fit.teacher_seconds:.0f} s to embed the corpus).
- Steps: start from each token's own MiniLM output ([CLS] token [SEP], the token's position) less the
  vocabulary's mean vector; {fit.epochs} epochs of Adam (batch 64, cosine
  learning-rate decay) on 1 - cosine to the teacher; seed {fit.seed}; stored as int8 rows with a scale each
  ({fit.bytes_written / 1e6:.1f} MB). Fit time {fit.fit_seconds:.0f} s on the CPU.
- Held-out texts (1 in 12): cosine to MiniLM {fit.held_out_cosine_start:.3f} at the start,
  {fit.held_out_cosine:.3f} after.
- Retrieval and speed against MiniLM on Python's reference topics: `python benchmarks/bench_ingest.py`
  (benchmarks/results/ingest.json, README "Measured").

Rebuild: `{command}`
"""
