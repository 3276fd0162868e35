"""Reading user documents (txt, md, pdf) and cutting them into chunks for ``/knowledge/...``."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from pathlib import Path

from qsm.errors import MemoryStoreError
from qsm.store.engine import MemoryEngine
from qsm.store.models import IngestReport
from qsm.store.paths import normalize_path, slug

__all__ = ["SUPPORTED_SUFFIXES", "Chunk", "chunk_text", "ingest_file", "read_document"]

SUPPORTED_SUFFIXES = (".txt", ".md", ".markdown", ".pdf")
MAX_FILE_BYTES = 50 * 1024 * 1024
_HEADING = re.compile(r"^(#{1,6})\s+(.+?)\s*#*\s*$")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")


@dataclass(frozen=True)
class Chunk:
    index: int
    text: str
    section: str


def read_document(file: Path) -> str:
    """The text of a txt/md/pdf file; :class:`MemoryStoreError` says what to do when it cannot."""
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
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    encrypted = MemoryStoreError(
        f"{file.name} is an encrypted PDF", hint="decrypt it first (e.g. qpdf --decrypt in.pdf out.pdf)"
    )
    pypdf_log = logging.getLogger("pypdf")
    level = pypdf_log.level
    pypdf_log.setLevel(logging.CRITICAL)  # its warnings about damaged files would reach the terminal
    try:
        reader = PdfReader(str(file))
        if reader.is_encrypted and not reader.decrypt(""):
            raise encrypted
        pages = [page.extract_text() or "" for page in reader.pages]
    except MemoryStoreError:
        raise
    except (PdfReadError, ValueError, KeyError, TypeError, OSError) as exc:
        if "decrypt" in str(exc).lower():
            raise encrypted from None
        raise MemoryStoreError(
            f"cannot read {file.name} as a PDF: {exc}",
            hint="check it opens in a PDF viewer, or export it as text",
        ) from None
    finally:
        pypdf_log.setLevel(level)
    text = "\n\n".join(p.strip() for p in pages if p.strip())
    if not text:
        raise MemoryStoreError(
            f"{file.name} has no text layer (a scanned PDF?)", hint="run OCR on it first (e.g. ocrmypdf)"
        )
    return text


def chunk_text(text: str, chunk_chars: int = 800, overlap: int = 100) -> list[Chunk]:
    """Paragraph-aware chunks of about ``chunk_chars``: a markdown heading starts a new chunk, long
    paragraphs split at sentence ends, and each chunk repeats the last ~``overlap`` characters of the
    previous one in the same section."""
    chunks: list[Chunk] = []
    section = ""
    current: list[str] = []

    def flush() -> None:
        body = "\n\n".join(current).strip()
        if body:
            chunks.append(Chunk(len(chunks), body, section))
        current.clear()

    for block in _blocks(text):
        heading = _HEADING.match(block.splitlines()[0])
        if heading:
            flush()
            section = heading.group(2)
        for piece in _pieces(block, chunk_chars):
            size = sum(len(p) + 2 for p in current)
            if current and size + len(piece) > chunk_chars:
                tail = _tail(current[-1], overlap)
                flush()
                if tail:
                    current.append(tail)
            current.append(piece)
    flush()
    return chunks


def _blocks(text: str) -> list[str]:
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    blocks: list[str] = []
    for block in re.split(r"\n\s*\n", text):
        lines = block.strip("\n").splitlines()
        # a heading glued to the paragraph below it still starts its own block
        start = 0
        for i, line in enumerate(lines):
            if i > start and _HEADING.match(line):
                blocks.append("\n".join(lines[start:i]).strip())
                start = i
        blocks.append("\n".join(lines[start:]).strip())
    return [b for b in blocks if b]


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
    engine: MemoryEngine, file: Path, under: str | None, as_agent: str, topic: str | None
) -> IngestReport:
    """Chunk ``file`` into entries at ``under`` (default ``/knowledge/<file stem>``); chunks already
    present (same content id) are skipped, so ingesting a file twice adds nothing."""
    file = Path(file)
    target = engine.entry_path(under or f"/knowledge/{slug(file.stem)}")
    engine.policy.require(as_agent, "write", normalize_path(target))
    chunks = chunk_text(read_document(file), engine.options.chunk_chars, engine.options.chunk_overlap)
    if not chunks:
        raise MemoryStoreError(f"{file.name} contains no text to ingest")
    at = engine.now()  # one moment for the whole document
    entries = [
        engine.new_entry(
            chunk.text,
            target,
            writer=as_agent,
            operation="ingest",
            topic=topic,
            source=file.name,
            extra={"chunk": chunk.index, "section": chunk.section}
            if chunk.section
            else {"chunk": chunk.index},
            at=at,
        )
        for chunk in chunks
    ]
    stored, added = engine.store(entries)
    return IngestReport(
        file=str(file),
        under=target,
        chunks=len(chunks),
        added=len(added),
        skipped=len(chunks) - len(added),
        entry_ids=[e.id for e in stored],
    )
