"""PDF with PyMuPDF: text in reading order (one or two columns), OCR for pages without text."""

from __future__ import annotations

import math
from typing import Any

import pymupdf as _pymupdf

from careervault.extraction.v1 import extraction_pb2 as pb
from careervault.runtime.errors import FailedPrecondition, InvalidArgument
from careervault_extraction.limits import Limits

OCR_DPI = 300
MIN_DPI = 72
# A page with fewer characters than this in its text layer is treated as a scan.
MIN_TEXT_CHARS = 20

# PyMuPDF 1.x is only partly annotated.
pymupdf: Any = _pymupdf
Block = tuple[float, float, float, float, str]


def read_pdf(data: bytes, limits: Limits, doc: pb.ExtractedDocument) -> str:
    try:
        pdf = pymupdf.open(stream=data, filetype="pdf")
    except Exception:
        raise InvalidArgument("The PDF cannot be read.", reason="PDF_UNREADABLE") from None
    with pdf:
        if pdf.needs_pass:
            raise FailedPrecondition(
                "The PDF is password-protected; remove the password and upload it again.",
                reason="PDF_ENCRYPTED",
            )
        if pdf.is_repaired:
            doc.warnings.append("The PDF was damaged and has been repaired; check the text.")
        if pdf.page_count > limits.max_pages:
            raise InvalidArgument(
                f"The PDF has {pdf.page_count} pages; at most {limits.max_pages} are accepted.",
                reason="TOO_MANY_PAGES",
                metadata={"max_pages": str(limits.max_pages)},
            )
        doc.pages = pdf.page_count
        pages: list[str] = []
        for number, page in enumerate(pdf, start=1):
            text = page_text(page)
            info = doc.page_info.add(number=number, method=pb.ExtractedDocument.TEXT_LAYER)
            if len(text.strip()) < MIN_TEXT_CHARS:
                ocr_text = _ocr_page(page, number, limits, doc, info)
                if ocr_text is not None:
                    text = ocr_text
            pages.append(text.strip())
    return "\n\n".join(p for p in pages if p)


def page_text(page: Any) -> str:
    blocks: list[Block] = [
        (b[0], b[1], b[2], b[3], b[4].strip())
        for b in page.get_text("blocks", sort=True)
        if b[6] == 0 and b[4].strip()
    ]
    return "\n".join(b[4] for b in reading_order(blocks, float(page.rect.width)))


def reading_order(blocks: list[Block], width: float) -> list[Block]:
    """Two columns when blocks sit clearly on both sides of the middle; full-width blocks
    (a name across the top, a footer) split the page into bands read top to bottom."""
    mid = width / 2
    tol = width * 0.02
    left = [b for b in blocks if b[2] <= mid + tol]
    right = [b for b in blocks if b[0] >= mid - tol and b[2] > mid + tol]
    if len(left) < 2 or len(right) < 2:
        return sorted(blocks, key=lambda b: (round(b[1], 1), b[0]))
    column = {id(b): 0 for b in left} | {id(b): 1 for b in right}
    spanning = sorted((b for b in blocks if id(b) not in column), key=lambda b: b[1])
    ordered: list[Block] = []
    top = -math.inf
    for band_end in [*spanning, None]:
        bottom = band_end[1] if band_end is not None else math.inf
        band = [b for b in blocks if id(b) in column and top <= b[1] < bottom]
        band.sort(key=lambda b: (column[id(b)], b[1], b[0]))
        ordered.extend(band)
        if band_end is not None:
            ordered.append(band_end)
            top = band_end[1]
    return ordered


def _ocr_page(
    page: Any, number: int, limits: Limits, doc: pb.ExtractedDocument, info: pb.PageInfo
) -> str | None:
    from careervault_extraction.image import OcrTimeout, ocr

    width_in = page.rect.width / 72
    height_in = page.rect.height / 72
    # Checked before rendering: PyMuPDF has no bomb guard of its own.
    dpi = min(OCR_DPI, int(math.sqrt(limits.max_pixels / max(width_in * height_in, 1e-6))))
    if dpi < MIN_DPI:
        doc.warnings.append(f"Page {number} is too large to read by OCR; it was skipped.")
        return None
    pix = page.get_pixmap(dpi=dpi, colorspace=pymupdf.csGRAY)
    from PIL import Image

    image = Image.frombytes("L", (pix.width, pix.height), pix.samples)
    try:
        text, confidence = ocr(image, limits.ocr_timeout)
    except OcrTimeout:
        doc.warnings.append(
            f"Page {number}: OCR took longer than {limits.ocr_timeout:g} s and was skipped."
        )
        return None
    info.method = pb.ExtractedDocument.OCR
    info.ocr_confidence = confidence
    if text.strip() and confidence < 60:
        doc.warnings.append(f"Page {number}: low OCR confidence ({confidence:.0f}%).")
    return text
