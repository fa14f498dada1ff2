"""The local issuer: accounts, tokens, MFA and one-time codes, knowing nothing of gRPC.

Tokens mirror Cognito's so that one verifier accepts both: the access token carries
`client_id`, `token_use=access`, `scope` and no `aud`; the ID token carries `aud`, `email`
and `token_use=id`. They are signed by the key ring's current key (`keys.py`).

Secrets at rest: passwords as argon2id hashes; refresh tokens, MFA sign-in sessions and
emailed codes as SHA-256 hashes (they are random); TOTP secrets as they are (an authenticator
needs the secret itself; the database is 0600, like the signing key beside it). Emailed codes
go to the local outbox (`outbox.py`) and nowhere else: never to a log.

Ending sessions. Sign-out, a password change and a password reset revoke the user's refresh
tokens and pending MFA sessions, and set `tokens_valid_after`: from then on this service
refuses the user's older access tokens (`TOKEN_REVOKED`), though the other services accept
them until they expire (at most `access_token_ttl`). A token's `iat` is whole seconds, so a
token issued in the same second as a revocation gets its `iat` rounded up past it.

Brute force (`throttle.py`): every guess of a secret is charged, before the secret is
checked, to the account (`account:<email>`, CAREERVAULT_THROTTLE_ACCOUNT_FAILURES per
CAREERVAULT_THROTTLE_WINDOW) and, where the caller's address is known, to the address
(`address:<ip>`, CAREERVAULT_THROTTLE_ADDRESS_FAILURES): passwords (SignIn, ChangePassword),
TOTP codes (RespondToChallenge, VerifyMfa, DisableMfa) and emailed codes (ConfirmSignUp,
ConfirmForgotPassword). Completing one of them resets the account's count. ForgotPassword
counts every request, per email and per address, since each one sends a message.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import math
import re
import secrets
import time
import uuid
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from jose import jwk, jwt
from jose.exceptions import JOSEError

from careervault.runtime.context import principal_var
from careervault.runtime.errors import (
    Aborted,
    FailedPrecondition,
    FieldViolation,
    InvalidArgument,
    NotFound,
    Unauthenticated,
)
from careervault_identity import totp
from careervault_identity.backend import Caller, Challenge, MfaSetup, Profile, Tokens
from careervault_identity.keys import KeyRing, SigningKey
from careervault_identity.outbox import Message, Outbox, rfc3339
from careervault_identity.settings import IdentitySettings
from careervault_identity.store import (
    CodeKind,
    CodeOutcome,
    IdentityStore,
    RefreshOutcome,
    UserRecord,
)
from careervault_identity.throttle import Attempt, Rule, Throttle

log = logging.getLogger(__name__)

EMAIL_RE = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]{2,}$")
SYMBOLS = set("^$*.[]{}()?\"!@#%&/\\,><':;|_~`=+- ")
MAX_PASSWORD = 256
MAX_DISPLAY_NAME = 100
MAX_SESSION = 256
BAD_CREDENTIALS = "Incorrect email or password."
MFA_CHALLENGE = "SOFTWARE_TOKEN_MFA"
PASSWORD_CHANGED = "password_changed"


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


def check_code(code: str, field: str = "code") -> list[FieldViolation]:
    if not totp.CODE_RE.match(code):
        return [FieldViolation(field, "a 6-digit code is required")]
    return []


def _hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _code_hash(user_id: str, kind: str, code: str) -> str:
    return hashlib.sha256(f"{kind}:{user_id}:{code}".encode()).hexdigest()


def _new_code() -> str:
    return f"{secrets.randbelow(1_000_000):06d}"


def _duration(seconds: int) -> str:
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= size and seconds % size == 0:
            count = seconds // size
            return f"{count} {unit}{'s' if count != 1 else ''}"
    return f"{seconds} second{'s' if seconds != 1 else ''}"


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
        consent_time=user.consent_time,
        create_time=user.create_time,
        update_time=user.update_time,
        etag=etag_of(user),
    )


def _invalid(message: str, violations: list[FieldViolation]) -> InvalidArgument:
    return InvalidArgument(message, violations=violations)


def _user_deleted() -> Unauthenticated:
    return Unauthenticated("This account was deleted.", reason="USER_DELETED")


def _code_mismatch() -> InvalidArgument:
    return InvalidArgument(
        "The code is wrong.",
        reason="CODE_MISMATCH",
        violations=[FieldViolation("code", "the code is wrong or has expired")],
    )


def _challenge_expired() -> Unauthenticated:
    return Unauthenticated(
        "This sign-in has expired or was used already; sign in again.",
        reason="CHALLENGE_EXPIRED",
    )


class Identity:
    """`IdentityBackend` of the local issuer on SQLite."""

    def __init__(
        self,
        settings: IdentitySettings,
        store: IdentityStore,
        key: SigningKey | KeyRing,
        outbox: Outbox | None = None,
    ) -> None:
        self.settings = settings
        self.store = store
        # A SigningKey (what app.py passes) is the ring's current key: the ring is the
        # directory's, with this service's timings.
        self.keys = (
            key
            if isinstance(key, KeyRing)
            else KeyRing(
                settings.identity_dir,
                publish_lead=settings.key_publish_lead,
                retention=settings.key_retention,
            )
        )
        self.outbox = outbox or Outbox(settings.outbox_path)
        self.throttle = Throttle(store.db, settings.throttle_window)
        self.hasher = PasswordHasher()
        # Parsed once per key: handing jose the PEM makes it load and check the RSA key on
        # every signature (about 40 ms each).
        self._signers: dict[str, Any] = {}
        # Verifying against this when the email is unknown keeps both failures equally slow.
        self._dummy_hash = self.hasher.hash(secrets.token_urlsafe(16))
        self._key_lock = asyncio.Lock()
        # At start: is a rotation due, has the next key started signing, has an old one
        # expired? Then again every key_check_interval, when tokens are signed.
        self.keys.maintain(rotate_after=settings.key_rotation_seconds)
        self._next_key_check = time.monotonic() + settings.key_check_interval
        if settings.key_rotation_seconds and settings.key_publish_lead < (
            settings.jwks_cache_seconds + 10
        ):
            log.warning(
                "CAREERVAULT_KEY_PUBLISH_LEAD (%g s) is shorter than the verifiers' JWKS cache "
                "(%d s): tokens of a new key may be refused until their caches refresh",
                settings.key_publish_lead,
                settings.jwks_cache_seconds,
            )

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
            raise _invalid("Check the highlighted fields.", problems)
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
        if not user.email_verified:
            await self._send_code(user, CodeKind.CONFIRM)
        return profile_of(user), not user.email_verified

    async def confirm_sign_up(self, email: str, code: str) -> None:
        email = normalise_email(email)
        code = totp.normalise_code(code)
        problems = [*check_email(email), *check_code(code)]
        if problems:
            raise _invalid("Check the highlighted fields.", problems)
        attempt = await self.throttle.begin(self._guess_rules(email))
        user = await self.store.get_by_email(email)
        if user is not None and user.email_verified:
            await self.throttle.release(attempt)
            raise FailedPrecondition(
                "This account is confirmed already; sign in.", reason="ALREADY_CONFIRMED"
            )
        outcome = (
            CodeOutcome.MISMATCH
            if user is None
            else await self.store.confirm_email(
                user.id, _code_hash(user.id, CodeKind.CONFIRM, code), time.time()
            )
        )
        await self._settle_code(outcome, attempt)

    async def sign_in(self, email: str, password: str, client: str) -> Tokens | Challenge:
        email = normalise_email(email)
        if not email or not password:
            raise _invalid(
                "Email and password are required.",
                [
                    *([FieldViolation("email", "email is required")] if not email else []),
                    *([FieldViolation("password", "password is required")] if not password else []),
                ],
            )
        # Refused here, before the password is looked at, when over the limit.
        attempt = await self.throttle.begin(self._guess_rules(email, client))
        user = await self.store.get_by_email(email)
        ok = await asyncio.to_thread(
            self._verify_password, user.password_hash if user else self._dummy_hash, password
        )
        if user is None or not ok:
            raise Unauthenticated(BAD_CREDENTIALS, reason="INVALID_CREDENTIALS")
        if not user.email_verified:
            await self.throttle.release(attempt)
            raise FailedPrecondition("Confirm your email first.", reason="USER_NOT_CONFIRMED")
        if user.mfa_enabled:
            # The password was right, but nothing is complete: the count is not reset, or
            # knowing the password would buy unlimited MFA guesses.
            session = secrets.token_urlsafe(32)
            await self.store.add_challenge(
                _hash_token(session), user.id, time.time() + self.settings.mfa_challenge_ttl
            )
            await self.throttle.release(attempt)
            return Challenge(MFA_CHALLENGE, session)
        tokens = await self._issue(user, family_id=uuid.uuid4().hex)
        await self.throttle.succeeded(attempt)
        return tokens

    async def respond_to_challenge(self, session: str, code: str, client: str) -> Tokens:
        code = totp.normalise_code(code)
        problems = [
            *([FieldViolation("session", "session is required")] if not session else []),
            *(
                [FieldViolation("session", "session is not valid")]
                if len(session) > MAX_SESSION
                else []
            ),
            *check_code(code),
        ]
        if problems:
            raise _invalid("Check the highlighted fields.", problems)
        # Single use: the session is gone whatever happens next; a wrong code means signing
        # in again, so each password check buys one guess of the code.
        user_id = await self.store.take_challenge(_hash_token(session), time.time())
        user = await self.store.get_by_id(user_id) if user_id else None
        attempt = await self.throttle.begin(
            [
                *self._address_rules(client),
                *(self._account_rules(user.email) if user else []),
            ]
        )
        record = await self.store.get_totp(user.id) if user else None
        if user is None or record is None or record.secret is None:
            raise _challenge_expired()
        await self._check_totp(user, record.secret, code)
        tokens = await self._issue(user, family_id=uuid.uuid4().hex)
        await self.throttle.succeeded(attempt)
        return tokens

    def _verify_password(self, password_hash: str, password: str) -> bool:
        try:
            return self.hasher.verify(password_hash, password)
        except (VerificationError, InvalidHashError):
            return False

    async def refresh(self, refresh_token: str) -> Tokens:
        if not refresh_token:
            raise _invalid(
                "refresh_token is required.",
                [FieldViolation("refresh_token", "refresh_token is required")],
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
        access, id_token = await self._sign(user)
        return Tokens(access, id_token, new_refresh, self.settings.access_token_ttl)

    async def sign_out(self, caller: Caller) -> None:
        # Idempotent: signing out with a token that is revoked already is fine.
        await self.store.revoke_refresh_tokens(caller.user_id)

    # -- passwords -------------------------------------------------------------------------

    async def forgot_password(self, email: str, client: str) -> None:
        """Sends a reset code to a confirmed account, or a new confirmation code to an
        unconfirmed one (the API has no "resend code" call: this is it), and answers the same
        way, no sooner than `forgot_password_min_seconds`, whether the account exists or not.
        """
        started = time.monotonic()
        email = normalise_email(email)
        problems = check_email(email)
        if problems:
            raise _invalid("Check the highlighted fields.", problems)
        try:
            rules = [Rule(f"forgot:{email}", self.settings.throttle_account_failures)]
            if client:
                rules.append(
                    Rule(f"forgot-address:{client}", self.settings.throttle_address_failures)
                )
            await self.throttle.begin(rules)
            user = await self.store.get_by_email(email)
            if user is not None:
                kind = CodeKind.RESET if user.email_verified else CodeKind.CONFIRM
                await self._send_code(user, kind)
        finally:
            left = self.settings.forgot_password_min_seconds - (time.monotonic() - started)
            if left > 0:
                await asyncio.sleep(left)

    async def confirm_forgot_password(
        self, email: str, code: str, new_password: str, client: str
    ) -> None:
        email = normalise_email(email)
        code = totp.normalise_code(code)
        problems = [
            *check_email(email),
            *check_code(code),
            *check_password(new_password, "new_password"),
        ]
        if problems:
            raise _invalid("Check the highlighted fields.", problems)
        attempt = await self.throttle.begin(self._guess_rules(email, client))
        # Hashed before the code is checked, so that a wrong code and an unknown account
        # take as long as a right one.
        new_hash = await asyncio.to_thread(self.hasher.hash, new_password)
        user = await self.store.get_by_email(email)
        outcome = (
            CodeOutcome.MISMATCH
            if user is None
            else await self.store.reset_password(
                user.id, _code_hash(user.id, CodeKind.RESET, code), new_hash, time.time()
            )
        )
        await self._settle_code(outcome, attempt)
        if user is not None:
            await self._notify_password_changed(user)

    async def change_password(self, caller: Caller, current: str, new: str) -> None:
        """Checks the current password, applies the policy to the new one, and ends every
        session: all refresh tokens (this device's too: sign in again), and this service
        refuses access tokens issued before the change."""
        user = await self._caller_user(caller)
        problems = [
            *(
                [FieldViolation("current_password", "current_password is required")]
                if not current
                else []
            ),
            *check_password(new, "new_password"),
            *(
                [
                    FieldViolation(
                        "new_password", "the new password must differ from the current one"
                    )
                ]
                if new and new == current
                else []
            ),
        ]
        if problems:
            raise _invalid("Check the highlighted fields.", problems)
        attempt = await self.throttle.begin(self._account_rules(user.email))
        if not await asyncio.to_thread(self._verify_password, user.password_hash, current):
            raise InvalidArgument(
                "The current password is wrong.",
                reason="WRONG_PASSWORD",
                violations=[FieldViolation("current_password", "the password is wrong")],
            )
        new_hash = await asyncio.to_thread(self.hasher.hash, new)
        if not await self.store.set_password(user.id, new_hash, time.time()):
            raise _user_deleted()
        await self.throttle.succeeded(attempt)
        await self._notify_password_changed(user)

    # -- MFA -------------------------------------------------------------------------------

    async def setup_mfa(self, caller: Caller) -> MfaSetup:
        user = await self._caller_user(caller)
        if user.mfa_enabled:
            # Replacing the secret would let a stolen access token move MFA to another device.
            raise FailedPrecondition(
                "MFA is on already; turn it off before setting up another authenticator.",
                reason="MFA_ALREADY_ENABLED",
            )
        secret = totp.new_secret()
        await self.store.set_pending_totp(user.id, secret, time.time())
        return MfaSetup(secret=secret, otpauth_uri=totp.provisioning_uri(secret, user.email))

    async def verify_mfa(self, caller: Caller, code: str) -> Profile:
        user = await self._caller_user(caller)
        code = self._code_argument(code)
        record = await self.store.get_totp(user.id)
        if user.mfa_enabled:
            raise FailedPrecondition("MFA is on already.", reason="MFA_ALREADY_ENABLED")
        if record is None or record.pending_secret is None:
            raise FailedPrecondition("Set up MFA first.", reason="MFA_NOT_SET_UP")
        attempt = await self.throttle.begin(self._account_rules(user.email))
        step = totp.matching_step(record.pending_secret, code, time.time())
        if step is None:
            raise self._wrong_totp()
        updated = await self.store.enable_totp(user.id, record.pending_secret, step, time.time())
        if updated is None:
            raise Aborted(
                "MFA setup was restarted meanwhile; use the newest secret.",
                reason="MFA_SETUP_CHANGED",
            )
        await self.throttle.succeeded(attempt)
        return profile_of(updated)

    async def disable_mfa(self, caller: Caller, code: str) -> Profile:
        user = await self._caller_user(caller)
        code = self._code_argument(code)
        record = await self.store.get_totp(user.id)
        if not user.mfa_enabled or record is None or record.secret is None:
            raise FailedPrecondition("MFA is not on.", reason="MFA_NOT_ENABLED")
        attempt = await self.throttle.begin(self._account_rules(user.email))
        step = totp.matching_step(record.secret, code, time.time())
        if step is None:
            raise self._wrong_totp()
        updated = await self.store.disable_totp(user.id, record.secret, step, time.time())
        if updated is None:
            raise self._replayed_totp()
        await self.throttle.succeeded(attempt)
        return profile_of(updated)

    async def _check_totp(self, user: UserRecord, secret: str, code: str) -> None:
        step = totp.matching_step(secret, code, time.time())
        if step is None:
            raise self._wrong_totp()
        if not await self.store.use_totp_step(user.id, secret, step):
            raise self._replayed_totp()

    @staticmethod
    def _code_argument(code: str) -> str:
        code = totp.normalise_code(code)
        problems = check_code(code)
        if problems:
            raise _invalid("Enter the 6-digit code from your authenticator app.", problems)
        return code

    @staticmethod
    def _wrong_totp() -> InvalidArgument:
        return InvalidArgument(
            "That code is not right; enter the current code from your authenticator app "
            "(and check that the device's clock is right).",
            reason="MFA_CODE_INVALID",
            violations=[FieldViolation("code", "the code is wrong")],
        )

    @staticmethod
    def _replayed_totp() -> InvalidArgument:
        return InvalidArgument(
            "That code was used already; wait for the next one.",
            reason="MFA_CODE_REPLAYED",
            violations=[FieldViolation("code", "the code was used already")],
        )

    # -- profile ---------------------------------------------------------------------------

    async def get_profile(self, user_id: str) -> Profile:
        return profile_of(await self._current_user(user_id))

    async def update_profile(
        self, user_id: str, etag: str, display_name: str | None, external_ai_consent: bool | None
    ) -> Profile:
        if display_name is not None:
            display_name = display_name.strip()
            problems = check_display_name(display_name)
            if problems:
                raise _invalid("Check the highlighted fields.", problems)
            if not display_name:
                raise _invalid(
                    "Display name cannot be empty.",
                    [FieldViolation("display_name", "display_name cannot be empty")],
                )
        expected: int | None = None
        if etag:
            match = re.fullmatch(r'W/"(\d+)"', etag)
            if not match:
                raise _invalid("etag is malformed.", [FieldViolation("etag", "etag is malformed")])
            expected = int(match.group(1))
        await self._current_user(user_id)
        updated = await self.store.update_profile(
            user_id, expected, display_name, external_ai_consent
        )
        if updated is None:
            if await self.store.get_by_id(user_id) is None:
                raise _user_deleted()
            raise Aborted("The profile changed since it was read; reload and try again.")
        return profile_of(updated)

    async def delete_account(self, caller: Caller) -> None:
        """The user's row and everything hanging off it (refresh tokens, MFA secrets, codes,
        sign-in sessions) in one transaction; then the throttling records and the outbox
        messages kept under their email. Old access tokens then get USER_DELETED here."""
        user = await self._caller_user(caller)
        if not await self.store.delete_user(user.id):
            raise _user_deleted()
        await self.throttle.forget([f"account:{user.email}", f"forgot:{user.email}"])
        try:
            await asyncio.to_thread(self.outbox.purge, user.email)
        except OSError:
            log.exception("could not remove a deleted account's messages from the outbox")

    # -- callers ---------------------------------------------------------------------------

    async def _caller_user(self, caller: Caller) -> UserRecord:
        """The caller's account, if it still exists and the token is not revoked."""
        user = await self.store.get_by_id(caller.user_id)
        if user is None:
            raise _user_deleted()
        try:
            claims = jwt.get_unverified_claims(caller.access_token)
        except JOSEError:
            raise Unauthenticated("Malformed token.", reason="TOKEN_MALFORMED") from None
        self._check_not_revoked(user, claims)
        return user

    async def _current_user(self, user_id: str) -> UserRecord:
        """For the methods that get only a user id: the verified caller of this call (the
        auth interceptor's principal) is checked like a Caller when it is that user."""
        principal = principal_var.get()
        claims = principal.claims if principal and principal.user_id == user_id else None
        user = await self.store.get_by_id(user_id)
        if user is None:
            if claims is not None:
                raise _user_deleted()
            raise NotFound("User not found.", reason="USER_NOT_FOUND")
        if claims is not None:
            self._check_not_revoked(user, claims)
        return user

    @staticmethod
    def _check_not_revoked(user: UserRecord, claims: dict[str, Any]) -> None:
        if not user.tokens_valid_after:
            return
        issued = claims.get("iat")
        if not isinstance(issued, int | float) or issued < user.tokens_valid_after:
            raise Unauthenticated(
                "This session has ended (signed out or password changed); sign in again.",
                reason="TOKEN_REVOKED",
            )

    # -- throttling and codes --------------------------------------------------------------

    def _account_rules(self, email: str) -> list[Rule]:
        return [Rule(f"account:{email}", self.settings.throttle_account_failures, resets=True)]

    def _address_rules(self, client: str) -> list[Rule]:
        if not client:
            return []
        return [Rule(f"address:{client}", self.settings.throttle_address_failures)]

    def _guess_rules(self, email: str, client: str = "") -> list[Rule]:
        return [*self._account_rules(email), *self._address_rules(client)]

    async def _settle_code(self, outcome: CodeOutcome, attempt: Attempt) -> None:
        if outcome == CodeOutcome.OK:
            await self.throttle.succeeded(attempt)
            return
        if outcome == CodeOutcome.EXPIRED:
            # The right code, too late: not a guess.
            await self.throttle.release(attempt)
            raise InvalidArgument(
                "The code has expired; ask for a new one.",
                reason="CODE_EXPIRED",
                violations=[FieldViolation("code", "the code has expired")],
            )
        raise _code_mismatch()

    async def _send_code(self, user: UserRecord, kind: str) -> None:
        code = _new_code()
        now = time.time()
        if kind == CodeKind.CONFIRM:
            ttl = self.settings.confirmation_code_ttl
            subject = "Confirm your CareerVault account"
            body = (
                f"Your CareerVault confirmation code is {code}. It expires in {_duration(ttl)}.\n"
                "If you did not sign up for CareerVault, ignore this message."
            )
        else:
            ttl = self.settings.reset_code_ttl
            subject = "Reset your CareerVault password"
            body = (
                f"Your CareerVault password reset code is {code}. It expires in "
                f"{_duration(ttl)}.\nIf you did not ask to reset your password, ignore this "
                "message: your password stays as it is."
            )
        await self.store.put_code(user.id, kind, _code_hash(user.id, kind, code), now, now + ttl)
        message = Message(rfc3339(now), user.email, kind, code, subject, body)
        await asyncio.to_thread(self.outbox.send, message)

    async def _notify_password_changed(self, user: UserRecord) -> None:
        now = time.time()
        message = Message(
            rfc3339(now),
            user.email,
            PASSWORD_CHANGED,
            "",
            "Your CareerVault password was changed",
            "The password of your CareerVault account was changed and every session was "
            "signed out.\nIf this was not you, reset your password now.",
        )
        try:
            await asyncio.to_thread(self.outbox.send, message)
        except OSError:
            log.exception("could not write a password-change notice to the outbox")

    # -- tokens ----------------------------------------------------------------------------

    async def _issue(self, user: UserRecord, family_id: str) -> Tokens:
        refresh = secrets.token_urlsafe(48)
        await self.store.add_refresh_token(
            _hash_token(refresh), user.id, family_id, time.time() + self.settings.refresh_token_ttl
        )
        access, id_token = await self._sign(user)
        return Tokens(access, id_token, refresh, self.settings.access_token_ttl)

    async def _signing_key(self) -> SigningKey:
        if time.monotonic() >= self._next_key_check:
            async with self._key_lock:
                if time.monotonic() >= self._next_key_check:
                    try:
                        await asyncio.to_thread(
                            self.keys.maintain, None, self.settings.key_rotation_seconds
                        )
                    except OSError:
                        log.exception("signing-key maintenance failed; will try again")
                    self._next_key_check = time.monotonic() + self.settings.key_check_interval
        return self.keys.active()

    def _signer(self, key: SigningKey) -> Any:
        signer = self._signers.get(key.kid)
        if signer is None:
            signer = self._signers[key.kid] = jwk.construct(
                key.private_pem.decode(), algorithm="RS256"
            )
        return signer

    async def _sign(self, user: UserRecord) -> tuple[str, str]:
        key = await self._signing_key()
        signer = self._signer(key)
        now = int(time.time())
        # Past the last revocation even within the same second (see the module doc).
        issued = max(now, math.ceil(user.tokens_valid_after))
        issuer = self.settings.token_issuer
        client_id = self.settings.token_client_id
        headers = {"kid": key.kid}
        access = jwt.encode(
            {
                "sub": user.id,
                "iss": issuer,
                "client_id": client_id,
                "token_use": "access",
                "scope": "openid email profile",
                "username": user.email,
                "auth_time": now,
                "iat": issued,
                "nbf": now,
                "exp": now + self.settings.access_token_ttl,
                "jti": uuid.uuid4().hex,
            },
            signer,
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
                "iat": issued,
                "exp": now + self.settings.id_token_ttl,
            },
            signer,
            algorithm="RS256",
            headers=headers,
        )
        return access, id_token

    def jwks(self) -> list[dict[str, str]]:
        return [{k: str(v) for k, v in key.items()} for key in self.keys.jwks()]

    def close(self) -> None:
        self.store.close()
