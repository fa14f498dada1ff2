"""The identity port on Amazon Cognito user pools (boto3 `cognito-idp`).

Every call is a user-context call of the pool's public API (an app client's id, and the
caller's access token where one is needed), so the service needs no AWS credentials except for
the optional `COGNITO_ADMIN_GET_USER` reads. boto3 is synchronous: calls run in worker threads
(`asyncio.to_thread`) with bounded timeouts and botocore's standard retry mode (throttling, 5xx
and connection errors are retried with backoff). Cognito's errors become the domain errors of
`careervault.runtime.errors`, with the same reasons as the local issuer where both have one.

What the service keeps that Cognito's API does not hand back as such:

- Refresh tokens are returned as `cv1.<base64url(username)>.<Cognito's refresh token>`: with a
  client secret, REFRESH_TOKEN_AUTH needs a SECRET_HASH over the user's internal username (the
  `sub` in a pool that signs in by email), which a bare refresh token does not reveal. A bare
  Cognito refresh token is accepted too when the client has no secret.
- A sign-in challenge's session is `cv1.<base64url(JSON {u: username, s: Cognito session})>`:
  RespondToAuthChallenge needs the username (and, with a secret, a SECRET_HASH over it).
- The profile's etag is a hash of the profile's values: Cognito has no versions and no
  conditional writes, so a stale etag is refused (ABORTED) by comparing before the write; two
  updates racing between that read and the write are not detected.
- `create_time` and `update_time` are 0 unless `COGNITO_ADMIN_GET_USER=true` (GetUser does not
  return them; AdminGetUser does, with IAM permission `cognito-idp:AdminGetUser`).
- GetJwks relays the pool's own key set (fetched from the JWKS URL, cached).

Profile attributes: `name` (display name), `custom:ai_consent` ("true"/"false"),
`custom:consent_time` (epoch seconds of the last consent change). See the README for the pool
and app-client settings this needs.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import contextlib
import hashlib
import hmac
import json
import logging
import re
import time
import urllib.request
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar
from urllib.parse import quote, urlparse

import boto3
from botocore.config import Config
from botocore.exceptions import (
    ClientError,
    ConnectionClosedError,
    ConnectTimeoutError,
    EndpointConnectionError,
    ReadTimeoutError,
)
from jose import jwt
from jose.exceptions import JOSEError
from pydantic import AliasChoices, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from careervault.runtime.context import principal_var
from careervault.runtime.errors import (
    Aborted,
    AlreadyExists,
    DomainError,
    FailedPrecondition,
    FieldViolation,
    InvalidArgument,
    NotFound,
    ResourceExhausted,
    Unauthenticated,
    Unavailable,
)
from careervault.runtime.settings import CommonSettings
from careervault_identity.backend import Caller, Challenge, MfaSetup, Profile, Tokens
from careervault_identity.domain import (
    BAD_CREDENTIALS,
    MAX_PASSWORD,
    check_display_name,
    check_email,
    normalise_email,
)

if TYPE_CHECKING:
    from mypy_boto3_cognito_idp import CognitoIdentityProviderClient
    from mypy_boto3_cognito_idp.type_defs import (
        AttributeTypeTypeDef,
        AuthenticationResultTypeTypeDef,
        GetUserResponseTypeDef,
    )

log = logging.getLogger(__name__)

P = ParamSpec("P")
R = TypeVar("R")

ATTR_NAME = "name"
ATTR_CONSENT = "custom:ai_consent"
ATTR_CONSENT_TIME = "custom:consent_time"
MFA_TYPE = "SOFTWARE_TOKEN_MFA"
OTP_ISSUER = "CareerVault"
TOKEN_PREFIX = "cv1."
CODE_RE = re.compile(r"^\d{6}$")
# The fields of a JWK that GetJwks returns (the proto's Jwk message).
JWK_FIELDS = ("kty", "kid", "use", "alg", "n", "e")


class CognitoSettings(BaseSettings):
    """Settings only the Cognito backend reads (the pool, client and region are common ones)."""

    model_config = SettingsConfigDict(frozen=True, extra="ignore", populate_by_name=True)

    # The app client's secret, if it has one: every call then carries a SECRET_HASH.
    client_secret: SecretStr = Field(
        default=SecretStr(""), validation_alias=AliasChoices("COGNITO_CLIENT_SECRET")
    )
    # Read create/update times with AdminGetUser (needs IAM cognito-idp:AdminGetUser).
    admin_get_user: bool = Field(
        default=False, validation_alias=AliasChoices("COGNITO_ADMIN_GET_USER")
    )
    connect_timeout: float = Field(
        default=3.0, gt=0, le=60, validation_alias=AliasChoices("COGNITO_CONNECT_TIMEOUT")
    )
    read_timeout: float = Field(
        default=5.0, gt=0, le=60, validation_alias=AliasChoices("COGNITO_READ_TIMEOUT")
    )
    # Attempts per call, first one included (botocore's standard retry mode).
    max_attempts: int = Field(
        default=3, ge=1, le=10, validation_alias=AliasChoices("COGNITO_MAX_ATTEMPTS")
    )


# --- errors --------------------------------------------------------------------------------

ErrorFactory = Callable[[str], DomainError]


class _Ignored(Exception):
    """Raised by `_call` for an error code the caller asked to treat as success."""


def _ignore(message: str) -> DomainError:
    raise _Ignored(message)


def _code_violation(field: str = "code") -> list[FieldViolation]:
    return [FieldViolation(field, "the code is wrong or has expired")]


def _password_rejected(field: str) -> ErrorFactory:
    def factory(message: str) -> DomainError:
        return InvalidArgument(
            "Check the highlighted fields.",
            violations=[FieldViolation(field, f"password does not meet the policy: {message}")],
        )

    return factory


def _bad_credentials(message: str) -> DomainError:
    if "attempts exceeded" in message.lower():
        return ResourceExhausted(
            "Too many failed attempts; wait a while and try again.", reason="TOO_MANY_ATTEMPTS"
        )
    return Unauthenticated(BAD_CREDENTIALS, reason="INVALID_CREDENTIALS")


def _code_mismatch(message: str) -> DomainError:
    return InvalidArgument(
        "The code is wrong.", reason="CODE_MISMATCH", violations=_code_violation()
    )


def _mfa_code_invalid(message: str) -> DomainError:
    return InvalidArgument(
        "That code is not right; enter the current code from your authenticator app "
        "(and check that the device's clock is right).",
        reason="MFA_CODE_INVALID",
        violations=[FieldViolation("code", "the code is wrong")],
    )


# A wrong TOTP code (Cognito says the same for emailed codes: CodeMismatchException).
MFA_CODE_ERRORS: dict[str, ErrorFactory] = {
    "CodeMismatchException": _mfa_code_invalid,
    "EnableSoftwareTokenMFAException": _mfa_code_invalid,
}


def _session_ended(message: str) -> DomainError:
    return Unauthenticated("Your session has ended; sign in again.", reason="TOKEN_REVOKED")


DEFAULT_ERRORS: dict[str, ErrorFactory] = {
    "UsernameExistsException": lambda m: AlreadyExists(
        "An account with this email exists already.", reason="EMAIL_TAKEN"
    ),
    "AliasExistsException": lambda m: AlreadyExists(
        "An account with this email exists already.", reason="EMAIL_TAKEN"
    ),
    "InvalidPasswordException": _password_rejected("password"),
    "CodeMismatchException": _code_mismatch,
    "EnableSoftwareTokenMFAException": _code_mismatch,
    "ExpiredCodeException": lambda m: InvalidArgument(
        "The code has expired; ask for a new one.",
        reason="CODE_EXPIRED",
        violations=_code_violation(),
    ),
    "UserNotConfirmedException": lambda m: FailedPrecondition(
        "Confirm your email first.", reason="USER_NOT_CONFIRMED"
    ),
    "PasswordResetRequiredException": lambda m: FailedPrecondition(
        "Reset your password first.", reason="PASSWORD_RESET_REQUIRED"
    ),
    "SoftwareTokenMFANotFoundException": lambda m: FailedPrecondition(
        "Set up MFA first.", reason="MFA_NOT_SET_UP"
    ),
    "TooManyRequestsException": lambda m: ResourceExhausted(
        "Too many requests; wait a moment and try again.", reason="RATE_LIMITED"
    ),
    "LimitExceededException": lambda m: ResourceExhausted(
        "Too many attempts; wait a while and try again.", reason="TOO_MANY_ATTEMPTS"
    ),
    "TooManyFailedAttemptsException": lambda m: ResourceExhausted(
        "Too many failed attempts; wait a while and try again.", reason="TOO_MANY_ATTEMPTS"
    ),
    "InvalidParameterException": lambda m: InvalidArgument(
        f"The identity provider refused the request: {m[:200]}"
    ),
    "UserLambdaValidationException": lambda m: InvalidArgument(
        f"The identity provider refused the request: {m[:200]}", reason="REFUSED"
    ),
    "NotAuthorizedException": _session_ended,
    "UserNotFoundException": lambda m: NotFound("User not found.", reason="USER_NOT_FOUND"),
    "CodeDeliveryFailureException": lambda m: Unavailable(
        "The code could not be sent; try again later.", reason="CODE_DELIVERY_FAILED"
    ),
    "InternalErrorException": lambda m: Unavailable(
        "The identity provider is unavailable; try again.", reason="IDENTITY_PROVIDER_UNAVAILABLE"
    ),
}

SIGN_IN_ERRORS: dict[str, ErrorFactory] = {
    "NotAuthorizedException": _bad_credentials,
    "UserNotFoundException": _bad_credentials,
}

# Not a Cognito code: a NotAuthorizedException about the SECRET_HASH (see `translate`).
SECRET_HASH_MISMATCH = "SecretHashMismatch"


def _refresh_invalid(message: str) -> DomainError:
    return Unauthenticated(
        "Refresh token is invalid or expired; sign in again.", reason="REFRESH_TOKEN_INVALID"
    )


REFRESH_ERRORS: dict[str, ErrorFactory] = {
    "NotAuthorizedException": _refresh_invalid,
    SECRET_HASH_MISMATCH: _refresh_invalid,
}


def _challenge_session_invalid(message: str) -> DomainError:
    return Unauthenticated(
        "This sign-in has expired or was used already; sign in again.",
        reason="CHALLENGE_EXPIRED",
    )


CHALLENGE_ERRORS: dict[str, ErrorFactory] = {
    **MFA_CODE_ERRORS,
    "NotAuthorizedException": _challenge_session_invalid,
    # moto's answer for an unknown session.
    "ResourceNotFoundException": _challenge_session_invalid,
    "UserNotFoundException": _challenge_session_invalid,
    SECRET_HASH_MISMATCH: _challenge_session_invalid,
}

# A code for an account that does not exist looks like a wrong code.
CODE_ERRORS: dict[str, ErrorFactory] = {
    "UserNotFoundException": _code_mismatch,
    # moto's answer for an unknown user in ConfirmForgotPassword.
    "ResourceNotFoundException": _code_mismatch,
}


def _transient(status: int, code: str) -> bool:
    return status >= 500 or code in {"ServiceUnavailable", "ThrottlingException"}


def translate(
    operation: str, exc: ClientError, errors: Mapping[str, ErrorFactory] | None = None
) -> DomainError | None:
    """The domain error for a Cognito error, or None when it is not one we expect."""
    error: Mapping[str, Any] = exc.response.get("Error", {})
    code = str(error.get("Code", ""))
    message = str(error.get("Message", ""))
    status = int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0) or 0)
    if code == "NotAuthorizedException" and "secret hash" in message.lower():
        # A SECRET_HASH over a username the client gave (a refresh token, a challenge
        # session) can be the client's fault; over anything else, the secret is wrong.
        code = SECRET_HASH_MISMATCH
        if code not in (errors or {}):
            log.error("cognito %s: %s (is COGNITO_CLIENT_SECRET right?)", operation, message)
            return None
    factory = (errors or {}).get(code) or DEFAULT_ERRORS.get(code)
    if factory is not None:
        return factory(message)
    if _transient(status, code):
        log.warning("cognito %s failed: %s %s (HTTP %s)", operation, code, message, status)
        return Unavailable(
            "The identity provider is unavailable; try again.",
            reason="IDENTITY_PROVIDER_UNAVAILABLE",
        )
    log.error("cognito %s failed unexpectedly: %s %s (HTTP %s)", operation, code, message, status)
    return None


def secret_hash(client_secret: str, username: str, client_id: str) -> str:
    """Cognito's SECRET_HASH: base64(HMAC-SHA256(secret, username + client_id))."""
    digest = hmac.new(
        client_secret.encode(), (username + client_id).encode(), hashlib.sha256
    ).digest()
    return base64.b64encode(digest).decode()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def etag_of(profile_values: tuple[object, ...]) -> str:
    digest = hashlib.sha256(json.dumps(profile_values).encode()).hexdigest()
    return f'W/"{digest[:20]}"'


def otpauth_uri(secret: str, account: str, issuer: str = OTP_ISSUER) -> str:
    label = quote(f"{issuer}:{account}", safe="@:")
    return (
        f"otpauth://totp/{label}?secret={secret}&issuer={quote(issuer)}"
        "&algorithm=SHA1&digits=6&period=30"
    )


def _required(**values: str) -> None:
    missing = [FieldViolation(k, f"{k} is required") for k, v in values.items() if not v]
    if missing:
        raise InvalidArgument("Fill in the required fields.", violations=missing)


def _check_code(code: str, field: str = "code") -> None:
    if not CODE_RE.match(code.strip()):
        raise InvalidArgument(
            "Enter the 6-digit code from your authenticator app.",
            violations=[FieldViolation(field, "a 6-digit code is required")],
        )


class CognitoIdentity:
    """`IdentityBackend` on a Cognito user pool and one of its app clients."""

    def __init__(
        self,
        settings: CommonSettings,
        cognito: CognitoSettings | None = None,
        *,
        endpoint_url: str | None = None,
    ) -> None:
        """endpoint_url: another endpoint than AWS's (tests); boto3 also honours
        `AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER` from the environment."""
        self.settings = settings
        self.cognito = cognito or CognitoSettings()
        self.pool_id = settings.cognito_user_pool_id
        self.client_id = settings.cognito_client_id
        self._secret = self.cognito.client_secret.get_secret_value()
        config = Config(
            region_name=settings.cognito_region,
            connect_timeout=self.cognito.connect_timeout,
            read_timeout=self.cognito.read_timeout,
            retries={"mode": "standard", "max_attempts": self.cognito.max_attempts},
            max_pool_connections=32,
            user_agent_extra="careervault-identity",
        )
        self.client: CognitoIdentityProviderClient = boto3.session.Session().client(
            "cognito-idp", config=config, endpoint_url=endpoint_url
        )
        self.jwks_url = settings.token_jwks_url
        self._jwks: list[dict[str, str]] = []
        self._jwks_fetched = 0.0
        self._jwks_task: asyncio.Task[None] | None = None

    # -- plumbing --------------------------------------------------------------------------

    async def _call(
        self,
        errors: Mapping[str, ErrorFactory] | None,
        fn: Callable[P, R],
        /,
        *args: P.args,
        **kwargs: P.kwargs,
    ) -> R:
        operation = getattr(fn, "__name__", "call")
        try:
            return await asyncio.to_thread(fn, *args, **kwargs)
        except ClientError as exc:
            mapped = translate(operation, exc, errors)
            if mapped is None:
                raise
            raise mapped from None
        except (
            EndpointConnectionError,
            ConnectTimeoutError,
            ReadTimeoutError,
            ConnectionClosedError,
        ) as exc:
            log.warning("cognito %s failed: %s", operation, exc)
            raise Unavailable(
                "The identity provider is unreachable; try again.",
                reason="IDENTITY_PROVIDER_UNAVAILABLE",
            ) from None

    def _hash(self, username: str) -> dict[str, str]:
        """{"SECRET_HASH": ...} when the client has a secret, else {}."""
        if not self._secret:
            return {}
        return {"SECRET_HASH": secret_hash(self._secret, username, self.client_id)}

    def _secret_kw(self, username: str) -> dict[str, Any]:
        """The SecretHash parameter of the non-auth-flow calls."""
        if not self._secret:
            return {}
        return {"SecretHash": secret_hash(self._secret, username, self.client_id)}

    def _tokens(self, result: AuthenticationResultTypeTypeDef, username: str) -> Tokens:
        access = result.get("AccessToken", "")
        try:
            claims = jwt.get_unverified_claims(access)
        except JOSEError:
            claims = {}
        # The internal username (the sub in a pool that signs in by email): what SECRET_HASH
        # needs on refresh.
        internal = str(claims.get("username") or username)
        refresh = result.get("RefreshToken", "")
        wrapped = f"{TOKEN_PREFIX}{_b64(internal.encode())}.{refresh}" if refresh else ""
        return Tokens(
            access_token=access,
            id_token=result.get("IdToken", ""),
            refresh_token=wrapped,
            expires_in=int(result.get("ExpiresIn", 0)),
        )

    def _token_for(self, user_id: str) -> str:
        """The access token of the current call's caller, who must be `user_id`: Cognito's
        user-context calls take the token, not an id."""
        principal = principal_var.get()
        if principal is None or principal.user_id != user_id:
            raise NotFound("User not found.", reason="USER_NOT_FOUND")
        return principal.token

    # -- accounts --------------------------------------------------------------------------

    async def sign_up(self, email: str, password: str, display_name: str) -> tuple[Profile, bool]:
        email = normalise_email(email)
        display_name = display_name.strip()
        problems = [*check_email(email), *check_display_name(display_name)]
        if not password:
            problems.append(FieldViolation("password", "password is required"))
        elif len(password) > MAX_PASSWORD:
            problems.append(FieldViolation("password", f"at most {MAX_PASSWORD} characters"))
        if problems:
            raise InvalidArgument("Check the highlighted fields.", violations=problems)
        display_name = display_name or email.split("@", 1)[0]
        reply = await self._call(
            None,
            self.client.sign_up,
            ClientId=self.client_id,
            Username=email,
            Password=password,
            UserAttributes=[
                {"Name": "email", "Value": email},
                {"Name": ATTR_NAME, "Value": display_name},
                {"Name": ATTR_CONSENT, "Value": "false"},
            ],
            **self._secret_kw(email),
        )
        now = time.time()
        profile = self._profile(
            user_id=reply["UserSub"],
            email=email,
            display_name=display_name,
            email_verified=False,
            mfa_enabled=False,
            consent=False,
            consent_time=0.0,
            create_time=now,
            update_time=now,
        )
        return profile, not reply.get("UserConfirmed", False)

    async def confirm_sign_up(self, email: str, code: str) -> None:
        email = normalise_email(email)
        _required(email=email, code=code.strip())
        await self._call(
            {
                **CODE_ERRORS,
                "NotAuthorizedException": lambda m: FailedPrecondition(
                    "This account cannot be confirmed (it may be confirmed already).",
                    reason="ALREADY_CONFIRMED",
                ),
            },
            self.client.confirm_sign_up,
            ClientId=self.client_id,
            Username=email,
            ConfirmationCode=code.strip(),
            **self._secret_kw(email),
        )

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
        reply = await self._call(
            SIGN_IN_ERRORS,
            self.client.initiate_auth,
            ClientId=self.client_id,
            AuthFlow="USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": email, "PASSWORD": password, **self._hash(email)},
        )
        if "AuthenticationResult" in reply:
            return self._tokens(reply["AuthenticationResult"], email)
        challenge = reply.get("ChallengeName", "")
        if challenge == MFA_TYPE:
            # Real Cognito names the internal username; moto does not.
            username = reply.get("ChallengeParameters", {}).get("USER_ID_FOR_SRP") or email
            session = json.dumps({"u": username, "s": reply.get("Session", "")})
            return Challenge(MFA_TYPE, TOKEN_PREFIX + _b64(session.encode()))
        log.warning("cognito sign-in asked for an unsupported challenge: %s", challenge)
        raise FailedPrecondition(
            "This account needs a sign-in step this app does not support; contact support.",
            reason="UNSUPPORTED_CHALLENGE",
            metadata={"challenge": str(challenge)},
        )

    async def respond_to_challenge(self, session: str, code: str, client: str) -> Tokens:
        _required(session=session, code=code.strip())
        _check_code(code)
        try:
            if not session.startswith(TOKEN_PREFIX):
                raise ValueError("no prefix")
            decoded = json.loads(_unb64(session[len(TOKEN_PREFIX) :]))
            username, cognito_session = str(decoded["u"]), str(decoded["s"])
        except (ValueError, KeyError, TypeError, binascii.Error):
            raise _challenge_session_invalid("") from None
        reply = await self._call(
            CHALLENGE_ERRORS,
            self.client.respond_to_auth_challenge,
            ClientId=self.client_id,
            ChallengeName="SOFTWARE_TOKEN_MFA",
            Session=cognito_session,
            ChallengeResponses={
                "USERNAME": username,
                "SOFTWARE_TOKEN_MFA_CODE": code.strip(),
                **self._hash(username),
            },
        )
        if "AuthenticationResult" not in reply:
            log.warning("cognito challenge answered with %s", reply.get("ChallengeName"))
            raise FailedPrecondition(
                "This account needs a sign-in step this app does not support; contact support.",
                reason="UNSUPPORTED_CHALLENGE",
            )
        return self._tokens(reply["AuthenticationResult"], username)

    async def refresh(self, refresh_token: str) -> Tokens:
        if not refresh_token:
            raise InvalidArgument(
                "refresh_token is required.",
                violations=[FieldViolation("refresh_token", "refresh_token is required")],
            )
        invalid = _refresh_invalid("")
        username: str | None = None
        token = refresh_token
        if refresh_token.startswith(TOKEN_PREFIX):
            try:
                encoded, token = refresh_token[len(TOKEN_PREFIX) :].split(".", 1)
                username = _unb64(encoded).decode()
            except (ValueError, binascii.Error, UnicodeDecodeError):
                raise invalid from None
        if not token or (self._secret and not username):
            raise invalid
        reply = await self._call(
            REFRESH_ERRORS,
            self.client.initiate_auth,
            ClientId=self.client_id,
            AuthFlow="REFRESH_TOKEN_AUTH",
            AuthParameters={"REFRESH_TOKEN": token, **self._hash(username or "")},
        )
        if "AuthenticationResult" not in reply:
            raise invalid
        # Without rotation Cognito returns no new refresh token: the old one stays valid.
        return self._tokens(reply["AuthenticationResult"], username or "")

    async def sign_out(self, caller: Caller) -> None:
        """GlobalSignOut: every refresh token of the user is revoked, and Cognito refuses the
        access tokens in its own API. The JWTs stay valid for the services until they expire
        (as with the local issuer)."""
        try:
            await self._call(
                {"NotAuthorizedException": _ignore},  # signed out already
                self.client.global_sign_out,
                AccessToken=caller.access_token,
            )
        except _Ignored:
            return

    async def forgot_password(self, email: str, client: str) -> None:
        email = normalise_email(email)
        problems = check_email(email)
        if problems:
            raise InvalidArgument("Check the highlighted fields.", violations=problems)
        try:
            await self._call(
                {
                    # Nothing tells whether the account exists, is disabled or has no
                    # verified email to send the code to.
                    "UserNotFoundException": _ignore,
                    "NotAuthorizedException": _ignore,
                    "InvalidParameterException": _ignore,
                },
                self.client.forgot_password,
                ClientId=self.client_id,
                Username=email,
                **self._secret_kw(email),
            )
        except _Ignored as exc:
            log.info("forgot_password sent nothing: %s", exc)

    async def confirm_forgot_password(
        self, email: str, code: str, new_password: str, client: str
    ) -> None:
        email = normalise_email(email)
        _required(email=email, code=code.strip(), new_password=new_password)
        await self._call(
            {
                **CODE_ERRORS,
                "NotAuthorizedException": _code_mismatch,
                "InvalidPasswordException": _password_rejected("new_password"),
            },
            self.client.confirm_forgot_password,
            ClientId=self.client_id,
            Username=email,
            ConfirmationCode=code.strip(),
            Password=new_password,
            **self._secret_kw(email),
        )

    async def change_password(self, caller: Caller, current: str, new: str) -> None:
        _required(current_password=current, new_password=new)

        def not_authorized(message: str) -> DomainError:
            lowered = message.lower()
            if "attempts exceeded" in lowered:
                return ResourceExhausted(
                    "Too many failed attempts; wait a while and try again.",
                    reason="TOO_MANY_ATTEMPTS",
                )
            if "token" in lowered:  # "Access Token has been revoked", "... has expired"
                return _session_ended(message)
            # "Incorrect username or password." (moto: just the username)
            return InvalidArgument(
                "The current password is wrong.",
                reason="WRONG_PASSWORD",
                violations=[FieldViolation("current_password", "the password is wrong")],
            )

        await self._call(
            {
                "NotAuthorizedException": not_authorized,
                "InvalidPasswordException": _password_rejected("new_password"),
            },
            self.client.change_password,
            PreviousPassword=current,
            ProposedPassword=new,
            AccessToken=caller.access_token,
        )

    # -- MFA -------------------------------------------------------------------------------

    async def setup_mfa(self, caller: Caller) -> MfaSetup:
        profile = await self._get_profile(caller.access_token)
        if profile.mfa_enabled:
            # A new association would silently stop Cognito from asking for the old
            # authenticator while still reporting MFA as on.
            raise FailedPrecondition(
                "MFA is on already; turn it off before setting up another authenticator.",
                reason="MFA_ALREADY_ENABLED",
            )
        reply = await self._call(
            None, self.client.associate_software_token, AccessToken=caller.access_token
        )
        secret = reply["SecretCode"]
        return MfaSetup(secret=secret, otpauth_uri=otpauth_uri(secret, profile.email))

    async def _verify_code(self, caller: Caller, code: str) -> None:
        reply = await self._call(
            MFA_CODE_ERRORS,
            self.client.verify_software_token,
            AccessToken=caller.access_token,
            UserCode=code.strip(),
            FriendlyDeviceName=OTP_ISSUER,
        )
        if reply.get("Status") != "SUCCESS":
            raise _mfa_code_invalid("")

    async def verify_mfa(self, caller: Caller, code: str) -> Profile:
        _check_code(code)
        await self._verify_code(caller, code)
        await self._call(
            None,
            self.client.set_user_mfa_preference,
            AccessToken=caller.access_token,
            SoftwareTokenMfaSettings={"Enabled": True, "PreferredMfa": True},
        )
        return await self._get_profile(caller.access_token)

    async def disable_mfa(self, caller: Caller, code: str) -> Profile:
        _check_code(code)
        profile = await self._get_profile(caller.access_token)
        if not profile.mfa_enabled:
            raise FailedPrecondition("MFA is not on.", reason="MFA_NOT_ENABLED")
        # Cognito has no call that only checks a code of the enrolled authenticator;
        # VerifySoftwareToken checks it against the associated secret.
        await self._verify_code(caller, code)
        await self._call(
            None,
            self.client.set_user_mfa_preference,
            AccessToken=caller.access_token,
            SoftwareTokenMfaSettings={"Enabled": False, "PreferredMfa": False},
        )
        return await self._get_profile(caller.access_token)

    # -- profile ---------------------------------------------------------------------------

    def _profile(
        self,
        *,
        user_id: str,
        email: str,
        display_name: str,
        email_verified: bool,
        mfa_enabled: bool,
        consent: bool,
        consent_time: float,
        create_time: float,
        update_time: float,
    ) -> Profile:
        etag = etag_of(
            (user_id, email, display_name, email_verified, mfa_enabled, consent, consent_time)
        )
        return Profile(
            user_id=user_id,
            email=email,
            display_name=display_name,
            email_verified=email_verified,
            mfa_enabled=mfa_enabled,
            external_ai_consent=consent,
            consent_time=consent_time,
            create_time=create_time,
            update_time=update_time,
            etag=etag,
        )

    async def _get_profile(self, access_token: str) -> Profile:
        user: GetUserResponseTypeDef = await self._call(
            None, self.client.get_user, AccessToken=access_token
        )
        attrs = _attributes(user.get("UserAttributes", []))
        create_time = update_time = 0.0
        if self.cognito.admin_get_user:
            create_time, update_time = await self._admin_times(user["Username"])
        try:
            consent_time = float(attrs.get(ATTR_CONSENT_TIME, "0") or 0)
        except ValueError:
            consent_time = 0.0
        return self._profile(
            user_id=attrs.get("sub", ""),
            email=attrs.get("email", ""),
            display_name=attrs.get(ATTR_NAME, ""),
            email_verified=attrs.get("email_verified", "false").lower() == "true",
            mfa_enabled=MFA_TYPE in (user.get("UserMFASettingList") or []),
            consent=attrs.get(ATTR_CONSENT, "false").lower() == "true",
            consent_time=consent_time,
            create_time=create_time,
            update_time=update_time,
        )

    async def _admin_times(self, username: str) -> tuple[float, float]:
        try:
            user = await self._call(
                None, self.client.admin_get_user, UserPoolId=self.pool_id, Username=username
            )
        except (DomainError, ClientError) as exc:
            log.warning("AdminGetUser failed, profile times are 0: %s", exc)
            return 0.0, 0.0
        created = user.get("UserCreateDate")
        modified = user.get("UserLastModifiedDate")
        return (
            created.timestamp() if created else 0.0,
            modified.timestamp() if modified else 0.0,
        )

    async def get_profile(self, user_id: str) -> Profile:
        return await self._get_profile(self._token_for(user_id))

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
        token = self._token_for(user_id)
        current = await self._get_profile(token)
        if etag and etag != current.etag:
            raise Aborted("The profile changed since it was read; reload and try again.")
        changes: list[AttributeTypeTypeDef] = []
        if display_name is not None and display_name != current.display_name:
            changes.append({"Name": ATTR_NAME, "Value": display_name})
        if external_ai_consent is not None and external_ai_consent != current.external_ai_consent:
            changes.append({"Name": ATTR_CONSENT, "Value": str(external_ai_consent).lower()})
            changes.append({"Name": ATTR_CONSENT_TIME, "Value": str(int(time.time()))})
        if not changes:
            return current
        await self._call(
            None, self.client.update_user_attributes, AccessToken=token, UserAttributes=changes
        )
        return await self._get_profile(token)

    async def delete_account(self, caller: Caller) -> None:
        await self._call(None, self.client.delete_user, AccessToken=caller.access_token)

    # -- keys ------------------------------------------------------------------------------

    def _fetch_jwks(self) -> list[dict[str, str]]:
        if urlparse(self.jwks_url).scheme not in ("http", "https"):
            raise ValueError(f"unsupported JWKS URL: {self.jwks_url!r}")
        with urllib.request.urlopen(self.jwks_url, timeout=5) as resp:  # noqa: S310 (checked)
            document = json.loads(resp.read(1 << 20))
        keys = document.get("keys", []) if isinstance(document, dict) else []
        return [
            {f: str(key[f]) for f in JWK_FIELDS if isinstance(key.get(f), str)}
            for key in keys
            if isinstance(key, dict) and isinstance(key.get("kid"), str)
        ]

    async def refresh_jwks(self) -> None:
        """Fetches the pool's key set; on failure keeps the last one (logged)."""
        try:
            keys = await asyncio.to_thread(self._fetch_jwks)
        except (OSError, ValueError) as exc:
            log.warning("could not fetch the pool's JWKS from %s: %s", self.jwks_url, exc)
            return
        self._jwks = keys
        self._jwks_fetched = time.monotonic()

    async def start(self) -> None:
        await self.refresh_jwks()

    def jwks(self) -> list[dict[str, str]]:
        """The pool's public keys as last fetched; a stale set is refetched in the background
        (this call never waits for the network)."""
        stale = time.monotonic() - self._jwks_fetched > self.settings.jwks_cache_seconds
        if stale and (self._jwks_task is None or self._jwks_task.done()):
            # Without a running loop (a plain call) there is nothing to schedule on.
            with contextlib.suppress(RuntimeError):
                self._jwks_task = asyncio.get_running_loop().create_task(self.refresh_jwks())
        return [dict(k) for k in self._jwks]

    def close(self) -> None:
        if self._jwks_task is not None:
            self._jwks_task.cancel()
        self.client.close()


def _attributes(attributes: list[AttributeTypeTypeDef]) -> dict[str, str]:
    return {a["Name"]: a.get("Value", "") for a in attributes}
