"""Every kind of bad token is refused twice: by Envoy at the edge (401) and by each service
itself (UNAUTHENTICATED) when called directly over gRPC."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import grpc
import httpx
import pytest

from careervault.identity.v1 import identity_pb2 as idpb
from careervault.identity.v1 import identity_pb2_grpc
from careervault.jobs.v1 import jobs_pb2 as jpb
from careervault.jobs.v1 import jobs_pb2_grpc
from gateway.stack import Stack
from tests.support import tokens
from tests.support.clients import User, rich

pytestmark = pytest.mark.integration
ISSUER, CLIENT = "careervault-local", "careervault-web"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def tampered(token: str, **changes: object) -> str:
    """The same signature over a payload with some claims changed."""
    header, payload, signature = token.split(".")
    claims = json.loads(_unb64(payload))
    claims.update(changes)
    return f"{header}.{_b64(json.dumps(claims).encode())}.{signature}"


def attacks(data_dir: Path, victim: User) -> dict[str, str | None]:
    pem = (data_dir / "identity" / "signing-key.pem").read_text()
    jwk = json.loads((data_dir / "identity" / "jwks.json").read_text())["keys"][0]
    kid = jwk["kid"]
    sub = json.loads(_unb64(victim.tokens.access_token.split(".")[1]))["sub"]
    now = int(time.time())

    def ours(**claims: object) -> str:
        return tokens.sign(tokens.claims(sub, ISSUER, CLIENT, **claims), pem, kid)

    return {
        "no token": None,
        "garbage": "not-a-jwt",
        "alg none": tokens.unsigned(tokens.claims(sub, ISSUER, CLIENT), kid),
        "HS256 with the public key": tokens.hs256_with_public_key(
            tokens.claims(sub, ISSUER, CLIENT), jwk
        ),
        "another key, our kid": tokens.sign(
            tokens.claims(sub, ISSUER, CLIENT), tokens.new_private_pem(), kid
        ),
        "tampered payload": tampered(victim.tokens.access_token, sub="someone-else"),
        "tampered expiry": tampered(victim.tokens.access_token, exp=now + 86400 * 365),
        "expired": ours(iat=now - 4000, nbf=now - 4000, exp=now - 3000),
        "not yet valid": ours(nbf=now + 600),
        "ID token as access token": victim.tokens.id_token,
        "another audience": ours(client_id="another-app"),
        "another issuer": ours(iss="https://cognito-idp.us-east-1.amazonaws.com/us-east-1_evil"),
        "no expiry": ours(exp=None),
    }


@pytest.fixture(scope="module")
def api(stack: Stack) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=stack.url, timeout=10) as client:
        yield client


def test_envoy_refuses_every_bad_token(api: httpx.Client, data_dir: Path, alice: User) -> None:
    for label, token in attacks(data_dir, alice).items():
        headers = {"authorization": f"Bearer {token}"} if token else {}
        for path in ("/v1/jobs", "/v1/users/me", "/v1/jobs:stats"):
            r = api.get(path, headers=headers)
            assert r.status_code == 401, (label, path, r.status_code, r.text)
            assert r.headers["content-type"].startswith("application/json")
            assert r.json()["code"] == 16, (label, path)
    # The control: the victim's own token works on the same paths.
    ok = {"authorization": f"Bearer {alice.tokens.access_token}"}
    assert all(api.get(p, headers=ok).status_code == 200 for p in ("/v1/jobs", "/v1/users/me"))


def test_each_service_refuses_every_bad_token_itself(
    identity: identity_pb2_grpc.IdentityServiceStub,
    jobs: jobs_pb2_grpc.JobServiceStub,
    data_dir: Path,
    alice: User,
) -> None:
    calls: dict[str, Callable[[tuple[tuple[str, str], ...]], object]] = {
        "identity.GetUser": lambda md: identity.GetUser(
            idpb.GetUserRequest(name="users/me"), metadata=md, timeout=5
        ),
        "identity.SignOut": lambda md: identity.SignOut(
            idpb.SignOutRequest(), metadata=md, timeout=5
        ),
        "jobs.ListJobs": lambda md: jobs.ListJobs(jpb.ListJobsRequest(), metadata=md, timeout=5),
        "jobs.GetJobStats": lambda md: jobs.GetJobStats(
            jpb.GetJobStatsRequest(), metadata=md, timeout=5
        ),
    }
    for label, token in attacks(data_dir, alice).items():
        md = (("authorization", f"Bearer {token}"),) if token else ()
        for name, call in calls.items():
            with pytest.raises(grpc.RpcError) as err:
                call(md)
            info = rich(err.value)
            assert info.code == grpc.StatusCode.UNAUTHENTICATED, (label, name, info)
            assert info.reason.startswith("TOKEN_"), (label, name, info.reason)
    good = (("authorization", f"Bearer {alice.tokens.access_token}"),)
    assert calls["jobs.ListJobs"](good) is not None
