"""Typed gRPC helpers for tests: stubs, sign-up of fresh users (over gRPC, or over REST as the
SPA does), rich error decoding."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import grpc
import httpx
from google.rpc import error_details_pb2
from grpc_status import rpc_status

from careervault.identity.v1 import identity_pb2 as idpb
from careervault.identity.v1 import identity_pb2_grpc
from careervault.jobs.v1 import jobs_pb2 as jpb
from careervault.jobs.v1 import jobs_pb2_grpc

PASSWORD = "Sup3r-Secret!"


@dataclass
class User:
    email: str
    tokens: idpb.AuthTokens

    @property
    def metadata(self) -> tuple[tuple[str, str], ...]:
        return (("authorization", f"Bearer {self.tokens.access_token}"),)

    @property
    def headers(self) -> dict[str, str]:
        """The same credential as REST headers (a new dict: add to it freely)."""
        return {"authorization": f"Bearer {self.tokens.access_token}"}


def identity_stub(addr: str) -> identity_pb2_grpc.IdentityServiceStub:
    return identity_pb2_grpc.IdentityServiceStub(grpc.insecure_channel(addr))


def jobs_stub(addr: str) -> jobs_pb2_grpc.JobServiceStub:
    return jobs_pb2_grpc.JobServiceStub(grpc.insecure_channel(addr))


def new_user(identity: identity_pb2_grpc.IdentityServiceStub, name: str = "Test") -> User:
    email = f"{name.lower()}-{uuid.uuid4().hex[:10]}@example.com"
    identity.SignUp(
        idpb.SignUpRequest(email=email, password=PASSWORD, display_name=name), timeout=10
    )
    reply = identity.SignIn(idpb.SignInRequest(email=email, password=PASSWORD), timeout=10)
    return User(email, reply.tokens)


def rest_sign_in(api: httpx.Client, email: str) -> dict[str, str]:
    """Signs in over REST (through the gateway); the bearer header of the new session."""
    r = api.post("/v1/auth:signIn", json={"email": email, "password": PASSWORD})
    assert r.status_code == 200, r.text
    return {"authorization": f"Bearer {r.json()['tokens']['accessToken']}"}


def rest_sign_up(
    api: httpx.Client, name: str = "Rest", email: str | None = None
) -> tuple[str, dict[str, str]]:
    """A new account made over REST as the SPA makes it (a fresh address unless `email`),
    signed in: its address and bearer header."""
    email = email or f"{name.lower()}-{uuid.uuid4().hex[:8]}@example.com"
    r = api.post(
        "/v1/auth:signUp", json={"email": email, "password": PASSWORD, "displayName": name}
    )
    assert r.status_code == 200, r.text
    return email, rest_sign_in(api, email)


def job(company: str = "Acme", position: str = "Engineer", **fields: object) -> jpb.JobApplication:
    return jpb.JobApplication(company=company, position=position, **fields)  # type: ignore[arg-type]


@dataclass
class RichError:
    code: grpc.StatusCode
    message: str
    reason: str
    domain: str
    violations: dict[str, str]


def rich(err: grpc.RpcError) -> RichError:
    status = rpc_status.from_call(err)  # type: ignore[arg-type]
    reason = domain = ""
    violations: dict[str, str] = {}
    assert status is not None, "every error must carry a google.rpc.Status"
    for detail in status.details:
        if detail.Is(error_details_pb2.ErrorInfo.DESCRIPTOR):
            info = error_details_pb2.ErrorInfo()
            detail.Unpack(info)
            reason, domain = info.reason, info.domain
        elif detail.Is(error_details_pb2.BadRequest.DESCRIPTOR):
            bad = error_details_pb2.BadRequest()
            detail.Unpack(bad)
            violations = {v.field: v.description for v in bad.field_violations}
    return RichError(err.code(), err.details() or "", reason, domain, violations)  # type: ignore[attr-defined]
