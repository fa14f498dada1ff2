"""What runs in a worker process: detect the type, read the document, outline it.

Kept light to import (the parent imports it to name `extract`); the format readers, with
PyMuPDF, python-docx and Pillow, are imported on first use inside the worker.

Memory: `limit_memory` caps the worker's address space (RLIMIT_AS), and tesseract, started
by the worker, inherits the cap. A document that needs more fails with MemoryError (Python,
Pillow), a MuPDF "malloc failed", or a tesseract that cannot allocate; each becomes
RESOURCE_EXHAUSTED DOCUMENT_TOO_COMPLEX and the worker carries on. A worker the kernel kills
outright breaks the pool, which the service answers with UNAVAILABLE and replaces.
"""

from __future__ import annotations

import gc
import os
import resource
import time
from dataclasses import dataclass, replace
from typing import Any

from careervault.runtime.errors import DomainError
from careervault_extraction.limits import Limits, out_of_memory

_applied_memory_mb: int | None = None
# One flag per slot of the pool (servicer.WorkerPool), set by the service when the caller of
# the extraction in that slot has gone; given to each worker by `init`.
_abandoned: Any = None


@dataclass(frozen=True)
class Outcome:
    """The serialized ExtractedDocument, or (error class, message, reason)."""

    result: bytes = b""
    error: tuple[str, str, str] | None = None


def init(memory_mb: int, abandoned: Any = None) -> None:
    """The pool's initializer: one OpenMP thread for tesseract (children of the worker, or
    they fight for the cores), the readers imported (PyMuPDF maps a large library: under a
    tight cap its import would fail), then the memory cap. `abandoned` is the pool's shared
    array of flags (one per slot)."""
    global _abandoned
    _abandoned = abandoned
    os.environ["OMP_THREAD_LIMIT"] = "1"
    warm()
    limit_memory(memory_mb)


def limit_memory(memory_mb: int) -> None:
    """Caps this process's address space (soft limit) at `memory_mb` MiB; 0 lifts a cap
    this function set (and leaves the inherited one alone otherwise). Never above the hard
    limit the process was given."""
    global _applied_memory_mb
    if memory_mb == (_applied_memory_mb or 0):
        _applied_memory_mb = memory_mb
        return
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    if memory_mb > 0:
        wanted = memory_mb * 1024 * 1024
        soft = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
    else:
        soft = hard
    resource.setrlimit(resource.RLIMIT_AS, (soft, hard))
    _applied_memory_mb = memory_mb


def warm() -> None:
    from careervault_extraction import docx_reader, image, pdf, pipeline

    del docx_reader, image, pdf, pipeline


def extract(
    data: bytes, filename: str, content_type: str, limits: Limits, slot: int | None = None
) -> Outcome:
    """Reads one document. `slot` is the call's flag in the pool's shared array: once the
    service sets it (the caller has gone), OCR stops before its next tesseract call, as if
    the document's OCR time were spent."""
    from careervault_extraction import image
    from careervault_extraction.pipeline import run

    flags = _abandoned
    if flags is not None and slot is not None:
        if flags[slot]:
            return Outcome(error=("FailedPrecondition", "The caller has gone.", "ABANDONED"))
        image.abandoned = lambda: bool(flags[slot])
    else:
        image.abandoned = image.never
    limit_memory(limits.worker_memory_mb)
    # The document's OCR budget starts now (not when the request was queued), and ends no
    # later than the deadline the service passed down.
    budget_end = time.monotonic() + limits.ocr_document_timeout
    if limits.ocr_deadline is not None:
        budget_end = min(budget_end, limits.ocr_deadline)
    limits = replace(limits, ocr_deadline=budget_end)
    try:
        return Outcome(result=run(data, filename, content_type, limits).SerializeToString())
    except DomainError as exc:
        return Outcome(error=(type(exc).__name__, exc.message, exc.reason))
    except Exception as exc:
        if not out_of_memory(exc):
            raise
    gc.collect()
    limit = f" ({limits.worker_memory_mb} MiB)" if limits.worker_memory_mb else ""
    return Outcome(
        error=(
            "ResourceExhausted",
            f"The document needs more memory to read than the service allows{limit}; send "
            "a smaller or simpler file (fewer or smaller images, fewer pages).",
            "DOCUMENT_TOO_COMPLEX",
        )
    )
