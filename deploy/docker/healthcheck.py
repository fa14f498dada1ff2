"""Container health check of a CareerVault service: exit 0 only if it answers SERVING.

It asks the gRPC health protocol (grpc.health.v1), as Envoy does, on the port the service
listens on (CAREERVAULT_PORT, set in the image). Every service image has grpcio and
grpcio-health-checking (careervault-libs depends on them), so no probe binary is needed.

Usage: python /app/healthcheck.py [SERVICE]   (SERVICE "" by default: the whole server, which
goes NOT_SERVING as soon as the process starts draining on SIGTERM).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping, Sequence

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

TIMEOUT_SECONDS = 3.0
# Wildcard listen addresses are not addresses to connect to; the probe runs in the container.
_WILDCARDS = frozenset({"", "0.0.0.0", "::", "[::]"})


def target(env: Mapping[str, str]) -> str:
    """host:port of the service, from the same variables the service reads."""
    host = env.get("CAREERVAULT_HOST", "")
    port = env.get("CAREERVAULT_PORT", "")
    if not port.isdigit():
        raise ValueError(f"CAREERVAULT_PORT must be a port number, got {port!r}")
    if host in _WILDCARDS:
        host = "127.0.0.1"
    elif ":" in host and not host.startswith("["):
        host = f"[{host}]"
    return f"{host}:{port}"


def check(address: str, service: str = "", timeout: float = TIMEOUT_SECONDS) -> str | None:
    """None when `service` is SERVING at `address`, else why not."""
    # A proxy from the environment must not be asked about a local port.
    with grpc.insecure_channel(address, options=[("grpc.enable_http_proxy", 0)]) as channel:
        try:
            reply = health_pb2_grpc.HealthStub(channel).Check(
                health_pb2.HealthCheckRequest(service=service), timeout=timeout
            )
        except grpc.RpcError as exc:
            code = exc.code() if isinstance(exc, grpc.Call) else None
            return f"{address}: {code.name if code else exc}"
    if reply.status != health_pb2.HealthCheckResponse.SERVING:
        return f"{address}: {health_pb2.HealthCheckResponse.ServingStatus.Name(reply.status)}"
    return None


def main(argv: Sequence[str], env: Mapping[str, str]) -> int:
    service = argv[1] if len(argv) > 1 else ""
    try:
        problem = check(target(env), service)
    except ValueError as exc:
        problem = str(exc)
    if problem:
        print(f"unhealthy: {problem}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv, os.environ))
