"""DOCX with python-docx, after the zip was read by hand with a cap on decompressed bytes.

Zip headers can lie about sizes, so every member is streamed in chunks against a running
total; only a package that stayed under the cap is handed to python-docx.
"""

from __future__ import annotations

import io
import zipfile
import zlib
from collections.abc import Iterator
from typing import Any

from careervault.extraction.v1 import extraction_pb2 as pb
from careervault.runtime.errors import InvalidArgument
from careervault_extraction.limits import Limits

CHUNK = 64 * 1024
# What zipfile raises for a damaged archive: bad headers, a corrupt deflate stream, an
# unsupported version or method, an encryption flag (RuntimeError: password required).
ZIP_ERRORS = (
    zipfile.BadZipFile,
    zlib.error,
    ValueError,
    OSError,
    EOFError,
    NotImplementedError,
    RuntimeError,
)
MAX_MEMBERS = 2000
W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


def _too_large(limits: Limits) -> InvalidArgument:
    return InvalidArgument(
        f"The DOCX expands to more than {limits.max_docx_bytes} bytes; it is refused as a "
        "possible zip bomb. Save it again from your editor or export it as PDF.",
        reason="DOCX_TOO_LARGE",
        metadata={"max_docx_bytes": str(limits.max_docx_bytes)},
    )


def checked_package(data: bytes, limits: Limits) -> bytes:
    """A copy of the package, built only from members read within the cap."""
    unreadable = InvalidArgument("The DOCX file is damaged.", reason="DOCX_UNREADABLE")
    try:
        source = zipfile.ZipFile(io.BytesIO(data))
    except ZIP_ERRORS:
        raise unreadable from None
    out = io.BytesIO()
    total = 0
    with source, zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as target:
        members = source.infolist()
        if len(members) > MAX_MEMBERS:
            raise InvalidArgument(
                f"The DOCX has {len(members)} parts; at most {MAX_MEMBERS} are accepted.",
                reason="DOCX_TOO_LARGE",
            )
        for info in members:
            if info.is_dir():
                continue
            parts: list[bytes] = []
            try:
                with source.open(info) as member:
                    while chunk := member.read(CHUNK):
                        total += len(chunk)
                        if total > limits.max_docx_bytes:
                            raise _too_large(limits)
                        parts.append(chunk)
            except InvalidArgument:
                raise
            except ZIP_ERRORS:
                raise unreadable from None
            target.writestr(info.filename, b"".join(parts))
    return out.getvalue()


def read_docx(data: bytes, limits: Limits, doc: pb.ExtractedDocument) -> str:
    import docx

    package = checked_package(data, limits)
    try:
        # python-docx fails in its own ways on a package whose parts are not what their
        # names say (AttributeError, KeyError, ...): all of it is a damaged file.
        text = _document_text(docx.Document(io.BytesIO(package)))
    except MemoryError:
        raise  # the worker's memory cap: DOCUMENT_TOO_COMPLEX, not a damaged file
    except Exception as exc:
        if _lxml_out_of_memory(exc):
            raise MemoryError from None
        raise InvalidArgument("The DOCX file cannot be read.", reason="DOCX_UNREADABLE") from None
    doc.pages = 1
    doc.page_info.add(number=1, method=pb.ExtractedDocument.TEXT_LAYER)
    return text


def _document_text(document: Any) -> str:
    """Headers, the body (paragraphs, tables, content controls, text boxes), footers."""
    blocks: list[str] = []
    seen_headers: set[str] = set()
    for section in document.sections:
        for part in (section.header, section.first_page_header):
            text = _part_text(part)
            if text and text not in seen_headers:
                seen_headers.add(text)
                blocks.append(text)
    blocks.extend(_body_blocks(document.element.body))
    seen_footers: set[str] = set()
    for section in document.sections:
        for footer in (section.footer, section.first_page_footer):
            text = _part_text(footer)
            if text and text not in seen_footers:
                seen_footers.add(text)
                blocks.append(text)
    return "\n".join(b for b in blocks if b.strip())


def _lxml_out_of_memory(exc: Exception) -> bool:
    """libxml2 reports a failed allocation as a parse error."""
    return "memory" in str(exc).lower() and "alloc" in str(exc).lower()


def _part_text(part: Any) -> str:
    try:
        if part.is_linked_to_previous:
            return ""
        return "\n".join(_body_blocks(part._element))
    except MemoryError:
        raise
    except Exception:
        return ""


def _paragraph_text(p: Any) -> str:
    """A paragraph's runs, with the text of text boxes anchored in it after them."""
    pieces = {f"{W}tab": "\t", f"{W}br": "\n"}
    own = "".join(
        (el.text or "") if el.tag == f"{W}t" else pieces[el.tag]
        for el in p.iter(f"{W}t", f"{W}tab", f"{W}br")
        if not _in_textbox(el, p)
    ).strip()
    boxes: list[str] = []
    for box in p.iter(f"{W}txbxContent"):
        if _in_textbox(box, p):
            continue
        text = "\n".join(_paragraph_text(q) for q in box.iter(f"{W}p") if not _in_textbox(q, box))
        # Word writes a text box twice (DrawingML and a VML fallback).
        if text.strip() and text not in boxes:
            boxes.append(text)
    return "\n".join(x for x in [own, *boxes] if x.strip())


def _in_textbox(node: Any, stop: Any) -> bool:
    parent = node.getparent()
    while parent is not None and parent is not stop:
        if parent.tag == f"{W}txbxContent":
            return True
        parent = parent.getparent()
    return False


def _body_blocks(body: Any) -> Iterator[str]:
    for child in body.iterchildren():
        if child.tag == f"{W}p":
            text = _paragraph_text(child)
            if text:
                yield text
        elif child.tag == f"{W}tbl":
            yield from _table_rows(child)
        elif child.tag == f"{W}sdt":
            content = child.find(f"{W}sdtContent")
            if content is not None:
                yield from _body_blocks(content)


def _table_rows(table: Any) -> Iterator[str]:
    for row in table.iterchildren(f"{W}tr"):
        cells: list[str] = []
        for cell in row.iterchildren(f"{W}tc"):
            text = "\n".join(_body_blocks(cell)).strip()
            if text and (not cells or cells[-1] != text):  # merged cells repeat
                cells.append(text)
        if cells:
            yield " | ".join(cells)
