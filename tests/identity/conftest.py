"""Fixtures for the identity behaviour suite: one real system (identity, jobs, Envoy) per
backend, and a moto server with Cognito user pools created the way the README says.

`system` is module-scoped and parametrized over ["local", "cognito"], so every test of a module
that uses it runs once against the local issuer and once against Cognito (moto), each with its
own stack: the identity and jobs services and Envoy as processes on free ports, configured only
through the environment (CAREERVAULT_IDENTITY_BACKEND, COGNITO_*, ...) exactly as in production.
"""

from __future__ import annotations

import contextlib
import json
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import boto3
import grpc
import httpx
import pytest

from careervault.identity.v1 import identity_pb2 as idpb
from careervault.identity.v1 import identity_pb2_grpc
from careervault.jobs.v1 import jobs_pb2_grpc
from gateway.render import RATE_LIMITS_OFF
from gateway.stack import Stack
from tests.support.clients import PASSWORD
from tests.support.moto import REGION, MotoServer, cognito_env

if TYPE_CHECKING:
    from mypy_boto3_cognito_idp import CognitoIdentityProviderClient
    from mypy_boto3_cognito_idp.type_defs import (
        CreateUserPoolRequestTypeDef,
        PasswordPolicyTypeTypeDef,
        SchemaAttributeTypeTypeDef,
    )

BACKENDS = ["local", "cognito"]
# Cognito's default password policy (also what the local issuer enforces).
PASSWORD_POLICY: PasswordPolicyTypeTypeDef = {
    "MinimumLength": 8,
    "RequireUppercase": True,
    "RequireLowercase": True,
    "RequireNumbers": True,
    "RequireSymbols": True,
    "TemporaryPasswordValidityDays": 7,
}
CUSTOM_ATTRIBUTES: list[SchemaAttributeTypeTypeDef] = [
    {
        "Name": "ai_consent",
        "AttributeDataType": "String",
        "Mutable": True,
        "StringAttributeConstraints": {"MinLength": "4", "MaxLength": "5"},
    },
    {
        "Name": "consent_time",
        "AttributeDataType": "Number",
        "Mutable": True,
        "NumberAttributeConstraints": {"MinValue": "0"},
    },
]
READ_ATTRIBUTES = [
    "email",
    "email_verified",
    "name",
    "custom:ai_consent",
    "custom:consent_time",
]
WRITE_ATTRIBUTES = ["email", "name", "custom:ai_consent", "custom:consent_time"]
# moto accepts any confirmation code (sign-up, password reset): this one stands for "the code
# from the email" there.
ANY_CODE = "123456"


@dataclass(frozen=True)
class Pool:
    """A user pool and an app client on the moto server."""

    endpoint: str
    pool_id: str
    client_id: str
    client_secret: str = ""

    @property
    def jwks_url(self) -> str:
        return f"{self.endpoint}/{self.pool_id}/.well-known/jwks.json"

    def env(self) -> dict[str, str]:
        """What a service needs to use this pool (and to verify its tokens)."""
        env = {
            **cognito_env(self.endpoint),
            "CAREERVAULT_IDENTITY_BACKEND": "cognito",
            "COGNITO_REGION": REGION,
            "COGNITO_USER_POOL_ID": self.pool_id,
            "COGNITO_CLIENT_ID": self.client_id,
            # moto's tokens name the real Cognito issuer; its keys are served here.
            "COGNITO_JWKS_URL": self.jwks_url,
        }
        if self.client_secret:
            env["COGNITO_CLIENT_SECRET"] = self.client_secret
        return env


def admin_client(endpoint: str) -> CognitoIdentityProviderClient:
    return boto3.session.Session().client(
        "cognito-idp",
        endpoint_url=endpoint,
        region_name=REGION,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


def create_pool(
    endpoint: str, *, sign_in_by_email_alias: bool = True, secret: bool = False
) -> Pool:
    """A pool set up as services/identity/README.md asks: email sign-in, Cognito's default
    password policy, the custom attributes, optional TOTP MFA; an app client with
    USER_PASSWORD_AUTH and refresh, token revocation, no user-existence errors."""
    cognito = admin_client(endpoint)
    request: CreateUserPoolRequestTypeDef = {
        "PoolName": f"careervault-{uuid.uuid4().hex[:8]}",
        "Policies": {"PasswordPolicy": PASSWORD_POLICY},
        "AutoVerifiedAttributes": ["email"],
        "Schema": CUSTOM_ATTRIBUTES,
        "AccountRecoverySetting": {
            "RecoveryMechanisms": [{"Priority": 1, "Name": "verified_email"}]
        },
    }
    if sign_in_by_email_alias:
        request["UsernameAttributes"] = ["email"]
        request["UsernameConfiguration"] = {"CaseSensitive": False}
    pool = cognito.create_user_pool(**request)["UserPool"]
    pool_id = pool["Id"]
    cognito.set_user_pool_mfa_config(
        UserPoolId=pool_id,
        SoftwareTokenMfaConfiguration={"Enabled": True},
        MfaConfiguration="OPTIONAL",
    )
    client = cognito.create_user_pool_client(
        UserPoolId=pool_id,
        ClientName="careervault-web",
        GenerateSecret=secret,
        ExplicitAuthFlows=[
            "ALLOW_USER_PASSWORD_AUTH",
            "ALLOW_REFRESH_TOKEN_AUTH",
            "ALLOW_USER_SRP_AUTH",
        ],
        EnableTokenRevocation=True,
        PreventUserExistenceErrors="ENABLED",
        ReadAttributes=READ_ATTRIBUTES,
        WriteAttributes=WRITE_ATTRIBUTES,
    )["UserPoolClient"]
    return Pool(endpoint, pool_id, client["ClientId"], client.get("ClientSecret", ""))


@pytest.fixture(scope="session")
def moto_cognito() -> Iterator[MotoServer]:
    # Real TOTP checks in VerifySoftwareToken and the SOFTWARE_TOKEN_MFA challenge.
    with MotoServer(env={"MOTO_COGNITO_IDP_USER_POOL_ENABLE_TOTP": "true"}) as server:
        yield server


@pytest.fixture(scope="session")
def cognito_pool(moto_cognito: MotoServer) -> Pool:
    return create_pool(moto_cognito.endpoint)


@dataclass
class System:
    """One running system and typed ways in."""

    backend: str
    stack: Stack
    identity: identity_pb2_grpc.IdentityServiceStub
    jobs: jobs_pb2_grpc.JobServiceStub
    rest: httpx.Client
    channels: list[grpc.Channel] = field(default_factory=list)

    @property
    def lax_codes(self) -> bool:
        """True where any emailed confirmation code is accepted (moto)."""
        return self.backend == "cognito"

    def emailed_code(self, email: str) -> str:
        """The code last sent to `email`: from the local outbox, or any code for moto."""
        if self.backend == "cognito":
            return ANY_CODE
        return outbox_code(self.stack.data_dir / "identity" / "outbox.jsonl", email)


def outbox_code(path: Path, email: str, timeout: float = 5.0) -> str:
    """The newest code in the local outbox (JSON lines: time, to, kind, code, ...) for `email`."""
    deadline = time.monotonic() + timeout
    while True:
        found = ""
        if path.is_file():
            for line in path.read_text().splitlines():
                with contextlib.suppress(ValueError):
                    entry = json.loads(line)
                    if isinstance(entry, dict) and entry.get("to") == email and entry.get("code"):
                        found = str(entry["code"])
        if found:
            return found
        if time.monotonic() > deadline:
            raise AssertionError(f"no code for {email} in {path}")
        time.sleep(0.05)


@pytest.fixture(scope="module", params=BACKENDS)
def system(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[System]:
    backend: str = request.param
    env = {
        # Load tests of the auth routes (or the API) are not what this suite is about.
        **RATE_LIMITS_OFF,
        # Every test calls from 127.0.0.1: per-address brute-force limits would add up.
        "CAREERVAULT_THROTTLE_ADDRESS_FAILURES": "100000",
    }
    if backend == "cognito":
        pool: Pool = request.getfixturevalue("cognito_pool")
        env.update(pool.env())
        # create/update times from AdminGetUser (moto takes any credentials).
        env["COGNITO_ADMIN_GET_USER"] = "true"
    stack = Stack.on_free_ports(
        tmp_path_factory.mktemp(f"identity-{backend}"), ("identity", "jobs"), env=env
    )
    with stack:
        identity_channel = grpc.insecure_channel(stack.grpc_target("identity"))
        jobs_channel = grpc.insecure_channel(stack.grpc_target("jobs"))
        with httpx.Client(base_url=stack.url, timeout=15) as rest:
            yield System(
                backend=backend,
                stack=stack,
                identity=identity_pb2_grpc.IdentityServiceStub(identity_channel),
                jobs=jobs_pb2_grpc.JobServiceStub(jobs_channel),
                rest=rest,
                channels=[identity_channel, jobs_channel],
            )
        identity_channel.close()
        jobs_channel.close()


@dataclass
class Account:
    email: str
    password: str
    tokens: idpb.AuthTokens

    @property
    def metadata(self) -> tuple[tuple[str, str], ...]:
        return bearer(self.tokens.access_token)


def bearer(access_token: str) -> tuple[tuple[str, str], ...]:
    return (("authorization", f"Bearer {access_token}"),)


def register(system: System, name: str = "Test", password: str = PASSWORD) -> str:
    """Signs up a new account (confirming it if the backend asks) and returns its email."""
    email = f"{name.lower()}-{uuid.uuid4().hex[:10]}@example.com"
    reply = system.identity.SignUp(
        idpb.SignUpRequest(email=email, password=password, display_name=name), timeout=15
    )
    if reply.confirmation_required:
        system.identity.ConfirmSignUp(
            idpb.ConfirmSignUpRequest(email=email, code=system.emailed_code(email)), timeout=15
        )
    return email


def sign_in(system: System, email: str, password: str = PASSWORD) -> idpb.AuthTokens:
    reply = system.identity.SignIn(idpb.SignInRequest(email=email, password=password), timeout=15)
    assert reply.WhichOneof("result") == "tokens", reply
    return reply.tokens


@pytest.fixture
def account(system: System) -> Account:
    email = register(system, "Member")
    return Account(email, PASSWORD, sign_in(system, email))
