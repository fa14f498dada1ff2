"""Prometheus metrics of one service process, served as text at `/metrics`.

Every service records, in the ErrorInterceptor (which times each call and knows its code):

- `careervault_grpc_server_handling_seconds{grpc_service, grpc_method, grpc_code}`: a
  histogram of call durations (streams: until the last message); its `_count` is the number
  of calls by status code.
- `careervault_grpc_server_in_flight{grpc_service, grpc_method}`: calls being served now.
- `careervault_service_info{service, replica}`: 1, so a scrape says what it scraped.

Services add their own (extraction's worker pool, ai's provider fallbacks and cache) to the
same default registry, with the prometheus_client process and GC collectors. Only methods of
CareerVault's own services are counted (not health checks or reflection), so the label sets
stay bounded by the protos.

Recording costs about a microsecond: label children are looked up once per (method, code) and
kept. The endpoint is a plain HTTP server in a daemon thread (`serve_metrics`), on loopback
unless `metrics_host` says otherwise; `CAREERVAULT_METRICS_PORT=0` (the default) serves none.
Worker processes (extraction's pool) record nothing: the parent counts their work.
"""

from __future__ import annotations

import logging
from typing import Any

from prometheus_client import Gauge, Histogram, disable_created_metrics
from prometheus_client.exposition import start_http_server

log = logging.getLogger(__name__)

# No `_created` series beside every counter and histogram: they double the output, and
# Prometheus does not need them.
disable_created_metrics()  # type: ignore[no-untyped-call]

# Seconds: 0.5 ms (a cached read) up to a minute (OCR of a long scan, an external model).
RPC_BUCKETS = (
    0.0005,
    0.001,
    0.0025,
    0.005,
    0.01,
    0.025,
    0.05,
    0.1,
    0.25,
    0.5,
    1.0,
    2.5,
    5.0,
    10.0,
    30.0,
    60.0,
)

RPC_SECONDS = Histogram(
    "careervault_grpc_server_handling_seconds",
    "Duration of gRPC calls served, by method and status code (streams: until the end).",
    ["grpc_service", "grpc_method", "grpc_code"],
    buckets=RPC_BUCKETS,
)
RPC_IN_FLIGHT = Gauge(
    "careervault_grpc_server_in_flight",
    "gRPC calls being served now.",
    ["grpc_service", "grpc_method"],
)
SERVICE_INFO = Gauge(
    "careervault_service_info",
    "Always 1; the labels say which service and replica this process is.",
    ["service", "replica"],
)


def split_method(method: str) -> tuple[str, str]:
    """`/careervault.jobs.v1.JobService/GetJob` -> (`careervault.jobs.v1.JobService`,
    `GetJob`)."""
    service, _, name = method.lstrip("/").rpartition("/")
    return service, name


class RpcMetrics:
    """The per-call series, with label children cached (labels() validates and locks)."""

    def __init__(self) -> None:
        self._seconds: dict[tuple[str, str], Any] = {}
        self._in_flight: dict[str, Any] = {}

    def in_flight(self, method: str) -> Any:
        child = self._in_flight.get(method)
        if child is None:
            child = self._in_flight[method] = RPC_IN_FLIGHT.labels(*split_method(method))
        return child

    def observe(self, method: str, code: str, seconds: float) -> None:
        child = self._seconds.get((method, code))
        if child is None:
            child = self._seconds[(method, code)] = RPC_SECONDS.labels(*split_method(method), code)
        child.observe(seconds)


RPC = RpcMetrics()


class MetricsServer:
    """The `/metrics` endpoint of this process (any path answers; `/metrics` is the one to
    use). `close()` stops it."""

    def __init__(self, host: str, port: int) -> None:
        try:
            self._server, self._thread = start_http_server(port, addr=host)
        except OSError as exc:
            raise SystemExit(f"cannot serve metrics on {host}:{port}: {exc}") from None
        self.host = host
        self.port = int(self._server.server_port)

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=2.0)


def serve_metrics(service: str, replica: int, host: str, port: int) -> MetricsServer | None:
    """Starts the endpoint when `port` is set; SystemExit if the port cannot be bound."""
    SERVICE_INFO.labels(service, str(replica)).set(1)
    if not port:
        return None
    server = MetricsServer(host, port)
    log.info("metrics", extra={"address": f"http://{host}:{server.port}/metrics"})
    return server
