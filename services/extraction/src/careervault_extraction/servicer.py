"""gRPC surface of the extraction service: cheap checks here, the parsing in worker processes.

A bounded admission counter keeps the queue short: when `queue` extractions already wait for
a worker, the call is refused at once (RESOURCE_EXHAUSTED, EXTRACTION_BUSY) instead of timing
out. A call whose caller goes away (cancelled, or out of time) is not left to run: its worker
stops OCR before the next page (a flag shared with the workers), and the call keeps its place
in the count until the worker is free again, so admission never counts a busy worker as idle.
Logs carry ids, sizes, types and timings only, never document contents.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import ctypes
import logging
import multiprocessing
import os
import time
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import replace

from prometheus_client import Counter, Gauge

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

# Recorded here, in the serving process: the worker processes record nothing. The gauges are
# read from the pool when scraped (nothing to do per call).
POOL_IN_FLIGHT = Gauge(
    "careervault_extraction_pool_in_flight", "Extractions admitted now (running or waiting)."
)
POOL_QUEUED = Gauge(
    "careervault_extraction_pool_queued", "Extractions admitted and waiting for a worker."
)
POOL_CAPACITY = Gauge(
    "careervault_extraction_pool_capacity",
    "Extractions admitted at most (workers + queue); more are refused (EXTRACTION_BUSY).",
)
POOL_WORKERS = Gauge("careervault_extraction_pool_workers", "Worker processes of the pool.")
POOL_REJECTIONS = Counter(
    "careervault_extraction_pool_rejections",
    "Extractions refused because the pool was full (RESOURCE_EXHAUSTED EXTRACTION_BUSY).",
)
POOL_RESTARTS = Counter(
    "careervault_extraction_pool_restarts",
    "Times the worker pool was replaced after a worker died (EXTRACTION_WORKER_FAILED).",
)


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
        # One flag per admitted call (slot), read by the workers: set when the call's caller
        # has gone, so the worker reading its document stops (worker.extract).
        self._abandoned = multiprocessing.get_context("spawn").RawArray(
            ctypes.c_bool, workers + queue
        )
        self._free_slots = list(range(workers + queue))
        os.environ.setdefault("OMP_THREAD_LIMIT", "1")
        self._executor = self._new_executor()
        POOL_IN_FLIGHT.set_function(lambda: self.in_flight)
        POOL_QUEUED.set_function(lambda: max(0, self.in_flight - self.workers))
        POOL_CAPACITY.set(workers + queue)
        POOL_WORKERS.set(workers)

    def _new_executor(self) -> ProcessPoolExecutor:
        return ProcessPoolExecutor(
            max_workers=self.workers,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=worker.init,
            initargs=(self.memory_mb, self._abandoned),
        )

    async def run(self, data: bytes, filename: str, content_type: str, limits: Limits) -> bytes:
        if self.in_flight >= self.workers + self.queue:
            POOL_REJECTIONS.inc()
            raise ResourceExhausted(
                "The extraction service is busy; try again in a few seconds.",
                reason="EXTRACTION_BUSY",
                metadata={
                    "queue": str(self.queue),
                    "retryAfterSeconds": str(BUSY_RETRY_SECONDS),
                },
            )
        slot = self._take_slot()
        later = False  # the slot is released when an abandoned extraction has stopped
        try:
            executor = self._executor
            try:
                future = executor.submit(worker.extract, data, filename, content_type, limits, slot)
                try:
                    outcome = await asyncio.wrap_future(future)
                except asyncio.CancelledError:
                    later = self._abandon(slot, future)
                    raise
            except BrokenProcessPool:
                log.error("extraction worker died; restarting the pool")
                if self._executor is executor:
                    POOL_RESTARTS.inc()
                    self._executor = self._new_executor()
                    executor.shutdown(wait=False, cancel_futures=True)
                raise Unavailable(
                    "The document could not be processed (worker stopped); try again.",
                    reason="EXTRACTION_WORKER_FAILED",
                ) from None
        finally:
            if not later:
                self._release(slot)
        if outcome.error is not None:
            kind, message, reason = outcome.error
            raise _ERRORS.get(kind, InvalidArgument)(message, reason=reason)
        return outcome.result

    def _take_slot(self) -> int:
        self.in_flight += 1
        slot = self._free_slots.pop()
        self._abandoned[slot] = False
        return slot

    def _release(self, slot: int) -> None:
        self._free_slots.append(slot)
        self.in_flight -= 1

    def _abandon(self, slot: int, future: Future[worker.Outcome]) -> bool:
        """The caller is gone: the worker is told to stop, and unless the extraction never
        started, its slot stays taken until the worker is done (True)."""
        self._abandoned[slot] = True
        log.info("extraction abandoned by its caller; stopping its worker")
        if future.cancel():
            log.info("abandoned extraction stopped", extra={"ms": 0, "error": "not started"})
            return False  # it was still waiting: it will not run at all
        loop = asyncio.get_running_loop()
        started = time.monotonic()
        context = contextvars.copy_context()  # the call's request id, for the log line

        def done(finished: Future[worker.Outcome]) -> None:
            # RuntimeError: the loop is closed, the service is stopping.
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(self._stopped, slot, finished, started, context=context)

        future.add_done_callback(done)
        return True

    def _stopped(self, slot: int, future: Future[worker.Outcome], since: float) -> None:
        self._release(slot)
        ocr = skipped = 0
        error = ""
        failure = future.exception()
        if failure is not None:
            error = type(failure).__name__
        else:
            outcome = future.result()
            if outcome.error is not None:
                error = outcome.error[2]
            else:
                doc = pb.ExtractedDocument.FromString(outcome.result)
                methods = [p.method for p in doc.page_info]
                ocr = methods.count(pb.ExtractedDocument.OCR)
                skipped = methods.count(pb.ExtractedDocument.OCR_TIMED_OUT)
        log.info(
            "abandoned extraction stopped",
            extra={
                "ms": round((time.monotonic() - since) * 1000, 1),
                "ocr_pages": ocr,
                "ocr_pages_skipped": skipped,
                "error": error,
            },
        )

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
