"""Rate limits at the edge, through a real Envoy: per client address on the credential
endpoints (brute force), per user on the API (a user's own bucket, shared by every route, with
a smaller one for extraction and AI). A limited request gets 429, `retry-after` and the JSON
error body; other addresses and other users are not affected; no header a client can send
moves a request into another bucket; and after `retry-after` the limited caller passes again.

The stack is this module's own, with small limits. Its gateway trusts one proxy hop, so the
client address is the last X-Forwarded-For entry: each test plays several clients from one
machine. Counts are not timed: a bucket refills while a test runs, so the tests send far more
than a bucket holds and assert that some were refused, never how many passed.
"""

from __future__ import annotations

import base64
import re
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from gateway import render
from gateway.stack import Stack
from tests.support.clients import PASSWORD
from tests.support.stack import own_stack, stack_user

# Requests/s (each bucket holds twice that).
AUTH_PER_ADDRESS = 3
AUTH_CEILING = 8
PER_USER = 3
PER_USER_HEAVY = 1
# Far more than any bucket here holds, so a burst of this many always meets a refusal.
FLOOD = 60
LIMITED_MESSAGE = re.compile(r"^Too many requests: slow down and retry after (\d+) s\.$")


@pytest.fixture(scope="module")
def limited(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    with own_stack(
        tmp_path_factory.mktemp("rate-limits"),
        ("identity", "jobs", "extraction"),
        {
            "CAREERVAULT_GATEWAY_AUTH_RATE_LIMIT": str(AUTH_PER_ADDRESS),
            "CAREERVAULT_GATEWAY_AUTH_GLOBAL_RATE_LIMIT": str(AUTH_CEILING),
            "CAREERVAULT_GATEWAY_USER_RATE_LIMIT": str(PER_USER),
            "CAREERVAULT_GATEWAY_USER_HEAVY_RATE_LIMIT": str(PER_USER_HEAVY),
            # One proxy in front: its X-Forwarded-For entry is the client's address.
            "CAREERVAULT_GATEWAY_TRUSTED_HOPS": "1",
            # Identity's own failure throttle answers 429 too; here only Envoy's may.
            "CAREERVAULT_THROTTLE_ADDRESS_FAILURES": "100000",
            "CAREERVAULT_THROTTLE_ACCOUNT_FAILURES": "1000",
        },
    ) as stack:
        yield stack


@pytest.fixture(scope="module")
def api(limited: Stack) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=limited.url, timeout=15) as client:
        yield client


def address() -> str:
    """A client address no test has used (TEST-NET-3 and 198.18/15 are never routed)."""
    n = uuid.uuid4().int
    return f"198.{18 + n % 2}.{n >> 8 & 255}.{n >> 16 & 255}"


def from_address(ip: str) -> dict[str, str]:
    return {"x-forwarded-for": ip}


def assert_limited(r: httpx.Response) -> int:
    """A rate limit's answer: 429, retry-after, the JSON error body; returns retry-after."""
    assert r.status_code == 429, r.text
    retry_after = r.headers.get("retry-after", "")
    assert retry_after.isdigit() and int(retry_after) >= 1, r.headers
    assert r.headers["content-type"].startswith("application/json"), r.headers
    assert r.headers.get("cache-control") == "no-store"
    body = r.json()
    assert body["code"] == 8 and body["details"] == [], body  # RESOURCE_EXHAUSTED
    said = LIMITED_MESSAGE.match(body["message"])
    assert said and said.group(1) == retry_after, body
    return int(retry_after)


def flood(api: httpx.Client, method: str, path: str, **kwargs: object) -> httpx.Response:
    """Sends up to FLOOD requests and returns the first refused one (fails if none is)."""
    statuses: list[int] = []
    for _ in range(FLOOD):
        r = api.request(method, path, **kwargs)  # type: ignore[arg-type]
        if r.status_code == 429:
            return r
        statuses.append(r.status_code)
    raise AssertionError(f"{FLOOD} requests to {path} and none limited: {sorted(set(statuses))}")


def refresh_body() -> dict[str, str]:
    # A refresh token that does not exist: identity refuses it at once (no password hash).
    return {"refreshToken": "not-a-refresh-token-" + uuid.uuid4().hex}


def confirm_body() -> dict[str, str]:
    # An address with no account (identity answers the same for any, and sends nothing).
    return {"email": f"nobody-{uuid.uuid4().hex[:12]}@example.com"}


def stat(stack: Stack, name: str) -> int:
    text = httpx.get(f"{stack.admin_url}/stats", params={"filter": re.escape(name)}).text
    values = [int(v) for k, v in re.findall(r"^(\S+): (\d+)$", text, re.M) if k.endswith(name)]
    assert values, f"no stat {name} in {text!r}"
    return sum(values)


# -- per client address on the credential endpoints ------------------------------------------


def test_one_address_is_limited_on_a_credential_endpoint_and_others_still_pass(
    limited: Stack, api: httpx.Client
) -> None:
    before = stat(limited, "auth_RefreshTokens.http_local_rate_limit.rate_limited")
    attacker, bystander = address(), address()
    refused = flood(
        api, "POST", "/v1/auth:refresh", json=refresh_body(), headers=from_address(attacker)
    )
    assert_limited(refused)

    # Another address at the same moment: its own bucket is full.
    r = api.post("/v1/auth:refresh", json=refresh_body(), headers=from_address(attacker))
    assert r.status_code == 429
    r = api.post("/v1/auth:refresh", json=refresh_body(), headers=from_address(bystander))
    assert r.status_code == 401 and r.json()["code"] == 16, r.text  # identity's own answer

    # Entries the client writes itself in front of the trusted one change nothing.
    spoofed = f"{bystander}, {address()}, {attacker}"
    r = api.post("/v1/auth:refresh", json=refresh_body(), headers={"x-forwarded-for": spoofed})
    assert r.status_code == 429, r.text
    for header in ("x-real-ip", "x-envoy-external-address", "forwarded", "true-client-ip"):
        r = api.post(
            "/v1/auth:refresh",
            json=refresh_body(),
            headers={**from_address(attacker), header: bystander},
        )
        assert r.status_code == 429, (header, r.text)

    # Each credential endpoint has its own buckets: the attacker's sign-in is not spent.
    r = api.post(
        "/v1/auth:signIn",
        json={"email": f"nobody-{uuid.uuid4().hex[:8]}@example.com", "password": PASSWORD},
        headers=from_address(attacker),
    )
    assert r.status_code != 429, r.text
    # Envoy counts what it refused.
    assert stat(limited, "auth_RefreshTokens.http_local_rate_limit.rate_limited") > before


def test_the_ceiling_over_all_addresses_holds_while_a_refused_flood_does_not_drain_it(
    api: httpx.Client,
) -> None:
    # One address flooding is refused by its own bucket, which spends nothing of the ceiling:
    # a fresh address right after it passes.
    flooder = address()
    assert_limited(
        flood(
            api,
            "POST",
            "/v1/auth:confirmSignUp",
            json=confirm_body(),
            headers=from_address(flooder),
        )
    )
    for _ in range(FLOOD):
        api.post(
            "/v1/auth:confirmSignUp",
            json=confirm_body(),
            headers=from_address(flooder),
        )
    r = api.post("/v1/auth:confirmSignUp", json=confirm_body(), headers=from_address(address()))
    assert r.status_code != 429, r.text

    # Many addresses, each within its own limit, together reach the ceiling: then an address
    # that has sent nothing yet is refused on its first request.
    for _ in range(FLOOD):
        fresh = address()
        r = api.post("/v1/auth:confirmSignUp", json=confirm_body(), headers=from_address(fresh))
        if r.status_code == 429:
            assert_limited(r)
            return
        api.post("/v1/auth:confirmSignUp", json=confirm_body(), headers=from_address(fresh))
    raise AssertionError(f"{FLOOD} addresses and the ceiling never refused one")


# -- per user on the API ---------------------------------------------------------------------


def test_one_user_is_limited_and_another_is_not_and_no_header_buys_a_bucket(
    limited: Stack, api: httpx.Client
) -> None:
    alice, bob = stack_user(limited, "Alice"), stack_user(limited, "Bob")
    before = stat(limited, "user.http_local_rate_limit.rate_limited")
    retry_after = assert_limited(flood(api, "GET", "/v1/jobs", headers=alice.headers))

    # Bob, at the same moment and from the same address, has his own bucket.
    r = api.get("/v1/jobs", headers=bob.headers)
    assert r.status_code == 200, r.text
    # Every route draws on Alice's one bucket, not a bucket per route.
    r = api.get("/v1/users/me", headers=alice.headers)
    assert_limited(r)
    r = api.post(
        "/v1/jobs", json={"company": "Acme", "position": "Engineer"}, headers=alice.headers
    )
    assert_limited(r)

    # The key is the verified token's subject, which no header can claim: not a header that
    # looks like jwt_authn's output, nor a token-shaped header, nor another address.
    bob_sub = api.get("/v1/users/me", headers=bob.headers).json()["name"].rsplit("/", 1)[-1]
    for header in ("x-careervault-user", "x-jwt-sub", "x-user-id", "x-forwarded-user", "sub"):
        for value in (bob_sub, uuid.uuid4().hex):
            r = api.get("/v1/jobs", headers={**alice.headers, header: value})
            assert r.status_code == 429, (header, r.text)
    r = api.get("/v1/jobs", headers={**alice.headers, **from_address(address())})
    assert r.status_code == 429, r.text
    # A fresh token of her own is the same user, the same bucket.
    again = httpx.post(
        f"{limited.url}/v1/auth:refresh",
        json={"refreshToken": alice.tokens.refresh_token},
        headers=from_address(address()),
    )
    assert again.status_code == 200, again.text
    fresh_token = again.json()["tokens"]["accessToken"]
    r = api.get("/v1/jobs", headers={"authorization": f"Bearer {fresh_token}"})
    assert r.status_code == 429, r.text
    assert stat(limited, "user.http_local_rate_limit.rate_limited") > before

    # After the wait she was told, her bucket has tokens again. (The margin is generous: this
    # checks the behaviour, not the timing.)
    time.sleep(retry_after + 1.0)
    r = api.get("/v1/jobs", headers=alice.headers)
    assert r.status_code == 200, r.text


def test_extraction_and_ai_have_a_smaller_bucket_of_their_own(
    limited: Stack, api: httpx.Client
) -> None:
    carol = stack_user(limited, "Carol")
    document = {"content": base64.b64encode(b"Carol\nEngineer\n").decode(), "filename": "c.txt"}
    assert_limited(
        flood(api, "POST", "/v1/documents:extract", json=document, headers=carol.headers)
    )
    # Her heavy bucket is empty, her API bucket is not: the rest of the API still answers.
    r = api.get("/v1/jobs", headers=carol.headers)
    assert r.status_code == 200, r.text
    # And another user's extraction is not affected.
    r = api.post("/v1/documents:extract", json=document, headers=stack_user(limited, "Dan").headers)
    assert r.status_code != 429, r.text
    assert stat(limited, "user_heavy.http_local_rate_limit.rate_limited") > 0


def test_requests_without_a_user_are_not_counted_per_user(
    limited: Stack, api: httpx.Client
) -> None:
    # Unauthenticated calls are refused by jwt_authn before any per-user bucket, and the SPA
    # and public routes have no per-user limit: none of these can ever answer 429.
    for _ in range(FLOOD // 2):
        assert api.get("/v1/jobs").status_code == 401
        assert api.get("/.well-known/jwks.json").status_code == 200
        assert api.get("/dashboard").status_code == 200


def test_limits_at_zero_are_off(tmp_path: Path) -> None:
    """With every limit at 0 there is no limit filter configuration left to refuse a request
    (the session stack of the other tests runs so, with `render.RATE_LIMITS_OFF`)."""
    cfg = render.GatewayConfig.from_env(
        render.RATE_LIMITS_OFF, services=["identity", "jobs"], cwd=tmp_path
    )
    text = str(render.render(cfg, check_jwks=False))
    assert "token_bucket" not in text
