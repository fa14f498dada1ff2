"""One document from bytes to an ExtractedDocument (runs in a worker process)."""

from __future__ import annotations

from careervault.extraction.v1 import extraction_pb2 as pb
from careervault.runtime.errors import ResourceExhausted
from careervault_extraction import detect
from careervault_extraction.limits import Limits
from careervault_extraction.sections import outline
from careervault_extraction.typography import StyledLine


def run(data: bytes, filename: str, content_type: str, limits: Limits) -> pb.ExtractedDocument:
    kind = detect.decide(data, filename, content_type)
    doc = pb.ExtractedDocument(detected_type=kind)
    styled: list[StyledLine] = []
    if kind == detect.PDF:
        from careervault_extraction.pdf import read_pdf

        text = read_pdf(data, limits, doc, styled)
    elif kind == detect.DOCX:
        from careervault_extraction.docx_reader import read_docx

        text = read_docx(data, limits, doc)
    elif kind.startswith("image/"):
        from careervault_extraction.image import read_image

        text = read_image(data, limits, doc)
    else:
        text = data.decode("utf-8").lstrip("\ufeff").replace("\r\n", "\n")
        doc.pages = 1
        doc.page_info.add(number=1, method=pb.ExtractedDocument.TEXT_LAYER)
    if not text.strip() and any(
        p.method == pb.ExtractedDocument.OCR_TIMED_OUT for p in doc.page_info
    ):
        # Pages were skipped for lack of time and nothing else had text: no result to show.
        raise ResourceExhausted(
            f"Reading the scan took longer than allowed ({limits.ocr_timeout:g} s a page, "
            f"{limits.ocr_document_timeout:g} s a document); send a smaller or clearer scan, "
            "or a PDF with a text layer.",
            reason="OCR_TIMEOUT",
            metadata={
                "ocr_timeout_seconds": f"{limits.ocr_timeout:g}",
                "ocr_document_timeout_seconds": f"{limits.ocr_document_timeout:g}",
            },
        )
    doc.text = text
    outline(text, doc, styled)
    if not text.strip():
        doc.warnings.append("No text was found in the document.")
    return doc
