from __future__ import annotations

from typing import Literal

from pydantic import AliasChoices, Field, SecretStr, field_validator, model_validator

from careervault.runtime.balancing import check_address
from careervault.runtime.settings import SERVICE_PORTS, ServerSettings


class AiSettings(ServerSettings):
    port: int = Field(default=SERVICE_PORTS["ai"], ge=0, le=65535)
    # `local` (deterministic, offline; the default) or `gemini`.
    ai_provider: Literal["local", "gemini"] = "local"
    gemini_api_key: SecretStr = Field(
        default=SecretStr(""), validation_alias=AliasChoices("GEMINI_API_KEY")
    )
    gemini_model: str = "gemini-2.5-flash"
    # Another endpoint speaking Gemini's REST API (a proxy, or the tests' stand-in).
    gemini_base_url: str = ""
    # Seconds one Gemini call may take; a slower answer falls back to `local`.
    gemini_timeout: float = Field(default=20.0, gt=0, le=300)
    # Extra attempts on 429/5xx before falling back.
    gemini_retries: int = Field(default=1, ge=0, le=5)
    # Emails, phone numbers and street addresses are removed before text leaves the machine.
    ai_redact: bool = True
    # Longest resume or job description accepted (characters).
    ai_max_text_chars: int = Field(default=60_000, ge=1000, le=1_000_000)
    # Analyses kept per user (results cached by content hash).
    ai_cache_per_user: int = Field(default=32, ge=0, le=10_000)
    # Users whose analyses are cached; the least recently active is dropped first.
    ai_cache_users: int = Field(default=1000, ge=0, le=1_000_000)
    # Analyses computed at once, and allowed to wait; more get RESOURCE_EXHAUSTED.
    ai_workers: int = Field(default=2, ge=1, le=64)
    ai_queue: int = Field(default=8, ge=0, le=10_000)
    # Seconds between the streamed pieces of a local chat answer (a few words each), so the
    # answer reads as it arrives; 0 sends them as fast as they are made.
    ai_chat_pause: float = Field(default=0.02, ge=0, le=1)
    # Where the other services are: host:port (a DNS name: all its addresses), or a
    # comma-separated list of replicas ip:port,ip:port (careervault.runtime.balancing).
    identity_address: str = f"127.0.0.1:{SERVICE_PORTS['identity']}"
    jobs_address: str = f"127.0.0.1:{SERVICE_PORTS['jobs']}"
    extraction_address: str = f"127.0.0.1:{SERVICE_PORTS['extraction']}"

    @field_validator("identity_address", "jobs_address", "extraction_address")
    @classmethod
    def _check_address(cls, value: str) -> str:
        return check_address(value)

    @model_validator(mode="after")
    def _check_gemini(self) -> AiSettings:
        if self.ai_provider == "gemini" and not self.gemini_api_key.get_secret_value():
            raise ValueError("ai_provider=gemini needs GEMINI_API_KEY")
        if self.gemini_base_url and not self.gemini_base_url.startswith(("http://", "https://")):
            raise ValueError("gemini_base_url must be an http:// or https:// URL")
        return self
