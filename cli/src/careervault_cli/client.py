"""Stub wiring and stored credentials for the CLI.

Credentials live in `<config dir>/credentials.json` (mode 0600, directory 0700), where the
config dir is `$CAREERVAULT_CONFIG_DIR` or `platformdirs.user_config_dir("careervault")`.
The file holds the access token, the refresh token and the access token's expiry; never a
password. An access token that has expired or expires within `REFRESH_MARGIN` seconds is
refreshed before a call, and the rotated refresh token is saved at once (the old one is dead
as soon as the identity service has answered).
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TypeVar

import grpc
import platformdirs

from careervault.ai.v1 import ai_pb2_grpc
from careervault.extraction.v1 import extraction_pb2_grpc
from careervault.identity.v1 import identity_pb2, identity_pb2_grpc
from careervault.jobs.v1 import jobs_pb2_grpc
from careervault.runtime.channels import create_sync_channel
from careervault_cli.files import write_atomic

T = TypeVar("T")
Metadata = tuple[tuple[str, str], ...]

APP_NAME = "careervault"
CONFIG_DIR_ENV = "CAREERVAULT_CONFIG_DIR"
CREDENTIALS_FILE = "credentials.json"
REFRESH_MARGIN = 30.0


class CliError(Exception):
    """A failure whose message is safe to print; the CLI exits with status 1."""

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint


class NotLoggedIn(CliError):
    def __init__(self) -> None:
        super().__init__("not logged in", hint="run `careervault login`")


@dataclass(frozen=True)
class Credentials:
    access_token: str
    refresh_token: str
    expires_at: float  # Unix time at which the access token expires
    email: str = ""

    def expiring(self, margin: float = REFRESH_MARGIN) -> bool:
        return self.expires_at - time.time() < margin


def config_dir() -> Path:
    override = os.environ.get(CONFIG_DIR_ENV)
    return Path(override) if override else Path(platformdirs.user_config_dir(APP_NAME))


def credentials_path() -> Path:
    return config_dir() / CREDENTIALS_FILE


def load_credentials() -> Credentials | None:
    path = credentials_path()
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as err:
        raise CliError(
            f"cannot read {path}: {type(err).__name__}", hint="run `careervault login`"
        ) from None
    try:
        return Credentials(
            access_token=str(raw["access_token"]),
            refresh_token=str(raw["refresh_token"]),
            expires_at=float(raw["expires_at"]),
            email=str(raw.get("email", "")),
        )
    except (KeyError, TypeError, ValueError, AttributeError):
        raise CliError(
            f"{path} is not a credentials file", hint="run `careervault login`"
        ) from None


def save_credentials(creds: Credentials) -> Path:
    """Write atomically with mode 0600; create the directory with mode 0700 if missing."""
    directory = config_dir()
    if not directory.exists():
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        directory.chmod(0o700)  # mkdir's mode is masked by the umask
    path = directory / CREDENTIALS_FILE
    write_atomic(path, (json.dumps(asdict(creds), indent=2) + "\n").encode())
    return path


def delete_credentials() -> bool:
    try:
        credentials_path().unlink()
    except FileNotFoundError:
        return False
    return True


def credentials_from(
    tokens: identity_pb2.AuthTokens, email: str, previous_refresh: str = ""
) -> Credentials:
    return Credentials(
        access_token=tokens.access_token,
        # Cognito does not rotate: an empty refresh token means "keep the one you have".
        refresh_token=tokens.refresh_token or previous_refresh,
        expires_at=time.time() + tokens.expires_in,
        email=email,
    )


@dataclass(frozen=True)
class Settings:
    identity_addr: str
    jobs_addr: str
    timeout: float
    extraction_addr: str = "127.0.0.1:50053"
    ai_addr: str = "127.0.0.1:50054"


class Session:
    """Channels to the services (opened on first use) and the caller's credentials."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._channels: dict[str, grpc.Channel] = {}
        self._refreshed = False

    @property
    def timeout(self) -> float:
        return self.settings.timeout

    def _channel(self, target: str) -> grpc.Channel:
        if target not in self._channels:
            self._channels[target] = create_sync_channel(target)
        return self._channels[target]

    @property
    def identity(self) -> identity_pb2_grpc.IdentityServiceStub:
        return identity_pb2_grpc.IdentityServiceStub(self._channel(self.settings.identity_addr))

    @property
    def jobs(self) -> jobs_pb2_grpc.JobServiceStub:
        return jobs_pb2_grpc.JobServiceStub(self._channel(self.settings.jobs_addr))

    @property
    def extraction(self) -> extraction_pb2_grpc.ExtractionServiceStub:
        return extraction_pb2_grpc.ExtractionServiceStub(
            self._channel(self.settings.extraction_addr)
        )

    @property
    def ai(self) -> ai_pb2_grpc.AiServiceStub:
        return ai_pb2_grpc.AiServiceStub(self._channel(self.settings.ai_addr))

    def close(self) -> None:
        for channel in self._channels.values():
            channel.close()
        self._channels.clear()

    # Credentials -------------------------------------------------------------------------

    def refresh(self, creds: Credentials) -> Credentials:
        response = self.identity.RefreshTokens(
            identity_pb2.RefreshTokensRequest(refresh_token=creds.refresh_token),
            timeout=self.timeout,
        )
        if response.WhichOneof("result") != "tokens":
            raise CliError(
                "the identity service asked for a challenge on refresh",
                hint="run `careervault login`",
            )
        fresh = credentials_from(response.tokens, creds.email, creds.refresh_token)
        save_credentials(fresh)
        self._refreshed = True
        return fresh

    def credentials(self) -> Credentials:
        """The stored credentials, refreshed first if the access token is (nearly) expired."""
        creds = load_credentials()
        if creds is None:
            raise NotLoggedIn()
        if creds.expiring():
            creds = self.refresh(creds)
        return creds

    def call(self, rpc: Callable[[Metadata], T]) -> T:
        """Run an authenticated call; `rpc` gets the metadata to send.

        If the service refuses a token we believed valid (clock skew, rotated keys), refresh
        once and retry: an UNAUTHENTICATED call was refused before it did anything.
        """
        creds = self.credentials()
        try:
            return rpc(_bearer(creds))
        except grpc.RpcError as err:
            if err.code() != grpc.StatusCode.UNAUTHENTICATED or self._refreshed:
                raise
        return rpc(_bearer(self.refresh(creds)))


def _bearer(creds: Credentials) -> Metadata:
    return (("authorization", f"Bearer {creds.access_token}"),)
