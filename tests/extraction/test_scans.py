"""Blurred scans through the real extraction service: read when readable, flagged when not.

A resume page is rendered as a scanner would deliver it (grey, 200 or 300 dpi), blurred with
a Gaussian and turned on its side. A mild blur (what a cheap scanner or a phone held still
gives) must still be read: name, email and section headings. A heavy one may be read or may
not, but a page the service could not read must come back with a low-confidence warning,
never as confident-looking garbage.
"""

from __future__ import annotations

import io
import time
from collections.abc import Callable

import grpc
import pytest

from careervault.extraction.v1 import extraction_pb2 as pb
from careervault.extraction.v1 import extraction_pb2_grpc
from gateway.stack import Stack
from tests.support import documents
from tests.support.clients import User

pytestmark = pytest.mark.integration
Extract = Callable[[bytes, str], pb.ExtractedDocument]
K = pb.Section
OCR = pb.ExtractedDocument.OCR
# The service warns below this mean word confidence (image.py, pdf.py).
LOW_CONFIDENCE = 60
# One page of OCR takes 1-3 s here (tesseract, one thread); generous for a busy machine.
WITHIN = 15.0


@pytest.fixture(scope="module")
def extract(stack: Stack, alice: User) -> Extract:
    stub = extraction_pb2_grpc.ExtractionServiceStub(
        grpc.insecure_channel(
            stack.grpc_target("extraction"),
            options=[("grpc.max_send_message_length", 16 * 1024 * 1024)],
        )
    )

    def call(content: bytes, filename: str) -> pb.ExtractedDocument:
        start = time.monotonic()
        doc: pb.ExtractedDocument = stub.ExtractDocument(
            pb.ExtractDocumentRequest(content=content, filename=filename),
            metadata=alice.metadata,
            timeout=2 * WITHIN,
        )
        assert time.monotonic() - start < WITHIN
        return doc

    return call


def low_confidence_warnings(doc: pb.ExtractedDocument) -> list[str]:
    return [w for w in doc.warnings if "low ocr confidence" in w.lower()]


def read_correctly(doc: pb.ExtractedDocument) -> bool:
    kinds = {s.kind for s in doc.sections}
    return (
        doc.contact.name == documents.NAME
        and doc.contact.email == documents.EMAIL
        and {K.EXPERIENCE, K.EDUCATION, K.SKILLS} <= kinds
    )


def assert_flagged_if_unread(doc: pb.ExtractedDocument) -> None:
    """The one rule for any scan: the confidence and the warning agree, and text that was not
    read correctly is never returned without a warning."""
    confidence = doc.page_info[0].ocr_confidence
    assert 0 <= confidence <= 100
    warned = low_confidence_warnings(doc)
    if doc.text.strip():
        assert bool(warned) == (confidence < LOW_CONFIDENCE), (confidence, doc.warnings)
    else:
        assert any("No text" in w for w in doc.warnings), doc.warnings
    if not read_correctly(doc):
        assert warned or not doc.text.strip(), (
            f"unread scan returned silently at {confidence}% confidence: {doc.text[:200]!r}"
        )


@pytest.mark.parametrize(
    ("dpi", "blur", "fmt"),
    [(200, 1.2, "PNG"), (300, 1.8, "JPEG")],
    ids=["200dpi-png-r1.2", "300dpi-jpeg-r1.8"],
)
def test_mildly_blurred_rotated_scan_is_read(
    extract: Extract, dpi: int, blur: float, fmt: str
) -> None:
    image = documents.scan(dpi=dpi, blur=blur, rotate=90, fmt=fmt)
    doc = extract(image, f"scan.{fmt.lower()}")
    assert doc.detected_type == f"image/{fmt.lower()}"
    assert doc.pages == 1
    assert [p.method for p in doc.page_info] == [OCR]
    assert doc.page_info[0].ocr_confidence > 80, doc.page_info
    assert any("rotated by 90" in w for w in doc.warnings), doc.warnings
    assert not low_confidence_warnings(doc), doc.warnings
    assert doc.contact.name == documents.NAME
    assert doc.contact.email == documents.EMAIL
    titles = [s.title for s in doc.sections]
    for heading in ("SUMMARY", "EXPERIENCE", "EDUCATION", "SKILLS"):
        assert heading in titles, titles
    assert read_correctly(doc)
    assert "Acme Corp" in doc.text
    assert_flagged_if_unread(doc)


def test_heavily_blurred_rotated_scan_is_read_or_flagged(extract: Extract) -> None:
    # A 4-pixel Gaussian at 200 dpi: the letters of 11 pt text run into each other.
    doc = extract(documents.scan(dpi=200, blur=4.0, rotate=90), "scan.png")
    assert [p.method for p in doc.page_info] == [OCR]
    assert_flagged_if_unread(doc)
    if not read_correctly(doc):
        assert doc.page_info[0].ocr_confidence < LOW_CONFIDENCE
        assert low_confidence_warnings(doc)


def test_heavily_blurred_scanned_pdf_is_flagged_per_page(extract: Extract) -> None:
    """The same blur in a scanned PDF (an image-only page): OCR, and the page is named."""
    image = documents.scan(dpi=200, blur=4.0, fmt="JPEG")
    pdf = documents.pymupdf.open()
    page = pdf.new_page(width=595, height=842)
    page.insert_image(page.rect, stream=image)
    buf = io.BytesIO(pdf.tobytes())
    doc = extract(buf.getvalue(), "scan.pdf")
    assert doc.detected_type == "application/pdf"
    assert [p.method for p in doc.page_info] == [OCR]
    assert_flagged_if_unread(doc)
    if not read_correctly(doc):
        assert any(w.startswith("Page 1:") for w in low_confidence_warnings(doc)), doc.warnings
