"""The shared verifier refuses every kind of bad token before any service code runs."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from careervault.runtime.auth import TokenVerifier, VerifierConfig
from careervault.runtime.errors import Unauthenticated
from careervault_identity.keys import SigningKey
from tests.support import tokens

ISSUER, CLIENT = "careervault-test", "web"


@pytest.fixture(scope="module")
def key(tmp_path_factory: pytest.TempPathFactory) -> SigningKey:
    return SigningKey.load_or_create(tmp_path_factory.mktemp("keys"))


@pytest.fixture
def verifier(key: SigningKey, tmp_path: Path) -> TokenVerifier:
    jwks = tmp_path / "jwks.json"
    jwks.write_text(json.dumps({"keys": [key.jwk()]}))
    return TokenVerifier(VerifierConfig(ISSUER, CLIENT, jwks.as_uri()))


def good(key: SigningKey, **overrides: object) -> str:
    return tokens.sign(
        tokens.claims("u1", ISSUER, CLIENT, **overrides), key.private_pem.decode(), key.kid
    )


async def test_accepts_a_valid_access_token(verifier: TokenVerifier, key: SigningKey) -> None:
    claims = await verifier.verify(good(key))
    assert claims["sub"] == "u1"


async def test_accepts_an_id_style_audience_when_configured_for_id_tokens(
    key: SigningKey, tmp_path: Path
) -> None:
    jwks = tmp_path / "jwks.json"
    jwks.write_text(json.dumps({"keys": [key.jwk()]}))
    v = TokenVerifier(VerifierConfig(ISSUER, CLIENT, jwks.as_uri(), token_use="id"))
    token = good(key, token_use="id", client_id=None, aud=CLIENT)
    assert (await v.verify(token))["aud"] == CLIENT


@pytest.mark.parametrize(
    ("overrides", "reason"),
    [
        ({"exp": int(time.time()) - 120}, "TOKEN_EXPIRED"),
        ({"nbf": int(time.time()) + 600}, "TOKEN_CLAIMS_INVALID"),
        ({"iss": "https://evil.example"}, "TOKEN_CLAIMS_INVALID"),
        ({"client_id": "another-app"}, "TOKEN_WRONG_AUDIENCE"),
        ({"token_use": "id"}, "TOKEN_WRONG_USE"),
        ({"exp": None}, "TOKEN_INVALID"),
    ],
    ids=["expired", "not-yet-valid", "wrong-issuer", "wrong-client", "id-token", "no-exp"],
)
async def test_refuses_bad_claims(
    verifier: TokenVerifier, key: SigningKey, overrides: dict[str, object], reason: str
) -> None:
    with pytest.raises(Unauthenticated) as err:
        await verifier.verify(good(key, **overrides))
    assert err.value.reason == reason


async def test_refuses_a_token_signed_by_another_key_with_our_kid(
    verifier: TokenVerifier, key: SigningKey
) -> None:
    forged = tokens.sign(tokens.claims("u1", ISSUER, CLIENT), tokens.new_private_pem(), key.kid)
    with pytest.raises(Unauthenticated) as err:
        await verifier.verify(forged)
    assert err.value.reason == "TOKEN_INVALID"


async def test_refuses_alg_none(verifier: TokenVerifier, key: SigningKey) -> None:
    with pytest.raises(Unauthenticated) as err:
        await verifier.verify(tokens.unsigned(tokens.claims("u1", ISSUER, CLIENT), key.kid))
    assert err.value.reason == "TOKEN_ALGORITHM_NOT_ALLOWED"


async def test_refuses_hs256_signed_with_the_public_key(
    verifier: TokenVerifier, key: SigningKey
) -> None:
    token = tokens.hs256_with_public_key(tokens.claims("u1", ISSUER, CLIENT), key.jwk())
    with pytest.raises(Unauthenticated) as err:
        await verifier.verify(token)
    assert err.value.reason == "TOKEN_ALGORITHM_NOT_ALLOWED"


async def test_refuses_unknown_kid_and_garbage(verifier: TokenVerifier) -> None:
    other = tokens.new_private_pem()
    with pytest.raises(Unauthenticated) as err:
        await verifier.verify(tokens.sign(tokens.claims("u1", ISSUER, CLIENT), other, "nope"))
    assert err.value.reason == "TOKEN_UNKNOWN_KEY"
    with pytest.raises(Unauthenticated) as err:
        await verifier.verify("not.a.jwt")
    assert err.value.reason == "TOKEN_MALFORMED"


async def test_a_rotated_key_is_picked_up_on_an_unknown_kid(
    key: SigningKey, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import careervault.runtime.auth as auth

    monkeypatch.setattr(auth, "MIN_REFRESH_INTERVAL", 0.0)
    jwks = tmp_path / "jwks.json"
    jwks.write_text(json.dumps({"keys": [key.jwk()]}))
    v = TokenVerifier(VerifierConfig(ISSUER, CLIENT, jwks.as_uri()))
    assert await v.verify(good(key))
    new_key = SigningKey.load_or_create(tmp_path / "new")
    jwks.write_text(json.dumps({"keys": [key.jwk(), new_key.jwk()]}))
    token = tokens.sign(
        tokens.claims("u2", ISSUER, CLIENT), new_key.private_pem.decode(), new_key.kid
    )
    assert (await v.verify(token))["sub"] == "u2"


# --- verified tokens are remembered: the signature is checked once per token, not per call ---


async def test_a_token_is_verified_once_then_remembered(
    verifier: TokenVerifier, key: SigningKey, monkeypatch: pytest.MonkeyPatch
) -> None:
    from jose import jwt

    calls = []
    decode = jwt.decode

    def counting(*args: object, **kwargs: object) -> object:
        calls.append(1)
        return decode(*args, **kwargs)

    monkeypatch.setattr(jwt, "decode", counting)
    token = good(key)
    first = await verifier.verify(token)
    first["sub"] = "changed by the caller"
    again = await verifier.verify(token)
    assert again["sub"] == "u1" and len(calls) == 1
    # Another token (even of the same user) is checked on its own.
    await verifier.verify(good(key))
    assert len(calls) == 2


async def test_a_remembered_token_still_expires(
    verifier: TokenVerifier, key: SigningKey, monkeypatch: pytest.MonkeyPatch
) -> None:
    import careervault.runtime.auth as auth

    now = time.time()
    token = good(key, exp=int(now) + 60)
    assert await verifier.verify(token)
    monkeypatch.setattr(time, "time", lambda: now + 60 + auth.LEEWAY_SECONDS + 1)
    with pytest.raises(Unauthenticated) as err:
        await verifier.verify(token)
    assert err.value.reason == "TOKEN_EXPIRED"


async def test_a_remembered_token_is_refused_once_its_key_leaves_the_key_set(
    key: SigningKey, tmp_path: Path
) -> None:
    jwks = tmp_path / "jwks.json"
    jwks.write_text(json.dumps({"keys": [key.jwk()]}))
    v = TokenVerifier(VerifierConfig(ISSUER, CLIENT, jwks.as_uri()))
    token = good(key)
    assert await v.verify(token)
    # The key is withdrawn (compromised, say); once the cached key set is refetched, the token
    # is checked again and refused like any token signed by an unknown key.
    other = SigningKey.load_or_create(tmp_path / "other")
    jwks.write_text(json.dumps({"keys": [other.jwk()]}))
    v.jwks._fetched_at = 0.0  # the key set's cache time is over
    with pytest.raises(Unauthenticated) as err:
        await v.verify(token)
    assert err.value.reason == "TOKEN_UNKNOWN_KEY"
    assert len(v.verified) == 0


async def test_remembered_tokens_are_bounded_and_failures_are_not_remembered(
    key: SigningKey, tmp_path: Path
) -> None:
    jwks = tmp_path / "jwks.json"
    jwks.write_text(json.dumps({"keys": [key.jwk()]}))
    v = TokenVerifier(VerifierConfig(ISSUER, CLIENT, jwks.as_uri()), cache_size=2)
    for _ in range(3):
        assert await v.verify(good(key))
    assert len(v.verified) == 2
    forged = tokens.sign(tokens.claims("u1", ISSUER, CLIENT), tokens.new_private_pem(), key.kid)
    for _ in range(2):
        with pytest.raises(Unauthenticated) as err:
            await v.verify(forged)
        assert err.value.reason == "TOKEN_INVALID"
    assert len(v.verified) == 2
