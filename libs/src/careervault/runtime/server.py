"""One way to run a service: grpc.aio with health, reflection, interceptors and a clean stop.

On SIGTERM (an orchestrator, or `Stack.kill`): health goes NOT_SERVING for every service, the
process keeps serving for `shutdown_delay` seconds (so load balancers that poll health notice
and send nothing new), then stops taking new calls and gives in-flight calls `shutdown_grace`
seconds to finish. SIGINT (Ctrl-C, or `make run` stopping everything) does the same without the
delay, also when it arrives during one: the quick stop, as gunicorn's INT is.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import Awaitable, Callable, Collection, Sequence
from contextlib import AsyncExitStack
from dataclasses import dataclass, field

import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection

from careervault.runtime import telemetry
from careervault.runtime.auth import verifier_from_settings
from careervault.runtime.interceptors import AuthInterceptor, ErrorInterceptor
from careervault.runtime.logging import configure_logging
from careervault.runtime.metrics import serve_metrics
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
        self.interceptors: list[grpc.aio.ServerInterceptor] = []
        self.port = 0
        self._resources = AsyncExitStack()
        self._hurry = asyncio.Event()

    def hurry(self) -> None:
        """Cuts a drain delay short (a SIGINT after SIGTERM)."""
        self._hurry.set()

    async def start(self) -> int:
        settings = self.settings
        verifier = verifier_from_settings(settings)
        # Tracing (when OTEL_* asks for it, see telemetry.py) is outermost, so the span is
        # current while ErrorInterceptor logs the call; with tracing off there is none.
        self.interceptors = [
            *telemetry.server_interceptors(),
            ErrorInterceptor(),
            AuthInterceptor(verifier, self.spec.public_methods),
        ]
        self.server = grpc.aio.server(
            interceptors=self.interceptors,
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

    async def stop(self, drain: bool = True) -> None:
        """NOT_SERVING first: Envoy's health checks and the clients that watch health (see
        careervault.runtime.balancing) stop sending new calls. With `drain`, keep serving for
        `shutdown_delay` seconds (or until `hurry()`), for load balancers that poll: a request
        they send meanwhile is served, not refused. Then refuse new calls (GOAWAY on every
        connection, the port closes) and give the calls in flight `shutdown_grace` seconds."""
        if self.server is None:
            return
        await self.health.enter_graceful_shutdown()
        if drain and self.settings.shutdown_delay and not self._hurry.is_set():
            log.info("draining", extra={"seconds": self.settings.shutdown_delay})
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._hurry.wait(), self.settings.shutdown_delay)
        await self.server.stop(self.settings.shutdown_grace)
        await self._resources.aclose()
        self.server = None
        log.info("stopped")


async def serve(spec: ServiceSpec, settings: ServerSettings) -> None:
    configure_logging(spec.name, settings.log_level)
    # Before the server and its channels are built: they look at whether tracing is on.
    telemetry.setup_tracing(spec.name, settings.host, settings.port, settings.replica)
    metrics = serve_metrics(
        spec.name, settings.replica, settings.metrics_address, settings.metrics_port
    )
    try:
        await _serve(spec, settings)
    finally:
        if metrics is not None:
            metrics.close()
        # Spans still buffered are exported before the process ends.
        telemetry.shutdown_tracing()


async def _serve(spec: ServiceSpec, settings: ServerSettings) -> None:
    service = Service(spec, settings)
    await service.start()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    received: list[signal.Signals] = []

    def on_signal(sig: signal.Signals) -> None:
        received.append(sig)
        if sig == signal.SIGINT:
            service.hurry()
        stop.set()

    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, on_signal, sig)
    server = service.server
    assert server is not None
    waiter = asyncio.create_task(server.wait_for_termination())
    stopper = asyncio.create_task(stop.wait())
    await asyncio.wait({waiter, stopper}, return_when=asyncio.FIRST_COMPLETED)
    log.info("shutting down", extra={"signal": received[0].name if received else None})
    # SIGTERM drains (the delay lets Envoy notice); SIGINT stops without the delay.
    await service.stop(drain=signal.SIGINT not in received)
    waiter.cancel()
    stopper.cancel()


def run(spec: ServiceSpec, settings: ServerSettings) -> None:
    asyncio.run(serve(spec, settings))
