from __future__ import annotations

import os
import re

from pydantic import Field, field_validator

from careervault.runtime.settings import SERVICE_PORTS, ServerSettings
from careervault_extraction.limits import Limits

_LANGUAGES = re.compile(r"[A-Za-z0-9_]+(\+[A-Za-z0-9_]+)*")
# Below this a worker cannot even import its readers, and tesseract fails in odd ways
# (leptonica returns an empty page instead of an error).
MIN_WORKER_MEMORY_MB = 256


def _cpus() -> int:
    return os.cpu_count() or 1


def installed_languages() -> list[str]:
    """The languages tesseract has data for; RuntimeError when tesseract cannot be run."""
    import pytesseract  # type: ignore[import-untyped]

    try:
        return sorted(pytesseract.get_languages(config=""))
    except pytesseract.TesseractNotFoundError:
        raise RuntimeError(
            "tesseract is not installed or not on PATH (Debian: apt-get install tesseract-ocr)"
        ) from None
    except Exception as exc:  # a broken install: report it, do not start half-working
        raise RuntimeError(f"tesseract cannot list its languages: {exc}") from None


def check_languages(value: str, installed: list[str]) -> None:
    missing = [lang for lang in value.split("+") if lang not in installed]
    if missing:
        packages = " ".join(f"tesseract-ocr-{m.lower().replace('_', '-')}" for m in missing)
        raise ValueError(
            f"tesseract has no data for {'+'.join(missing)} (installed: "
            f"{', '.join(installed) or 'none'}); install it (Debian: apt-get install "
            f"{packages}) or set CAREERVAULT_EXTRACTION_OCR_LANGUAGES to installed ones"
        )


class ExtractionSettings(ServerSettings):
    port: int = Field(default=SERVICE_PORTS["extraction"], ge=0, le=65535)
    # Largest upload accepted (bytes).
    extraction_max_bytes: int = Field(default=10 * 1024 * 1024, ge=1, le=15 * 1024 * 1024)
    # Most pages a PDF (or frames a TIFF) may have.
    extraction_max_pages: int = Field(default=20, ge=1, le=1000)
    # Most pixels an image (or a PDF page rendered for OCR) may have; checked before decoding.
    extraction_max_pixels: int = Field(default=40_000_000, ge=10_000, le=500_000_000)
    # Most bytes actually decompressed from a DOCX (all members together).
    extraction_max_docx_bytes: int = Field(default=50 * 1024 * 1024, ge=1024, le=1024**3)
    # Seconds of OCR per page.
    extraction_ocr_timeout: float = Field(default=15.0, ge=1, le=600)
    # Seconds of OCR per document: scanned pages after it is spent are skipped with a warning
    # (RESOURCE_EXHAUSTED OCR_TIMEOUT if nothing at all could be read). The request's own
    # deadline (the gateway's 60 s) also stops OCR, a little before it expires.
    extraction_ocr_document_timeout: float = Field(default=60.0, gt=0, le=3600)
    # Tesseract languages, `+`-joined as tesseract takes them; each must be installed (make
    # installs deu, fra and spa too). eng+deu+fra+spa reads umlauts and accents that eng
    # garbles, but costs tesseract CPU time (measured on a resume page, one thread): +21 %
    # on a clean scan, +58 % on a slightly blurred one, 3.7x on a badly blurred one; so the
    # default is eng, and the others are one setting away.
    extraction_ocr_languages: str = "eng"
    # Address space of each worker process and of the tesseract it starts (MiB); a document
    # that needs more fails with RESOURCE_EXHAUSTED DOCUMENT_TOO_COMPLEX. 0 = no limit.
    extraction_worker_memory_mb: int = Field(default=1024, ge=0, le=1024 * 1024)
    # Worker processes for parsing and OCR; default: one per core.
    extraction_workers: int = Field(default_factory=_cpus, ge=1, le=256)
    # Extractions allowed to wait for a worker; 0 means twice the workers.
    extraction_queue: int = Field(default=0, ge=0, le=10_000)

    @field_validator("extraction_ocr_languages")
    @classmethod
    def _languages(cls, value: str) -> str:
        value = value.strip()
        if not _LANGUAGES.fullmatch(value):
            raise ValueError(f"must be tesseract languages joined by '+', e.g. eng+deu: {value!r}")
        try:
            installed = installed_languages()
        except RuntimeError as exc:
            raise ValueError(str(exc)) from None
        check_languages(value, installed)
        return value

    @field_validator("extraction_worker_memory_mb")
    @classmethod
    def _memory(cls, value: int) -> int:
        if 0 < value < MIN_WORKER_MEMORY_MB:
            raise ValueError(f"must be 0 (no limit) or at least {MIN_WORKER_MEMORY_MB} MiB")
        return value

    @property
    def queue_size(self) -> int:
        return self.extraction_queue or 2 * self.extraction_workers

    @property
    def limits(self) -> Limits:
        return Limits(
            max_bytes=self.extraction_max_bytes,
            max_pages=self.extraction_max_pages,
            max_pixels=self.extraction_max_pixels,
            max_docx_bytes=self.extraction_max_docx_bytes,
            ocr_timeout=self.extraction_ocr_timeout,
            ocr_document_timeout=self.extraction_ocr_document_timeout,
            ocr_languages=self.extraction_ocr_languages,
            worker_memory_mb=self.extraction_worker_memory_mb,
        )
