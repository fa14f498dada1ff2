"""The one interceptor that maps exceptions to google.rpc.Status, on a real aio server."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import grpc
import pytest
from google.rpc import error_details_pb2
from grpc_status import rpc_status

from careervault.runtime.auth import TokenVerifier, VerifierConfig
from careervault.runtime.errors import FieldViolation, InvalidArgument
from careervault.runtime.interceptors import AuthInterceptor, ErrorInterceptor

SERVICE = "careervault.test.v1.TestService"


async def _boom(request: bytes, context: Any) -> bytes:
    raise RuntimeError("secret database path /srv/data.db is corrupt")


async def _invalid(request: bytes, context: Any) -> bytes:
    raise InvalidArgument(
        "Check the fields.", violations=[FieldViolation("company", "company is required")]
    )


async def _stream(request: bytes, context: Any) -> AsyncIterator[bytes]:
    yield b"one"
    raise InvalidArgument("stopped", reason="STOPPED")


@pytest.fixture
async def channel(tmp_path: Path) -> AsyncIterator[grpc.aio.Channel]:
    ident = lambda b: b  # noqa: E731 - raw bytes in and out
    handlers = {
        "Boom": grpc.unary_unary_rpc_method_handler(_boom, ident, ident),
        "Invalid": grpc.unary_unary_rpc_method_handler(_invalid, ident, ident),
        "Stream": grpc.unary_stream_rpc_method_handler(_stream, ident, ident),
        "Private": grpc.unary_unary_rpc_method_handler(_invalid, ident, ident),
    }
    jwks = tmp_path / "jwks.json"
    jwks.write_text('{"keys": []}')
    verifier = TokenVerifier(VerifierConfig("iss", "client", jwks.as_uri()))
    public = {f"/{SERVICE}/{m}" for m in ("Boom", "Invalid", "Stream")}
    server = grpc.aio.server(interceptors=[ErrorInterceptor(), AuthInterceptor(verifier, public)])
    server.add_generic_rpc_handlers([grpc.method_handlers_generic_handler(SERVICE, handlers)])
    port = server.add_insecure_port("127.0.0.1:0")
    await server.start()
    async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as ch:
        yield ch
    await server.stop(0)


async def _unary(channel: grpc.aio.Channel, method: str) -> Any:
    # Raw bytes in and out: no stub, so the typed multicallable does not apply.
    return await channel.unary_unary(f"/{SERVICE}/{method}")(b"")  # type: ignore[arg-type]


def _details(err: grpc.aio.AioRpcError) -> list[Any]:
    status = rpc_status.from_call(err)  # type: ignore[arg-type]
    assert status is not None
    out = []
    for d in status.details:
        for cls in (error_details_pb2.ErrorInfo, error_details_pb2.BadRequest):
            if d.Is(cls.DESCRIPTOR):
                msg = cls()
                d.Unpack(msg)
                out.append(msg)
    return out


async def test_unexpected_errors_are_internal_and_say_nothing_of_their_cause(
    channel: grpc.aio.Channel, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.ERROR)
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await _unary(channel, "Boom")
    assert err.value.code() == grpc.StatusCode.INTERNAL
    assert err.value.details() == "Internal error."
    (info,) = _details(err.value)
    assert info.reason == "INTERNAL" and info.domain == "careervault.dev"
    assert "corrupt" in caplog.text, "the cause is logged for operators"


async def test_domain_errors_carry_error_info_and_field_violations(
    channel: grpc.aio.Channel,
) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await _unary(channel, "Invalid")
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    info, bad = _details(err.value)
    assert info.reason == "INVALID_ARGUMENT"
    assert [(v.field, v.description) for v in bad.field_violations] == [
        ("company", "company is required")
    ]


async def test_streams_deliver_messages_then_the_mapped_error(channel: grpc.aio.Channel) -> None:
    call: Any = channel.unary_stream(f"/{SERVICE}/Stream")(b"")  # type: ignore[arg-type]
    got = []
    with pytest.raises(grpc.aio.AioRpcError) as err:
        async for item in call:
            got.append(item)
    assert got == [b"one"]
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert _details(err.value)[0].reason == "STOPPED"


async def test_non_public_methods_need_a_token(channel: grpc.aio.Channel) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await _unary(channel, "Private")
    assert err.value.code() == grpc.StatusCode.UNAUTHENTICATED
    assert _details(err.value)[0].reason == "TOKEN_MISSING"
