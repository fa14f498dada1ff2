"""Typed settings read once from the environment; a bad value stops the process at start."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Literal, TypeVar

from pydantic import AliasChoices, Field, ValidationError, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

T = TypeVar("T", bound=BaseSettings)

SERVICE_PORTS = {"identity": 50051, "jobs": 50052, "extraction": 50053, "ai": 50054}


class CommonSettings(BaseSettings):
    """Settings every service shares. Names are `CAREERVAULT_<FIELD>` unless aliased."""

    model_config = SettingsConfigDict(env_prefix="CAREERVAULT_", frozen=True, extra="ignore")

    data_dir: Path = Path("./var")
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    # Seconds in-flight calls get to finish after SIGTERM.
    shutdown_grace: float = Field(default=10.0, ge=0, le=300)
    # Seconds to keep serving (health NOT_SERVING) before refusing new calls, so that load
    # balancers notice first.
    shutdown_delay: float = Field(default=0.0, ge=0, le=60)

    # Token verification (same verifier for the local issuer and Cognito).
    identity_backend: Literal["local", "cognito"] = "local"
    auth_issuer: str = "careervault-local"
    auth_client_id: str = "careervault-web"
    # file:// or http(s):// URL of the JWKS. Default: the local issuer's file in the data dir,
    # or the Cognito pool's well-known URL.
    jwks_url: str = ""
    auth_algorithms: tuple[str, ...] = ("RS256",)
    # Seconds a fetched key set is trusted before it is fetched again.
    jwks_cache_seconds: int = Field(default=300, ge=1, le=86400)
    cognito_user_pool_id: str = Field(
        default="", validation_alias=AliasChoices("COGNITO_USER_POOL_ID")
    )
    cognito_client_id: str = Field(default="", validation_alias=AliasChoices("COGNITO_CLIENT_ID"))
    cognito_region: str = Field(default="", validation_alias=AliasChoices("COGNITO_REGION"))
    cognito_jwks_url: str = Field(default="", validation_alias=AliasChoices("COGNITO_JWKS_URL"))

    @model_validator(mode="after")
    def _check_algorithms(self) -> CommonSettings:
        bad = [a for a in self.auth_algorithms if not a.startswith(("RS", "ES", "PS"))]
        if bad:
            raise ValueError(f"auth_algorithms: only asymmetric algorithms are allowed, not {bad}")
        if self.identity_backend == "cognito" and not (
            self.cognito_user_pool_id and self.cognito_client_id and self.cognito_region
        ):
            raise ValueError(
                "identity_backend=cognito needs COGNITO_USER_POOL_ID, COGNITO_CLIENT_ID and "
                "COGNITO_REGION"
            )
        return self

    @property
    def token_issuer(self) -> str:
        if self.identity_backend == "cognito":
            return (
                f"https://cognito-idp.{self.cognito_region}.amazonaws.com/"
                f"{self.cognito_user_pool_id}"
            )
        return self.auth_issuer

    @property
    def token_client_id(self) -> str:
        return self.cognito_client_id if self.identity_backend == "cognito" else self.auth_client_id

    @property
    def local_jwks_path(self) -> Path:
        return self.data_dir.resolve() / "identity" / "jwks.json"

    @property
    def token_jwks_url(self) -> str:
        if self.jwks_url:
            return self.jwks_url
        if self.identity_backend == "cognito":
            return self.cognito_jwks_url or f"{self.token_issuer}/.well-known/jwks.json"
        return self.local_jwks_path.as_uri()


class ServerSettings(CommonSettings):
    """Where one service listens. Subclasses set the port default."""

    host: str = "127.0.0.1"
    port: int = Field(default=0, ge=0, le=65535)
    # Concurrent RPCs a process accepts before answering RESOURCE_EXHAUSTED.
    max_concurrent_rpcs: int = Field(default=256, ge=1)
    # Which replica of the service this process is (replica k listens on base port + 100 k);
    # set by the stack, reported in traces (service.instance.id) and metrics.
    replica: int = Field(default=0, ge=0, le=1000)
    # Prometheus text at http://<metrics_host>:<metrics_port>/metrics; 0 = no endpoint.
    metrics_port: int = Field(default=0, ge=0, le=65535)
    # Address of the metrics endpoint; empty = the same as `host` (loopback by default).
    metrics_host: str = ""

    @model_validator(mode="after")
    def _check_metrics_port(self) -> ServerSettings:
        if self.metrics_port and self.metrics_port == self.port:
            raise ValueError(
                f"metrics_port: {self.metrics_port} is the gRPC port too; pick another (or 0)"
            )
        return self

    @property
    def metrics_address(self) -> str:
        return self.metrics_host or self.host


def load_settings(cls: type[T], **overrides: object) -> T:
    """Reads settings, or exits with a message that names every bad value."""
    try:
        return cls(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        lines = [f"invalid configuration for {cls.__name__}:"]
        for err in exc.errors():
            loc = ".".join(str(p) for p in err["loc"]) or "settings"
            lines.append(f"  {loc}: {err['msg']}")
        print("\n".join(lines), file=sys.stderr)
        raise SystemExit(2) from None
