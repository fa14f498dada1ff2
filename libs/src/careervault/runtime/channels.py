"""One way to make a client channel: keepalive, message limits, and a deadline on every call.

Inside a service, calls to another service relay the caller's token and request id and never
outlive the deadline of the call being served. With tracing on (telemetry.py), each call is a
CLIENT span and carries `traceparent`, so the callee's span is its child; with tracing off no
tracing interceptor is added.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any

import grpc

from careervault.runtime import telemetry
from careervault.runtime.context import deadline_var, principal_var, request_id_var

DEFAULT_TIMEOUT = 10.0
_OPTIONS = [
    ("grpc.keepalive_time_ms", 30_000),
    ("grpc.keepalive_timeout_ms", 10_000),
    ("grpc.max_receive_message_length", 16 * 1024 * 1024),
    ("grpc.max_send_message_length", 16 * 1024 * 1024),
]


def _details(
    details: grpc.aio.ClientCallDetails, default_timeout: float
) -> grpc.aio.ClientCallDetails:
    timeout = details.timeout if details.timeout is not None else default_timeout
    deadline = deadline_var.get()
    if deadline is not None:
        timeout = max(0.0, min(timeout, deadline - time.time()))
    metadata = grpc.aio.Metadata(*(details.metadata or ()))
    principal = principal_var.get()
    if principal is not None and metadata.get("authorization") is None:
        metadata.add("authorization", f"Bearer {principal.token}")
    request_id = request_id_var.get()
    if request_id and metadata.get("x-request-id") is None:
        metadata.add("x-request-id", request_id)
    return grpc.aio.ClientCallDetails(
        details.method, timeout, metadata, details.credentials, details.wait_for_ready
    )


class _Relay(
    grpc.aio.UnaryUnaryClientInterceptor,
    grpc.aio.UnaryStreamClientInterceptor,
):
    def __init__(self, default_timeout: float) -> None:
        self.default_timeout = default_timeout

    async def intercept_unary_unary(
        self,
        continuation: Callable[..., Any],
        client_call_details: grpc.aio.ClientCallDetails,
        request: Any,
    ) -> Any:
        return await continuation(_details(client_call_details, self.default_timeout), request)

    async def intercept_unary_stream(
        self,
        continuation: Callable[..., Any],
        client_call_details: grpc.aio.ClientCallDetails,
        request: Any,
    ) -> Any:
        return await continuation(_details(client_call_details, self.default_timeout), request)


def create_channel(
    target: str,
    default_timeout: float = DEFAULT_TIMEOUT,
    options: Sequence[tuple[str, Any]] = (),
) -> grpc.aio.Channel:
    """An aio channel whose calls carry a deadline and relay the caller's context. `options`
    are added to the defaults (e.g. `("grpc.use_local_subchannel_pool", 1)`, so that a new
    channel does not inherit the reconnect backoff of another one to the same target)."""
    return grpc.aio.insecure_channel(
        target,
        options=[*_OPTIONS, *options],
        interceptors=[_Relay(default_timeout), *telemetry.client_interceptors()],
    )


def create_sync_channel(target: str) -> grpc.Channel:
    """A blocking channel for tools (the CLI); callers pass `timeout=` on each call."""
    return grpc.insecure_channel(target, options=_OPTIONS)
