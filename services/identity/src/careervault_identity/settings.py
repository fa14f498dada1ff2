from __future__ import annotations

from pydantic import Field

from careervault.runtime.settings import SERVICE_PORTS, ServerSettings


class IdentitySettings(ServerSettings):
    port: int = Field(default=SERVICE_PORTS["identity"], ge=0, le=65535)
    # Access tokens are short-lived; refresh tokens rotate on every use.
    access_token_ttl: int = Field(default=900, ge=60, le=86400)
    id_token_ttl: int = Field(default=3600, ge=60, le=86400)
    refresh_token_ttl: int = Field(default=30 * 86400, ge=3600, le=3650 * 86400)
    # When on, sign-up sends a code to the local outbox and sign-in waits for it.
    require_confirmation: bool = False
