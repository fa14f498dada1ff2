"""Telemetry switches and the server tracing interceptor, in process.

Which OTEL_* settings turn tracing on (services and gateway read the same variables); that a
service built without them has no tracing interceptor at all; and what the interceptor
records on real grpc.aio calls (unary, server streaming, errors answered with an abort
by our ErrorInterceptor), with spans kept in memory by a provider local to the test (the
process-wide provider is never set here).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import AsyncExitStack
from pathlib import Path
from typing import Any

import grpc
import pytest
from careervault_ai.fallback import reason_kind
from opentelemetry.instrumentation.grpc import aio_client_interceptors
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode

from careervault.runtime import telemetry
from careervault.runtime.errors import NotFound
from careervault.runtime.interceptors import AuthInterceptor, ErrorInterceptor
from careervault.runtime.server import Service, ServiceSpec
from careervault.runtime.settings import ServerSettings
from gateway import render

ident = lambda b: b  # noqa: E731 - raw bytes in and out
SERVICE = "careervault.test.v1.Traced"


@pytest.mark.parametrize(
    ("env", "on"),
    [
        ({}, False),
        ({"OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:4318"}, True),
        ({"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://c:4318/v1/traces"}, True),
        ({"OTEL_TRACES_EXPORTER": "otlp"}, True),
        ({"OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4318", "OTEL_SDK_DISABLED": "true"}, False),
        ({"OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4318", "OTEL_TRACES_EXPORTER": "none"}, False),
        ({"OTEL_SERVICE_NAME": "x", "OTEL_BSP_SCHEDULE_DELAY": "100"}, False),
    ],
)
def test_tracing_is_on_only_when_an_exporter_or_endpoint_is_set(
    env: dict[str, str], on: bool
) -> None:
    assert telemetry.tracing_requested(env) is on


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"OTEL_TRACES_EXPORTER": "zipkin"}, "only otlp"),
        (
            {"OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4317", "OTEL_EXPORTER_OTLP_PROTOCOL": "grpc"},
            "only http/protobuf",
        ),
    ],
)
def test_an_exporter_this_process_lacks_is_refused_with_a_message(
    env: dict[str, str], message: str
) -> None:
    with pytest.raises(telemetry.TelemetryConfigError, match=message):
        telemetry.tracing_requested(env)
    with pytest.raises(SystemExit, match=message):
        telemetry.setup_tracing("jobs", "127.0.0.1", 50052, env=env)


def test_the_traces_url_is_derived_as_the_exporter_derives_it() -> None:
    assert telemetry.traces_endpoint({}) == ""
    base = {"OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4318/"}
    assert telemetry.traces_endpoint(base) == "http://c:4318/v1/traces"
    own = {**base, "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://d:4318/t"}
    assert telemetry.traces_endpoint(own) == "http://d:4318/t"


def test_the_gateway_reads_the_same_variables() -> None:
    assert render.otlp_from_env({})["otlp_traces_url"] == ""
    on = render.otlp_from_env(
        {
            "OTEL_EXPORTER_OTLP_ENDPOINT": "https://collector.example.com:4318/",
            "OTEL_EXPORTER_OTLP_HEADERS": "x-api-key=a%20b,Team=core",
            "OTEL_TRACES_SAMPLER": "parentbased_traceidratio",
            "OTEL_TRACES_SAMPLER_ARG": "0.25",
            "OTEL_BSP_SCHEDULE_DELAY": "200",
        }
    )
    assert on["otlp_traces_url"] == "https://collector.example.com:4318/v1/traces"
    assert on["otlp_headers"] == (("x-api-key", "a b"), ("team", "core"))
    assert on["trace_sampling"] == 25.0
    assert on["trace_flush_ms"] == 200
    off = {"OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4318", "OTEL_SDK_DISABLED": "true"}
    assert render.otlp_from_env(off)["otlp_traces_url"] == ""
    for bad in (
        {"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "collector:4318"},
        {"OTEL_EXPORTER_OTLP_ENDPOINT": "http://c", "OTEL_EXPORTER_OTLP_HEADERS": "novalue"},
        {
            "OTEL_EXPORTER_OTLP_ENDPOINT": "http://c",
            "OTEL_TRACES_SAMPLER": "traceidratio",
            "OTEL_TRACES_SAMPLER_ARG": "2",
        },
    ):
        with pytest.raises(render.ConfigError):
            render.otlp_from_env(bad)


@pytest.mark.parametrize(
    ("reason", "kind"),
    [
        ("Gemini returned 503", "http_503"),
        ("Gemini returned 429", "http_429"),
        ("Gemini timed out after 2 s", "timeout"),
        ("Gemini did not answer within 3.4 s", "timeout"),
        ("not enough time was left before the deadline to ask Gemini", "deadline"),
        ("Gemini blocked the answer (safety)", "blocked"),
        ("Gemini's answer did not validate", "invalid"),
        ("Gemini returned malformed JSON", "malformed"),
        ("Gemini returned an empty answer", "empty"),
        ("Gemini's answer was cut off (too long)", "truncated"),
        ("Gemini could not be reached", "unreachable"),
        ("Gemini's answer broke off", "broken"),
        ("Gemini failed unexpectedly (KeyError)", "error"),
    ],
)
def test_fallback_reasons_become_a_short_fixed_label(reason: str, kind: str) -> None:
    assert reason_kind(reason) == kind


async def test_without_otel_a_service_has_no_tracing_interceptor(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.delenv("OTEL_TRACES_EXPORTER", raising=False)
    assert not telemetry.setup_tracing("test", "127.0.0.1", 0)
    assert not telemetry.enabled()
    assert telemetry.server_interceptors() == []
    assert telemetry.client_interceptors() == []

    async def register(server: grpc.aio.Server, resources: AsyncExitStack) -> None:
        return None

    service = Service(
        ServiceSpec("test", [SERVICE], register),
        ServerSettings(data_dir=tmp_path, jwks_url=(tmp_path / "jwks.json").as_uri()),
    )
    await service.start()
    try:
        assert [type(i) for i in service.interceptors] == [ErrorInterceptor, AuthInterceptor]
    finally:
        await service.stop()


# -- the interceptor on real calls -----------------------------------------------------------


@pytest.fixture
def exporter() -> Iterator[tuple[TracerProvider, InMemorySpanExporter]]:
    provider = TracerProvider()
    memory = InMemorySpanExporter()
    provider.add_span_processor(SimpleSpanProcessor(memory))
    yield provider, memory
    provider.shutdown()


@pytest.fixture
async def traced(
    exporter: tuple[TracerProvider, InMemorySpanExporter],
) -> AsyncIterator[grpc.aio.Channel]:
    """A server with the tracing interceptor outermost, then ErrorInterceptor (as Service
    builds it), and a channel with the contrib client interceptors."""
    provider, _ = exporter

    async def unary(request: bytes, context: Any) -> bytes:
        if request == b"missing":
            raise NotFound("No such thing.", reason="NOT_FOUND")
        return b"ok"

    async def stream(request: bytes, context: Any) -> AsyncIterator[bytes]:
        for piece in (b"a", b"b", b"c"):
            yield piece
        if request == b"missing":
            raise NotFound("No such thing.", reason="NOT_FOUND")

    server = grpc.aio.server(
        interceptors=[
            telemetry.ServerTracingInterceptor(provider.get_tracer("test")),
            ErrorInterceptor(),
        ]
    )
    server.add_generic_rpc_handlers(
        [
            grpc.method_handlers_generic_handler(
                SERVICE,
                {
                    "Unary": grpc.unary_unary_rpc_method_handler(unary, ident, ident),
                    "Stream": grpc.unary_stream_rpc_method_handler(stream, ident, ident),
                },
            )
        ]
    )
    port = server.add_insecure_port("127.0.0.1:0")
    await server.start()
    channel = grpc.aio.insecure_channel(
        f"127.0.0.1:{port}",
        interceptors=aio_client_interceptors(tracer_provider=provider),  # type: ignore[no-untyped-call]
    )
    yield channel
    await channel.close()
    await server.stop(0)


def _pair(spans: tuple[ReadableSpan, ...]) -> tuple[ReadableSpan, ReadableSpan]:
    (client,) = [s for s in spans if s.kind == SpanKind.CLIENT]
    (server,) = [s for s in spans if s.kind == SpanKind.SERVER]
    assert server.parent is not None and client.context is not None
    assert server.context is not None
    assert server.context.trace_id == client.context.trace_id
    assert server.parent.span_id == client.context.span_id
    return client, server


async def test_a_unary_call_is_a_server_span_under_the_callers_span(
    traced: grpc.aio.Channel, exporter: tuple[TracerProvider, InMemorySpanExporter]
) -> None:
    call: Any = traced.unary_unary(f"/{SERVICE}/Unary")
    assert await call(b"", timeout=5) == b"ok"
    _, server = _pair(exporter[1].get_finished_spans())
    assert server.name == f"{SERVICE}/Unary"
    assert server.attributes is not None
    assert server.attributes["rpc.system"] == "grpc"
    assert server.attributes["rpc.method"] == "Unary"
    assert server.attributes["rpc.grpc.status_code"] == 0
    assert server.attributes["careervault.request_id"]


async def test_an_error_answered_with_an_abort_keeps_its_code(
    traced: grpc.aio.Channel, exporter: tuple[TracerProvider, InMemorySpanExporter]
) -> None:
    call: Any = traced.unary_unary(f"/{SERVICE}/Unary")
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await call(b"missing", timeout=5)
    assert err.value.code() == grpc.StatusCode.NOT_FOUND
    client, server = _pair(exporter[1].get_finished_spans())
    assert server.attributes is not None and client.attributes is not None
    assert server.attributes["rpc.grpc.status_code"] == 5
    assert client.attributes["rpc.grpc.status_code"] == 5
    # A caller's mistake is no error of the server's (OpenTelemetry's gRPC conventions).
    assert server.status.status_code == StatusCode.UNSET


async def test_a_server_stream_is_one_span_to_its_end(
    traced: grpc.aio.Channel, exporter: tuple[TracerProvider, InMemorySpanExporter]
) -> None:
    call: Any = traced.unary_stream(f"/{SERVICE}/Stream")
    assert [piece async for piece in call(b"", timeout=5)] == [b"a", b"b", b"c"]
    _, server = _pair(exporter[1].get_finished_spans())
    assert server.attributes is not None
    assert server.attributes["rpc.grpc.status_code"] == 0
    exporter[1].clear()

    pieces = []
    with pytest.raises(grpc.aio.AioRpcError) as err:
        async for piece in call(b"missing", timeout=5):
            pieces.append(piece)
    assert pieces == [b"a", b"b", b"c"] and err.value.code() == grpc.StatusCode.NOT_FOUND
    _, server = _pair(exporter[1].get_finished_spans())
    assert server.attributes is not None
    assert server.attributes["rpc.grpc.status_code"] == 5
