"""Limits handed to the worker processes (picklable, no pydantic)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Limits:
    max_bytes: int = 10 * 1024 * 1024
    max_pages: int = 20
    max_pixels: int = 40_000_000
    max_docx_bytes: int = 50 * 1024 * 1024
    ocr_timeout: float = 15.0
