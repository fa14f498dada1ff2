"""The identity backend port: what the servicer needs of an identity provider.

Two implementations give the same API and guarantees: the local issuer (`domain.Identity`,
SQLite) and Amazon Cognito user pools (`cognito.CognitoIdentity`). Errors are the domain
errors of `careervault.runtime.errors`; a wrong password and an unknown user look the same.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class Profile:
    user_id: str
    email: str
    display_name: str
    email_verified: bool
    mfa_enabled: bool
    external_ai_consent: bool
    consent_time: float  # when consent last changed; 0 if never
    create_time: float
    update_time: float
    etag: str


@dataclass(frozen=True)
class Tokens:
    access_token: str
    id_token: str
    refresh_token: str  # empty when the provider does not rotate it on refresh
    expires_in: int


@dataclass(frozen=True)
class Challenge:
    type: str  # "SOFTWARE_TOKEN_MFA"
    session: str


@dataclass(frozen=True)
class Caller:
    """The verified caller of a user-context call: Cognito needs the access token itself."""

    user_id: str
    access_token: str


@dataclass(frozen=True)
class MfaSetup:
    secret: str
    otpauth_uri: str


class IdentityBackend(Protocol):
    async def sign_up(self, email: str, password: str, display_name: str) -> tuple[Profile, bool]:
        """The new profile, and whether a confirmation code must be entered first."""

    async def confirm_sign_up(self, email: str, code: str) -> None: ...

    async def sign_in(self, email: str, password: str, client: str) -> Tokens | Challenge:
        """`client` is the caller's network address, for throttling."""

    async def respond_to_challenge(self, session: str, code: str, client: str) -> Tokens: ...

    async def refresh(self, refresh_token: str) -> Tokens: ...

    async def sign_out(self, caller: Caller) -> None:
        """Revokes the caller's refresh tokens (all sessions)."""

    async def forgot_password(self, email: str, client: str) -> None:
        """Sends a reset code if the account exists; says nothing either way."""

    async def confirm_forgot_password(
        self, email: str, code: str, new_password: str, client: str
    ) -> None: ...

    async def change_password(self, caller: Caller, current: str, new: str) -> None: ...

    async def setup_mfa(self, caller: Caller) -> MfaSetup: ...

    async def verify_mfa(self, caller: Caller, code: str) -> Profile:
        """Enables TOTP MFA once a code from the new secret checks out."""

    async def disable_mfa(self, caller: Caller, code: str) -> Profile: ...

    async def get_profile(self, user_id: str) -> Profile: ...

    async def update_profile(
        self, user_id: str, etag: str, display_name: str | None, external_ai_consent: bool | None
    ) -> Profile: ...

    async def delete_account(self, caller: Caller) -> None:
        """Deletes the account itself (the other services' data is the lifecycle's job)."""

    def jwks(self) -> list[dict[str, str]]:
        """Public keys for GetJwks (with Cognito: the pool's own keys, relayed)."""

    def close(self) -> None: ...
