"""Server interceptors: request context and error mapping (outermost), then authentication.

Only methods of CareerVault's own services are wrapped; health and reflection pass untouched.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import time
import uuid
from collections.abc import Awaitable, Callable, Collection
from typing import Any

import grpc
from grpc_status import rpc_status

from careervault.runtime.auth import TokenVerifier
from careervault.runtime.context import (
    Principal,
    deadline_var,
    method_var,
    principal_var,
    request_id_var,
)
from careervault.runtime.errors import DomainError, Unauthenticated, internal_status
from careervault.runtime.metrics import RPC

log = logging.getLogger("careervault.rpc")

OWN_PREFIX = "/careervault."

Behavior = Callable[..., Any]
# grpc's handler and context types are generic in request/response; these wrappers are not.
Handler = Any
Context = Any
Wrapper = Callable[[Behavior, grpc.HandlerCallDetails], Behavior]


def _metadata(details: grpc.HandlerCallDetails) -> dict[str, str]:
    out: dict[str, str] = {}
    for key, value in details.invocation_metadata or ():  # type: ignore[attr-defined]
        if isinstance(value, str):
            out[key] = value
    return out


def _rewrap(handler: Handler, wrap: Callable[[Behavior], Behavior]) -> Any:
    if handler.unary_unary:
        return grpc.unary_unary_rpc_method_handler(
            wrap(handler.unary_unary),
            request_deserializer=handler.request_deserializer,
            response_serializer=handler.response_serializer,
        )
    if handler.unary_stream:
        return grpc.unary_stream_rpc_method_handler(
            wrap(handler.unary_stream),
            request_deserializer=handler.request_deserializer,
            response_serializer=handler.response_serializer,
        )
    if handler.stream_unary:
        return grpc.stream_unary_rpc_method_handler(
            wrap(handler.stream_unary),
            request_deserializer=handler.request_deserializer,
            response_serializer=handler.response_serializer,
        )
    return grpc.stream_stream_rpc_method_handler(
        wrap(handler.stream_stream),
        request_deserializer=handler.request_deserializer,
        response_serializer=handler.response_serializer,
    )


def _is_streaming_response(handler: Handler) -> bool:
    return bool(handler.unary_stream or handler.stream_stream)


class _WrappingInterceptor(grpc.aio.ServerInterceptor):
    """Wraps each own method's behaviour with `around(call, details)`."""

    async def around(
        self,
        call: Callable[[], Awaitable[Any]],
        details: grpc.HandlerCallDetails,
        context: Context,
    ) -> Any:
        raise NotImplementedError

    async def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], Awaitable[Handler | None]],
        handler_call_details: grpc.HandlerCallDetails,
    ) -> Handler | None:
        handler = await continuation(handler_call_details)
        method: str = handler_call_details.method  # type: ignore[attr-defined]
        if handler is None or not method.startswith(OWN_PREFIX):
            return handler
        streaming = _is_streaming_response(handler)
        interceptor = self

        def wrap(behavior: Behavior) -> Behavior:
            if streaming:
                # A coroutine handler that writes through the context: the behaviour may be an
                # async generator or itself write through the context.
                async def stream(request: Any, context: Context) -> None:
                    async def run() -> None:
                        result = behavior(request, context)
                        if inspect.isasyncgen(result):
                            async for item in result:
                                await context.write(item)
                        else:
                            await result

                    await interceptor.around(run, handler_call_details, context)

                return stream

            async def unary(request: Any, context: Context) -> Any:
                async def run() -> Any:
                    return await behavior(request, context)

                return await interceptor.around(run, handler_call_details, context)

            return unary

        return _rewrap(handler, wrap)


def _retry_after(exc: DomainError) -> tuple[tuple[str, str], ...]:
    """A `retry-after` trailer for an error that says when to come back (`retryAfterSeconds`
    in its ErrorInfo: a full queue, a throttle); the transcoder passes it on, so REST clients
    get the standard header with the 429."""
    seconds = exc.metadata.get("retryAfterSeconds", "")
    return (("retry-after", seconds),) if seconds.isdigit() else ()


class ErrorInterceptor(_WrappingInterceptor):
    """Sets the request id, logs each call, maps exceptions to `google.rpc.Status`, and
    records the call's duration and code (`careervault.runtime.metrics`)."""

    async def around(
        self,
        call: Callable[[], Awaitable[Any]],
        details: grpc.HandlerCallDetails,
        context: Context,
    ) -> Any:
        meta = _metadata(details)
        method: str = details.method  # type: ignore[attr-defined]
        request_id = meta.get("x-request-id") or uuid.uuid4().hex
        request_id_var.set(request_id)
        method_var.set(method)
        remaining = context.time_remaining()
        deadline_var.set(time.time() + remaining if remaining is not None else None)
        in_flight = RPC.in_flight(method)
        in_flight.inc()
        started = time.perf_counter()
        code = grpc.StatusCode.OK
        try:
            return await call()
        except DomainError as exc:
            code = exc.code
            status = rpc_status.to_status(exc.to_status())
            await context.abort(
                status.code, status.details, (*status.trailing_metadata, *_retry_after(exc))
            )
        except (asyncio.CancelledError, grpc.aio.AbortError):
            code = context.code() or grpc.StatusCode.CANCELLED  # type: ignore[assignment]
            raise
        except Exception:
            code = grpc.StatusCode.INTERNAL
            log.exception("unexpected error")
            await context.abort_with_status(rpc_status.to_status(internal_status()))
        finally:
            elapsed = time.perf_counter() - started
            in_flight.dec()
            name = code.name if isinstance(code, grpc.StatusCode) else str(code)
            RPC.observe(method, name, elapsed)
            log.info("rpc", extra={"code": name, "duration_ms": round(elapsed * 1000, 2)})


class AuthInterceptor(_WrappingInterceptor):
    """Verifies the bearer token on every own method except the public ones."""

    def __init__(self, verifier: TokenVerifier, public_methods: Collection[str] = ()) -> None:
        self.verifier = verifier
        self.public_methods = frozenset(public_methods)

    async def around(
        self,
        call: Callable[[], Awaitable[Any]],
        details: grpc.HandlerCallDetails,
        context: Context,
    ) -> Any:
        method: str = details.method  # type: ignore[attr-defined]
        if method in self.public_methods:
            return await call()
        auth = _metadata(details).get("authorization", "")
        scheme, _, token = auth.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise Unauthenticated(
                "Sign in first: a bearer token is required.", reason="TOKEN_MISSING"
            )
        token = token.strip()
        claims = await self.verifier.verify(token)
        principal_var.set(Principal(user_id=str(claims["sub"]), token=token, claims=claims))
        return await call()
