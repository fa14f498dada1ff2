"""Helpers shared by the identity test modules: TOTP codes, and the Cognito backend in-process."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager

import pyotp
from jose import jwt

from careervault.runtime.context import Principal, principal_var
from careervault.runtime.settings import CommonSettings
from careervault_identity.backend import Caller, Tokens
from careervault_identity.cognito import CognitoIdentity, CognitoSettings
from tests.identity.conftest import Pool
from tests.support.moto import REGION


class AnyTOTP(pyotp.TOTP):
    """pyotp refuses secrets under 112 bits; moto hands every user the same 60-bit secret
    ("asdfasdfasdf"). Real Cognito's and the local issuer's secrets are 160 bits."""

    min_secret_length_bits = 0


def totp_code(secret: str, after_step: int | None = None) -> tuple[str, int]:
    """A code for the current 30-second step, from a step later than `after_step` (servers
    may refuse a code that was used already), with at least 3 s of the step left."""
    while True:
        now = time.time()
        step, left = int(now // 30), 30 - now % 30
        if (after_step is None or step > after_step) and left >= 3:
            return AnyTOTP(secret).at(now), step
        time.sleep(left + 0.1)


def other_code(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


def settings_for(pool: Pool) -> CommonSettings:
    return CommonSettings.model_validate(
        {
            "identity_backend": "cognito",
            "COGNITO_USER_POOL_ID": pool.pool_id,
            "COGNITO_CLIENT_ID": pool.client_id,
            "COGNITO_REGION": REGION,
            "COGNITO_JWKS_URL": pool.jwks_url,
        }
    )


def backend_for(pool: Pool, **cognito: object) -> CognitoIdentity:
    return CognitoIdentity(
        settings_for(pool),
        CognitoSettings.model_validate({"client_secret": pool.client_secret, **cognito}),
        endpoint_url=pool.endpoint,
    )


@contextmanager
def as_caller(tokens: Tokens) -> Iterator[Caller]:
    """What the auth interceptor does for a call: the verified caller in the context."""
    sub = str(jwt.get_unverified_claims(tokens.access_token)["sub"])
    reset = principal_var.set(Principal(user_id=sub, token=tokens.access_token))
    try:
        yield Caller(sub, tokens.access_token)
    finally:
        principal_var.reset(reset)
