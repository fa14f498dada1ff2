"""One way to run a service: grpc.aio with health, reflection, interceptors and a clean stop.

On SIGTERM or SIGINT: health goes NOT_SERVING for every service, the process keeps serving
for `shutdown_delay` seconds (so load balancers notice), then stops taking new calls and gives
in-flight calls `shutdown_grace` seconds to finish.
"""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import Awaitable, Callable, Collection, Sequence
from contextlib import AsyncExitStack
from dataclasses import dataclass, field

import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection

from careervault.runtime.auth import verifier_from_settings
from careervault.runtime.interceptors import AuthInterceptor, ErrorInterceptor
from careervault.runtime.logging import configure_logging
from careervault.runtime.settings import ServerSettings

log = logging.getLogger(__name__)

MAX_MESSAGE_BYTES = 16 * 1024 * 1024


@dataclass
class ServiceSpec:
    """What a service contributes: its name, how to register it, and what is public."""

    name: str  # e.g. "jobs"
    full_names: Sequence[str]  # e.g. ["careervault.jobs.v1.JobService"]
    register: Callable[[grpc.aio.Server, AsyncExitStack], Awaitable[None]]
    public_methods: Collection[str] = field(default_factory=tuple)


class Service:
    """A running server; `start()` binds, `stop()` drains. Used by `run()` and by tests."""

    def __init__(self, spec: ServiceSpec, settings: ServerSettings) -> None:
        self.spec = spec
        self.settings = settings
        self.health = health.aio.HealthServicer()
        self.server: grpc.aio.Server | None = None
        self.port = 0
        self._resources = AsyncExitStack()

    async def start(self) -> int:
        settings = self.settings
        verifier = verifier_from_settings(settings)
        self.server = grpc.aio.server(
            interceptors=[
                ErrorInterceptor(),
                AuthInterceptor(verifier, self.spec.public_methods),
            ],
            maximum_concurrent_rpcs=settings.max_concurrent_rpcs,
            options=[
                ("grpc.max_receive_message_length", MAX_MESSAGE_BYTES),
                ("grpc.max_send_message_length", MAX_MESSAGE_BYTES),
                ("grpc.so_reuseport", 0),
            ],
        )
        await self.spec.register(self.server, self._resources)
        health_pb2_grpc.add_HealthServicer_to_server(self.health, self.server)
        reflection.enable_server_reflection(
            [*self.spec.full_names, health.SERVICE_NAME, reflection.SERVICE_NAME], self.server
        )
        address = f"{settings.host}:{settings.port}"
        self.port = self.server.add_insecure_port(address)
        if self.port == 0:
            raise SystemExit(f"cannot listen on {address}")
        await self.server.start()
        for name in ("", *self.spec.full_names):
            await self.health.set(name, health_pb2.HealthCheckResponse.SERVING)
        log.info("listening", extra={"address": f"{settings.host}:{self.port}"})
        return self.port

    async def stop(self) -> None:
        if self.server is None:
            return
        await self.health.enter_graceful_shutdown()
        if self.settings.shutdown_delay:
            await asyncio.sleep(self.settings.shutdown_delay)
        await self.server.stop(self.settings.shutdown_grace)
        await self._resources.aclose()
        self.server = None
        log.info("stopped")


async def serve(spec: ServiceSpec, settings: ServerSettings) -> None:
    configure_logging(spec.name, settings.log_level)
    service = Service(spec, settings)
    await service.start()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    server = service.server
    assert server is not None
    waiter = asyncio.create_task(server.wait_for_termination())
    stopper = asyncio.create_task(stop.wait())
    await asyncio.wait({waiter, stopper}, return_when=asyncio.FIRST_COMPLETED)
    log.info("shutting down")
    await service.stop()
    waiter.cancel()
    stopper.cancel()


def run(spec: ServiceSpec, settings: ServerSettings) -> None:
    asyncio.run(serve(spec, settings))
