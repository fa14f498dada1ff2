from __future__ import annotations

import os

from pydantic import Field

from careervault.runtime.settings import SERVICE_PORTS, ServerSettings
from careervault_extraction.limits import Limits


def _cpus() -> int:
    return os.cpu_count() or 1


class ExtractionSettings(ServerSettings):
    port: int = Field(default=SERVICE_PORTS["extraction"], ge=0, le=65535)
    # Largest upload accepted (bytes).
    extraction_max_bytes: int = Field(default=10 * 1024 * 1024, ge=1, le=15 * 1024 * 1024)
    # Most pages a PDF may have.
    extraction_max_pages: int = Field(default=20, ge=1, le=1000)
    # Most pixels an image (or a PDF page rendered for OCR) may have; checked before decoding.
    extraction_max_pixels: int = Field(default=40_000_000, ge=10_000, le=500_000_000)
    # Most bytes actually decompressed from a DOCX (all members together).
    extraction_max_docx_bytes: int = Field(default=50 * 1024 * 1024, ge=1024, le=1024**3)
    # Seconds of OCR per page.
    extraction_ocr_timeout: float = Field(default=15.0, gt=0, le=600)
    # Worker processes for parsing and OCR; default: one per core.
    extraction_workers: int = Field(default_factory=_cpus, ge=1, le=256)
    # Extractions allowed to wait for a worker; 0 means twice the workers.
    extraction_queue: int = Field(default=0, ge=0, le=10_000)

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
        )
