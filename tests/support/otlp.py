"""A small OTLP/HTTP trace receiver: a real HTTP server on a free loopback port.

It accepts what an OpenTelemetry collector accepts at `POST /v1/traces` with
`Content-Type: application/x-protobuf` (an `ExportTraceServiceRequest`, gzip or not), from
both Envoy's OpenTelemetry tracer and the Python OTLP/HTTP exporter, and keeps every span:

    with OtlpReceiver() as otlp:
        env = {"OTEL_EXPORTER_OTLP_ENDPOINT": otlp.url}
        ... run something that exports spans ...
        spans = otlp.wait_for(lambda spans: any(s.name == "x" for s in spans))

Anything else gets a 404 (other paths) or 415 (other content types) and is counted in
`rejected`, so a test can tell "nothing was sent" from "something was sent wrongly".
"""

from __future__ import annotations

import gzip
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any

from google.protobuf.message import DecodeError
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2
from opentelemetry.proto.common.v1 import common_pb2
from opentelemetry.proto.trace.v1 import trace_pb2

from tests.support.http_server import LoopbackHTTPServer

PATH = "/v1/traces"
PROTOBUF = "application/x-protobuf"
KINDS = {
    trace_pb2.Span.SPAN_KIND_INTERNAL: "INTERNAL",
    trace_pb2.Span.SPAN_KIND_SERVER: "SERVER",
    trace_pb2.Span.SPAN_KIND_CLIENT: "CLIENT",
    trace_pb2.Span.SPAN_KIND_PRODUCER: "PRODUCER",
    trace_pb2.Span.SPAN_KIND_CONSUMER: "CONSUMER",
}


def _value(v: common_pb2.AnyValue) -> Any:
    kind = v.WhichOneof("value")
    if kind == "array_value":
        return [_value(x) for x in v.array_value.values]
    if kind == "kvlist_value":
        return {kv.key: _value(kv.value) for kv in v.kvlist_value.values}
    return getattr(v, kind) if kind else None


def _attributes(items: Sequence[common_pb2.KeyValue]) -> dict[str, Any]:
    return {kv.key: _value(kv.value) for kv in items}


@dataclass(frozen=True)
class Span:
    """One received span; ids in W3C lowercase hex ('' for no parent)."""

    trace_id: str
    span_id: str
    parent_span_id: str
    name: str
    kind: str  # SERVER, CLIENT, ...
    service: str  # the resource's service.name
    attributes: dict[str, Any] = field(hash=False)
    resource: dict[str, Any] = field(hash=False)
    status_code: int  # 0 unset, 1 ok, 2 error
    start_ns: int
    end_ns: int
    user_agent: str  # of the export request: tells Envoy's from the Python exporter's


class OtlpReceiver(LoopbackHTTPServer):
    """The server; thread-safe. `start()`/`close()`, `port` and `url` (the base endpoint, as
    OTEL_EXPORTER_OTLP_ENDPOINT takes it) come from `LoopbackHTTPServer`."""

    thread_name = "otlp-receiver"

    def __init__(self) -> None:
        super().__init__()
        self.spans: list[Span] = []
        self.requests = 0
        self.rejected = 0
        self._lock = threading.Lock()

    # -- what was received ---------------------------------------------------------------------

    def snapshot(self) -> list[Span]:
        with self._lock:
            return list(self.spans)

    def trace(self, trace_id: str) -> list[Span]:
        return [s for s in self.snapshot() if s.trace_id == trace_id]

    def wait_for(
        self, done: Callable[[list[Span]], bool], timeout: float = 15.0, poll: float = 0.05
    ) -> list[Span]:
        """All spans once `done(spans)` holds; AssertionError with what arrived otherwise."""
        deadline = time.monotonic() + timeout
        while True:
            spans = self.snapshot()
            if done(spans):
                return spans
            if time.monotonic() > deadline:
                listing = "\n".join(
                    f"  {s.service} {s.kind} {s.name} trace={s.trace_id} span={s.span_id} "
                    f"parent={s.parent_span_id or '-'}"
                    for s in spans
                )
                raise AssertionError(f"spans not complete after {timeout:g} s:\n{listing}")
            time.sleep(poll)

    # -- the endpoint ----------------------------------------------------------------------------

    def _handle(self, h: BaseHTTPRequestHandler) -> None:
        body = _read_body(h)
        if h.path.split("?")[0] != PATH:
            return self._reply(h, 404, b"", "text/plain")
        content_type = (h.headers.get("content-type") or "").split(";")[0].strip().lower()
        if content_type != PROTOBUF:
            return self._reply(h, 415, b"", "text/plain")
        if (h.headers.get("content-encoding") or "").lower() == "gzip":
            body = gzip.decompress(body)
        request = trace_service_pb2.ExportTraceServiceRequest()
        try:
            request.ParseFromString(body)
        except DecodeError:
            return self._reply(h, 400, b"", "text/plain")
        agent = h.headers.get("user-agent") or ""
        spans = [
            Span(
                trace_id=span.trace_id.hex(),
                span_id=span.span_id.hex(),
                parent_span_id=span.parent_span_id.hex(),
                name=span.name,
                kind=KINDS.get(span.kind, "UNSPECIFIED"),
                service=str(resource.get("service.name", "")),
                attributes=_attributes(span.attributes),
                resource=resource,
                status_code=span.status.code,
                start_ns=span.start_time_unix_nano,
                end_ns=span.end_time_unix_nano,
                user_agent=agent,
            )
            for rs in request.resource_spans
            for resource in [_attributes(rs.resource.attributes)]
            for ss in rs.scope_spans
            for span in ss.spans
        ]
        with self._lock:
            self.requests += 1
            self.spans.extend(spans)
        reply = trace_service_pb2.ExportTraceServiceResponse().SerializeToString()
        self._reply(h, 200, reply, PROTOBUF)

    def _reply(
        self, h: BaseHTTPRequestHandler, status: int, body: bytes, content_type: str
    ) -> None:
        if status != 200:
            with self._lock:
                self.rejected += 1
        h.send_response(status)
        h.send_header("content-type", content_type)
        h.send_header("content-length", str(len(body)))
        h.end_headers()
        h.wfile.write(body)


def _read_body(h: BaseHTTPRequestHandler) -> bytes:
    if (h.headers.get("transfer-encoding") or "").lower() == "chunked":
        chunks: list[bytes] = []
        while True:
            size = int(h.rfile.readline().split(b";")[0].strip() or b"0", 16)
            if size == 0:
                while h.rfile.readline() not in (b"\r\n", b"\n", b""):
                    pass  # trailers
                return b"".join(chunks)
            chunks.append(h.rfile.read(size))
            h.rfile.readline()
    length = int(h.headers.get("content-length") or 0)
    return h.rfile.read(length) if length else b""
