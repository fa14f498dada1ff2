"""Tracing with OpenTelemetry, switched on by the standard `OTEL_*` variables.

On when `OTEL_TRACES_EXPORTER=otlp`, or when `OTEL_EXPORTER_OTLP_ENDPOINT` or
`OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` is set, unless `OTEL_SDK_DISABLED=true` or
`OTEL_TRACES_EXPORTER=none`. Then `setup_tracing()` installs a TracerProvider whose spans go
through a BatchSpanProcessor (`OTEL_BSP_*`) to the OTLP/HTTP protobuf exporter, which reads
the endpoint, headers, timeout and compression (`OTEL_EXPORTER_OTLP_*`) itself. The resource
says `service.name` (`OTEL_SERVICE_NAME`, default `careervault-<service>`),
`service.namespace` careervault, `service.instance.id` (host:port) and `careervault.replica`;
`OTEL_RESOURCE_ATTRIBUTES` adds to or overrides them. Sampling follows `OTEL_TRACES_SAMPLER`
(default: parent-based, always on), so the gateway's decision holds across the mesh.

Off (the default), nothing is installed: no interceptor on the server or on client channels,
no provider; the log filter does not look for a span. The only cost left is one boolean test
where a server or channel is built.

What is traced when on:
- every call to an own method, as a SERVER span continuing the caller's W3C `traceparent`
  (`ServerTracingInterceptor`, outermost, so the request's log lines carry its ids);
- every call made through `channels.create_channel`, as a CLIENT span that sends
  `traceparent` on (the contrib aio client interceptors of opentelemetry-instrumentation-grpc).

Why not the contrib server interceptor (`aio_server_interceptor`, 0.66b2) on the server side:
placed outermost, its streaming path iterates the behaviour with `async for`, but our own
interceptors turn a server-streaming handler into a coroutine that writes through the context,
so Chat failed with TypeError; placed innermost, its span ends before our interceptors log (no
trace id in the rpc line) and does not see the abort our ErrorInterceptor answers every
error with: a NOT_FOUND was recorded as rpc.grpc.status_code 0 (OK). The
interceptor here is a few lines on the OTel API and the global propagator instead.
"""

from __future__ import annotations

import functools
import logging
import os
import socket
import threading
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

import grpc

from careervault.runtime import otel_env
from careervault.runtime.context import request_id_var
from careervault.runtime.interceptors import Context, _metadata, _WrappingInterceptor
from careervault.runtime.metrics import split_method

if TYPE_CHECKING:
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SpanExporter
    from opentelemetry.trace import Status, Tracer

log = logging.getLogger(__name__)

NAMESPACE = "careervault"
# Server-side status codes that make a span an error (OpenTelemetry's gRPC conventions: the
# others are the caller's doing).
SERVER_ERROR_CODES = frozenset(
    {
        grpc.StatusCode.UNKNOWN,
        grpc.StatusCode.DEADLINE_EXCEEDED,
        grpc.StatusCode.UNIMPLEMENTED,
        grpc.StatusCode.INTERNAL,
        grpc.StatusCode.UNAVAILABLE,
        grpc.StatusCode.DATA_LOSS,
    }
)

# Seconds a stopping process waits for its last spans to be exported; an unreachable collector
# (the exporter retries for up to OTEL_EXPORTER_OTLP_TIMEOUT, 10 s) must not hold up a stop.
FLUSH_SECONDS = 3.0

_provider: TracerProvider | None = None
_exporter: SpanExporter | None = None
_tracer: Tracer | None = None


class TelemetryConfigError(ValueError):
    """An OTEL_* value this process cannot honour."""


def traces_endpoint(env: Mapping[str, str] | None = None) -> str:
    """The URL spans are posted to, as the OTLP/HTTP exporter derives it ('' if neither
    endpoint variable is set)."""
    return otel_env.traces_endpoint(os.environ if env is None else env)


def tracing_requested(env: Mapping[str, str] | None = None) -> bool:
    """Whether the environment asks for traces (see the module docstring); raises
    TelemetryConfigError for an exporter or protocol this process does not have."""
    env = os.environ if env is None else env
    if otel_env.disabled(env):
        return False
    exporters = otel_env.exporters(env)
    unknown = exporters - {"otlp"}
    if unknown:
        raise TelemetryConfigError(
            f"OTEL_TRACES_EXPORTER: only otlp (or none) is available, not {sorted(unknown)}"
        )
    on = "otlp" in exporters or bool(otel_env.traces_endpoint(env))
    if on:
        protocol = (
            env.get("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL")
            or env.get("OTEL_EXPORTER_OTLP_PROTOCOL")
            or "http/protobuf"
        ).strip()
        if protocol != "http/protobuf":
            raise TelemetryConfigError(
                f"OTEL_EXPORTER_OTLP_PROTOCOL: only http/protobuf is available, not {protocol!r}"
            )
    return on


def setup_tracing(
    service: str, host: str, port: int, replica: int = 0, env: Mapping[str, str] | None = None
) -> bool:
    """Installs the tracer provider if the environment asks for traces; True if it did.
    Once per process (the provider is global); SystemExit on a bad OTEL_* value."""
    global _provider, _exporter, _tracer
    env = os.environ if env is None else env
    try:
        if not tracing_requested(env):
            return False
    except TelemetryConfigError as exc:
        raise SystemExit(f"invalid tracing configuration: {exc}") from None
    if _provider is not None:
        return True

    from opentelemetry import trace
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.sdk.resources import OTELResourceDetector, Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    instance_host = socket.gethostname() if host in ("0.0.0.0", "::", "") else host
    defaults = Resource.create(
        {
            "service.name": f"careervault-{service}",
            "service.namespace": NAMESPACE,
            "service.instance.id": f"{instance_host}:{port}",
            "careervault.replica": replica,
        }
    )
    # The environment (OTEL_SERVICE_NAME, OTEL_RESOURCE_ATTRIBUTES) wins over the defaults.
    resource = defaults.merge(OTELResourceDetector().detect())
    provider = TracerProvider(resource=resource)
    exporter = OTLPSpanExporter()
    provider.add_span_processor(BatchSpanProcessor(exporter))
    trace.set_tracer_provider(provider)
    _provider, _exporter = provider, exporter
    _tracer = provider.get_tracer("careervault.runtime")
    log.info(
        "tracing",
        extra={
            "endpoint": traces_endpoint(env) or "http://localhost:4318/v1/traces",
            "service_name": resource.attributes.get("service.name"),
        },
    )
    return True


def enabled() -> bool:
    return _tracer is not None


def shutdown_tracing(timeout: float = FLUSH_SECONDS) -> None:
    """Exports what is still buffered, then stops the exporter (on the way out of serve);
    after `timeout` seconds the exporter is stopped anyway and what is left is dropped."""
    global _provider, _exporter, _tracer
    provider, exporter = _provider, _exporter
    _provider, _exporter, _tracer = None, None, None
    if provider is None or exporter is None:
        return
    flushing = threading.Thread(target=provider.shutdown, name="otel-shutdown", daemon=True)
    flushing.start()
    flushing.join(timeout)
    if flushing.is_alive():
        log.warning("tracing: spans not exported in %.0f s; dropped (collector down?)", timeout)
        exporter.shutdown()  # ends the exporter's retries, so the flush returns
        flushing.join(1.0)


def server_interceptors() -> list[grpc.aio.ServerInterceptor]:
    """[ServerTracingInterceptor] when tracing is on, else []."""
    return [ServerTracingInterceptor(_tracer)] if _tracer is not None else []


def client_interceptors() -> list[Any]:
    """The contrib aio client interceptors when tracing is on, else []."""
    if _provider is None:
        return []
    from opentelemetry.instrumentation.grpc import aio_client_interceptors

    return list(aio_client_interceptors(tracer_provider=_provider))  # type: ignore[no-untyped-call]


def current_ids() -> tuple[str, str] | None:
    """(trace id, span id) of the active span in W3C hex, or None (also when off)."""
    if _tracer is None:
        return None
    from opentelemetry import trace

    ctx = trace.get_current_span().get_span_context()
    if not ctx.is_valid:
        return None
    return format(ctx.trace_id, "032x"), format(ctx.span_id, "016x")


class ServerTracingInterceptor(_WrappingInterceptor):
    """A SERVER span around each own method's call, child of the caller's `traceparent`.

    Outermost: the span is current while the ErrorInterceptor logs the call, and the status
    code it records comes from the context after our interceptors answered (their aborts
    included)."""

    def __init__(self, tracer: Tracer | None) -> None:
        assert tracer is not None
        from opentelemetry import propagate
        from opentelemetry.trace import SpanKind, Status, StatusCode

        self.tracer = tracer
        self._extract: Callable[..., Any] = propagate.extract
        self._kind = SpanKind.SERVER
        self._error: Callable[[str], Status] = functools.partial(Status, StatusCode.ERROR)

    async def around(
        self,
        call: Callable[[], Any],
        details: grpc.HandlerCallDetails,
        context: Context,
    ) -> Any:
        method: str = details.method  # type: ignore[attr-defined]
        service, name = split_method(method)
        parent = self._extract(_metadata(details))
        with self.tracer.start_as_current_span(
            f"{service}/{name}",
            context=parent,
            kind=self._kind,
            attributes={"rpc.system": "grpc", "rpc.service": service, "rpc.method": name},
            record_exception=False,
            set_status_on_exception=False,
        ) as span:
            code = grpc.StatusCode.OK
            try:
                return await call()
            except BaseException:
                code = context.code() or grpc.StatusCode.CANCELLED
                raise
            finally:
                span.set_attribute("rpc.grpc.status_code", code.value[0])
                request_id = request_id_var.get()
                if request_id:
                    span.set_attribute("careervault.request_id", request_id)
                if code in SERVER_ERROR_CODES:
                    span.set_status(self._error(code.name))
