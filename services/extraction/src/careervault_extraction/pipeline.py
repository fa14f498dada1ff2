"""One document from bytes to an ExtractedDocument (runs in a worker process)."""

from __future__ import annotations

from careervault.extraction.v1 import extraction_pb2 as pb
from careervault_extraction import detect
from careervault_extraction.limits import Limits
from careervault_extraction.sections import outline


def run(data: bytes, filename: str, content_type: str, limits: Limits) -> pb.ExtractedDocument:
    kind = detect.decide(data, filename, content_type)
    doc = pb.ExtractedDocument(detected_type=kind)
    if kind == detect.PDF:
        from careervault_extraction.pdf import read_pdf

        text = read_pdf(data, limits, doc)
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
    doc.text = text
    outline(text, doc)
    if not text.strip():
        doc.warnings.append("No text was found in the document.")
    return doc
