"""The local issuer's account security, through its gRPC stubs against real processes.

MFA (TOTP), confirmation and password-reset codes from the local outbox, password changes,
brute-force throttling (also through Envoy as HTTP 429), signing-key rotation, the consent
time, sign-out and account deletion.

Besides the session stack (confirmation off, default limits), three stacks of their own:
`strict` (confirmation on, a low per-address limit, Envoy in front), `short` (codes and MFA
sessions that expire in a second or two) and `rotating` (a key rotation every few seconds).
Throttling counts per client address; tests that fail on purpose say which address they come
from (`x-envoy-external-address`, as Envoy would set it), so they neither trip over each other
nor over other tests that come from 127.0.0.1.
"""

from __future__ import annotations

import json
import sqlite3
import stat
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import grpc
import httpx
import pyotp
import pytest
from google.protobuf import field_mask_pb2
from google.rpc import error_details_pb2
from grpc_status import rpc_status
from jose import jwt

from careervault.identity.v1 import identity_pb2 as idpb
from careervault.identity.v1 import identity_pb2_grpc
from careervault.jobs.v1 import jobs_pb2 as jpb
from careervault.jobs.v1 import jobs_pb2_grpc
from gateway.render import RATE_LIMITS_OFF
from gateway.stack import Stack
from tests.support.clients import PASSWORD, identity_stub, jobs_stub, new_user

pytestmark = pytest.mark.integration

Identity = identity_pb2_grpc.IdentityServiceStub
NEW_PASSWORD = "N3w-Passw0rd!"
ME = "users/me"


# -- helpers -------------------------------------------------------------------------------


@dataclass
class Failure:
    code: grpc.StatusCode
    message: str
    reason: str
    metadata: dict[str, str]
    violations: dict[str, str]


def fails(fn: Any, request: Any, **kwargs: Any) -> Failure:
    with pytest.raises(grpc.RpcError) as caught:
        fn(request, timeout=15, **kwargs)
    err: Any = caught.value
    status = rpc_status.from_call(err)
    assert status is not None, "every error carries a google.rpc.Status"
    reason, metadata, violations = "", {}, {}
    for detail in status.details:
        if detail.Is(error_details_pb2.ErrorInfo.DESCRIPTOR):
            info = error_details_pb2.ErrorInfo()
            detail.Unpack(info)
            reason, metadata = info.reason, dict(info.metadata)
        elif detail.Is(error_details_pb2.BadRequest.DESCRIPTOR):
            bad = error_details_pb2.BadRequest()
            detail.Unpack(bad)
            violations = {v.field: v.description for v in bad.field_violations}
    return Failure(err.code(), err.details() or "", reason, metadata, violations)


def from_address(ip: str) -> tuple[tuple[str, str], ...]:
    """Metadata as Envoy sends it for a client at `ip`."""
    return (("x-envoy-external-address", ip),)


def bearer(token: str) -> tuple[tuple[str, str], ...]:
    return (("authorization", f"Bearer {token}"),)


def fresh_email(name: str = "user") -> str:
    return f"{name}-{uuid.uuid4().hex[:10]}@example.com"


def fresh_address() -> str:
    n = uuid.uuid4().int
    return f"198.51.{n % 250}.{(n >> 8) % 250 + 1}"


def messages(data_dir: Path, email: str | None = None) -> list[dict[str, str]]:
    path = data_dir / "identity" / "outbox.jsonl"
    if not path.exists():
        return []
    found = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    return [m for m in found if email is None or m["to"] == email]


def last_code(data_dir: Path, email: str, kind: str) -> str:
    codes = [m["code"] for m in messages(data_dir, email) if m["kind"] == kind]
    assert codes, f"no {kind} message to {email} in the outbox"
    return codes[-1]


def sign_up_confirmed(identity: Identity, data_dir: Path, name: str = "user") -> str:
    email = fresh_email(name)
    reply = identity.SignUp(idpb.SignUpRequest(email=email, password=PASSWORD), timeout=15)
    if reply.confirmation_required:
        code = last_code(data_dir, email, "confirm_sign_up")
        identity.ConfirmSignUp(idpb.ConfirmSignUpRequest(email=email, code=code), timeout=15)
    return email


def sign_in(identity: Identity, email: str, password: str = PASSWORD) -> idpb.AuthTokens:
    reply = identity.SignIn(idpb.SignInRequest(email=email, password=password), timeout=15)
    assert reply.WhichOneof("result") == "tokens", reply
    return reply.tokens


def db_rows(data_dir: Path, sql: str, *args: object) -> list[tuple[Any, ...]]:
    path = data_dir / "identity" / "identity.db"
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return list(conn.execute(sql, args).fetchall())
    finally:
        conn.close()


class Authenticator:
    """An authenticator app that never shows the server a code of an older step than the
    last one it used, and stays inside the server's +-1 step window."""

    def __init__(self, secret: str) -> None:
        self.totp = pyotp.TOTP(secret)
        self.last = 0

    def code(self) -> str:
        while True:
            now = time.time()
            current = int(now // 30)
            step = max(self.last + 1, current - 1)
            if step > current + 1:
                time.sleep((step - 1) * 30 - now + 0.2)
                continue
            if step < current and now % 30 > 25:
                time.sleep(30 - now % 30 + 0.2)  # the previous step is about to leave
                continue
            self.last = step
            return self.totp.at(step * 30)

    def wrong_code(self) -> str:
        current = int(time.time() // 30)
        near = {self.totp.at(s * 30) for s in range(current - 3, current + 4)}
        return next(c for c in (f"{n:06d}" for n in range(1000)) if c not in near)


def start_stack(
    root: Path, env: dict[str, str], services: tuple[str, ...] = ("identity", "jobs")
) -> Stack:
    return Stack.on_free_ports(root, services, env={**RATE_LIMITS_OFF, **env}).start()


@pytest.fixture(scope="module")
def strict(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    stack = start_stack(
        tmp_path_factory.mktemp("identity-strict"),
        {
            "CAREERVAULT_REQUIRE_CONFIRMATION": "true",
            "CAREERVAULT_THROTTLE_ACCOUNT_FAILURES": "5",
            "CAREERVAULT_THROTTLE_ADDRESS_FAILURES": "8",
        },
    )
    try:
        yield stack
    finally:
        stack.stop()


@pytest.fixture(scope="module")
def short(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    stack = start_stack(
        tmp_path_factory.mktemp("identity-short"),
        {
            "CAREERVAULT_REQUIRE_CONFIRMATION": "true",
            "CAREERVAULT_CONFIRMATION_CODE_TTL": "2",
            "CAREERVAULT_RESET_CODE_TTL": "2",
            "CAREERVAULT_MFA_CHALLENGE_TTL": "1",
        },
    )
    try:
        yield stack
    finally:
        stack.stop()


@pytest.fixture(scope="module")
def strict_identity(strict: Stack) -> Identity:
    return identity_stub(strict.grpc_target("identity"))


@pytest.fixture(scope="module")
def short_identity(short: Stack) -> Identity:
    return identity_stub(short.grpc_target("identity"))


# -- MFA -----------------------------------------------------------------------------------


def test_mfa_setup_verify_challenge_replay_and_disable(identity: Identity) -> None:
    user = new_user(identity, "Mfa")
    here = from_address(fresh_address())
    err = fails(
        identity.VerifyMfa, idpb.VerifyMfaRequest(name=ME, code="123456"), metadata=user.metadata
    )
    assert (err.code, err.reason) == (grpc.StatusCode.FAILED_PRECONDITION, "MFA_NOT_SET_UP")

    setup = identity.SetupMfa(idpb.SetupMfaRequest(name=ME), metadata=user.metadata)
    assert setup.otpauth_uri.startswith("otpauth://totp/CareerVault:")
    assert (
        f"secret={setup.secret}" in setup.otpauth_uri and "issuer=CareerVault" in setup.otpauth_uri
    )
    assert len(setup.secret) >= 32
    # Set up is not on: sign-in still gives tokens at once.
    assert not identity.GetUser(idpb.GetUserRequest(name=ME), metadata=user.metadata).mfa_enabled
    sign_in(identity, user.email)

    app = Authenticator(setup.secret)
    err = fails(
        identity.VerifyMfa,
        idpb.VerifyMfaRequest(name=ME, code=app.wrong_code()),
        metadata=user.metadata,
    )
    assert (err.code, err.reason) == (grpc.StatusCode.INVALID_ARGUMENT, "MFA_CODE_INVALID")
    assert "code" in err.violations
    enabled = identity.VerifyMfa(
        idpb.VerifyMfaRequest(name=ME, code=app.code()), metadata=user.metadata
    )
    assert enabled.mfa_enabled
    err = fails(identity.SetupMfa, idpb.SetupMfaRequest(name=ME), metadata=user.metadata)
    assert err.reason == "MFA_ALREADY_ENABLED"

    # Sign-in now asks for a code.
    reply = identity.SignIn(idpb.SignInRequest(email=user.email, password=PASSWORD), metadata=here)
    assert reply.WhichOneof("result") == "challenge"
    assert reply.challenge.type == idpb.AuthChallenge.SOFTWARE_TOKEN_MFA
    first_session = reply.challenge.session
    code = app.code()
    tokens = identity.RespondToChallenge(
        idpb.RespondToChallengeRequest(session=first_session, code=code), metadata=here
    ).tokens
    me = identity.GetUser(idpb.GetUserRequest(name=ME), metadata=bearer(tokens.access_token))
    assert me.mfa_enabled and me.email == user.email

    # The same code again, in a new sign-in: refused (RFC 6238 5.2).
    second = identity.SignIn(
        idpb.SignInRequest(email=user.email, password=PASSWORD), metadata=here
    ).challenge.session
    err = fails(
        identity.RespondToChallenge,
        idpb.RespondToChallengeRequest(session=second, code=code),
        metadata=here,
    )
    assert (err.code, err.reason) == (grpc.StatusCode.INVALID_ARGUMENT, "MFA_CODE_REPLAYED")
    # A session is single-use, whatever the outcome.
    for used in (first_session, second):
        err = fails(
            identity.RespondToChallenge,
            idpb.RespondToChallengeRequest(session=used, code=app.wrong_code()),
            metadata=here,
        )
        assert (err.code, err.reason) == (grpc.StatusCode.UNAUTHENTICATED, "CHALLENGE_EXPIRED")

    # Disabling needs a current code that was not used before.
    md = bearer(tokens.access_token)
    err = fails(identity.DisableMfa, idpb.DisableMfaRequest(name=ME, code=code), metadata=md)
    assert err.reason == "MFA_CODE_REPLAYED"
    err = fails(
        identity.DisableMfa, idpb.DisableMfaRequest(name=ME, code=app.wrong_code()), metadata=md
    )
    assert err.reason == "MFA_CODE_INVALID"
    err = fails(identity.DisableMfa, idpb.DisableMfaRequest(name=ME, code="12ab"), metadata=md)
    assert err.code == grpc.StatusCode.INVALID_ARGUMENT and "code" in err.violations
    off = identity.DisableMfa(idpb.DisableMfaRequest(name=ME, code=app.code()), metadata=md)
    assert not off.mfa_enabled
    sign_in(identity, user.email)
    err = fails(
        identity.DisableMfa, idpb.DisableMfaRequest(name=ME, code=app.wrong_code()), metadata=md
    )
    assert err.reason == "MFA_NOT_ENABLED"


def test_an_mfa_session_expires(short_identity: Identity, short: Stack) -> None:
    email = sign_up_confirmed(short_identity, short.data_dir, "mfa-expiry")
    md = bearer(sign_in(short_identity, email).access_token)
    app = Authenticator(short_identity.SetupMfa(idpb.SetupMfaRequest(name=ME), metadata=md).secret)
    short_identity.VerifyMfa(idpb.VerifyMfaRequest(name=ME, code=app.code()), metadata=md)
    session = short_identity.SignIn(
        idpb.SignInRequest(email=email, password=PASSWORD)
    ).challenge.session
    time.sleep(1.5)
    err = fails(
        short_identity.RespondToChallenge,
        idpb.RespondToChallengeRequest(session=session, code=app.code()),
    )
    assert (err.code, err.reason) == (grpc.StatusCode.UNAUTHENTICATED, "CHALLENGE_EXPIRED")
    # Not an MFA failure: a new sign-in and the code work.
    session = short_identity.SignIn(
        idpb.SignInRequest(email=email, password=PASSWORD)
    ).challenge.session
    reply = short_identity.RespondToChallenge(
        idpb.RespondToChallengeRequest(session=session, code=app.code())
    )
    assert reply.tokens.access_token


# -- confirmation and password reset -------------------------------------------------------


def test_confirmation_code_comes_from_the_outbox_and_is_used_once(
    strict_identity: Identity, strict: Stack
) -> None:
    email = fresh_email("confirm")
    reply = strict_identity.SignUp(idpb.SignUpRequest(email=email, password=PASSWORD))
    assert reply.confirmation_required and not reply.user.email_verified
    err = fails(strict_identity.SignIn, idpb.SignInRequest(email=email, password=PASSWORD))
    assert (err.code, err.reason) == (grpc.StatusCode.FAILED_PRECONDITION, "USER_NOT_CONFIRMED")

    outbox = strict.data_dir / "identity" / "outbox.jsonl"
    assert stat.S_IMODE(outbox.stat().st_mode) == 0o600
    (message,) = messages(strict.data_dir, email)
    assert set(message) == {"time", "to", "kind", "code", "subject", "body"}
    assert message["kind"] == "confirm_sign_up" and message["time"].endswith("Z")
    code = message["code"]
    assert len(code) == 6 and code.isdigit() and code in message["body"]

    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    err = fails(strict_identity.ConfirmSignUp, idpb.ConfirmSignUpRequest(email=email, code=wrong))
    assert (err.code, err.reason) == (grpc.StatusCode.INVALID_ARGUMENT, "CODE_MISMATCH")
    err = fails(
        strict_identity.ConfirmSignUp,
        idpb.ConfirmSignUpRequest(email=fresh_email("ghost"), code=code),
    )
    assert err.reason == "CODE_MISMATCH", "an unknown account looks like a wrong code"
    strict_identity.ConfirmSignUp(idpb.ConfirmSignUpRequest(email=email.upper(), code=code))
    assert sign_in(strict_identity, email).access_token
    err = fails(strict_identity.ConfirmSignUp, idpb.ConfirmSignUpRequest(email=email, code=code))
    assert (err.code, err.reason) == (grpc.StatusCode.FAILED_PRECONDITION, "ALREADY_CONFIRMED")

    # Codes are in the outbox only: not in any log, not in the database.
    for log in (strict.data_dir / "logs").glob("*.log"):
        assert code not in log.read_text(errors="replace"), log
    assert not db_rows(strict.data_dir, "SELECT 1 FROM codes WHERE code_hash = ?", code)


def test_an_expired_confirmation_code_is_refused_and_forgot_password_resends(
    short_identity: Identity, short: Stack
) -> None:
    email = fresh_email("late")
    short_identity.SignUp(idpb.SignUpRequest(email=email, password=PASSWORD))
    code = last_code(short.data_dir, email, "confirm_sign_up")
    time.sleep(2.5)
    err = fails(short_identity.ConfirmSignUp, idpb.ConfirmSignUpRequest(email=email, code=code))
    assert (err.code, err.reason) == (grpc.StatusCode.INVALID_ARGUMENT, "CODE_EXPIRED")
    # No "resend" call in the API: ForgotPassword sends an unconfirmed account a new code.
    short_identity.ForgotPassword(idpb.ForgotPasswordRequest(email=email))
    fresh = last_code(short.data_dir, email, "confirm_sign_up")
    short_identity.ConfirmSignUp(idpb.ConfirmSignUpRequest(email=email, code=fresh))
    assert sign_in(short_identity, email).access_token


def test_password_reset_with_a_code(strict_identity: Identity, strict: Stack) -> None:
    email = sign_up_confirmed(strict_identity, strict.data_dir, "reset")
    before = sign_in(strict_identity, email)
    here = from_address(fresh_address())

    # Same answer, and about the same time, for an account that does not exist.
    timings = []
    for who in (email, fresh_email("nobody")):
        started = time.monotonic()
        reply = strict_identity.ForgotPassword(idpb.ForgotPasswordRequest(email=who), metadata=here)
        timings.append(time.monotonic() - started)
        assert reply == idpb.ForgotPasswordResponse()
    assert min(timings) >= 0.3 and abs(timings[0] - timings[1]) < 0.2, timings
    code = last_code(strict.data_dir, email, "reset_password")

    err = fails(
        strict_identity.ConfirmForgotPassword,
        idpb.ConfirmForgotPasswordRequest(email=email, code=code, new_password="weak"),
        metadata=here,
    )
    assert err.code == grpc.StatusCode.INVALID_ARGUMENT and "new_password" in err.violations
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    err = fails(
        strict_identity.ConfirmForgotPassword,
        idpb.ConfirmForgotPasswordRequest(email=email, code=wrong, new_password=NEW_PASSWORD),
        metadata=here,
    )
    assert (err.code, err.reason) == (grpc.StatusCode.INVALID_ARGUMENT, "CODE_MISMATCH")
    strict_identity.ConfirmForgotPassword(
        idpb.ConfirmForgotPasswordRequest(email=email, code=code, new_password=NEW_PASSWORD),
        metadata=here,
    )
    err = fails(
        strict_identity.ConfirmForgotPassword,
        idpb.ConfirmForgotPasswordRequest(email=email, code=code, new_password="An0ther-one!"),
        metadata=here,
    )
    assert err.reason == "CODE_MISMATCH", "a code works once"

    err = fails(
        strict_identity.SignIn, idpb.SignInRequest(email=email, password=PASSWORD), metadata=here
    )
    assert err.reason == "INVALID_CREDENTIALS"
    after = sign_in(strict_identity, email, NEW_PASSWORD)
    # Every earlier session is over.
    err = fails(
        strict_identity.RefreshTokens,
        idpb.RefreshTokensRequest(refresh_token=before.refresh_token),
    )
    assert err.code == grpc.StatusCode.UNAUTHENTICATED
    err = fails(
        strict_identity.GetUser,
        idpb.GetUserRequest(name=ME),
        metadata=bearer(before.access_token),
    )
    assert (err.code, err.reason) == (grpc.StatusCode.UNAUTHENTICATED, "TOKEN_REVOKED")
    assert (
        strict_identity.GetUser(
            idpb.GetUserRequest(name=ME), metadata=bearer(after.access_token)
        ).email
        == email
    )
    kinds = [m["kind"] for m in messages(strict.data_dir, email)]
    assert kinds[-1] == "password_changed"


def test_an_expired_reset_code_is_refused(short_identity: Identity, short: Stack) -> None:
    email = sign_up_confirmed(short_identity, short.data_dir, "reset-late")
    short_identity.ForgotPassword(idpb.ForgotPasswordRequest(email=email))
    code = last_code(short.data_dir, email, "reset_password")
    time.sleep(2.5)
    err = fails(
        short_identity.ConfirmForgotPassword,
        idpb.ConfirmForgotPasswordRequest(email=email, code=code, new_password=NEW_PASSWORD),
    )
    assert (err.code, err.reason) == (grpc.StatusCode.INVALID_ARGUMENT, "CODE_EXPIRED")
    assert sign_in(short_identity, email).access_token, "the password is unchanged"


# -- password change, sign-out -------------------------------------------------------------


def test_change_password_ends_every_session(
    identity: Identity, jobs: jobs_pb2_grpc.JobServiceStub
) -> None:
    user = new_user(identity, "Changer")
    other = sign_in(identity, user.email)
    err = fails(
        identity.ChangePassword,
        idpb.ChangePasswordRequest(
            name=ME, current_password="Wr0ng-password!", new_password=NEW_PASSWORD
        ),
        metadata=user.metadata,
    )
    assert (err.code, err.reason) == (grpc.StatusCode.INVALID_ARGUMENT, "WRONG_PASSWORD")
    assert "current_password" in err.violations
    err = fails(
        identity.ChangePassword,
        idpb.ChangePasswordRequest(name=ME, current_password=PASSWORD, new_password="short"),
        metadata=user.metadata,
    )
    assert "new_password" in err.violations

    identity.ChangePassword(
        idpb.ChangePasswordRequest(name=ME, current_password=PASSWORD, new_password=NEW_PASSWORD),
        metadata=user.metadata,
    )
    for tokens in (user.tokens, other):
        err = fails(
            identity.GetUser, idpb.GetUserRequest(name=ME), metadata=bearer(tokens.access_token)
        )
        assert (err.code, err.reason) == (grpc.StatusCode.UNAUTHENTICATED, "TOKEN_REVOKED")
        err = fails(
            identity.RefreshTokens, idpb.RefreshTokensRequest(refresh_token=tokens.refresh_token)
        )
        assert err.code == grpc.StatusCode.UNAUTHENTICATED
    err = fails(identity.SignIn, idpb.SignInRequest(email=user.email, password=PASSWORD))
    assert err.reason == "INVALID_CREDENTIALS"
    # Signed in again within the same second: the new token is not caught by the revocation.
    fresh = sign_in(identity, user.email, NEW_PASSWORD)
    me = identity.GetUser(idpb.GetUserRequest(name=ME), metadata=bearer(fresh.access_token))
    assert me.email == user.email
    assert jobs.ListJobs(jpb.ListJobsRequest(), metadata=bearer(fresh.access_token)).total_size == 0


def test_sign_out_revokes_the_access_token_here_and_sign_in_works_at_once(
    identity: Identity,
) -> None:
    user = new_user(identity, "Leaver")
    identity.SignOut(idpb.SignOutRequest(), metadata=user.metadata)
    err = fails(identity.GetUser, idpb.GetUserRequest(name=ME), metadata=user.metadata)
    assert (err.code, err.reason) == (grpc.StatusCode.UNAUTHENTICATED, "TOKEN_REVOKED")
    err = fails(
        identity.UpdateUser,
        idpb.UpdateUserRequest(
            user=idpb.User(name=ME, display_name="Nope"),
            update_mask=field_mask_pb2.FieldMask(paths=["display_name"]),
        ),
        metadata=user.metadata,
    )
    assert err.reason == "TOKEN_REVOKED"
    err = fails(identity.SetupMfa, idpb.SetupMfaRequest(name=ME), metadata=user.metadata)
    assert err.reason == "TOKEN_REVOKED"
    again = sign_in(identity, user.email)
    token = again.access_token
    assert (
        jwt.get_unverified_claims(token)["iat"]
        >= jwt.get_unverified_claims(user.tokens.access_token)["iat"]
    )
    assert identity.GetUser(idpb.GetUserRequest(name=ME), metadata=bearer(token)).email
    # Out and in again, quicker than a second: each sign-out still ends the session before it.
    identity.SignOut(idpb.SignOutRequest(), metadata=bearer(token))
    err = fails(identity.GetUser, idpb.GetUserRequest(name=ME), metadata=bearer(token))
    assert err.reason == "TOKEN_REVOKED"
    third = sign_in(identity, user.email).access_token
    assert identity.GetUser(idpb.GetUserRequest(name=ME), metadata=bearer(third)).email


# -- throttling ----------------------------------------------------------------------------


def test_the_sixth_failure_is_refused_before_the_password_is_checked(
    strict_identity: Identity, strict: Stack
) -> None:
    email = sign_up_confirmed(strict_identity, strict.data_dir, "target")
    attacker = from_address(fresh_address())
    for _ in range(5):
        err = fails(
            strict_identity.SignIn,
            idpb.SignInRequest(email=email, password="Wr0ng-password!"),
            metadata=attacker,
        )
        assert err.reason == "INVALID_CREDENTIALS"
    for md in (attacker, from_address(fresh_address())):  # per account, from anywhere
        err = fails(
            strict_identity.SignIn,
            idpb.SignInRequest(email=email, password=PASSWORD),
            metadata=md,
        )
        assert (err.code, err.reason) == (grpc.StatusCode.RESOURCE_EXHAUSTED, "TOO_MANY_ATTEMPTS")
        retry = int(err.metadata["retryAfterSeconds"])
        assert 0 < retry <= 900 and str(retry) in err.message
    # Another account from the attacker's address is not locked (5 < 8 per address).
    other = sign_up_confirmed(strict_identity, strict.data_dir, "bystander")
    reply = strict_identity.SignIn(
        idpb.SignInRequest(email=other, password=PASSWORD), metadata=attacker
    )
    assert reply.tokens.access_token


def test_a_success_resets_the_account_count(strict_identity: Identity, strict: Stack) -> None:
    email = sign_up_confirmed(strict_identity, strict.data_dir, "typo")
    for _round in range(2):
        here = from_address(fresh_address())
        for _ in range(4):
            fails(
                strict_identity.SignIn,
                idpb.SignInRequest(email=email, password="Wr0ng-password!"),
                metadata=here,
            )
        reply = strict_identity.SignIn(
            idpb.SignInRequest(email=email, password=PASSWORD), metadata=here
        )
        assert reply.tokens.access_token


def test_the_per_address_limit_spans_accounts(strict_identity: Identity, strict: Stack) -> None:
    real = sign_up_confirmed(strict_identity, strict.data_dir, "real")
    spray = from_address(fresh_address())
    victims = [fresh_email("victim"), fresh_email("victim")]
    for _ in range(4):
        for victim in victims:
            fails(
                strict_identity.SignIn,
                idpb.SignInRequest(email=victim, password="Wr0ng-password!"),
                metadata=spray,
            )
    err = fails(
        strict_identity.SignIn, idpb.SignInRequest(email=real, password=PASSWORD), metadata=spray
    )
    assert (err.code, err.reason) == (grpc.StatusCode.RESOURCE_EXHAUSTED, "TOO_MANY_ATTEMPTS")
    assert int(err.metadata["retryAfterSeconds"]) > 0
    # The account itself is fine from elsewhere.
    assert strict_identity.SignIn(
        idpb.SignInRequest(email=real, password=PASSWORD),
        metadata=from_address(fresh_address()),
    ).tokens.access_token


def test_confirmation_codes_are_throttled_too(strict_identity: Identity, strict: Stack) -> None:
    email = fresh_email("guess")
    strict_identity.SignUp(idpb.SignUpRequest(email=email, password=PASSWORD))
    code = last_code(strict.data_dir, email, "confirm_sign_up")
    guesses = (f"{(int(code) + n) % 1_000_000:06d}" for n in range(1, 6))
    for guess in guesses:
        err = fails(
            strict_identity.ConfirmSignUp, idpb.ConfirmSignUpRequest(email=email, code=guess)
        )
        assert err.reason == "CODE_MISMATCH"
    err = fails(strict_identity.ConfirmSignUp, idpb.ConfirmSignUpRequest(email=email, code=code))
    assert (err.code, err.reason) == (grpc.StatusCode.RESOURCE_EXHAUSTED, "TOO_MANY_ATTEMPTS")


def test_throttled_sign_in_over_rest_is_http_429_with_json(
    strict_identity: Identity, strict: Stack
) -> None:
    email = sign_up_confirmed(strict_identity, strict.data_dir, "rest")
    with httpx.Client(base_url=strict.url, timeout=15) as api:
        for _ in range(5):
            r = api.post("/v1/auth:signIn", json={"email": email, "password": "Wr0ng-password!"})
            assert r.status_code == 401, r.text
        r = api.post("/v1/auth:signIn", json={"email": email, "password": PASSWORD})
    assert r.status_code == 429, r.text
    assert r.headers["content-type"].startswith("application/json")
    body = r.json()
    assert body["code"] == grpc.StatusCode.RESOURCE_EXHAUSTED.value[0]
    (info,) = [d for d in body["details"] if d["@type"].endswith("google.rpc.ErrorInfo")]
    assert info["reason"] == "TOO_MANY_ATTEMPTS"
    assert int(info["metadata"]["retryAfterSeconds"]) > 0
    assert r.headers["retry-after"] == info["metadata"]["retryAfterSeconds"]


# -- profile: consent time, deletion -------------------------------------------------------


def test_consent_time_moves_when_consent_changes(identity: Identity, data_dir: Path) -> None:
    user = new_user(identity, "Consent")

    def consent_time() -> float:
        ((value,),) = db_rows(
            data_dir, "SELECT consent_time FROM users WHERE email = ?", user.email
        )
        return float(value)

    def update(paths: list[str], **fields: Any) -> None:
        identity.UpdateUser(
            idpb.UpdateUserRequest(
                user=idpb.User(name=ME, **fields), update_mask=field_mask_pb2.FieldMask(paths=paths)
            ),
            metadata=user.metadata,
        )

    assert consent_time() == 0
    before = time.time()
    update(["external_ai_consent"], external_ai_consent=True)
    given = consent_time()
    assert before <= given <= time.time()
    update(["display_name"], display_name="Still consenting")
    update(["external_ai_consent"], external_ai_consent=True)
    assert consent_time() == given, "only a change of consent moves it"
    update(["external_ai_consent"], external_ai_consent=False)
    assert consent_time() > given


def test_delete_account_removes_everything_and_old_tokens_stop_working(
    identity: Identity, data_dir: Path
) -> None:
    user = new_user(identity, "Goner")
    identity.SetupMfa(idpb.SetupMfaRequest(name=ME), metadata=user.metadata)
    identity.ForgotPassword(idpb.ForgotPasswordRequest(email=user.email))
    assert messages(data_dir, user.email)
    ((user_id,),) = db_rows(data_dir, "SELECT id FROM users WHERE email = ?", user.email)

    identity.DeleteUser(idpb.DeleteUserRequest(name=ME), metadata=user.metadata)

    err = fails(identity.GetUser, idpb.GetUserRequest(name=ME), metadata=user.metadata)
    assert err.code in (grpc.StatusCode.UNAUTHENTICATED, grpc.StatusCode.NOT_FOUND)
    assert err.reason == "USER_DELETED"
    signed_in = fails(identity.SignIn, idpb.SignInRequest(email=user.email, password=PASSWORD))
    unknown = fails(
        identity.SignIn, idpb.SignInRequest(email=fresh_email("never"), password=PASSWORD)
    )
    assert (signed_in.code, signed_in.reason, signed_in.message) == (
        unknown.code,
        unknown.reason,
        unknown.message,
    )
    err = fails(
        identity.RefreshTokens, idpb.RefreshTokensRequest(refresh_token=user.tokens.refresh_token)
    )
    assert err.code == grpc.StatusCode.UNAUTHENTICATED
    for table in ("users", "refresh_tokens", "totp", "codes", "challenges"):
        column = "id" if table == "users" else "user_id"
        assert not db_rows(data_dir, f"SELECT 1 FROM {table} WHERE {column} = ?", user_id), table
    assert not messages(data_dir, user.email), "the outbox keeps nothing of a deleted account"
    # The address is free again.
    identity.SignUp(idpb.SignUpRequest(email=user.email, password=PASSWORD))
    assert sign_in(identity, user.email).access_token


# -- signing-key rotation ------------------------------------------------------------------


def test_key_rotation_publishes_first_and_old_tokens_stay_valid(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    stack = start_stack(
        tmp_path_factory.mktemp("identity-rotating"),
        {
            "CAREERVAULT_KEY_ROTATION_DAYS": str(5 / 86400),  # every 5 s
            "CAREERVAULT_KEY_PUBLISH_LEAD": "1",
            "CAREERVAULT_KEY_CHECK_INTERVAL": "0.2",
            # The jobs service refetches the JWKS once its copy is a second old.
            "CAREERVAULT_JWKS_CACHE_SECONDS": "1",
        },
        services=("identity", "jobs"),
    )
    try:
        identity = identity_stub(stack.grpc_target("identity"))
        jobs = jobs_stub(stack.grpc_target("jobs"))
        directory = stack.data_dir / "identity"
        email = sign_up_confirmed(identity, stack.data_dir, "rotate")
        old = sign_in(identity, email).access_token
        old_kid = jwt.get_unverified_header(old)["kid"]
        assert jobs.ListJobs(jpb.ListJobsRequest(), metadata=bearer(old)).total_size == 0

        deadline = time.monotonic() + 30
        new = old
        published_first = False
        while jwt.get_unverified_header(new)["kid"] == old_kid:
            assert time.monotonic() < deadline, "no new signing key within 30 s"
            time.sleep(0.2)
            keys = json.loads((directory / "jwks.json").read_text())["keys"]
            published_first = published_first or len(keys) > 1
            new = sign_in(identity, email).access_token
        new_kid = jwt.get_unverified_header(new)["kid"]
        assert published_first, "the new key was in jwks.json before it signed"

        listed = [k.kid for k in identity.GetJwks(idpb.GetJwksRequest()).keys]
        on_disk = [k["kid"] for k in json.loads((directory / "jwks.json").read_text())["keys"]]
        assert {old_kid, new_kid} <= set(listed)
        assert {old_kid, new_kid} <= set(on_disk)
        # Both the token of the replaced key and the new one are accepted.
        for token in (old, new):
            assert jobs.ListJobs(jpb.ListJobsRequest(), metadata=bearer(token)).total_size == 0
            assert identity.GetUser(idpb.GetUserRequest(name=ME), metadata=bearer(token)).email
        for name in ("signing-key.pem", "signing-key.next.pem"):
            path = directory / name
            if path.exists():
                assert stat.S_IMODE(path.stat().st_mode) == 0o600, name
        manifest = json.loads((directory / "keys.json").read_text())
        entries = [manifest["current"], *manifest["previous"], *filter(None, [manifest["next"]])]
        assert all("d" not in e["jwk"] for e in entries), "no private halves in keys.json"
    finally:
        stack.stop()
