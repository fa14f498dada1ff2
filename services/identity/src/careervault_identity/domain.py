"""Accounts and tokens, knowing nothing of gRPC.

Tokens mirror Cognito's so that one verifier accepts both: the access token carries
`client_id`, `token_use=access`, `scope` and no `aud`; the ID token carries `aud`, `email`
and `token_use=id`.
"""

from __future__ import annotations

import asyncio
import hashlib
import re
import secrets
import time
import uuid

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from jose import jwk, jwt

from careervault.runtime.errors import (
    Aborted,
    FailedPrecondition,
    FieldViolation,
    InvalidArgument,
    NotFound,
    Unauthenticated,
    Unimplemented,
)
from careervault_identity.backend import Caller, Challenge, MfaSetup, Profile, Tokens
from careervault_identity.keys import SigningKey
from careervault_identity.settings import IdentitySettings
from careervault_identity.store import IdentityStore, RefreshOutcome, UserRecord

EMAIL_RE = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]{2,}$")
SYMBOLS = set("^$*.[]{}()?\"!@#%&/\\,><':;|_~`=+- ")
MAX_PASSWORD = 256
MAX_DISPLAY_NAME = 100
BAD_CREDENTIALS = "Incorrect email or password."


def normalise_email(email: str) -> str:
    return email.strip().lower()


def check_email(email: str) -> list[FieldViolation]:
    if not email:
        return [FieldViolation("email", "email is required")]
    if len(email) > 254 or not EMAIL_RE.match(email):
        return [FieldViolation("email", "email is not a valid address")]
    return []


def check_password(password: str, field: str = "password") -> list[FieldViolation]:
    """Cognito's default policy: 8+ characters with upper, lower, a digit and a symbol."""
    problems = []
    if len(password) < 8:
        problems.append("at least 8 characters")
    if len(password) > MAX_PASSWORD:
        problems.append(f"at most {MAX_PASSWORD} characters")
    if not any(c.isupper() for c in password):
        problems.append("an upper-case letter")
    if not any(c.islower() for c in password):
        problems.append("a lower-case letter")
    if not any(c.isdigit() for c in password):
        problems.append("a digit")
    if not any(c in SYMBOLS for c in password):
        problems.append("a symbol")
    if not problems:
        return []
    return [FieldViolation(field, "password needs " + ", ".join(problems))]


def check_display_name(name: str) -> list[FieldViolation]:
    if len(name) > MAX_DISPLAY_NAME:
        return [FieldViolation("display_name", f"at most {MAX_DISPLAY_NAME} characters")]
    if any(ord(c) < 32 for c in name):
        return [FieldViolation("display_name", "control characters are not allowed")]
    return []


def _hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def etag_of(user: UserRecord) -> str:
    return f'W/"{user.version}"'


def profile_of(user: UserRecord) -> Profile:
    return Profile(
        user_id=user.id,
        email=user.email,
        display_name=user.display_name,
        email_verified=user.email_verified,
        mfa_enabled=user.mfa_enabled,
        external_ai_consent=user.external_ai_consent,
        consent_time=0.0,
        create_time=user.create_time,
        update_time=user.update_time,
        etag=etag_of(user),
    )


class Identity:
    def __init__(self, settings: IdentitySettings, store: IdentityStore, key: SigningKey) -> None:
        self.settings = settings
        self.store = store
        self.key = key
        self.hasher = PasswordHasher()
        # Parsed once: handing jose the PEM makes it load and check the RSA key on every
        # signature (about 40 ms each).
        self._signer = jwk.construct(key.private_pem.decode(), algorithm="RS256")
        # Verifying against this when the email is unknown keeps both failures equally slow.
        self._dummy_hash = self.hasher.hash(secrets.token_urlsafe(16))

    # -- accounts --------------------------------------------------------------------------

    async def sign_up(self, email: str, password: str, display_name: str) -> tuple[Profile, bool]:
        email = normalise_email(email)
        display_name = display_name.strip()
        problems = [
            *check_email(email),
            *check_password(password),
            *check_display_name(display_name),
        ]
        if problems:
            raise InvalidArgument("Check the highlighted fields.", violations=problems)
        now = time.time()
        user = UserRecord(
            id=uuid.uuid4().hex,
            email=email,
            display_name=display_name or email.split("@", 1)[0],
            password_hash=await asyncio.to_thread(self.hasher.hash, password),
            email_verified=not self.settings.require_confirmation,
            mfa_enabled=False,
            external_ai_consent=False,
            create_time=now,
            update_time=now,
            version=1,
        )
        await self.store.create_user(user)
        return profile_of(user), not user.email_verified

    async def sign_in(self, email: str, password: str, client: str) -> Tokens | Challenge:
        email = normalise_email(email)
        if not email or not password:
            raise InvalidArgument(
                "Email and password are required.",
                violations=[
                    *([FieldViolation("email", "email is required")] if not email else []),
                    *([FieldViolation("password", "password is required")] if not password else []),
                ],
            )
        user = await self.store.get_by_email(email)
        ok = await asyncio.to_thread(
            self._verify_password, user.password_hash if user else self._dummy_hash, password
        )
        if user is None or not ok:
            raise Unauthenticated(BAD_CREDENTIALS, reason="INVALID_CREDENTIALS")
        if not user.email_verified:
            raise FailedPrecondition("Confirm your email first.", reason="USER_NOT_CONFIRMED")
        return await self._issue(user, family_id=uuid.uuid4().hex)

    def _verify_password(self, password_hash: str, password: str) -> bool:
        try:
            return self.hasher.verify(password_hash, password)
        except (VerificationError, InvalidHashError):
            return False

    async def refresh(self, refresh_token: str) -> Tokens:
        if not refresh_token:
            raise InvalidArgument(
                "refresh_token is required.",
                violations=[FieldViolation("refresh_token", "refresh_token is required")],
            )
        new_refresh = secrets.token_urlsafe(48)
        outcome, user_id = await self.store.rotate_refresh_token(
            _hash_token(refresh_token),
            _hash_token(new_refresh),
            time.time() + self.settings.refresh_token_ttl,
        )
        if outcome == RefreshOutcome.REUSED:
            raise Unauthenticated(
                "This refresh token was used already; sign in again.",
                reason="REFRESH_TOKEN_REUSED",
            )
        user = await self.store.get_by_id(user_id) if user_id else None
        if outcome != RefreshOutcome.OK or user is None:
            raise Unauthenticated(
                "Refresh token is invalid or expired; sign in again.",
                reason="REFRESH_TOKEN_INVALID",
            )
        access, id_token = self._sign(user)
        return Tokens(access, id_token, new_refresh, self.settings.access_token_ttl)

    async def sign_out(self, caller: Caller) -> None:
        await self.store.revoke_refresh_tokens(caller.user_id)

    async def get_profile(self, user_id: str) -> Profile:
        user = await self.store.get_by_id(user_id)
        if user is None:
            raise NotFound("User not found.", reason="USER_NOT_FOUND")
        return profile_of(user)

    async def update_profile(
        self, user_id: str, etag: str, display_name: str | None, external_ai_consent: bool | None
    ) -> Profile:
        if display_name is not None:
            display_name = display_name.strip()
            problems = check_display_name(display_name)
            if problems:
                raise InvalidArgument("Check the highlighted fields.", violations=problems)
            if not display_name:
                raise InvalidArgument(
                    "Display name cannot be empty.",
                    violations=[FieldViolation("display_name", "display_name cannot be empty")],
                )
        expected: int | None = None
        if etag:
            match = re.fullmatch(r'W/"(\d+)"', etag)
            if not match:
                raise InvalidArgument(
                    "etag is malformed.", violations=[FieldViolation("etag", "etag is malformed")]
                )
            expected = int(match.group(1))
        updated = await self.store.update_profile(
            user_id, expected, display_name, external_ai_consent
        )
        if updated is None:
            if await self.store.get_by_id(user_id) is None:
                raise NotFound("User not found.", reason="USER_NOT_FOUND")
            raise Aborted("The profile changed since it was read; reload and try again.")
        return profile_of(updated)

    # -- tokens ----------------------------------------------------------------------------

    async def _issue(self, user: UserRecord, family_id: str) -> Tokens:
        refresh = secrets.token_urlsafe(48)
        await self.store.add_refresh_token(
            _hash_token(refresh), user.id, family_id, time.time() + self.settings.refresh_token_ttl
        )
        access, id_token = self._sign(user)
        return Tokens(access, id_token, refresh, self.settings.access_token_ttl)

    def _sign(self, user: UserRecord) -> tuple[str, str]:
        now = int(time.time())
        issuer = self.settings.token_issuer
        client_id = self.settings.token_client_id
        headers = {"kid": self.key.kid}
        access = jwt.encode(
            {
                "sub": user.id,
                "iss": issuer,
                "client_id": client_id,
                "token_use": "access",
                "scope": "openid email profile",
                "username": user.email,
                "auth_time": now,
                "iat": now,
                "nbf": now,
                "exp": now + self.settings.access_token_ttl,
                "jti": uuid.uuid4().hex,
            },
            self._signer,
            algorithm="RS256",
            headers=headers,
        )
        id_token = jwt.encode(
            {
                "sub": user.id,
                "iss": issuer,
                "aud": client_id,
                "token_use": "id",
                "email": user.email,
                "email_verified": user.email_verified,
                "name": user.display_name,
                "auth_time": now,
                "iat": now,
                "exp": now + self.settings.id_token_ttl,
            },
            self._signer,
            algorithm="RS256",
            headers=headers,
        )
        return access, id_token

    def jwks(self) -> list[dict[str, str]]:
        return [self.key.jwk()]

    def close(self) -> None:
        self.store.close()

    # Confirmation codes, password reset, MFA and account deletion: see the local-issuer work.
    async def confirm_sign_up(self, email: str, code: str) -> None:
        raise Unimplemented("Sign-up confirmation is not available yet.")

    async def respond_to_challenge(self, session: str, code: str, client: str) -> Tokens:
        raise Unimplemented("Sign-in challenges are not available yet.")

    async def forgot_password(self, email: str, client: str) -> None:
        raise Unimplemented("Password reset is not available yet.")

    async def confirm_forgot_password(
        self, email: str, code: str, new_password: str, client: str
    ) -> None:
        raise Unimplemented("Password reset is not available yet.")

    async def change_password(self, caller: Caller, current: str, new: str) -> None:
        raise Unimplemented("Password change is not available yet.")

    async def setup_mfa(self, caller: Caller) -> MfaSetup:
        raise Unimplemented("MFA is not available yet.")

    async def verify_mfa(self, caller: Caller, code: str) -> Profile:
        raise Unimplemented("MFA is not available yet.")

    async def disable_mfa(self, caller: Caller, code: str) -> Profile:
        raise Unimplemented("MFA is not available yet.")

    async def delete_account(self, caller: Caller) -> None:
        raise Unimplemented("Account deletion is not available yet.")
