"""Limits handed to the worker processes (picklable, no pydantic)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Limits:
    max_bytes: int = 10 * 1024 * 1024
    max_pages: int = 20
    max_pixels: int = 40_000_000
    max_docx_bytes: int = 50 * 1024 * 1024
    # Seconds of OCR for one page (orientation detection and reading together).
    ocr_timeout: float = 15.0
    # Seconds of OCR for a whole document; pages after it is spent are not read.
    ocr_document_timeout: float = 60.0
    # Tesseract languages, `+`-joined.
    ocr_languages: str = "eng"
    # Address space of a worker process and of the tesseract it runs, in MiB; 0 = no limit.
    worker_memory_mb: int = 0
    # Per document, set by the service and the worker: the time.monotonic() (system-wide on
    # Linux, so the same clock in every process) by which OCR must have stopped.
    ocr_deadline: float | None = None


def out_of_memory(exc: BaseException) -> bool:
    """True for the ways the readers report a failed allocation: Python's MemoryError,
    MuPDF's "malloc (...) failed" (pymupdf raises FzErrorSystem for it)."""
    if isinstance(exc, MemoryError):
        return True
    text = str(exc)
    return type(exc).__name__ == "FzErrorSystem" and "malloc" in text and "failed" in text
