"""The type of a document, decided by its bytes; the declared type only has to agree."""

from __future__ import annotations

import io
import zipfile
from pathlib import PurePosixPath
from typing import Any

from careervault.runtime.errors import InvalidArgument

PDF = "application/pdf"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
TEXT = "text/plain"
MARKDOWN = "text/markdown"
HTML = "text/html"
IMAGES = {
    "PNG": "image/png",
    "JPEG": "image/jpeg",
    "TIFF": "image/tiff",
    "WEBP": "image/webp",
}
# Families: a mismatch inside one family (PNG declared, JPEG sent) does not matter.
_FAMILY = {PDF: "PDF", DOCX: "DOCX", TEXT: "text", MARKDOWN: "text", HTML: "HTML"}
_FAMILY.update({m: "image" for m in IMAGES.values()})
_DECLARED = {
    "application/pdf": "PDF",
    "application/x-pdf": "PDF",
    DOCX: "DOCX",
    "application/msword": "DOCX",
    "text/plain": "text",
    "text/markdown": "text",
    "text/x-markdown": "text",
    "text/html": "HTML",
    "image/png": "image",
    "image/jpeg": "image",
    "image/jpg": "image",
    "image/tiff": "image",
    "image/webp": "image",
}
_EXTENSIONS = {
    ".pdf": "PDF",
    ".docx": "DOCX",
    ".doc": "DOCX",
    ".txt": "text",
    ".md": "text",
    ".markdown": "text",
    ".html": "HTML",
    ".htm": "HTML",
    ".png": "image",
    ".jpg": "image",
    ".jpeg": "image",
    ".tif": "image",
    ".tiff": "image",
    ".webp": "image",
}


def sniff(data: bytes, filename: str) -> str:
    """The media type of `data`, or "" when it is none this service reads."""
    if data.startswith(b"%PDF-") and _is_pdf(data):
        return PDF
    if data.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as z:
                if "word/document.xml" in z.namelist():
                    return DOCX
        except (zipfile.BadZipFile, ValueError, OSError, NotImplementedError, RuntimeError):
            return ""
        return ""
    image = _image_type(data)
    if image:
        return image
    if b"\x00" not in data:
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            return ""
        head = text.lstrip("\ufeff \t\r\n")[:512].lower()
        if head.startswith(("<!doctype html", "<html", "<?xml", "<svg")):
            return HTML
        if PurePosixPath(filename.lower()).suffix in (".md", ".markdown"):
            return MARKDOWN
        return TEXT
    return ""


def _is_pdf(data: bytes) -> bool:
    import pymupdf

    opener: Any = pymupdf.open
    try:
        with opener(stream=data, filetype="pdf") as doc:
            return bool(doc.is_pdf)
    except Exception:
        return False


def _image_type(data: bytes) -> str:
    if not data.startswith(
        (b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"II*\x00", b"MM\x00*", b"RIFF")
    ):
        return ""
    from PIL import Image

    try:
        # Reads the header only; the pixels are decoded later, after the size check.
        with Image.open(io.BytesIO(data)) as im:
            return IMAGES.get(im.format or "", "")
    except Image.DecompressionBombError:
        return _by_magic(data)
    except Exception:
        return ""


def _by_magic(data: bytes) -> str:
    if data.startswith(b"\x89PNG"):
        return IMAGES["PNG"]
    if data.startswith(b"\xff\xd8"):
        return IMAGES["JPEG"]
    if data.startswith(b"RIFF"):
        return IMAGES["WEBP"]
    return IMAGES["TIFF"]


def decide(data: bytes, filename: str, content_type: str) -> str:
    """The detected type, or InvalidArgument (TYPE_MISMATCH / UNSUPPORTED_TYPE)."""
    detected = sniff(data, filename)
    family = _FAMILY.get(detected, "unknown")
    declared_type = content_type.split(";")[0].strip().lower()
    claims = []
    by_type = _DECLARED.get(declared_type)
    if by_type and by_type != family:
        claims.append(f"declared as {declared_type}")
    suffix = PurePosixPath(filename.lower()).suffix
    by_name = _EXTENSIONS.get(suffix)
    if by_name and by_name != family:
        claims.append(f"named {filename!r}")
    if claims:
        actual = {"unknown": "not a supported type", "HTML": "HTML"}.get(family, f"a {family} file")
        raise InvalidArgument(
            f"The file is {' and '.join(claims)}, but its content is {actual}"
            + (f" ({detected})." if detected else "."),
            reason="TYPE_MISMATCH",
            metadata={"declared": declared_type or suffix, "detected": detected or "unknown"},
        )
    if not detected or detected == HTML:
        raise InvalidArgument(
            "Unsupported file type: send a PDF, DOCX, PNG, JPEG, TIFF, WebP, text or "
            "Markdown file.",
            reason="UNSUPPORTED_TYPE",
            metadata={"detected": detected or "unknown"},
        )
    return detected
