"""The Cognito backend against npm `cognito-local` (optional, skipped without it): what moto
accepts blindly is checked here, namely confirmation and reset codes, TOTP codes from a real
per-user secret, and DeleteUser. See cognito_local.py for how to install it."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator

import pytest

from careervault.runtime.errors import InvalidArgument, NotFound, Unauthenticated
from careervault_identity.backend import Challenge, Tokens
from careervault_identity.cognito import CognitoIdentity
from tests.identity.cognito_local import CognitoLocal, find_binary
from tests.identity.conftest import Pool, create_pool
from tests.identity.helpers import AnyTOTP, as_caller, backend_for, other_code
from tests.support.clients import PASSWORD

NEW_PASSWORD = "N3w-Passw0rd!"


@pytest.fixture(scope="module")
def cognito_local() -> Iterator[CognitoLocal]:
    binary = find_binary()
    if binary is None:
        pytest.skip("cognito-local is not installed (set COGNITO_LOCAL_BIN)")
    with CognitoLocal(binary) as server:
        yield server


@pytest.fixture(scope="module")
def local_pool(cognito_local: CognitoLocal) -> Pool:
    return create_pool(cognito_local.endpoint)


@pytest.fixture
async def backend(local_pool: Pool) -> AsyncIterator[CognitoIdentity]:
    backend = backend_for(local_pool)
    yield backend
    backend.close()


async def signed_up(backend: CognitoIdentity, server: CognitoLocal) -> str:
    email = f"cl-{uuid.uuid4().hex[:8]}@example.com"
    _, confirm = await backend.sign_up(email, PASSWORD, "Checked")
    assert confirm
    with pytest.raises(InvalidArgument) as err:
        await backend.confirm_sign_up(email, other_code(server.code_for(backend.pool_id, email)))
    assert err.value.reason == "CODE_MISMATCH"
    await backend.confirm_sign_up(email, server.code_for(backend.pool_id, email))
    return email


async def test_sign_up_needs_the_emailed_code(
    backend: CognitoIdentity, cognito_local: CognitoLocal
) -> None:
    email = f"cl-{uuid.uuid4().hex[:8]}@example.com"
    await backend.sign_up(email, PASSWORD, "Early")
    with pytest.raises(Exception) as err:
        await backend.sign_in(email, PASSWORD, "127.0.0.1")
    assert getattr(err.value, "reason", "") in ("USER_NOT_CONFIRMED", "INVALID_CREDENTIALS")
    await signed_up(backend, cognito_local)


async def test_password_reset_needs_the_emailed_code(
    backend: CognitoIdentity, cognito_local: CognitoLocal
) -> None:
    email = await signed_up(backend, cognito_local)
    await backend.forgot_password(email, "127.0.0.1")
    code = cognito_local.code_for(backend.pool_id, email)
    with pytest.raises(InvalidArgument):
        await backend.confirm_forgot_password(email, other_code(code), NEW_PASSWORD, "127.0.0.1")
    await backend.confirm_forgot_password(email, code, NEW_PASSWORD, "127.0.0.1")
    assert isinstance(await backend.sign_in(email, NEW_PASSWORD, "127.0.0.1"), Tokens)


async def test_totp_codes_are_checked_against_the_users_own_secret(
    backend: CognitoIdentity, cognito_local: CognitoLocal
) -> None:
    email = await signed_up(backend, cognito_local)
    tokens = await backend.sign_in(email, PASSWORD, "127.0.0.1")
    assert isinstance(tokens, Tokens)
    with as_caller(tokens) as caller:
        setup = await backend.setup_mfa(caller)
        assert len(setup.secret) >= 32
        code = AnyTOTP(setup.secret).now()
        with pytest.raises(InvalidArgument):
            await backend.verify_mfa(caller, other_code(code))
        assert (await backend.verify_mfa(caller, code)).mfa_enabled
    challenge = await backend.sign_in(email, PASSWORD, "127.0.0.1")
    assert isinstance(challenge, Challenge)
    with pytest.raises(InvalidArgument):
        await backend.respond_to_challenge(challenge.session, other_code(code), "127.0.0.1")
    # cognito-local keeps the session after a wrong code and allows a code twice.
    mfa_tokens = await backend.respond_to_challenge(challenge.session, code, "127.0.0.1")
    with as_caller(mfa_tokens) as caller:
        with pytest.raises(InvalidArgument):
            await backend.disable_mfa(caller, other_code(code))
        assert not (await backend.disable_mfa(caller, code)).mfa_enabled
    assert isinstance(await backend.sign_in(email, PASSWORD, "127.0.0.1"), Tokens)


async def test_delete_account(backend: CognitoIdentity, cognito_local: CognitoLocal) -> None:
    email = await signed_up(backend, cognito_local)
    tokens = await backend.sign_in(email, PASSWORD, "127.0.0.1")
    assert isinstance(tokens, Tokens)
    with as_caller(tokens) as caller:
        await backend.delete_account(caller)
        with pytest.raises((NotFound, Unauthenticated)):
            await backend.get_profile(caller.user_id)
    with pytest.raises(Unauthenticated) as err:
        await backend.sign_in(email, PASSWORD, "127.0.0.1")
    assert err.value.reason == "INVALID_CREDENTIALS"
