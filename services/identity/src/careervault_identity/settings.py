"""The identity service's settings (`CAREERVAULT_<FIELD>` in the environment)."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, field_validator

from careervault.runtime.balancing import check_address
from careervault.runtime.settings import SERVICE_PORTS, ServerSettings

DAY = 86400


class IdentitySettings(ServerSettings):
    port: int = Field(default=SERVICE_PORTS["identity"], ge=0, le=65535)
    # Access tokens are short-lived; refresh tokens rotate on every use.
    access_token_ttl: int = Field(default=900, ge=60, le=DAY)
    id_token_ttl: int = Field(default=3600, ge=60, le=DAY)
    refresh_token_ttl: int = Field(default=30 * DAY, ge=3600, le=3650 * DAY)
    # When on, sign-up sends a code to the local outbox and sign-in waits for it.
    require_confirmation: bool = False
    # Where the jobs service is, for exporting and deleting a user's data (make run's stack
    # sets it for every child; containers name the jobs host): host:port, or a comma-separated
    # list of replicas ip:port,ip:port (careervault.runtime.balancing).
    jobs_address: str = f"127.0.0.1:{SERVICE_PORTS['jobs']}"
    # How often a pending account deletion is retried while the user's token lasts.
    account_deletion_retry_seconds: float = Field(default=30.0, ge=0.1, le=3600)

    # One-time codes (6 digits, single use) and the MFA sign-in session, in seconds.
    confirmation_code_ttl: int = Field(default=DAY, ge=1, le=7 * DAY)
    reset_code_ttl: int = Field(default=3600, ge=1, le=DAY)
    mfa_challenge_ttl: int = Field(default=180, ge=1, le=3600)

    # Brute-force protection: failed guesses (password, MFA code, emailed code) allowed per
    # account and per client address within a sliding window; more get RESOURCE_EXHAUSTED.
    throttle_window: int = Field(default=900, ge=1, le=DAY)
    throttle_account_failures: int = Field(default=5, ge=1, le=1000)
    throttle_address_failures: int = Field(default=20, ge=1, le=100000)
    # ForgotPassword answers no sooner than this, whether or not the account exists.
    forgot_password_min_seconds: float = Field(default=0.3, ge=0, le=5)

    # Signing-key rotation. 0 days = never rotate by age (`KeyRing.rotate()` still works).
    key_rotation_days: float = Field(default=0, ge=0, le=3650)
    # A new key is in jwks.json this long before it signs anything: more than every
    # verifier's JWKS cache (CAREERVAULT_JWKS_CACHE_SECONDS, 300 s by default).
    key_publish_lead: float = Field(default=600, ge=0, le=30 * DAY)
    # A replaced key stays published for the longest token lifetime plus this margin.
    key_retire_margin: float = Field(default=300, ge=0, le=30 * DAY)
    # How often (at most) a process looks at the key ring: rotation due, new key live, old
    # key expired. It also looks at start.
    key_check_interval: float = Field(default=300, ge=0.1, le=DAY)

    @field_validator("jobs_address")
    @classmethod
    def _check_jobs_address(cls, value: str) -> str:
        return check_address(value)

    @property
    def identity_dir(self) -> Path:
        return self.data_dir.resolve() / "identity"

    @property
    def outbox_path(self) -> Path:
        return self.identity_dir / "outbox.jsonl"

    @property
    def key_retention(self) -> float:
        """How long a replaced signing key stays in the JWKS: its tokens may live that long."""
        return max(self.access_token_ttl, self.id_token_ttl) + self.key_retire_margin

    @property
    def key_rotation_seconds(self) -> float | None:
        return self.key_rotation_days * DAY if self.key_rotation_days > 0 else None
