from __future__ import annotations

from typing import Literal

from pydantic import Field

from careervault.runtime.settings import SERVICE_PORTS, ServerSettings


class JobsSettings(ServerSettings):
    port: int = Field(default=SERVICE_PORTS["jobs"], ge=0, le=65535)
    jobs_store: Literal["sqlite", "dynamodb"] = "sqlite"
    # Days a create's request_id is remembered for idempotent retries.
    request_id_ttl_days: int = Field(default=7, ge=1, le=365)
