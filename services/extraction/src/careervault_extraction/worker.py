"""What runs in a worker process: detect the type, read the document, outline it.

Kept light to import (the parent imports it to name `extract`); the format readers, with
PyMuPDF, python-docx and Pillow, are imported on first use inside the worker.
"""

from __future__ import annotations

from dataclasses import dataclass

from careervault.runtime.errors import DomainError
from careervault_extraction.limits import Limits


@dataclass(frozen=True)
class Outcome:
    """The serialized ExtractedDocument, or (error class, message, reason)."""

    result: bytes = b""
    error: tuple[str, str, str] | None = None


def warm() -> None:
    from careervault_extraction import docx_reader, image, pdf, pipeline

    del docx_reader, image, pdf, pipeline


def extract(data: bytes, filename: str, content_type: str, limits: Limits) -> Outcome:
    from careervault_extraction.pipeline import run

    try:
        return Outcome(result=run(data, filename, content_type, limits).SerializeToString())
    except DomainError as exc:
        return Outcome(error=(type(exc).__name__, exc.message, exc.reason))
