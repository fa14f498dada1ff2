"""One identity behaviour suite, run against both backends: the local issuer and Cognito (on
moto). Every test goes through the real services (gRPC) and, where the SPA would, through
Envoy (REST): the tokens either backend issues must be accepted by the jobs service and by the
gateway's jwt_authn alike.

Only what holds on both is asserted. Where moto is laxer than Cognito (any emailed code is
accepted, no replay protection for TOTP codes) the test says so with `system.lax_codes` and
asserts the strict behaviour on the local issuer only; services/identity/README.md lists
what therefore stays untested against Cognito.
"""

from __future__ import annotations

import uuid

import grpc
import pytest
from google.protobuf import field_mask_pb2
from jose import jwt

from careervault.identity.v1 import identity_pb2 as idpb
from careervault.jobs.v1 import jobs_pb2 as jpb
from tests.identity.conftest import (
    Account,
    System,
    bearer,
    register,
    sign_in,
)
from tests.identity.helpers import other_code, totp_code
from tests.support.clients import PASSWORD, RichError, rich

pytestmark = pytest.mark.integration
NEW_PASSWORD = "N3w-Passw0rd!"


def failure(fn: object, *args: object, **kwargs: object) -> RichError:
    with pytest.raises(grpc.RpcError) as err:
        fn(*args, **kwargs)  # type: ignore[operator]
    return rich(err.value)


def me(system: System, access_token: str) -> idpb.User:
    return system.identity.GetUser(
        idpb.GetUserRequest(name="users/me"), metadata=bearer(access_token), timeout=15
    )


def jobs_accept(system: System, access_token: str) -> None:
    """The jobs service (gRPC) and Envoy (REST) both accept the token."""
    system.jobs.ListJobs(jpb.ListJobsRequest(), metadata=bearer(access_token), timeout=15)
    r = system.rest.get("/v1/jobs", headers={"authorization": f"Bearer {access_token}"})
    assert r.status_code == 200, r.text


def test_sign_up_and_sign_in_give_tokens_the_jobs_service_and_envoy_accept(
    system: System,
) -> None:
    email = f"New.User-{uuid.uuid4().hex[:8]}@Example.com"
    reply = system.identity.SignUp(
        idpb.SignUpRequest(email=email, password=PASSWORD, display_name="New"), timeout=15
    )
    assert reply.user.email == email.lower() and reply.user.display_name == "New"
    assert reply.user.name.startswith("users/") and reply.user.etag
    if reply.confirmation_required:  # Cognito: the pool sends a code
        system.identity.ConfirmSignUp(
            idpb.ConfirmSignUpRequest(email=email, code=system.emailed_code(email.lower()))
        )
    tokens = sign_in(system, email)
    assert tokens.token_type == "Bearer" and 60 <= tokens.expires_in <= 3600
    assert tokens.access_token and tokens.id_token and tokens.refresh_token
    jobs_accept(system, tokens.access_token)
    claims = jwt.get_unverified_claims(tokens.access_token)
    profile = me(system, tokens.access_token)
    assert profile.name == f"users/{claims['sub']}" == reply.user.name
    assert profile.email == email.lower() and profile.display_name == "New"
    assert not profile.external_ai_consent and not profile.mfa_enabled
    assert profile.create_time.seconds > 0

    # The same through the gateway, as the SPA does it.
    r = system.rest.post("/v1/auth:signIn", json={"email": email, "password": PASSWORD})
    assert r.status_code == 200, r.text
    access = r.json()["tokens"]["accessToken"]
    r = system.rest.get("/v1/users/me", headers={"authorization": f"Bearer {access}"})
    assert r.status_code == 200 and r.json()["displayName"] == "New", r.text
    assert system.rest.get("/v1/jobs").status_code == 401


def test_sign_up_refuses_bad_input_and_taken_emails(system: System, account: Account) -> None:
    err = failure(system.identity.SignUp, idpb.SignUpRequest(email="nope", password=PASSWORD))
    assert err.code == grpc.StatusCode.INVALID_ARGUMENT and "email" in err.violations
    err = failure(
        system.identity.SignUp,
        idpb.SignUpRequest(email=f"weak-{uuid.uuid4().hex[:8]}@example.com", password="weak"),
    )
    assert err.code == grpc.StatusCode.INVALID_ARGUMENT and "password" in err.violations
    err = failure(
        system.identity.SignUp,
        idpb.SignUpRequest(email=account.email.upper(), password=PASSWORD),
    )
    assert err.code == grpc.StatusCode.ALREADY_EXISTS and err.reason == "EMAIL_TAKEN"


def test_wrong_password_and_unknown_user_look_the_same(system: System, account: Account) -> None:
    wrong = failure(
        system.identity.SignIn, idpb.SignInRequest(email=account.email, password="Wrong-pass1!")
    )
    unknown = failure(
        system.identity.SignIn,
        idpb.SignInRequest(email=f"ghost-{uuid.uuid4().hex[:8]}@example.com", password="Wr0ng!"),
    )
    assert (wrong.code, wrong.message, wrong.reason) == (
        unknown.code,
        unknown.message,
        unknown.reason,
    )
    assert wrong.code == grpc.StatusCode.UNAUTHENTICATED and wrong.reason == "INVALID_CREDENTIALS"


def test_refresh_gives_tokens_and_sign_out_revokes_refresh(
    system: System, account: Account
) -> None:
    first = account.tokens.refresh_token
    renewed = system.identity.RefreshTokens(idpb.RefreshTokensRequest(refresh_token=first)).tokens
    assert renewed.access_token and renewed.id_token
    jobs_accept(system, renewed.access_token)
    # The local issuer rotates refresh tokens; Cognito (without rotation) returns none and the
    # first one stays valid.
    current = renewed.refresh_token or first

    system.identity.SignOut(idpb.SignOutRequest(), metadata=bearer(renewed.access_token))
    err = failure(system.identity.RefreshTokens, idpb.RefreshTokensRequest(refresh_token=current))
    assert err.code == grpc.StatusCode.UNAUTHENTICATED
    err = failure(system.identity.RefreshTokens, idpb.RefreshTokensRequest(refresh_token="x" * 40))
    assert err.code == grpc.StatusCode.UNAUTHENTICATED
    err = failure(system.identity.SignOut, idpb.SignOutRequest())
    assert err.code == grpc.StatusCode.UNAUTHENTICATED and err.reason == "TOKEN_MISSING"


def test_profile_updates_display_name_and_consent_with_an_etag(
    system: System, account: Account
) -> None:
    before = me(system, account.tokens.access_token)
    updated = system.identity.UpdateUser(
        idpb.UpdateUserRequest(
            user=idpb.User(
                name="users/me", display_name="Renamed", external_ai_consent=True, etag=before.etag
            ),
            update_mask=field_mask_pb2.FieldMask(paths=["display_name", "external_ai_consent"]),
        ),
        metadata=account.metadata,
    )
    assert updated.display_name == "Renamed" and updated.external_ai_consent
    assert updated.etag and updated.etag != before.etag
    err = failure(
        system.identity.UpdateUser,
        idpb.UpdateUserRequest(
            user=idpb.User(name="users/me", display_name="Stale", etag=before.etag),
            update_mask=field_mask_pb2.FieldMask(paths=["display_name"]),
        ),
        metadata=account.metadata,
    )
    assert err.code == grpc.StatusCode.ABORTED
    err = failure(
        system.identity.UpdateUser,
        idpb.UpdateUserRequest(
            user=idpb.User(name="users/me", display_name="   "),
            update_mask=field_mask_pb2.FieldMask(paths=["display_name"]),
        ),
        metadata=account.metadata,
    )
    assert err.code == grpc.StatusCode.INVALID_ARGUMENT and "display_name" in err.violations
    after = me(system, account.tokens.access_token)
    assert after.display_name == "Renamed" and after.external_ai_consent
    assert after.etag == updated.etag

    # Withdrawing consent over REST, as the SPA's settings page does.
    r = system.rest.patch(
        "/v1/users/me",
        params={"updateMask": "externalAiConsent"},
        json={"externalAiConsent": False, "etag": after.etag},
        headers={"authorization": f"Bearer {account.tokens.access_token}"},
    )
    assert r.status_code == 200, r.text
    assert r.json().get("externalAiConsent", False) is False
    assert r.json()["displayName"] == "Renamed"


def test_jwks_holds_the_key_that_signs_the_tokens(system: System, account: Account) -> None:
    kid = jwt.get_unverified_header(account.tokens.access_token)["kid"]
    keys = system.identity.GetJwks(idpb.GetJwksRequest()).keys
    assert kid in {k.kid for k in keys}
    assert all(k.kty == "RSA" and k.n and k.e for k in keys)
    r = system.rest.get("/.well-known/jwks.json")
    assert r.status_code == 200 and kid in {k["kid"] for k in r.json()["keys"]}, r.text


def test_mfa_setup_verify_challenge_and_disable(system: System, account: Account) -> None:
    setup = system.identity.SetupMfa(
        idpb.SetupMfaRequest(name="users/me"), metadata=account.metadata
    )
    assert setup.secret and setup.otpauth_uri.startswith("otpauth://totp/")
    assert f"secret={setup.secret}" in setup.otpauth_uri

    code, step = totp_code(setup.secret)
    err = failure(
        system.identity.VerifyMfa,
        idpb.VerifyMfaRequest(name="users/me", code=other_code(code)),
        metadata=account.metadata,
    )
    assert (err.code, err.reason) == (grpc.StatusCode.INVALID_ARGUMENT, "MFA_CODE_INVALID")
    assert not me(system, account.tokens.access_token).mfa_enabled
    user = system.identity.VerifyMfa(
        idpb.VerifyMfaRequest(name="users/me", code=code), metadata=account.metadata
    )
    assert user.mfa_enabled

    # The password alone no longer signs in: a challenge, answered with a code.
    reply = system.identity.SignIn(idpb.SignInRequest(email=account.email, password=PASSWORD))
    assert reply.WhichOneof("result") == "challenge", reply
    assert reply.challenge.type == idpb.AuthChallenge.Type.SOFTWARE_TOKEN_MFA
    assert reply.challenge.session
    code, step = totp_code(setup.secret, after_step=step)
    err = failure(
        system.identity.RespondToChallenge,
        idpb.RespondToChallengeRequest(session=reply.challenge.session, code=other_code(code)),
    )
    assert err.code in (grpc.StatusCode.INVALID_ARGUMENT, grpc.StatusCode.UNAUTHENTICATED)
    # A wrong answer may end the session (Cognito): start again.
    reply = system.identity.SignIn(idpb.SignInRequest(email=account.email, password=PASSWORD))
    tokens = system.identity.RespondToChallenge(
        idpb.RespondToChallengeRequest(session=reply.challenge.session, code=code)
    ).tokens
    assert tokens.access_token and tokens.refresh_token
    jobs_accept(system, tokens.access_token)
    err = failure(
        system.identity.RespondToChallenge,
        idpb.RespondToChallengeRequest(session="not-a-session", code=code),
    )
    assert (err.code, err.reason) == (grpc.StatusCode.UNAUTHENTICATED, "CHALLENGE_EXPIRED")

    # Turning it off takes a fresh code.
    code, step = totp_code(setup.secret, after_step=step)
    err = failure(
        system.identity.DisableMfa,
        idpb.DisableMfaRequest(name="users/me", code=other_code(code)),
        metadata=bearer(tokens.access_token),
    )
    assert (err.code, err.reason) == (grpc.StatusCode.INVALID_ARGUMENT, "MFA_CODE_INVALID")
    user = system.identity.DisableMfa(
        idpb.DisableMfaRequest(name="users/me", code=code), metadata=bearer(tokens.access_token)
    )
    assert not user.mfa_enabled
    sign_in(system, account.email)


def test_change_password(system: System, account: Account) -> None:
    err = failure(
        system.identity.ChangePassword,
        idpb.ChangePasswordRequest(
            name="users/me", current_password="Not-the-0ne!", new_password=NEW_PASSWORD
        ),
        metadata=account.metadata,
    )
    assert (err.code, err.reason) == (grpc.StatusCode.INVALID_ARGUMENT, "WRONG_PASSWORD")
    assert "current_password" in err.violations
    sign_in(system, account.email)  # unchanged

    err = failure(
        system.identity.ChangePassword,
        idpb.ChangePasswordRequest(name="users/me", current_password=PASSWORD, new_password="weak"),
        metadata=account.metadata,
    )
    assert err.code == grpc.StatusCode.INVALID_ARGUMENT and "new_password" in err.violations

    system.identity.ChangePassword(
        idpb.ChangePasswordRequest(
            name="users/me", current_password=PASSWORD, new_password=NEW_PASSWORD
        ),
        metadata=account.metadata,
    )
    sign_in(system, account.email, NEW_PASSWORD)
    err = failure(
        system.identity.SignIn, idpb.SignInRequest(email=account.email, password=PASSWORD)
    )
    assert err.code == grpc.StatusCode.UNAUTHENTICATED and err.reason == "INVALID_CREDENTIALS"


def test_forgot_password_and_reset_with_the_emailed_code(system: System) -> None:
    email = register(system, "Forgetful")
    ghost = f"ghost-{uuid.uuid4().hex[:8]}@example.com"
    # The answer is the same whether or not the account exists.
    assert system.identity.ForgotPassword(
        idpb.ForgotPasswordRequest(email=email)
    ) == system.identity.ForgotPassword(idpb.ForgotPasswordRequest(email=ghost))

    # A code for an account that does not exist is just a wrong code.
    err = failure(
        system.identity.ConfirmForgotPassword,
        idpb.ConfirmForgotPasswordRequest(email=ghost, code="123456", new_password=NEW_PASSWORD),
    )
    assert (err.code, err.reason) == (grpc.StatusCode.INVALID_ARGUMENT, "CODE_MISMATCH")

    code = system.emailed_code(email)
    if not system.lax_codes:  # moto accepts any code: only the local issuer can refuse one
        err = failure(
            system.identity.ConfirmForgotPassword,
            idpb.ConfirmForgotPasswordRequest(
                email=email, code=other_code(code), new_password=NEW_PASSWORD
            ),
        )
        assert (err.code, err.reason) == (grpc.StatusCode.INVALID_ARGUMENT, "CODE_MISMATCH")
    system.identity.ConfirmForgotPassword(
        idpb.ConfirmForgotPasswordRequest(email=email, code=code, new_password=NEW_PASSWORD)
    )
    sign_in(system, email, NEW_PASSWORD)
    err = failure(system.identity.SignIn, idpb.SignInRequest(email=email, password=PASSWORD))
    assert err.reason == "INVALID_CREDENTIALS"


def test_delete_account_then_sign_in_fails(system: System, request: pytest.FixtureRequest) -> None:
    if system.backend == "cognito":
        request.applymarker(
            pytest.mark.xfail(
                reason="moto has no DeleteUser (it answers HTTP 500): untested on moto",
                strict=True,
            )
        )
    email = register(system, "Leaving")
    tokens = sign_in(system, email)
    system.identity.DeleteUser(
        idpb.DeleteUserRequest(name="users/me"), metadata=bearer(tokens.access_token), timeout=30
    )
    err = failure(system.identity.SignIn, idpb.SignInRequest(email=email, password=PASSWORD))
    assert err.code == grpc.StatusCode.UNAUTHENTICATED and err.reason == "INVALID_CREDENTIALS"
    err = failure(
        system.identity.RefreshTokens,
        idpb.RefreshTokensRequest(refresh_token=tokens.refresh_token),
    )
    assert err.code == grpc.StatusCode.UNAUTHENTICATED
