"""The REST surface through the real Envoy, as the SPA and the README's curl examples use it."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from gateway.stack import Stack
from tests.support import tokens
from tests.support.clients import rest_sign_up

pytestmark = pytest.mark.integration
ISSUER, CLIENT = "careervault-local", "careervault-web"


@pytest.fixture(scope="module")
def api(stack: Stack) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=stack.url, timeout=10) as client:
        yield client


def error(r: httpx.Response, status: int) -> dict[str, Any]:
    """Every error is JSON shaped like google.rpc.Status, whoever produced it."""
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/json"), r.headers
    body: dict[str, Any] = r.json()
    assert isinstance(body["code"], int) and body["message"]
    return body


def reason(body: dict[str, Any]) -> str:
    for d in body.get("details", []):
        if d["@type"].endswith("google.rpc.ErrorInfo"):
            return str(d["reason"])
    return ""


def violations(body: dict[str, Any]) -> set[str]:
    for d in body.get("details", []):
        if d["@type"].endswith("google.rpc.BadRequest"):
            return {v["field"] for v in d["fieldViolations"]}
    return set()


def test_a_new_users_whole_journey(api: httpx.Client) -> None:
    auth = rest_sign_up(api, "Journey")[1]
    me = api.get("/v1/users/me", headers=auth).json()
    assert me["displayName"] == "Journey" and me["externalAiConsent"] is False

    names = []
    for company, position in (("Acme", "SRE"), ("Globex", "Backend"), ("Initech", "QA")):
        r = api.post(
            "/v1/jobs",
            headers=auth,
            json={
                "company": company,
                "position": position,
                "workMode": "REMOTE",
                "salary": {"min": 90000, "max": 120000, "currency": "EUR", "period": "YEARLY"},
                "appliedDate": {"year": 2026, "month": 11, "day": 20},
                "tags": ["python"],
            },
        )
        assert r.status_code == 200, r.text
        job = r.json()
        assert job["status"] == "APPLIED" and job["salary"]["max"] == 120000
        names.append(job["name"])

    acme = api.get(f"/v1/{names[0]}", headers=auth).json()
    r = api.patch(
        f"/v1/{names[0]}",
        params={"updateMask": "status"},
        headers=auth,
        json={"status": "PHONE_SCREEN", "etag": acme["etag"]},
    )
    assert r.status_code == 200, r.text
    history = r.json()["statusHistory"]
    assert [(h["fromStatus"], h["status"]) for h in history] == [
        ("STATUS_UNSPECIFIED", "APPLIED"),
        ("APPLIED", "PHONE_SCREEN"),
    ]

    listed = api.get("/v1/jobs", headers=auth, params={"filter": "status = PHONE_SCREEN"}).json()
    assert [j["company"] for j in listed["jobs"]] == ["Acme"] and listed["totalSize"] == 1

    stats = api.get("/v1/jobs:stats", headers=auth).json()
    counts = {c["status"]: c["count"] for c in stats["statusCounts"]}
    assert stats["total"] == 3 and counts["PHONE_SCREEN"] == 1 and counts["APPLIED"] == 2
    assert stats["responseRate"] == pytest.approx(1 / 3, abs=1e-3)

    assert api.delete(f"/v1/{names[2]}", headers=auth).status_code == 200
    assert reason(error(api.get(f"/v1/{names[2]}", headers=auth), 404)) == "JOB_NOT_FOUND"
    assert api.get("/v1/jobs", headers=auth).json()["totalSize"] == 2

    other = rest_sign_up(api, "Other")[1]
    assert api.get("/v1/jobs", headers=other).json().get("jobs", []) == []
    for method in ("GET", "PATCH", "DELETE"):
        patch = method == "PATCH"
        r = api.request(
            method,
            f"/v1/{names[0]}",
            headers=other,
            params={"updateMask": "notes"} if patch else None,
            json={"notes": "mine now"} if patch else None,
        )
        assert reason(error(r, 404)) == "JOB_NOT_FOUND", method
    assert api.get(f"/v1/{names[0]}", headers=auth).json()["status"] == "PHONE_SCREEN"


def test_errors_map_to_http_statuses_with_json_bodies(api: httpx.Client) -> None:
    auth = rest_sign_up(api)[1]
    body = error(
        api.post("/v1/jobs", headers=auth, json={"position": "Dev", "jobUrl": "nope"}), 400
    )
    assert body["code"] == 3 and violations(body) == {"company", "job_url"}
    error(api.post("/v1/jobs", headers=auth, content=b"{not json"), 400)
    error(api.get("/v1/jobs", headers=auth, params={"pageToken": "forged"}), 400)
    body = error(api.get("/v1/jobs", headers=auth, params={"filter": "salary > 1"}), 400)
    assert reason(body) == "INVALID_FILTER"

    job = api.post("/v1/jobs", headers=auth, json={"company": "A", "position": "B"}).json()
    ok = api.patch(
        f"/v1/{job['name']}",
        params={"updateMask": "notes"},
        headers=auth,
        json={"notes": "1", "etag": job["etag"]},
    )
    assert ok.status_code == 200
    body = error(
        api.patch(
            f"/v1/{job['name']}",
            params={"updateMask": "notes"},
            headers=auth,
            json={"notes": "2", "etag": job["etag"]},
        ),
        409,
    )
    assert reason(body) == "ETAG_MISMATCH"
    assert api.get(f"/v1/{job['name']}", headers=auth).json()["notes"] == "1"

    error(api.get(f"/v1/jobs/{uuid.uuid4().hex}", headers=auth), 404)
    error(api.get("/v1/no-such-thing", headers=auth), 404)
    body = error(
        api.post("/v1/auth:signIn", json={"email": "ghost@example.com", "password": "Nope-nope1"}),
        401,
    )
    assert reason(body) == "INVALID_CREDENTIALS"
    body = error(
        api.post("/v1/auth:signUp", json={"email": "x@example.com", "password": "short"}), 400
    )
    assert violations(body) == {"password"}


def test_snake_case_input_is_accepted_too(api: httpx.Client) -> None:
    auth = rest_sign_up(api)[1]
    r = api.post(
        "/v1/jobs",
        headers=auth,
        json={
            "company": "Snake",
            "position": "Dev",
            "job_url": "https://x.example/1",
            "work_mode": "HYBRID",
        },
    )
    assert r.status_code == 200, r.text
    assert r.json()["jobUrl"] == "https://x.example/1" and r.json()["workMode"] == "HYBRID"


def test_envoy_refuses_bad_tokens_before_any_service(api: httpx.Client, data_dir: Path) -> None:
    import json

    pem = (data_dir / "identity" / "signing-key.pem").read_text()
    kid = json.loads((data_dir / "identity" / "jwks.json").read_text())["keys"][0]["kid"]
    now = int(time.time())
    refused = {
        "missing": None,
        "expired": tokens.sign(
            tokens.claims("u", ISSUER, CLIENT, iat=now - 4000, nbf=now - 4000, exp=now - 3000),
            pem,
            kid,
        ),
        "forged": tokens.sign(tokens.claims("u", ISSUER, CLIENT), tokens.new_private_pem(), kid),
        "alg-none": tokens.unsigned(tokens.claims("u", ISSUER, CLIENT), kid),
        "hs256": tokens.hs256_with_public_key(
            tokens.claims("u", ISSUER, CLIENT),
            json.loads((data_dir / "identity" / "jwks.json").read_text())["keys"][0],
        ),
        "wrong-issuer": tokens.sign(tokens.claims("u", "https://evil.example", CLIENT), pem, kid),
    }
    for label, token in refused.items():
        headers = {"authorization": f"Bearer {token}"} if token else {}
        r = api.get("/v1/jobs", headers=headers)
        assert r.status_code == 401, (label, r.text)
        error(r, 401)
    # Signed by our key but meant for another client, or an ID token: no credential here.
    for token in (
        tokens.sign(tokens.claims("u", ISSUER, "other-app"), pem, kid),
        tokens.sign(tokens.claims("u", ISSUER, CLIENT, token_use="id"), pem, kid),
    ):
        r = api.get("/v1/jobs", headers={"authorization": f"Bearer {token}"})
        assert error(r, 401)["code"] == 16
    # A token in the query string is not looked at.
    good = tokens.sign(tokens.claims("u", ISSUER, CLIENT), pem, kid)
    error(api.get("/v1/jobs", params={"access_token": good}), 401)
    assert api.get("/v1/jobs", headers={"authorization": f"Bearer {good}"}).status_code == 200


def test_public_routes_and_the_web_page(api: httpx.Client) -> None:
    jwks = api.get("/.well-known/jwks.json")
    assert jwks.status_code == 200 and jwks.json()["keys"][0]["alg"] == "RS256"
    for path in ("/", "/dashboard", "/jobs/abc"):
        page = api.get(path)
        assert page.status_code == 200 and page.headers["content-type"].startswith("text/html"), (
            path
        )
    error(api.post("/v1/auth:signOut"), 401)


def test_body_size_limit_answers_413(api: httpx.Client) -> None:
    auth = rest_sign_up(api)[1]
    big = {"company": "Big", "position": "Dev", "notes": "x" * (2 * 1024 * 1024)}
    error(api.post("/v1/jobs", headers=auth, json=big), 413)
    assert api.get("/v1/jobs", headers=auth).json().get("totalSize", 0) == 0
