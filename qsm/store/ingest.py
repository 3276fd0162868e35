"""Reading user documents (txt, md, pdf) and cutting them into chunks for ``/knowledge/...``.

Ingestion streams: the document is read and chunked as it goes, and chunks are embedded and stored
in batches, so memory stays bounded and other processes can use the memory between batches. While a
document is being ingested the memory index holds a marker for it; one that a crash or kill left
behind says the document is only partly stored, and ingesting the same document again completes it
(chunk ids are content ids, so nothing already stored is embedded or added twice).

With a fast embedder (``memory.ingest_vectors = "fast"``, the default with MiniLM) chunks get the
static stand-in's vectors, so a document is searchable about a hundred times sooner; they are marked
rough, and :func:`qsm.store.refine.refine_vectors` gives them the model's vectors later.
"""

from __future__ import annotations

import codecs
import io
import logging
import os
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from itertools import islice
from pathlib import Path
from typing import Literal

import numpy as np

from qsm.errors import MemoryStoreError
from qsm.store.embedder import Embedder
from qsm.store.engine import MemoryEngine
from qsm.store.models import IngestReport
from qsm.store.paths import normalize_path, slug

__all__ = [
    "SUPPORTED_SUFFIXES",
    "Chunk",
    "EmbeddingPool",
    "IngestProgress",
    "chunk_text",
    "ingest_file",
    "iter_chunks",
    "read_document",
]

SUPPORTED_SUFFIXES = (".txt", ".md", ".markdown", ".pdf")
MAX_FILE_BYTES = 50 * 1024 * 1024
_MAX_BLOCK_CHARS = 64_000
INGEST_BATCH = 64  # chunks embedded and stored together: bounded memory, a lock released between batches
# Threads embedding parts of a batch at once. The model runs outside the GIL, and two single-threaded runs
# side by side beat one run on two threads (benchmarks/results/ingest.json).
INGEST_WORKERS = min(os.cpu_count() or 1, 4)
_HEADING = re.compile(r"^(#{1,6})\s+(.+?)\s*#*\s*$")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")


@dataclass(frozen=True)
class Chunk:
    index: int
    text: str
    section: str


@dataclass(frozen=True)
class IngestProgress:
    """Where an ingest stands after a batch: ``done`` of ``total`` bytes (text) or pages (PDF)."""

    file: str
    done: int
    total: int
    unit: Literal["bytes", "pages"]
    chunks: int
    added: int


def _check_document(file: Path) -> int:
    """The size of a document we can ingest; :class:`MemoryStoreError` says why not."""
    suffix = file.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise MemoryStoreError(
            f"cannot ingest {file.name}: {suffix or 'files without an extension'} are not supported",
            hint="ingest .txt, .md or .pdf files (convert others to one of these first)",
        )
    if not file.is_file():
        raise MemoryStoreError(f"cannot ingest {file}: no such file")
    size = file.stat().st_size
    if size > MAX_FILE_BYTES:
        raise MemoryStoreError(
            f"{file.name} is {size // 2**20} MiB; the limit is 50 MiB", hint="split it first"
        )
    return size


def _not_utf8(file: Path) -> MemoryStoreError:
    return MemoryStoreError(
        f"{file.name} is not UTF-8 text", hint="re-save it as UTF-8 (e.g. iconv -t UTF-8)"
    )


def _check_utf8(file: Path) -> None:
    """Decode the whole file once, a block at a time, so a bad byte stops ingest before it writes."""
    decoder = codecs.getincrementaldecoder("utf-8-sig")()
    try:
        with file.open("rb") as handle:
            for block in iter(lambda: handle.read(1 << 16), b""):
                decoder.decode(block)
            decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        raise _not_utf8(file) from None
    except OSError as exc:
        raise MemoryStoreError(f"cannot read {file}: {exc.strerror}") from None


def read_document(file: Path) -> str:
    """The text of a txt/md/pdf file; :class:`MemoryStoreError` says what to do when it cannot."""
    suffix = file.suffix.lower()
    _check_document(file)
    if suffix == ".pdf":
        return _read_pdf(file)
    try:
        return file.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise MemoryStoreError(
            f"{file.name} is not UTF-8 text", hint="re-save it as UTF-8 (e.g. iconv -t UTF-8)"
        ) from None
    except OSError as exc:
        raise MemoryStoreError(f"cannot read {file}: {exc.strerror}") from None


def _read_pdf(file: Path) -> str:
    pages = _PdfPages(file)
    text = "\n\n".join(p.strip() for p in pages.texts() if p.strip())
    if not text:
        raise pages.no_text()
    return text


class _PdfPages:
    """A PDF's pages' text, one page at a time; errors become :class:`MemoryStoreError`."""

    def __init__(self, file: Path) -> None:
        from pypdf import PdfReader

        self.file = file
        with self._errors():
            self._reader = PdfReader(str(file))
            if self._reader.is_encrypted and not self._reader.decrypt(""):
                raise self._encrypted()
            self.count = len(self._reader.pages)

    def texts(self) -> Iterator[str]:
        for index in range(self.count):
            with self._errors():
                text = self._reader.pages[index].extract_text() or ""
            yield text

    def no_text(self) -> MemoryStoreError:
        return MemoryStoreError(
            f"{self.file.name} has no text layer (a scanned PDF?)", hint="run OCR on it first (e.g. ocrmypdf)"
        )

    def _encrypted(self) -> MemoryStoreError:
        return MemoryStoreError(
            f"{self.file.name} is an encrypted PDF",
            hint="decrypt it first (e.g. qpdf --decrypt in.pdf out.pdf)",
        )

    @contextmanager
    def _errors(self) -> Iterator[None]:
        from pypdf.errors import PdfReadError

        pypdf_log = logging.getLogger("pypdf")
        level = pypdf_log.level
        pypdf_log.setLevel(logging.CRITICAL)  # its warnings about damaged files would reach the terminal
        try:
            yield
        except MemoryStoreError:
            raise
        except (PdfReadError, ValueError, KeyError, TypeError, OSError) as exc:
            if "decrypt" in str(exc).lower():
                raise self._encrypted() from None
            raise MemoryStoreError(
                f"cannot read {self.file.name} as a PDF: {exc}",
                hint="check it opens in a PDF viewer, or export it as text",
            ) from None
        finally:
            pypdf_log.setLevel(level)


def chunk_text(text: str, chunk_chars: int = 800, overlap: int = 100) -> list[Chunk]:
    """Paragraph-aware chunks of about ``chunk_chars``: a markdown heading starts a new chunk, long
    paragraphs split at sentence ends, and each chunk repeats the last ~``overlap`` characters of the
    previous one in the same section."""
    return list(iter_chunks(_blocks(text), chunk_chars, overlap))


def iter_chunks(blocks: Iterable[str], chunk_chars: int = 800, overlap: int = 100) -> Iterator[Chunk]:
    """:func:`chunk_text` over paragraphs (blocks) as they come, holding one chunk at a time."""
    section = ""
    current: list[str] = []
    index = 0

    def flush() -> Chunk | None:
        nonlocal index
        body = "\n\n".join(current).strip()
        current.clear()
        if not body:
            return None
        index += 1
        return Chunk(index - 1, body, section)

    for block in blocks:
        heading = _HEADING.match(block.splitlines()[0])
        if heading:
            if chunk := flush():
                yield chunk
            section = heading.group(2)
        for piece in _pieces(block, chunk_chars):
            size = sum(len(p) + 2 for p in current)
            if current and size + len(piece) > chunk_chars:
                tail = _tail(current[-1], overlap)
                if chunk := flush():
                    yield chunk
                if tail:
                    current.append(tail)
            current.append(piece)
    if chunk := flush():
        yield chunk


def _blocks(text: str) -> list[str]:
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    blocks: list[str] = []
    for block in re.split(r"\n\s*\n", text):
        blocks.extend(_split_block(block))
    return blocks


def _split_block(block: str) -> list[str]:
    """One paragraph's text as blocks: a heading glued to the paragraph below it starts its own."""
    blocks: list[str] = []
    lines = block.strip("\n").splitlines()
    start = 0
    for i, line in enumerate(lines):
        if i > start and _HEADING.match(line):
            blocks.append("\n".join(lines[start:i]).strip())
            start = i
    blocks.append("\n".join(lines[start:]).strip())
    return [b for b in blocks if b]


class _TextBlocks:
    """The blocks of a UTF-8 text file, read a line at a time (as :func:`_blocks` splits them, except
    that a paragraph longer than ``_MAX_BLOCK_CHARS`` is cut at a line end, and a longer line anywhere,
    to bound memory);
    ``done`` is how many bytes have been read so far."""

    def __init__(self, file: Path) -> None:
        self.file = file
        self.done = 0

    def __iter__(self) -> Iterator[str]:
        try:
            with self.file.open("rb") as raw:
                text = io.TextIOWrapper(raw, encoding="utf-8-sig", newline=None)
                lines: list[str] = []
                held = 0
                for line in iter(lambda: text.readline(_MAX_BLOCK_CHARS), ""):  # a huge line in parts
                    if line.strip():
                        lines.append(line)
                        held += len(line)
                        if held < _MAX_BLOCK_CHARS:
                            continue
                    self.done = raw.tell()
                    held = 0
                    if lines:
                        yield from _split_block("".join(lines))
                        lines = []
                self.done = raw.tell()
                if lines:
                    yield from _split_block("".join(lines))
        except UnicodeDecodeError:
            raise _not_utf8(self.file) from None
        except OSError as exc:
            raise MemoryStoreError(f"cannot read {self.file}: {exc.strerror}") from None


class _PdfBlocks:
    """The blocks of a PDF, a page at a time; ``done`` counts pages."""

    def __init__(self, pages: _PdfPages) -> None:
        self.pages = pages
        self.done = 0

    def __iter__(self) -> Iterator[str]:
        for text in self.pages.texts():
            self.done += 1
            yield from _blocks(text.strip())


def _pieces(block: str, limit: int) -> list[str]:
    if len(block) <= limit:
        return [block]
    pieces: list[str] = []
    current = ""
    for sentence in _SENTENCE_END.split(block):
        while len(sentence) > limit:  # one enormous "sentence": cut at a space near the limit
            cut = sentence.rfind(" ", limit // 2, limit)
            cut = cut if cut > 0 else limit
            pieces.append(sentence[:cut].strip())
            sentence = sentence[cut:].strip()
        if current and len(current) + 1 + len(sentence) > limit:
            pieces.append(current)
            current = sentence
        else:
            current = f"{current} {sentence}".strip()
    if current:
        pieces.append(current)
    return [p for p in pieces if p]


def _tail(text: str, overlap: int) -> str:
    """The last ~``overlap`` characters of ``text``, starting at a word."""
    if overlap <= 0:
        return ""
    if len(text) <= overlap:
        return text
    cut = text.find(" ", len(text) - overlap)
    return text[cut + 1 :] if cut >= 0 else ""


def ingest_file(
    engine: MemoryEngine,
    file: Path,
    under: str | None,
    as_agent: str,
    topic: str | None,
    progress: Callable[[IngestProgress], None] | None = None,
    batch: int = INGEST_BATCH,
) -> IngestReport:
    """Chunk ``file`` into entries at ``under`` (default ``/knowledge/<file stem>``), ``batch`` chunks
    at a time; chunks already present (same content id) are skipped, so ingesting a file twice adds
    nothing and ingesting a partly ingested file again completes it. ``progress`` hears of each batch."""
    file = Path(file)
    target = engine.entry_path(under or f"/knowledge/{slug(file.stem)}")
    engine.policy.require(as_agent, "write", normalize_path(target))
    size = _check_document(file)
    blocks: _TextBlocks | _PdfBlocks
    unit: Literal["bytes", "pages"]
    if file.suffix.lower() == ".pdf":
        pages = _PdfPages(file)
        blocks, total, unit, empty = _PdfBlocks(pages), pages.count, "pages", pages.no_text()
    else:
        _check_utf8(file)
        blocks, total, unit = _TextBlocks(file), size, "bytes"
        empty = MemoryStoreError(f"{file.name} contains no text to ingest")
    with engine.lock:
        at, resumed = engine.sidecar.start_ingest(target, file.name, engine.now())
    chunks = iter_chunks(blocks, engine.options.chunk_chars, engine.options.chunk_overlap)
    entry_ids: list[str] = []
    added = 0
    with EmbeddingPool("qsm-embed") as pool:
        while part := list(islice(chunks, batch)):
            ids, new = _ingest_batch(engine, pool, part, target, as_agent, topic, file.name, at)
            entry_ids += ids
            added += new
            with engine.lock:
                engine.sidecar.ingest_progress(target, file.name, len(entry_ids))
            if progress is not None:
                progress(IngestProgress(file.name, blocks.done, total, unit, len(entry_ids), added))
    with engine.lock:
        engine.sidecar.finish_ingest(target, file.name)
    if not entry_ids:
        raise empty
    return IngestReport(
        file=str(file),
        under=target,
        chunks=len(entry_ids),
        added=added,
        skipped=len(entry_ids) - added,
        entry_ids=entry_ids,
        resumed=resumed,
    )


def _ingest_batch(
    engine: MemoryEngine,
    pool: EmbeddingPool,
    part: list[Chunk],
    target: str,
    as_agent: str,
    topic: str | None,
    source: str,
    at: datetime,
) -> tuple[list[str], int]:
    """Store the chunks not present yet, embedding them without holding the memory's lock (other
    threads and processes read and write meanwhile); return the chunks' ids and how many were added."""
    entries = [
        engine.new_entry(
            chunk.text,
            target,
            writer=as_agent,
            operation="ingest",
            topic=topic,
            source=source,
            extra={"chunk": chunk.index, "section": chunk.section}
            if chunk.section
            else {"chunk": chunk.index},
            at=at,  # one moment for the whole document, also when an ingest is completed later
        )
        for chunk in part
    ]
    with engine.lock:
        present = {e.id for e in engine.fetch(list(dict.fromkeys(e.id for e in entries)))}
    fresh = list({e.id: e for e in entries if e.id not in present}.values())
    if not fresh:
        return [e.id for e in entries], 0
    texts = [e.text for e in fresh]
    fast = engine.fast_embedder
    vectors = fast.embed(texts) if fast is not None else pool.embed(engine.embedder, texts)
    with engine.lock:
        if fast is not None:  # approximate until `qsm memory refine` (qsm.store.refine); marked first, so
            engine.sidecar.add_rough({e.id: target for e in fresh})  # a kill between leaves none unmarked
        return [e.id for e in entries], len(engine.store(fresh, vectors)[1])


class EmbeddingPool:
    """``INGEST_WORKERS`` threads (as many as when the pool opens) that embed a share of a batch each."""

    def __init__(self, name: str) -> None:
        self.workers = INGEST_WORKERS
        self._executor = ThreadPoolExecutor(self.workers, thread_name_prefix=name)

    def __enter__(self) -> EmbeddingPool:
        return self

    def __exit__(self, *exc: object) -> None:
        self._executor.shutdown()

    def embed(self, embedder: Embedder, texts: Sequence[str]) -> np.ndarray:
        """The texts' vectors, computed by the pool's threads a share each."""
        if not texts:
            return embedder.embed(texts)
        share = -(-len(texts) // self.workers)
        parts = [texts[i : i + share] for i in range(0, len(texts), share)]
        if len(parts) == 1:
            return embedder.embed(texts)
        return np.concatenate(list(self._executor.map(embedder.embed, parts)))
