"""The client channel factory: a service calling another relays the caller's token and request
id, and never gives the downstream call more time than its own caller left."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import grpc
import pytest

from careervault.runtime.auth import TokenVerifier, VerifierConfig
from careervault.runtime.channels import create_channel
from careervault.runtime.interceptors import AuthInterceptor, ErrorInterceptor
from careervault_identity.keys import SigningKey
from tests.support import tokens

ident = lambda b: b  # noqa: E731 - raw bytes in and out


@pytest.fixture
async def chain(tmp_path: Path) -> AsyncIterator[tuple[str, str, dict[str, Any]]]:
    """An upstream server whose method calls a downstream one through create_channel."""
    key = SigningKey.load_or_create(tmp_path)
    verifier = TokenVerifier(VerifierConfig("iss", "web", (tmp_path / "jwks.json").as_uri()))
    seen: dict[str, Any] = {}

    async def downstream(request: bytes, context: Any) -> bytes:
        md = dict(context.invocation_metadata())
        seen["authorization"] = md.get("authorization")
        seen["x-request-id"] = md.get("x-request-id")
        seen["time_remaining"] = context.time_remaining()
        return b"ok"

    down = grpc.aio.server(interceptors=[ErrorInterceptor(), AuthInterceptor(verifier)])
    down.add_generic_rpc_handlers(
        [
            grpc.method_handlers_generic_handler(
                "careervault.test.v1.Down",
                {"Call": grpc.unary_unary_rpc_method_handler(downstream, ident, ident)},
            )
        ]
    )
    down_port = down.add_insecure_port("127.0.0.1:0")
    await down.start()
    channel = create_channel(f"127.0.0.1:{down_port}", default_timeout=7.0)

    async def upstream(request: bytes, context: Any) -> bytes:
        call: Any = channel.unary_unary("/careervault.test.v1.Down/Call")
        return bytes(await call(b""))

    up = grpc.aio.server(interceptors=[ErrorInterceptor(), AuthInterceptor(verifier)])
    up.add_generic_rpc_handlers(
        [
            grpc.method_handlers_generic_handler(
                "careervault.test.v1.Up",
                {"Call": grpc.unary_unary_rpc_method_handler(upstream, ident, ident)},
            )
        ]
    )
    up_port = up.add_insecure_port("127.0.0.1:0")
    await up.start()
    token = tokens.sign(tokens.claims("u1", "iss", "web"), key.private_pem.decode(), key.kid)
    yield f"127.0.0.1:{up_port}", token, seen
    await channel.close()
    await up.stop(0)
    await down.stop(0)


async def _call(target: str, token: str, deadline: float | None) -> bytes:
    async with grpc.aio.insecure_channel(target) as ch:
        call: Any = ch.unary_unary("/careervault.test.v1.Up/Call")
        md = (("authorization", f"Bearer {token}"), ("x-request-id", "req-42"))
        return bytes(await call(b"", metadata=md, timeout=deadline))


async def test_the_callers_token_and_request_id_are_relayed(
    chain: tuple[str, str, dict[str, Any]],
) -> None:
    target, token, seen = chain
    assert await _call(target, token, deadline=30) == b"ok"
    assert seen["authorization"] == f"Bearer {token}"
    assert seen["x-request-id"] == "req-42"


async def test_the_downstream_deadline_never_exceeds_the_callers(
    chain: tuple[str, str, dict[str, Any]],
) -> None:
    target, token, seen = chain
    await _call(target, token, deadline=2.0)
    assert 0 < seen["time_remaining"] <= 2.05  # gRPC rounds deadlines on the wire
    await _call(target, token, deadline=None)
    assert 6.0 < seen["time_remaining"] <= 7.05, "with no caller deadline, the default applies"
