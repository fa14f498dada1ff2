"""Wiring: settings -> worker pool -> servicer -> server."""

from __future__ import annotations

from contextlib import AsyncExitStack

import grpc

from careervault.extraction.v1 import extraction_pb2_grpc
from careervault.runtime.public import PUBLIC_METHODS
from careervault.runtime.server import ServiceSpec
from careervault_extraction.servicer import SERVICE, ExtractionServicer, WorkerPool
from careervault_extraction.settings import ExtractionSettings


def build_spec(settings: ExtractionSettings) -> ServiceSpec:
    async def register(server: grpc.aio.Server, resources: AsyncExitStack) -> None:
        pool = WorkerPool(
            settings.extraction_workers,
            settings.queue_size,
            memory_mb=settings.extraction_worker_memory_mb,
        )
        resources.callback(pool.close)
        pool.warm()
        servicer = ExtractionServicer(pool, settings.limits)
        extraction_pb2_grpc.add_ExtractionServiceServicer_to_server(servicer, server)

    return ServiceSpec(
        name="extraction",
        full_names=[SERVICE],
        register=register,
        public_methods=PUBLIC_METHODS,
    )
