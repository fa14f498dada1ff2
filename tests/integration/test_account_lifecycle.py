"""The account lifecycle (GDPR access and erasure) across services, through the real Envoy:
export gathers the jobs service's data, deletion erases it everywhere and survives an outage,
and the internal UserDataService is reachable only on the jobs port, never through the gateway.
"""

from __future__ import annotations

import signal
import sqlite3
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import grpc
import httpx
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc

from careervault.jobs.v1 import user_data_pb2 as udpb
from careervault.jobs.v1 import user_data_pb2_grpc
from gateway.render import RATE_LIMITS_OFF
from gateway.stack import Stack
from tests.support.clients import PASSWORD, rest_sign_up

pytestmark = pytest.mark.integration
JOBS_TABLES = ("jobs", "create_requests", "import_keys", "feeds")
USER_DATA = "careervault.jobs.v1.UserDataService"


@pytest.fixture(scope="module")
def api(stack: Stack) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=stack.url, timeout=15) as client:
        yield client


def user_id(api: httpx.Client, auth: dict[str, str]) -> str:
    return str(api.get("/v1/users/me", headers=auth).json()["name"]).removeprefix("users/")


def populate(api: httpx.Client, auth: dict[str, str], n: int) -> tuple[list[str], str]:
    """n applications (the first moved on once, so it has history) and a calendar feed:
    the names and the feed's path."""
    names = []
    for i in range(n):
        r = api.post(
            "/v1/jobs",
            headers=auth,
            json={"company": f"Co {i}", "position": "SRE", "requestId": uuid.uuid4().hex},
        )
        assert r.status_code == 200, r.text
        names.append(r.json()["name"])
    first = api.get(f"/v1/{names[0]}", headers=auth).json()
    r = api.patch(
        f"/v1/{names[0]}",
        params={"updateMask": "status"},
        headers=auth,
        json={"status": "PHONE_SCREEN", "etag": first["etag"]},
    )
    assert r.status_code == 200, r.text
    feed = api.get("/v1/calendarFeed", headers=auth).json()["path"]
    assert api.get(feed).status_code == 200
    return names, str(feed)


def stored_rows(data_dir: Path, user: str) -> int:
    """Everything the jobs store holds for the user, read from its SQLite file."""
    with sqlite3.connect(f"file:{data_dir / 'jobs' / 'jobs.db'}?mode=ro", uri=True) as conn:
        return sum(
            int(conn.execute(f"SELECT COUNT(*) FROM {t} WHERE user_id = ?", (user,)).fetchone()[0])
            for t in JOBS_TABLES
        )


def deletion_record(data_dir: Path, user: str) -> dict[str, Any] | None:
    path = data_dir / "identity" / "lifecycle.db"
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as conn:
        conn.row_factory = sqlite3.Row
        row = conn.execute("SELECT * FROM deletions WHERE user_id = ?", (user,)).fetchone()
        return dict(row) if row else None


def test_export_then_delete_erases_the_user_everywhere_and_no_one_else(
    api: httpx.Client, data_dir: Path
) -> None:
    email, auth = rest_sign_up(api, "Leaving")
    me = user_id(api, auth)
    names, feed = populate(api, auth, 3)
    _, other = rest_sign_up(api, "Staying")
    other_names, other_feed = populate(api, other, 2)

    r = api.get("/v1/users/me:export", headers=auth)
    assert r.status_code == 200, r.text
    export = r.json()
    assert export["user"]["email"] == email and export["user"]["name"] == f"users/{me}"
    jobs = export["data"]["jobs"]
    assert sorted(j["name"] for j in jobs["jobs"]) == sorted(names)
    moved = next(j for j in jobs["jobs"] if j["name"] == names[0])
    assert [h["status"] for h in moved["statusHistory"]] == ["APPLIED", "PHONE_SCREEN"]
    assert "createTime" in jobs["calendarFeed"]
    assert feed.split("/")[3] not in r.text, "the feed secret is a credential, not exported"
    assert not set(other_names) & {j["name"] for j in jobs["jobs"]}

    assert stored_rows(data_dir, me) > 0
    r = api.delete("/v1/users/me", headers=auth)
    # The jobs service's part is done before the identity step, whatever that answers.
    assert stored_rows(data_dir, me) == 0, "nothing of the user is left in the jobs store"
    assert api.get(feed).status_code == 404, "the calendar feed URL stops working at once"
    assert len(api.get("/v1/jobs", headers=other).json()["jobs"]) == 2
    assert api.get(other_feed).status_code == 200, "another user's feed is untouched"
    assert r.status_code == 200, r.text

    record = deletion_record(data_dir, me)
    assert record is not None and record["done_time"] and record["remaining"] == "[]"
    r = api.post("/v1/auth:signIn", json={"email": email, "password": PASSWORD})
    assert r.status_code == 401, r.text
    # A second DELETE (the access token is still valid for a while) is harmless.
    again = api.delete("/v1/users/me", headers=auth)
    assert again.status_code == 200, again.text
    assert len(api.get("/v1/jobs", headers=other).json()["jobs"]) == 2
    # The email is free again, and the new account starts empty.
    _, fresh = rest_sign_up(api, "Back", email)
    assert user_id(api, fresh) != me
    assert api.get("/v1/jobs", headers=fresh).json().get("jobs", []) == []


def test_the_internal_service_is_not_reachable_through_envoy(
    api: httpx.Client, stack: Stack, data_dir: Path
) -> None:
    _, auth = rest_sign_up(api, "Probe")
    me = user_id(api, auth)
    names, _feed = populate(api, auth, 1)
    rows = stored_rows(data_dir, me)
    token = auth["authorization"].removeprefix("Bearer ")
    empty_frame = b"\x00\x00\x00\x00\x00"  # a gRPC message frame: not compressed, 0 bytes

    for method in ("DeleteUserData", "ExportUserData"):
        path = f"/careervault.jobs.v1.UserDataService/{method}"
        # As a gRPC call (HTTP/1.1 framing): Envoy answers itself, as a gRPC error.
        r = api.post(
            path, headers={**auth, "content-type": "application/grpc"}, content=empty_frame
        )
        assert r.headers.get("grpc-status") not in (None, "0"), (path, r.headers)
        assert r.content == b"", "nothing from the service"
        # As JSON: no route.
        r = api.post(path, headers={**auth, "content-type": "application/json"}, content=b"{}")
        assert r.status_code in (404, 405) and r.json()["code"] in (5, 12), r.text
        # A GET is the SPA's deep-link fallback (index.html), not the service.
        r = api.get(path, headers=auth)
        assert r.headers["content-type"].startswith("text/html") and "jobs/" not in r.text
    for verb, path in (
        ("POST", "/v1/userData:delete"),
        ("DELETE", "/v1/userData"),
        ("GET", "/v1/userData:export"),
        ("GET", "/v1/users/me/data"),
        ("POST", "/v1/careervault.jobs.v1.UserDataService/DeleteUserData"),
        ("POST", "/v1/jobs:deleteUserData"),
    ):
        r = api.request(verb, path, headers=auth, json={} if verb == "POST" else None)
        assert r.status_code in (404, 405), (verb, path, r.status_code, r.text)

    # A real gRPC client (HTTP/2) through Envoy's port fails too.
    with grpc.insecure_channel(stack.url.removeprefix("http://")) as channel:
        via_envoy = user_data_pb2_grpc.UserDataServiceStub(channel)
        with pytest.raises(grpc.RpcError) as err:
            via_envoy.DeleteUserData(
                udpb.DeleteUserDataRequest(),
                metadata=(("authorization", f"Bearer {token}"),),
                timeout=10,
            )
        assert err.value.code() != grpc.StatusCode.OK  # type: ignore[attr-defined]
    assert stored_rows(data_dir, me) == rows, "nothing was deleted through the gateway"

    # Directly on the jobs port, with the user's token, it works (and only for that user).
    with grpc.insecure_channel(stack.grpc_target("jobs")) as channel:
        health = health_pb2_grpc.HealthStub(channel).Check(
            health_pb2.HealthCheckRequest(service=USER_DATA), timeout=10
        )
        assert health.status == health_pb2.HealthCheckResponse.SERVING
        listed = next(
            reflection_pb2_grpc.ServerReflectionStub(channel).ServerReflectionInfo(
                iter([reflection_pb2.ServerReflectionRequest(list_services="")]), timeout=10
            )
        )
        assert USER_DATA in {s.name for s in listed.list_services_response.service}
        direct = user_data_pb2_grpc.UserDataServiceStub(channel)
        md = (("authorization", f"Bearer {token}"),)
        exported = direct.ExportUserData(udpb.ExportUserDataRequest(), metadata=md, timeout=10)
        assert [j.name for j in exported.jobs] == names
        with pytest.raises(grpc.RpcError) as err:
            direct.ExportUserData(udpb.ExportUserDataRequest(), timeout=10)
        assert err.value.code() == grpc.StatusCode.UNAUTHENTICATED  # type: ignore[attr-defined]
        erased = direct.DeleteUserData(udpb.DeleteUserDataRequest(), metadata=md, timeout=10)
        assert erased.deleted_count == 1 and stored_rows(data_dir, me) == 0


def wait_for(condition: Any, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)


def test_a_deletion_during_a_jobs_outage_stays_pending_and_finishes(tmp_path: Path) -> None:
    """Jobs is killed (by its PID), DeleteUser answers UNAVAILABLE and leaves a pending record;
    once jobs is back, the identity service finishes the erasure with the token it held, and
    the client's retry of DeleteUser is idempotent."""
    stack = Stack.on_free_ports(
        tmp_path,
        ("identity", "jobs"),
        env={
            **RATE_LIMITS_OFF,
            "CAREERVAULT_ACCOUNT_DELETION_RETRY_SECONDS": "0.5",
        },
    )
    with stack, httpx.Client(base_url=stack.url, timeout=15) as api:
        _, auth = rest_sign_up(api, "Outage")
        me = user_id(api, auth)
        _names, feed = populate(api, auth, 2)
        _, other = rest_sign_up(api, "Bystander")
        populate(api, other, 1)
        other_id = user_id(api, other)
        rows = stored_rows(tmp_path, me)

        stack.kill("jobs", signal.SIGKILL)
        r = api.delete("/v1/users/me", headers=auth)
        assert r.status_code == 503 and r.json()["code"] == 14, r.text  # UNAVAILABLE
        record = deletion_record(tmp_path, me)
        assert record is not None and record["done_time"] is None
        assert record["remaining"] == '["jobs", "identity"]' and record["attempts"] >= 1
        assert stored_rows(tmp_path, me) == rows, "nothing half-deleted"

        stack.restart("jobs")
        # The background retry (with the token it holds) erases the jobs data by itself.
        wait_for(lambda: stored_rows(tmp_path, me) == 0, 20, "the background retry")
        wait_for(
            lambda: "jobs" not in str((deletion_record(tmp_path, me) or {})["remaining"]),
            10,
            "the record to move past jobs",
        )
        assert stored_rows(tmp_path, other_id) > 0, "the bystander is untouched"
        wait_for(lambda: stack.unhealthy_hosts() == [], 20, "Envoy to see jobs healthy")
        assert api.get(feed).status_code == 404

        # The client retries: idempotent, and it finishes whatever is left.
        retry = api.delete("/v1/users/me", headers=auth)
        assert retry.status_code == 200, retry.text
        record = deletion_record(tmp_path, me)
        assert record is not None and record["done_time"] and record["remaining"] == "[]"
