"""The local issuer's RS256 signing key, kept in the data dir, and the JWKS it publishes.

The key is made once (0600), its `kid` is the RFC 7638 thumbprint, and `jwks.json` is written
next to it atomically so that Envoy and every service can read the public half from disk.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import os
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa


def _b64(n: int) -> str:
    raw = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


class SigningKey:
    def __init__(self, private_pem: bytes) -> None:
        key = serialization.load_pem_private_key(private_pem, password=None)
        if not isinstance(key, rsa.RSAPrivateKey):
            raise ValueError("signing key must be RSA")
        self.private_pem = private_pem
        numbers = key.public_key().public_numbers()
        self.n, self.e = _b64(numbers.n), _b64(numbers.e)
        thumb = json.dumps({"e": self.e, "kty": "RSA", "n": self.n}, separators=(",", ":"))
        self.kid = (
            base64.urlsafe_b64encode(hashlib.sha256(thumb.encode()).digest()).rstrip(b"=").decode()
        )

    def jwk(self) -> dict[str, Any]:
        return {
            "kty": "RSA",
            "kid": self.kid,
            "use": "sig",
            "alg": "RS256",
            "n": self.n,
            "e": self.e,
        }

    @classmethod
    def load_or_create(cls, directory: Path) -> SigningKey:
        directory.mkdir(parents=True, exist_ok=True)
        path = directory / "signing-key.pem"
        if not path.exists():
            key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
            pem = key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
            tmp = path.with_suffix(".tmp")
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "wb") as f:
                f.write(pem)
            # Another replica may have won the race; keep whichever landed first.
            with contextlib.suppress(FileExistsError):
                os.link(tmp, path)
            tmp.unlink()
        signing = cls(path.read_bytes())
        jwks = directory / "jwks.json"
        body = json.dumps({"keys": [signing.jwk()]}, indent=2)
        if not jwks.exists() or jwks.read_text() != body:
            tmp = jwks.with_suffix(f".{os.getpid()}.tmp")
            tmp.write_text(body)
            os.replace(tmp, jwks)
        return signing
