"""TOTP (RFC 6238) for MFA: secrets, provisioning URIs, and codes matched to their time step.

A code is accepted for the current 30-second step and one step either side (clock drift,
`valid_window=1`). The matching step is returned rather than a yes/no, so that the caller can
refuse a step that is not newer than the last one accepted for the user (RFC 6238 5.2: a
verifier must not accept the same one-time password twice).
"""

from __future__ import annotations

import hmac
import re

import pyotp

ISSUER = "CareerVault"
INTERVAL = 30
DIGITS = 6
VALID_WINDOW = 1
CODE_RE = re.compile(r"^\d{6}$")


def new_secret() -> str:
    """160 random bits, base32 (RFC 4226 recommends at least 128, ideally 160)."""
    return pyotp.random_base32(32)


def provisioning_uri(secret: str, email: str) -> str:
    """`otpauth://totp/CareerVault:{email}?secret=...&issuer=CareerVault` (label URL-encoded)."""
    return pyotp.TOTP(secret, digits=DIGITS, interval=INTERVAL).provisioning_uri(
        name=email, issuer_name=ISSUER
    )


def normalise_code(code: str) -> str:
    """Digits only: authenticator apps show `123 456`, people paste `123-456`."""
    return re.sub(r"[\s-]", "", code)


def step_of(when: float) -> int:
    return int(when // INTERVAL)


def matching_step(secret: str, code: str, now: float, window: int = VALID_WINDOW) -> int | None:
    """The time step whose code `code` is, within `window` steps of `now`; else None.

    Every candidate is compared in constant time, and all of them are always compared.
    """
    if not CODE_RE.match(code):
        return None
    totp = pyotp.TOTP(secret, digits=DIGITS, interval=INTERVAL)
    current = step_of(now)
    found: int | None = None
    for step in range(current - window, current + window + 1):
        if hmac.compare_digest(totp.generate_otp(step), code):
            found = step  # the latest match wins: the stricter one for replay checks
    return found
