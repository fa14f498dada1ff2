"""JWT verification against a JWKS, shared by every service and the local issuer's tests.

Checks, in order: the header's algorithm against an allow-list (so `none` and HS256 never
reach a key), the key by `kid` (an unknown kid refreshes the set once, rate-limited), the
signature, `iss`, `exp`/`nbf` (small leeway), `token_use`, and the audience or Cognito's
`client_id`. Cognito access tokens carry `client_id` and no `aud`; ID tokens carry `aud`.

A token that passed is remembered (`VerifiedTokens`, bounded, least recently used first out)
until it expires, so a client sending the same token on every call pays for the signature
check once per process, not once per call: every check above gives the same answer for the
same bytes, except the clock (`exp` is checked again on every hit) and the key set (a hit is
only honoured while the token's key is still the one in the set). Nothing here consults a
revocation list (services trust an access token until it expires, as with Cognito), so caching
changes no answer.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
import urllib.request
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from jose import jwk, jwt
from jose.backends.base import Key
from jose.exceptions import ExpiredSignatureError, JOSEError, JWTClaimsError

from careervault.runtime.errors import Unauthenticated

log = logging.getLogger(__name__)

LEEWAY_SECONDS = 30
# An unknown kid may trigger a refetch at most this often.
MIN_REFRESH_INTERVAL = 10.0
# Verified tokens remembered per process (about 2 KB each with their claims).
VERIFIED_TOKENS = 4096


@dataclass(frozen=True)
class VerifierConfig:
    issuer: str
    client_id: str
    jwks_url: str
    algorithms: Sequence[str] = ("RS256",)
    token_use: str = "access"
    cache_seconds: int = 300


class JwksCache:
    """Key sets from a file:// or http(s):// URL, cached and refetched on an unknown kid."""

    def __init__(self, url: str, cache_seconds: int) -> None:
        self.url = url
        self.cache_seconds = cache_seconds
        self._keys: dict[str, dict[str, Any]] = {}
        self._fetched_at = 0.0
        self._lock = asyncio.Lock()

    def _fetch_sync(self) -> dict[str, dict[str, Any]]:
        parsed = urlparse(self.url)
        if parsed.scheme == "file":
            raw = Path(parsed.path).read_bytes()
        elif parsed.scheme in ("http", "https"):
            with urllib.request.urlopen(self.url, timeout=5) as resp:  # noqa: S310 (scheme checked)
                raw = resp.read(1 << 20)
        else:
            raise ValueError(f"unsupported JWKS URL scheme: {parsed.scheme!r}")
        keys = json.loads(raw).get("keys", [])
        return {k["kid"]: k for k in keys if isinstance(k, dict) and "kid" in k}

    async def get(self, kid: str) -> dict[str, Any] | None:
        now = time.monotonic()
        stale = now - self._fetched_at > self.cache_seconds
        if kid in self._keys and not stale:
            return self._keys[kid]
        async with self._lock:
            now = time.monotonic()
            if kid in self._keys and now - self._fetched_at <= self.cache_seconds:
                return self._keys[kid]
            if stale or now - self._fetched_at >= MIN_REFRESH_INTERVAL or not self._keys:
                try:
                    self._keys = await asyncio.to_thread(self._fetch_sync)
                    self._fetched_at = time.monotonic()
                except (OSError, ValueError) as exc:
                    log.warning("could not fetch JWKS from %s: %s", self.url, exc)
                    if not self._keys:
                        raise Unauthenticated(
                            "Token keys are unavailable.", reason="JWKS_UNAVAILABLE"
                        ) from None
            return self._keys.get(kid)


@dataclass(frozen=True)
class _Verified:
    claims: dict[str, Any]
    kid: str
    jwk: dict[str, Any]  # the key set's entry it was verified with
    exp: float


class VerifiedTokens:
    """Tokens that passed verification, by their exact text, until they expire; at most
    `size`, the least recently used dropped first. Only tokens that passed get in, so a client
    sending garbage cannot fill it."""

    def __init__(self, size: int = VERIFIED_TOKENS) -> None:
        self.size = size
        self._entries: OrderedDict[str, _Verified] = OrderedDict()

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, token: str) -> _Verified | None:
        entry = self._entries.get(token)
        if entry is not None:
            self._entries.move_to_end(token)
        return entry

    def put(self, token: str, entry: _Verified) -> None:
        if self.size <= 0:
            return
        self._entries[token] = entry
        self._entries.move_to_end(token)
        while len(self._entries) > self.size:
            self._entries.popitem(last=False)

    def drop(self, token: str) -> None:
        self._entries.pop(token, None)


class TokenVerifier:
    def __init__(self, config: VerifierConfig, cache_size: int = VERIFIED_TOKENS) -> None:
        self.config = config
        self.jwks = JwksCache(config.jwks_url, config.cache_seconds)
        self.verified = VerifiedTokens(cache_size)
        # Public keys built from the key set's JWKs (python-jose would rebuild the RSA key from
        # its JWK on every call), by kid and algorithm, with the JWK they were built from.
        self._keys: dict[tuple[str, str], tuple[dict[str, Any], Key]] = {}

    async def verify(self, token: str) -> dict[str, Any]:
        """The token's claims, or Unauthenticated with a reason."""
        hit = self.verified.get(token)
        if hit is not None:
            if time.time() > hit.exp + LEEWAY_SECONDS:
                self.verified.drop(token)
                raise Unauthenticated("Token expired.", reason="TOKEN_EXPIRED")
            # Honoured only while its key is still the one the (refreshed) key set holds.
            if await self.jwks.get(hit.kid) is hit.jwk:
                return dict(hit.claims)
            self.verified.drop(token)
        claims, kid, key = await self._verify(token)
        exp = claims.get("exp")
        if isinstance(exp, int | float):
            self.verified.put(token, _Verified(dict(claims), kid, key, float(exp)))
        return claims

    def _public_key(self, kid: str, alg: str, key: dict[str, Any]) -> Key | dict[str, Any]:
        built = self._keys.get((kid, alg))
        if built is not None and built[0] is key:
            return built[1]
        try:
            public = jwk.construct(key, alg)
        except JOSEError:
            return key  # let jwt.decode report it as it always has
        self._keys[(kid, alg)] = (key, public)
        return public

    async def _verify(self, token: str) -> tuple[dict[str, Any], str, dict[str, Any]]:
        try:
            header = jwt.get_unverified_header(token)
        except JOSEError:
            raise Unauthenticated("Malformed token.", reason="TOKEN_MALFORMED") from None
        alg = header.get("alg")
        if alg not in self.config.algorithms:
            raise Unauthenticated(
                "Token algorithm not allowed.", reason="TOKEN_ALGORITHM_NOT_ALLOWED"
            )
        kid = header.get("kid")
        if not isinstance(kid, str) or not kid:
            raise Unauthenticated("Token has no key id.", reason="TOKEN_MALFORMED")
        key = await self.jwks.get(kid)
        if key is None:
            raise Unauthenticated("Token signed by an unknown key.", reason="TOKEN_UNKNOWN_KEY")
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                self._public_key(kid, alg, key),
                algorithms=[alg],
                issuer=self.config.issuer,
                options={
                    "verify_aud": False,  # checked below: `aud` or Cognito's `client_id`
                    "verify_at_hash": False,
                    "require_exp": True,
                    "require_iat": True,
                    "require_sub": True,
                    "leeway": LEEWAY_SECONDS,
                },
            )
        except ExpiredSignatureError:
            raise Unauthenticated("Token expired.", reason="TOKEN_EXPIRED") from None
        except JWTClaimsError as exc:
            raise Unauthenticated(
                f"Token rejected: {exc}.", reason="TOKEN_CLAIMS_INVALID"
            ) from None
        except JOSEError:
            raise Unauthenticated("Token signature invalid.", reason="TOKEN_INVALID") from None
        if claims.get("token_use") != self.config.token_use:
            raise Unauthenticated(
                f"Expected an {self.config.token_use} token.", reason="TOKEN_WRONG_USE"
            )
        audience = claims.get("client_id") if "client_id" in claims else claims.get("aud")
        audiences = audience if isinstance(audience, list) else [audience]
        if self.config.client_id not in audiences:
            raise Unauthenticated("Token is for another client.", reason="TOKEN_WRONG_AUDIENCE")
        return claims, kid, key


def verifier_from_settings(settings: Any) -> TokenVerifier:
    return TokenVerifier(
        VerifierConfig(
            issuer=settings.token_issuer,
            client_id=settings.token_client_id,
            jwks_url=settings.token_jwks_url,
            algorithms=tuple(settings.auth_algorithms),
            cache_seconds=settings.jwks_cache_seconds,
        )
    )
