"""gRPC surface of the extraction service: cheap checks here, the parsing in worker processes.

A bounded admission counter keeps the queue short: when `queue` extractions already wait for
a worker, the call is refused at once (RESOURCE_EXHAUSTED, EXTRACTION_BUSY) instead of timing
out. Logs carry ids, sizes, types and timings only, never document contents.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import os
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import replace

from careervault.extraction.v1 import extraction_pb2 as pb
from careervault.extraction.v1 import extraction_pb2_grpc
from careervault.runtime.errors import (
    FailedPrecondition,
    FieldViolation,
    InvalidArgument,
    ResourceExhausted,
    Unavailable,
)
from careervault_extraction import worker
from careervault_extraction.limits import Limits

SERVICE = "careervault.extraction.v1.ExtractionService"
log = logging.getLogger(__name__)

_ERRORS = {
    "InvalidArgument": InvalidArgument,
    "FailedPrecondition": FailedPrecondition,
    "ResourceExhausted": ResourceExhausted,
}


# Seconds kept back from the caller's deadline for outlining and answering after OCR stops.
DEADLINE_MARGIN = 1.5
# What a refused caller is told to wait before trying again.
BUSY_RETRY_SECONDS = 5


class WorkerPool:
    """A spawn-context process pool with a bounded number of waiting extractions.

    `memory_mb` caps each worker's address space from its start (worker.init); every
    extraction also applies the cap its Limits carry, so the cap holds either way.
    """

    def __init__(self, workers: int, queue: int, memory_mb: int = 0) -> None:
        self.workers = workers
        self.queue = queue
        self.memory_mb = memory_mb
        self.in_flight = 0
        os.environ.setdefault("OMP_THREAD_LIMIT", "1")
        self._executor = self._new_executor()

    def _new_executor(self) -> ProcessPoolExecutor:
        return ProcessPoolExecutor(
            max_workers=self.workers,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=worker.init,
            initargs=(self.memory_mb,),
        )

    async def run(self, data: bytes, filename: str, content_type: str, limits: Limits) -> bytes:
        if self.in_flight >= self.workers + self.queue:
            raise ResourceExhausted(
                "The extraction service is busy; try again in a few seconds.",
                reason="EXTRACTION_BUSY",
                metadata={
                    "queue": str(self.queue),
                    "retryAfterSeconds": str(BUSY_RETRY_SECONDS),
                },
            )
        self.in_flight += 1
        try:
            loop = asyncio.get_running_loop()
            executor = self._executor
            try:
                outcome = await loop.run_in_executor(
                    executor, worker.extract, data, filename, content_type, limits
                )
            except BrokenProcessPool:
                log.error("extraction worker died; restarting the pool")
                if self._executor is executor:
                    self._executor = self._new_executor()
                    executor.shutdown(wait=False, cancel_futures=True)
                raise Unavailable(
                    "The document could not be processed (worker stopped); try again.",
                    reason="EXTRACTION_WORKER_FAILED",
                ) from None
        finally:
            self.in_flight -= 1
        if outcome.error is not None:
            kind, message, reason = outcome.error
            raise _ERRORS.get(kind, InvalidArgument)(message, reason=reason)
        return outcome.result

    def warm(self) -> None:
        """Starts the workers and loads the readers in the background, so the first upload
        does not pay for process start and imports; start-up does not wait for it."""
        for _ in range(self.workers):
            self._executor.submit(worker.warm)

    def close(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)


class ExtractionServicer(extraction_pb2_grpc.ExtractionServiceServicer):
    """ExtractDocument (base64 in JSON) and UploadDocument (the raw body) share `_extract`."""

    def __init__(self, pool: WorkerPool, limits: Limits) -> None:
        self.pool = pool
        self.limits = limits

    async def ExtractDocument(
        self, request: pb.ExtractDocumentRequest, context: object
    ) -> pb.ExtractedDocument:
        return await self._extract(
            request.content, request.filename, request.content_type, context, "content"
        )

    async def UploadDocument(
        self, request: pb.UploadDocumentRequest, context: object
    ) -> pb.ExtractedDocument:
        return await self._extract(
            request.body.data, request.filename, request.body.content_type, context, "body"
        )

    async def _extract(
        self, content: bytes, filename: str, content_type: str, context: object, field: str
    ) -> pb.ExtractedDocument:
        size = len(content)
        if size == 0:
            raise InvalidArgument(
                "The file is empty.",
                reason="EMPTY_FILE",
                violations=[FieldViolation(field, "the file is empty")],
            )
        if size > self.limits.max_bytes:
            raise InvalidArgument(
                f"The file is {size} bytes; at most {self.limits.max_bytes} are accepted.",
                reason="FILE_TOO_LARGE",
                violations=[FieldViolation(field, "file too large")],
                metadata={"max_bytes": str(self.limits.max_bytes)},
            )
        start = time.monotonic()
        limits = self.limits
        remaining = _time_remaining(context)
        if remaining is not None:
            # OCR stops in time for an answer with what was read, rather than a timeout.
            limits = replace(limits, ocr_deadline=start + remaining - DEADLINE_MARGIN)
        try:
            raw = await self.pool.run(content, filename, content_type, limits)
        except Exception as exc:
            log.info(
                "extraction refused",
                extra={
                    "bytes": size,
                    "error": getattr(exc, "reason", type(exc).__name__),
                    "ms": round((time.monotonic() - start) * 1000, 1),
                },
            )
            raise
        doc = pb.ExtractedDocument.FromString(raw)
        log.info(
            "extracted",
            extra={
                "bytes": size,
                "type": doc.detected_type,
                "pages": doc.pages,
                "sections": len(doc.sections),
                "ms": round((time.monotonic() - start) * 1000, 1),
            },
        )
        return doc


def _time_remaining(context: object) -> float | None:
    """Seconds left before the caller's deadline, None without one."""
    remaining: Callable[[], float | None] | None = getattr(context, "time_remaining", None)
    value = remaining() if remaining is not None else None
    return float(value) if value is not None else None
