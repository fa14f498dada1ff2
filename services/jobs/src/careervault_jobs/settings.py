from __future__ import annotations

from typing import Literal

from pydantic import AliasChoices, Field, SecretStr, model_validator

from careervault.runtime.settings import SERVICE_PORTS, ServerSettings


class JobsSettings(ServerSettings):
    port: int = Field(default=SERVICE_PORTS["jobs"], ge=0, le=65535)
    jobs_store: Literal["sqlite", "dynamodb"] = "sqlite"
    dynamodb_table: str = "careervault-jobs"
    # Create the table (with its indexes and TTL) at start when missing: for local use only;
    # production tables come from Terraform.
    dynamodb_create_table: bool = False
    dynamodb_endpoint: str = Field(
        default="", validation_alias=AliasChoices("AWS_ENDPOINT_URL_DYNAMODB")
    )
    # Days a create's request_id is remembered for idempotent retries.
    request_id_ttl_days: int = Field(default=7, ge=1, le=365)
    # Signs page tokens so they cannot be forged. Replicas must share it: required with
    # DynamoDB; with SQLite a key file in the data dir is made when it is empty.
    page_token_secret: SecretStr = SecretStr("")
    # Closed applications (accepted, rejected, withdrawn) unchanged this many days are
    # deleted; 0 keeps everything.
    retention_days: int = Field(default=0, ge=0, le=36500)
    import_max_bytes: int = Field(default=5 * 1024 * 1024, ge=1024, le=64 * 1024 * 1024)
    import_max_rows: int = Field(default=5000, ge=1, le=100_000)

    @model_validator(mode="after")
    def _check_store(self) -> JobsSettings:
        if self.jobs_store == "dynamodb" and len(self.page_token_secret.get_secret_value()) < 32:
            raise ValueError(
                "CAREERVAULT_PAGE_TOKEN_SECRET (32+ characters, the same on every replica) is "
                "required with CAREERVAULT_JOBS_STORE=dynamodb"
            )
        return self
