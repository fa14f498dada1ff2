"""Mints JWTs the way an attacker or a misconfigured issuer would, to prove they are refused."""

from __future__ import annotations

import base64
import json
import time
import uuid
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jose import jwt


def new_private_pem() -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


def claims(sub: str, issuer: str, client: str, **overrides: Any) -> dict[str, Any]:
    now = int(time.time())
    base: dict[str, Any] = {
        "sub": sub,
        "iss": issuer,
        "client_id": client,
        "token_use": "access",
        "iat": now,
        "nbf": now,
        "exp": now + 600,
        "jti": uuid.uuid4().hex,
    }
    base.update(overrides)
    return {k: v for k, v in base.items() if v is not None}


def sign(payload: dict[str, Any], private_pem: str, kid: str, alg: str = "RS256") -> str:
    return str(jwt.encode(payload, private_pem, algorithm=alg, headers={"kid": kid}))


def unsigned(payload: dict[str, Any], kid: str) -> str:
    """An `alg: none` token: header and payload, empty signature."""

    def b64(obj: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(obj).encode()).rstrip(b"=").decode()

    return f"{b64({'alg': 'none', 'typ': 'JWT', 'kid': kid})}.{b64(payload)}."


def hs256_with_public_key(payload: dict[str, Any], public_jwk: dict[str, Any]) -> str:
    """The classic key-confusion attack: HMAC-signed with the server's public key as secret."""
    secret = json.dumps(public_jwk)
    return str(jwt.encode(payload, secret, algorithm="HS256", headers={"kid": public_jwk["kid"]}))
