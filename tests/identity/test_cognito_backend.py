"""The Cognito backend in-process against the moto server: what the shared suite does not reach
(an app client with a secret, the default without AdminGetUser, an unreachable endpoint) and
the error mapping. Nothing in boto3 is patched: every call goes over HTTP to moto."""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
from botocore.exceptions import ClientError
from jose import jwt

from careervault.runtime.errors import (
    AlreadyExists,
    DomainError,
    FailedPrecondition,
    InvalidArgument,
    NotFound,
    ResourceExhausted,
    Unauthenticated,
    Unavailable,
)
from careervault_identity.backend import Challenge, Tokens
from careervault_identity.cognito import (
    CognitoIdentity,
    otpauth_uri,
    secret_hash,
    translate,
)
from gateway.stack import free_port
from tests.identity.conftest import ANY_CODE, Pool, create_pool
from tests.identity.helpers import AnyTOTP, as_caller, backend_for
from tests.support.clients import PASSWORD
from tests.support.moto import MotoServer


@pytest.fixture(scope="module")
def secret_pool(moto_cognito: MotoServer) -> Pool:
    # Username = email (no alias): moto hashes the sign-in name on refresh, real Cognito the
    # internal username; with this pool both are the same (see the README).
    pool = create_pool(moto_cognito.endpoint, sign_in_by_email_alias=False, secret=True)
    assert pool.client_secret
    return pool


@pytest.fixture
async def secret_backend(secret_pool: Pool) -> AsyncIterator[CognitoIdentity]:
    backend = backend_for(secret_pool)
    await backend.start()
    yield backend
    backend.close()


@pytest.fixture
async def plain_backend(cognito_pool: Pool) -> AsyncIterator[CognitoIdentity]:
    backend = backend_for(cognito_pool)
    yield backend
    backend.close()


async def new_account(backend: CognitoIdentity, name: str = "Secret") -> tuple[str, Tokens]:
    email = f"{name.lower()}-{uuid.uuid4().hex[:8]}@example.com"
    profile, confirm = await backend.sign_up(email, PASSWORD, name)
    assert confirm and profile.email == email and profile.display_name == name
    await backend.confirm_sign_up(email, ANY_CODE)  # moto: any code
    tokens = await backend.sign_in(email, PASSWORD, "127.0.0.1")
    assert isinstance(tokens, Tokens)
    return email, tokens


async def test_a_client_secret_signs_every_call_with_a_secret_hash(
    secret_backend: CognitoIdentity,
) -> None:
    email, tokens = await new_account(secret_backend)
    assert tokens.refresh_token.startswith("cv1.")
    renewed = await secret_backend.refresh(tokens.refresh_token)
    assert renewed.access_token and renewed.refresh_token == ""  # moto does not rotate
    with as_caller(renewed) as caller:
        profile = await secret_backend.get_profile(caller.user_id)
        assert profile.email == email and profile.create_time == 0  # no AdminGetUser

        setup = await secret_backend.setup_mfa(caller)
        code = AnyTOTP(setup.secret).now()
        assert (await secret_backend.verify_mfa(caller, code)).mfa_enabled
    challenge = await secret_backend.sign_in(email, PASSWORD, "127.0.0.1")
    assert isinstance(challenge, Challenge)
    # moto does not refuse a code used before (Cognito and the local issuer do).
    answered = await secret_backend.respond_to_challenge(challenge.session, code, "127.0.0.1")
    assert answered.access_token

    await secret_backend.forgot_password(email, "127.0.0.1")
    await secret_backend.confirm_forgot_password(email, ANY_CODE, "An0ther-Pass!", "127.0.0.1")
    assert isinstance(await secret_backend.sign_in(email, "An0ther-Pass!", "127.0.0.1"), Challenge)


async def test_with_a_secret_a_refresh_token_must_name_its_user(
    secret_backend: CognitoIdentity,
) -> None:
    _, tokens = await new_account(secret_backend)
    bare = tokens.refresh_token.split(".", 2)[2]
    for token in (bare, "cv1.!!!.x", "cv1.", "cv1.bm9ib2R5.unknown"):
        with pytest.raises(Unauthenticated) as err:
            await secret_backend.refresh(token)
        assert err.value.reason == "REFRESH_TOKEN_INVALID"


async def test_plain_client_profile_and_jwks(plain_backend: CognitoIdentity) -> None:
    _, tokens = await new_account(plain_backend, "Plain")
    # A bare Cognito refresh token works too when there is no secret.
    assert (await plain_backend.refresh(tokens.refresh_token.split(".", 2)[2])).access_token
    with as_caller(tokens) as caller:
        before = await plain_backend.get_profile(caller.user_id)
        assert before.create_time == 0 and before.consent_time == 0
        after = await plain_backend.update_profile(caller.user_id, before.etag, None, True)
        assert after.external_ai_consent and after.consent_time >= int(time.time()) - 60
        assert after.etag != before.etag
        same = await plain_backend.update_profile(caller.user_id, after.etag, None, True)
        assert same == after, "no change, no write, same etag"
        with pytest.raises(NotFound):
            await plain_backend.get_profile("someone-else")
    assert plain_backend.jwks() == []  # not fetched yet: start() was not called
    await plain_backend.refresh_jwks()
    kid = jwt.get_unverified_header(tokens.access_token)["kid"]
    assert kid in {k["kid"] for k in plain_backend.jwks()}


async def test_challenge_sessions_and_codes_are_checked_before_calling_cognito(
    plain_backend: CognitoIdentity,
) -> None:
    with pytest.raises(Unauthenticated) as err:
        await plain_backend.respond_to_challenge("garbage", "123456", "127.0.0.1")
    assert err.value.reason == "CHALLENGE_EXPIRED"
    with pytest.raises(InvalidArgument):
        await plain_backend.respond_to_challenge("cv1.e30", "12ab56", "127.0.0.1")
    with pytest.raises(InvalidArgument) as bad:
        await plain_backend.sign_up("not-an-email", "", "x" * 200)
    fields = {v.field for v in bad.value.violations}
    assert fields == {"email", "password", "display_name"}


async def test_an_unreachable_endpoint_is_unavailable(cognito_pool: Pool) -> None:
    dead = Pool(f"http://127.0.0.1:{free_port()}", cognito_pool.pool_id, cognito_pool.client_id)
    backend = backend_for(dead, max_attempts=1, connect_timeout=1.0)
    try:
        with pytest.raises(Unavailable) as err:
            await backend.sign_in("someone@example.com", PASSWORD, "127.0.0.1")
        assert err.value.reason == "IDENTITY_PROVIDER_UNAVAILABLE"
    finally:
        backend.close()


def client_error(code: str, message: str = "", status: int = 400) -> ClientError:
    response: Any = {
        "Error": {"Code": code, "Message": message},
        "ResponseMetadata": {"HTTPStatusCode": status},
    }
    return ClientError(response, "Op")


@pytest.mark.parametrize(
    ("code", "status", "expected", "reason"),
    [
        ("UsernameExistsException", 400, AlreadyExists, "EMAIL_TAKEN"),
        ("InvalidPasswordException", 400, InvalidArgument, "INVALID_ARGUMENT"),
        ("CodeMismatchException", 400, InvalidArgument, "CODE_MISMATCH"),
        ("ExpiredCodeException", 400, InvalidArgument, "CODE_EXPIRED"),
        ("UserNotConfirmedException", 400, FailedPrecondition, "USER_NOT_CONFIRMED"),
        ("TooManyRequestsException", 400, ResourceExhausted, "RATE_LIMITED"),
        ("LimitExceededException", 400, ResourceExhausted, "TOO_MANY_ATTEMPTS"),
        ("TooManyFailedAttemptsException", 400, ResourceExhausted, "TOO_MANY_ATTEMPTS"),
        ("InvalidParameterException", 400, InvalidArgument, "INVALID_ARGUMENT"),
        ("NotAuthorizedException", 400, Unauthenticated, "TOKEN_REVOKED"),
        ("InternalErrorException", 500, Unavailable, "IDENTITY_PROVIDER_UNAVAILABLE"),
        ("SomethingNew", 503, Unavailable, "IDENTITY_PROVIDER_UNAVAILABLE"),
    ],
)
def test_error_mapping(code: str, status: int, expected: type[DomainError], reason: str) -> None:
    mapped = translate("Op", client_error(code, "message", status))
    assert isinstance(mapped, expected) and mapped.reason == reason


def test_sign_in_errors_do_not_tell_unknown_users_from_wrong_passwords() -> None:
    from careervault_identity.cognito import MFA_CODE_ERRORS, REFRESH_ERRORS, SIGN_IN_ERRORS

    wrong = translate("InitiateAuth", client_error("NotAuthorizedException"), SIGN_IN_ERRORS)
    unknown = translate("InitiateAuth", client_error("UserNotFoundException"), SIGN_IN_ERRORS)
    assert isinstance(wrong, Unauthenticated) and isinstance(unknown, Unauthenticated)
    assert (wrong.message, wrong.reason) == (unknown.message, unknown.reason)
    assert wrong.reason == "INVALID_CREDENTIALS"
    # Cognito's words for a wrong COGNITO_CLIENT_SECRET: a server fault (INTERNAL), not the
    # user's. (moto's message is the hash itself, so this is only checked here.)
    secret = client_error("NotAuthorizedException", "Unable to verify secret hash for client x")
    assert translate("InitiateAuth", secret, SIGN_IN_ERRORS) is None
    refresh = translate("InitiateAuth", secret, REFRESH_ERRORS)
    assert isinstance(refresh, Unauthenticated) and refresh.reason == "REFRESH_TOKEN_INVALID"
    assert translate("Op", client_error("AccessDeniedException")) is None
    totp = translate("VerifySoftwareToken", client_error("CodeMismatchException"), MFA_CODE_ERRORS)
    assert isinstance(totp, InvalidArgument) and totp.reason == "MFA_CODE_INVALID"


def test_secret_hash_and_otpauth_uri() -> None:
    expected = base64.b64encode(
        hmac.new(b"s3cret", b"user@example.comclient", hashlib.sha256).digest()
    ).decode()
    assert secret_hash("s3cret", "user@example.com", "client") == expected
    uri = otpauth_uri("JBSWY3DPEHPK3PXP", "user@example.com")
    assert uri.startswith("otpauth://totp/CareerVault:user@example.com?secret=JBSWY3DPEHPK3PXP")
    assert "issuer=CareerVault" in uri
