"""Ingesting user documents into /knowledge: chunking, content-id dedupe, clear errors."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qsm.errors import MemoryStoreError
from qsm.store import DirectoryMemory, chunk_text, read_document


def make_pdf(path: Path, pages: list[list[str]]) -> Path:
    """A minimal PDF with one Helvetica text line per string (written by hand: no PDF library)."""
    objects: list[bytes] = []
    page_ids = [4 + 2 * i for i in range(len(pages))]
    objects.append(b"<< /Type /Catalog /Pages 2 0 R >>")
    kids = " ".join(f"{i} 0 R" for i in page_ids)
    objects.append(f"<< /Type /Pages /Kids [{kids}] /Count {len(pages)} >>".encode())
    objects.append(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
    for index, lines in enumerate(pages):
        ops = "BT /F1 12 Tf 14 TL 72 720 Td " + " ".join(f"({line}) Tj T*" for line in lines) + " ET"
        objects.append(
            f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents {page_ids[index] + 1} 0 R "
            "/Resources << /Font << /F1 3 0 R >> >> >>".encode()
        )
        objects.append(f"<< /Length {len(ops)} >>\nstream\n{ops}\nendstream".encode())
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{o:010d} 00000 n \n".encode() for o in offsets)
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    path.write_bytes(bytes(out))
    return path


def test_chunks_follow_headings_and_stay_near_the_target_size() -> None:
    paragraphs = [f"Paragraph {i} " + "word " * 60 for i in range(12)]
    text = "# Intro\n\n" + "\n\n".join(paragraphs[:6]) + "\n\n## Details\n" + "\n\n".join(paragraphs[6:])
    chunks = chunk_text(text, chunk_chars=800, overlap=100)
    assert [c.index for c in chunks] == list(range(len(chunks)))
    assert all(len(c.text) <= 800 + 100 + 2 for c in chunks)
    assert {c.section for c in chunks} == {"Intro", "Details"}
    assert chunks[0].text.startswith("# Intro") and any(c.text.startswith("## Details") for c in chunks)
    for paragraph in paragraphs:
        assert any(paragraph.strip() in c.text for c in chunks)
    later = [c for c in chunks[1:] if c.section == chunks[0].section]
    assert later and later[0].text.split()[0] in chunks[0].text  # overlap repeats the end of the previous


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=700), max_size=8
    ),
    st.integers(200, 1200),
    st.integers(0, 150),
)
def test_chunking_keeps_every_word(paragraphs: list[str], chunk_chars: int, overlap: int) -> None:
    text = "\n\n".join(paragraphs)
    chunks = chunk_text(text, chunk_chars=chunk_chars, overlap=overlap)
    joined = " ".join(c.text for c in chunks).split()
    for word in text.split():
        assert word in joined
    assert all(c.text.strip() for c in chunks)
    assert all(len(c.text) <= chunk_chars + overlap + 2 for c in chunks)


def test_ingest_markdown_then_again_adds_nothing(memory: DirectoryMemory, tmp_path: Path) -> None:
    doc = tmp_path / "Tea Guide.md"
    doc.write_text(
        "# Green tea\n\nSteep at 80 degrees.\n\n# Black tea\n\nSteep at 95 degrees.\n", encoding="utf-8"
    )
    report = memory.ingest(doc)
    assert (report.under, report.chunks, report.added, report.skipped) == ("/knowledge/tea-guide", 2, 2, 0)
    entries = memory.ls("/knowledge/tea-guide").entries
    assert {(e.source, e.extra["chunk"], e.extra["section"]) for e in entries} == {
        ("Tea Guide.md", 0, "Green tea"),
        ("Tea Guide.md", 1, "Black tea"),
    }
    assert all(e.topic == "tea-guide" and e.provenance.operation == "ingest" for e in entries)
    again = memory.ingest(doc)
    assert (again.added, again.skipped, again.entry_ids) == (0, 2, report.entry_ids)
    assert memory.stats()["entries"] == 2
    hit = memory.search("what temperature for black tea", under="/knowledge", k=1)[0]
    assert hit.entry.citation().endswith("Tea Guide.md#1]")


def test_ingest_text_and_pdf(memory: DirectoryMemory, tmp_path: Path) -> None:
    txt = tmp_path / "notes.txt"
    txt.write_text("Plain text notes about sourdough starters.", encoding="utf-8")
    assert memory.ingest(txt, under="/knowledge/baking").added == 1
    pdf = make_pdf(
        tmp_path / "manual.pdf", [["Kettle manual page one.", "Fill to the line."], ["Descale monthly."]]
    )
    report = memory.ingest(pdf, under="/knowledge/kettle", topic="appliances")
    assert report.added == 1
    (entry,) = memory.ls("/knowledge/kettle").entries
    assert "Fill to the line." in entry.text and "Descale monthly." in entry.text
    assert entry.topic == "appliances"


def test_unreadable_documents_give_clear_errors(memory: DirectoryMemory, tmp_path: Path) -> None:
    from pypdf import PdfReader, PdfWriter

    source = make_pdf(tmp_path / "plain.pdf", [["secret plans"]])
    writer = PdfWriter(clone_from=PdfReader(source))
    writer.encrypt(user_password="pw", algorithm="RC4-128")
    encrypted = tmp_path / "locked.pdf"
    with encrypted.open("wb") as handle:
        writer.write(handle)
    garbage = tmp_path / "broken.pdf"
    garbage.write_bytes(b"%PDF-1.4\nthis is not really a pdf")
    latin1 = tmp_path / "latin1.txt"
    latin1.write_bytes("caf\xe9".encode("latin-1"))
    (tmp_path / "slides.pptx").write_bytes(b"PK")
    empty = tmp_path / "empty.md"
    empty.write_text("\n\n  \n", encoding="utf-8")
    cases = [
        (encrypted, "encrypted"),
        (garbage, "cannot read broken.pdf as a PDF"),
        (latin1, "not UTF-8"),
        (tmp_path / "slides.pptx", "not supported"),
        (tmp_path / "missing.md", "no such file"),
        (empty, "no text"),
    ]
    for file, problem in cases:
        with pytest.raises(MemoryStoreError, match=problem) as info:
            memory.ingest(file)
        assert info.value.hint or problem in ("no such file", "no text")
    assert memory.stats()["entries"] == 0


def test_read_document_reads_pdf_pages_in_order(tmp_path: Path) -> None:
    pdf = make_pdf(tmp_path / "two.pdf", [["first page"], ["second page"]])
    text = read_document(pdf)
    assert text.index("first page") < text.index("second page")
