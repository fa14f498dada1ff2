"""PDF with PyMuPDF: text in reading order (columns, bands), OCR for pages without text."""

from __future__ import annotations

import bisect
import itertools
import math
import re
from typing import Any

import pymupdf as _pymupdf

from careervault.extraction.v1 import extraction_pb2 as pb
from careervault.runtime.errors import FailedPrecondition, InvalidArgument
from careervault_extraction import typography
from careervault_extraction.limits import Limits
from careervault_extraction.typography import StyledLine

OCR_DPI = 300
MIN_DPI = 72
# A page with fewer characters than this in its text layer is treated as a scan.
MIN_TEXT_CHARS = 20

# PyMuPDF 1.x is only partly annotated.
pymupdf: Any = _pymupdf
Block = tuple[float, float, float, float, str]
# get_text("dict") as get_text("blocks") reads, without the image blocks (their bytes).
_DICT_FLAGS = pymupdf.TEXTFLAGS_BLOCKS & ~pymupdf.TEXT_PRESERVE_IMAGES
BOLD_FLAG = 16
BOLD_FONT = re.compile(r"bold|black|heavy|semibold|demibold|extrabold", re.IGNORECASE)
# Lines longer than this are never headings.
HEADING_CHARS = 50
HEADING_WORDS = 6
# Blocks whose tops are this close (points) are on one row.
ROW_TOLERANCE = 3.0
# Column gaps are looked for this many levels deep (up to 2**depth columns).
MAX_COLUMN_DEPTH = 3
# On a page with more blocks than this, only gaps near the middle are tried (time).
MAX_GAP_BLOCKS = 300


def read_pdf(
    data: bytes, limits: Limits, doc: pb.ExtractedDocument, styled: list[StyledLine] | None = None
) -> str:
    """The document's text; the emphasised short lines of its pages (for telling headings by
    their type) are appended to `styled` when given."""
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
        for number in range(1, pdf.page_count + 1):
            try:
                # A damaged page tree fails here, not at open.
                page = pdf.load_page(number - 1)
                text, page_styled = page_text(page)
            except Exception:
                raise InvalidArgument(
                    f"Page {number} of the PDF is damaged and cannot be read.",
                    reason="PDF_UNREADABLE",
                    metadata={"page": str(number)},
                ) from None
            if styled is not None:
                styled.extend(page_styled)
            info = doc.page_info.add(number=number, method=pb.ExtractedDocument.TEXT_LAYER)
            if len(text.strip()) < MIN_TEXT_CHARS:
                ocr_text = _ocr_page(page, number, limits, doc, info)
                if ocr_text is not None:
                    text = ocr_text
            pages.append(text.strip())
    return "\n\n".join(p for p in pages if p)


def page_text(page: Any) -> tuple[str, list[StyledLine]]:
    """The page's text in reading order, and its emphasised short lines (typography.py)."""
    blocks, styled = page_layout(page.get_text("dict", sort=True, flags=_DICT_FLAGS))
    text = "\n".join(b[4] for b in reading_order(blocks, float(page.rect.width)))
    return text, styled


def page_layout(data: dict[str, Any]) -> tuple[list[Block], list[StyledLine]]:
    """Text blocks as `get_text("blocks")` gives them, and the short lines set in bold or in a
    type larger than the page's body text (the size most characters are set in)."""
    blocks: list[Block] = []
    short: list[tuple[str, float, bool, int]] = []
    chars: dict[float, int] = {}
    for block in data.get("blocks", ()):
        if block.get("type", 0) != 0:
            continue
        texts: list[str] = []
        for line in block.get("lines", ()):
            spans = line.get("spans", ())
            text = "".join(span["text"] for span in spans)
            texts.append(text)
            inked = [span for span in spans if span["text"].strip()]
            if not inked:
                continue
            for span in inked:
                size = round(span["size"] * 2) / 2
                chars[size] = chars.get(size, 0) + len(span["text"])
            stripped = text.strip()
            if len(stripped) <= HEADING_CHARS and len(stripped.split()) <= HEADING_WORDS:
                bold = all(
                    span["flags"] & BOLD_FLAG or BOLD_FONT.search(span["font"]) for span in inked
                )
                size = max(round(span["size"] * 2) / 2 for span in inked)
                short.append((stripped, size, bool(bold), int(inked[0].get("color", 0))))
        text = "\n".join(texts).strip()
        if text:
            x0, y0, x1, y1 = block["bbox"]
            blocks.append((float(x0), float(y0), float(x1), float(y1), text))
    body = max(chars, key=lambda size: (chars[size], -size)) if chars else 0.0
    styled = [
        StyledLine(text, size, bold, _capitals(text), color, body)
        for text, size, bold, color in short
        if typography.emphasised(text, size, bold, body)
    ]
    return blocks, styled


def _capitals(text: str) -> bool:
    letters = [c for c in text if c.isalpha()]
    return len(letters) >= 2 and all(c.isupper() for c in letters)


def reading_order(blocks: list[Block], width: float) -> list[Block]:
    """Columns are found from the gaps between blocks, any number of them (a sidebar, two or
    three columns); blocks that cross a gap (a name across the top, a footer) split the page
    into bands read top to bottom, and within a band the columns are read left to right.
    Blocks that pair up row by row (a date beside each job) are rows, not columns."""
    columns, spanning = _columns(blocks, width, 0)
    if len(columns) < 2:
        return sorted(blocks, key=lambda b: (round(b[1], 1), b[0]))
    spanning.sort(key=lambda b: b[1])
    tops = [b[1] for b in spanning]
    # A block belongs to the band that ends at the first spanning block below its top.
    keyed = [
        ((bisect.bisect_right(tops, b[1]), 0, n, b[1], b[0]), b)
        for n, group in enumerate(columns)
        for b in group
    ]
    keyed += [((n, 1, 0, float(n), 0.0), b) for n, b in enumerate(spanning)]
    keyed.sort(key=lambda item: item[0])
    return [b for _, b in keyed]


def _columns(
    blocks: list[Block], width: float, depth: int
) -> tuple[list[list[Block]], list[Block]]:
    """The columns, left to right, and the blocks that cross a gap between two of them."""
    found = _gap(blocks, width) if depth < MAX_COLUMN_DEPTH else None
    if found is None:
        return [blocks], []
    left, right, crossing = found
    left_columns, left_crossing = _columns(left, width, depth + 1)
    right_columns, right_crossing = _columns(right, width, depth + 1)
    return [*left_columns, *right_columns], [*crossing, *left_crossing, *right_crossing]


def _gap(blocks: list[Block], width: float) -> tuple[list[Block], list[Block], list[Block]] | None:
    """The best vertical gap between blocks, tried at each block's right edge: at least two
    blocks on each side; fewest blocks crossing it level with the columns (a header or a
    footer above or below them does not count), then the widest; unless the two sides pair
    up row by row. Pages with very many blocks only look for a gap near the middle."""
    n = len(blocks)
    if n < 4:
        return None
    slack = width * 0.01
    by_x1 = sorted(blocks, key=lambda b: b[2])
    x1s = [b[2] for b in by_x1]
    by_x0 = sorted(blocks, key=lambda b: b[0])
    x0s = [b[0] for b in by_x0]
    # Vertical extent of the blocks left of each right edge, and right of each left edge.
    left_top = list(itertools.accumulate((b[1] for b in by_x1), min))
    left_bottom = list(itertools.accumulate((b[3] for b in by_x1), max))
    right_top = list(itertools.accumulate((b[1] for b in reversed(by_x0)), min))[::-1]
    right_bottom = list(itertools.accumulate((b[3] for b in reversed(by_x0)), max))[::-1]
    edges = sorted(set(x1s))
    if n > MAX_GAP_BLOCKS:
        edges = [e for e in edges if abs(e - width / 2) <= width * 0.05]
    options: list[tuple[float, float, float, float]] = []  # (-gap, edge, top, bottom)
    for edge in edges:
        left = bisect.bisect_right(x1s, edge)
        first_right = bisect.bisect_left(x0s, edge - slack)
        # Blocks narrower than the slack at the edge count as left, not right.
        narrow = sum(
            1 for b in by_x1[bisect.bisect_left(x1s, edge - slack) : left] if b[0] >= edge - slack
        )
        right = n - first_right - narrow
        if left < 2 or right < 2 or n - left - right > left + right:
            continue
        top = max(left_top[left - 1], right_top[first_right])
        bottom = min(left_bottom[left - 1], right_bottom[first_right])
        options.append((-(x0s[first_right] - edge), edge, top, bottom))
    options.sort()
    crossed: list[tuple[int, float, float]] = []  # (level crossings, -gap, edge)
    for minus_gap, edge, top, bottom in options:  # widest gap first
        level = sum(
            1
            for b in blocks
            if b[2] > edge and b[0] < edge - slack and b[1] < bottom and b[3] > top
        )
        if level:
            crossed.append((level, minus_gap, edge))
        elif found := _split(blocks, edge, slack):
            return found
    for _, _, edge in sorted(crossed):
        if found := _split(blocks, edge, slack):
            return found
    return None


def _split(
    blocks: list[Block], edge: float, slack: float
) -> tuple[list[Block], list[Block], list[Block]] | None:
    """Left of `edge`, right of it and crossing it; None when left and right are rows."""
    left = [b for b in blocks if b[2] <= edge]
    right = [b for b in blocks if b[0] >= edge - slack and b[2] > edge]
    if _rows(left, right):
        return None
    sides = {id(b) for b in left} | {id(b) for b in right}
    return left, right, [b for b in blocks if id(b) not in sides]


def _rows(left: list[Block], right: list[Block]) -> bool:
    """Whether most blocks of the smaller side are single lines that start level with a
    block of the other side (a date beside each job, a label beside its value); columns of
    paragraphs may start level (headings on a grid) without being rows."""
    fewer, more = (left, right) if len(left) <= len(right) else (right, left)
    tops = sorted(b[1] for b in more)
    level = [
        b
        for b in fewer
        if bisect.bisect_right(tops, b[1] + ROW_TOLERANCE)
        > bisect.bisect_left(tops, b[1] - ROW_TOLERANCE)
    ]
    single = sum(1 for b in level if "\n" not in b[4])
    return len(level) >= 2 and 2 * len(level) > len(fewer) and 2 * single >= len(level)


def _ocr_page(
    page: Any, number: int, limits: Limits, doc: pb.ExtractedDocument, info: pb.PageInfo
) -> str | None:
    from careervault_extraction.image import (
        OcrTimeout,
        call_timeout,
        ocr,
        page_deadline,
        skipped,
    )

    width_in = page.rect.width / 72
    height_in = page.rect.height / 72
    # Checked before rendering: PyMuPDF has no bomb guard of its own.
    dpi = min(OCR_DPI, int(math.sqrt(limits.max_pixels / max(width_in * height_in, 1e-6))))
    if dpi < MIN_DPI:
        doc.warnings.append(f"Page {number} is too large to read by OCR; it was skipped.")
        return None
    # The page's own timeout, or what is left of the document's OCR budget; once that is
    # spent, later scanned pages are not even rendered.
    deadline = page_deadline(limits)
    try:
        call_timeout(deadline, limits)
        pix = page.get_pixmap(dpi=dpi, colorspace=pymupdf.csGRAY)
        from PIL import Image

        image = Image.frombytes("L", (pix.width, pix.height), pix.samples)
        del pix
        text, confidence, _ = ocr(image, limits, deadline)
    except OcrTimeout as exc:
        skipped(doc, info, exc, limits, f"Page {number}")
        return None
    info.method = pb.ExtractedDocument.OCR
    info.ocr_confidence = confidence
    if text.strip() and confidence < 60:
        doc.warnings.append(f"Page {number}: low OCR confidence ({confidence:.0f}%).")
    return text
