"""The extraction service as a process, through gRPC and Envoy, on files the tests build."""

from __future__ import annotations

import base64
import io
import os
import struct
import time
import zipfile
import zlib
from collections.abc import Callable
from typing import Any

import docx as _docx
import grpc
import httpx
import pymupdf as _pymupdf
import pytest
from PIL import Image

from careervault.extraction.v1 import extraction_pb2 as pb
from careervault.extraction.v1 import extraction_pb2_grpc
from gateway.stack import Stack
from tests.support.clients import User, rich

pytestmark = pytest.mark.integration
# PyMuPDF 1.x and python-docx are only partly annotated.
pymupdf: Any = _pymupdf
docx: Any = _docx
Extract = Callable[..., pb.ExtractedDocument]
K = pb.Section

HEADER = "Jane Doe\njane.doe@example.com | +1 415 555 0100\nlinkedin.com/in/janedoe"
LEFT = (
    "EXPERIENCE\nSenior Engineer, Acme Corp\n2019 - 2023\nBuilt the billing platform.\n\n"
    "EDUCATION\nBSc Computer Science\nState University, 2015 - 2019"
)
RIGHT = "SKILLS\nPython, Go, Kubernetes\n\nLANGUAGES\nEnglish, German"


@pytest.fixture(scope="module")
def extract(stack: Stack, alice: User) -> Extract:
    stub = extraction_pb2_grpc.ExtractionServiceStub(
        grpc.insecure_channel(
            stack.grpc_target("extraction"),
            options=[("grpc.max_send_message_length", 16 * 1024 * 1024)],
        )
    )

    def call(content: bytes, filename: str = "", content_type: str = "") -> pb.ExtractedDocument:
        request = pb.ExtractDocumentRequest(
            content=content, filename=filename, content_type=content_type
        )
        reply: pb.ExtractedDocument = stub.ExtractDocument(
            request, metadata=alice.metadata, timeout=30
        )
        return reply

    return call


def two_column_pdf() -> bytes:
    doc = pymupdf.open()
    page = doc.new_page()
    page.insert_text((72, 72), HEADER, fontsize=11)
    page.insert_textbox(pymupdf.Rect(72, 150, 290, 700), LEFT, fontsize=11)
    page.insert_textbox(pymupdf.Rect(310, 150, 540, 700), RIGHT, fontsize=11)
    data: bytes = doc.tobytes()
    return data


def single_column_pdf(pages: int = 1) -> bytes:
    doc = pymupdf.open()
    for _ in range(pages):
        page = doc.new_page()
        page.insert_textbox(
            pymupdf.Rect(72, 72, 540, 770), f"{HEADER}\n\n{LEFT}\n\n{RIGHT}", fontsize=11
        )
    data: bytes = doc.tobytes()
    return data


def assert_resume(doc: pb.ExtractedDocument) -> None:
    kinds = [s.kind for s in doc.sections]
    for kind in (K.EXPERIENCE, K.EDUCATION, K.SKILLS):
        assert kind in kinds, doc.sections
    experience = next(s for s in doc.sections if s.kind == K.EXPERIENCE)
    assert "Acme Corp" in experience.text
    assert doc.text[experience.start_offset :].startswith("EXPERIENCE")
    assert "Python, Go" in next(s for s in doc.sections if s.kind == K.SKILLS).text
    assert doc.contact.email == "jane.doe@example.com"
    assert doc.contact.phone == "+1 415 555 0100"
    assert doc.contact.linkedin_url == "https://linkedin.com/in/janedoe"
    assert doc.contact.name == "Jane Doe"


def test_two_column_pdf_reads_left_column_first(extract: Extract) -> None:
    doc = extract(two_column_pdf(), "cv.pdf", "application/pdf")
    assert doc.detected_type == "application/pdf" and doc.pages == 1
    assert doc.page_info[0].method == pb.ExtractedDocument.TEXT_LAYER
    text = doc.text
    assert text.index("Jane Doe") < text.index("EXPERIENCE") < text.index("EDUCATION")
    assert text.index("State University") < text.index("SKILLS")
    assert_resume(doc)


def test_single_column_pdf(extract: Extract) -> None:
    assert_resume(extract(single_column_pdf(), "cv.pdf"))


def test_docx_paragraphs_tables_headers(extract: Extract) -> None:
    d = docx.Document()
    d.sections[0].header.paragraphs[0].text = "Curriculum vitae"
    for line in HEADER.split("\n"):
        d.add_paragraph(line)
    d.add_heading("Berufserfahrung", level=1)
    table = d.add_table(rows=1, cols=2)
    table.rows[0].cells[0].text = "Senior Engineer, Acme Corp"
    table.rows[0].cells[1].text = "2019 - 2023"
    d.add_paragraph("Ausbildung")
    d.add_paragraph("BSc Computer Science")
    d.add_paragraph("Kenntnisse")
    d.add_paragraph("Python, Go, Kubernetes")
    d.sections[0].footer.paragraphs[0].text = "Page footer"
    buf = io.BytesIO()
    d.save(buf)
    doc = extract(buf.getvalue(), "cv.docx")
    assert doc.detected_type.endswith("wordprocessingml.document")
    assert "Senior Engineer, Acme Corp | 2019 - 2023" in doc.text
    assert "Curriculum vitae" in doc.text and "Page footer" in doc.text
    titles = {s.title: s.kind for s in doc.sections}
    assert titles["Berufserfahrung"] == K.EXPERIENCE
    assert titles["Ausbildung"] == K.EDUCATION
    assert titles["Kenntnisse"] == K.SKILLS
    assert doc.contact.email == "jane.doe@example.com"


def test_rotated_scan_is_turned_and_read(extract: Extract) -> None:
    pdf = pymupdf.open(stream=single_column_pdf(), filetype="pdf")
    png = pdf[0].get_pixmap(dpi=200).tobytes("png")
    rotated = Image.open(io.BytesIO(png)).rotate(90, expand=True)
    buf = io.BytesIO()
    rotated.save(buf, "PNG")
    start = time.monotonic()
    doc = extract(buf.getvalue(), "scan.png", "image/png")
    assert time.monotonic() - start < 15
    assert doc.page_info[0].method == pb.ExtractedDocument.OCR
    assert doc.page_info[0].ocr_confidence > 70
    assert any("rotated" in w for w in doc.warnings)
    assert_resume(doc)


def test_scanned_pdf_page_goes_through_ocr(extract: Extract) -> None:
    source = pymupdf.open(stream=single_column_pdf(), filetype="pdf")
    image = source[0].get_pixmap(dpi=200, colorspace=pymupdf.csGRAY).tobytes("jpg")
    scan = pymupdf.open()
    page = scan.new_page()
    page.insert_image(page.rect, stream=image)
    doc = extract(scan.tobytes(), "scan.pdf")
    assert doc.page_info[0].method == pb.ExtractedDocument.OCR
    assert_resume(doc)


def test_markdown(extract: Extract) -> None:
    text = f"{HEADER}\n\n## Experience\n{LEFT.split(chr(10), 1)[1]}\n\n## Skills\nPython"
    doc = extract(text.encode(), "cv.md")
    assert doc.detected_type == "text/markdown"
    assert [s.kind for s in doc.sections][1:3] == [K.EXPERIENCE, K.EDUCATION]


# --- the bad-file corpus: exact code, reason and a time bound ------------------------------


def refused(
    extract: Extract, content: bytes, filename: str = "", content_type: str = "", within: float = 3
) -> tuple[grpc.StatusCode, str, str]:
    start = time.monotonic()
    with pytest.raises(grpc.RpcError) as info:
        extract(content, filename, content_type)
    assert time.monotonic() - start < within
    err = rich(info.value)
    return err.code, err.reason, err.message


INVALID = grpc.StatusCode.INVALID_ARGUMENT


def test_random_bytes(extract: Extract) -> None:
    code, reason, _ = refused(extract, b"\x00\xff" + os.urandom(4096), "cv.bin")
    assert (code, reason) == (INVALID, "UNSUPPORTED_TYPE")


def test_html_named_pdf(extract: Extract) -> None:
    html = b"<!DOCTYPE html><html><body>Jane Doe</body></html>"
    code, reason, message = refused(extract, html, "cv.pdf", "application/pdf")
    assert (code, reason) == (INVALID, "TYPE_MISMATCH")
    assert "application/pdf" in message and "HTML" in message
    code, reason, _ = refused(extract, html)
    assert (code, reason) == (INVALID, "UNSUPPORTED_TYPE")


def test_pdf_declared_as_docx(extract: Extract) -> None:
    code, reason, _ = refused(extract, two_column_pdf(), "cv.docx")
    assert (code, reason) == (INVALID, "TYPE_MISMATCH")


def test_encrypted_pdf(extract: Extract) -> None:
    doc = pymupdf.open(stream=single_column_pdf(), filetype="pdf")
    data = doc.tobytes(encryption=pymupdf.PDF_ENCRYPT_AES_256, user_pw="u", owner_pw="o")
    code, reason, _ = refused(extract, data, "cv.pdf")
    assert (code, reason) == (grpc.StatusCode.FAILED_PRECONDITION, "PDF_ENCRYPTED")


def test_truncated_pdf_is_repaired_with_a_warning(extract: Extract) -> None:
    data = single_column_pdf()
    doc = extract(data[: len(data) - 200], "cv.pdf")
    assert any("repaired" in w for w in doc.warnings)
    assert "Acme Corp" in doc.text


def test_empty(extract: Extract) -> None:
    code, reason, _ = refused(extract, b"", "cv.pdf")
    assert (code, reason) == (INVALID, "EMPTY_FILE")


def test_too_many_pages(extract: Extract) -> None:
    code, reason, _ = refused(extract, single_column_pdf(21), "cv.pdf")
    assert (code, reason) == (INVALID, "TOO_MANY_PAGES")


def test_docx_zip_bomb(extract: Extract) -> None:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("word/document.xml", b"<w:document>" + b" " * (200 * 1024 * 1024))
    assert len(buf.getvalue()) < 1024 * 1024
    code, reason, _ = refused(extract, buf.getvalue(), "cv.docx", within=5)
    assert (code, reason) == (INVALID, "DOCX_TOO_LARGE")


def png_header(width: int, height: int) -> bytes:
    def chunk(kind: bytes, body: bytes) -> bytes:
        crc = zlib.crc32(kind + body)
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", crc)

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    idat = zlib.compress(b"\x00" * 1024)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


def test_400_megapixel_png(extract: Extract) -> None:
    code, reason, _ = refused(extract, png_header(20_000, 20_000), "scan.png", within=2)
    assert (code, reason) == (INVALID, "IMAGE_TOO_LARGE")


def test_oversized(extract: Extract) -> None:
    code, reason, _ = refused(extract, b"a" * (10 * 1024 * 1024 + 1), "cv.txt", within=5)
    assert (code, reason) == (INVALID, "FILE_TOO_LARGE")


def test_service_still_answers_after_the_corpus(extract: Extract) -> None:
    assert "Acme Corp" in extract(two_column_pdf(), "cv.pdf").text


def test_rest_extract_through_envoy(stack: Stack, alice: User) -> None:
    body = {"content": base64.b64encode(two_column_pdf()).decode(), "filename": "cv.pdf"}
    r = httpx.post(
        f"{stack.url}/v1/documents:extract",
        json=body,
        headers=dict(alice.metadata),
        timeout=30,
    )
    assert r.status_code == 200, r.text
    doc = r.json()
    assert doc["detectedType"] == "application/pdf"
    assert "Acme Corp" in doc["text"]
    assert {"EXPERIENCE", "EDUCATION", "SKILLS"} <= {s["kind"] for s in doc["sections"]}
    assert doc["contact"]["email"] == "jane.doe@example.com"
    r = httpx.post(
        f"{stack.url}/v1/documents:extract",
        json={"content": "", "filename": "cv.pdf"},
        headers=dict(alice.metadata),
        timeout=10,
    )
    assert r.status_code == 400, r.text
