"""Import, export, statistics and the calendar feed through Envoy, as a user meets them."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator

import httpx
import pytest

from gateway.stack import Stack
from tests.integration.test_rest_gateway import error, reason
from tests.support.clients import rest_sign_up

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def api(stack: Stack) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=stack.url, timeout=20) as client:
        yield client


SHEET = (
    "Company Name,Job Title,Date Applied,Status,Link,Notes\r\n"
    'Acme,SRE,2026-11-02,Phone Screen,https://acme.example/jobs/1,"likes Go, and Rust"\r\n'
    "Globex,Backend Engineer,11/03/2026,applied,,\r\n"
    "Initech,,2026-11-04,applied,,missing position\r\n"
    "Umbrella,QA,not a date,applied,,\r\n"
)


def test_a_spreadsheet_imports_once_and_reports_bad_rows(api: httpx.Client) -> None:
    auth = rest_sign_up(api, "Importer")[1]
    r = api.post("/v1/jobs:import", headers={**auth, "content-type": "text/csv"}, content=SHEET)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["importedCount"] == 2 and len(body["created"]) == 2
    problems = {(e["row"], e.get("column", "")) for e in body["errors"]}
    assert (4, "Job Title") in problems and (5, "Date Applied") in problems
    again = api.post(
        "/v1/jobs:import", headers={**auth, "content-type": "text/csv"}, content=SHEET
    ).json()
    assert again["importedCount"] == 0 and again["duplicateCount"] == 2
    listed = api.get("/v1/jobs", headers=auth, params={"orderBy": "company"}).json()
    assert [(j["company"], j["status"]) for j in listed["jobs"]] == [
        ("Acme", "PHONE_SCREEN"),
        ("Globex", "APPLIED"),
    ]
    assert listed["jobs"][0]["notes"] == "likes Go, and Rust"


def test_export_then_import_into_a_fresh_account_loses_and_doubles_nothing(
    api: httpx.Client,
) -> None:
    alice = rest_sign_up(api, "Exporter")[1]
    made = api.post(
        "/v1/jobs",
        headers=alice,
        json={
            "company": "Acme",
            "position": "SRE",
            "tags": ["go", "remote"],
            "salary": {"min": 100000, "max": 130000, "currency": "EUR", "period": "YEARLY"},
            "contacts": [{"name": "Grace", "role": "Recruiter", "email": "grace@acme.example"}],
            "interviews": [
                {"kind": "VIDEO", "startTime": "2026-12-01T15:00:00Z", "duration": "3600s"}
            ],
            "nextAction": {
                "description": "Send thank-you note",
                "dueDate": {"year": 2026, "month": 12, "day": 2},
            },
        },
    ).json()
    moved = api.patch(
        f"/v1/{made['name']}",
        params={"updateMask": "status"},
        headers=alice,
        json={"status": "TECHNICAL_INTERVIEW", "etag": made["etag"]},
    ).json()
    api.post(
        "/v1/jobs",
        headers=alice,
        json={"company": "Globex", "position": "Dev", "notes": "=SUM(A1)"},
    )

    exported = api.get("/v1/jobs:export", headers=alice, params={"format": "csv"})
    assert exported.status_code == 200 and exported.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(exported.text)))
    assert {r["company"] for r in rows} == {"Acme", "Globex"}
    assert next(r for r in rows if r["company"] == "Globex")["notes"] == "'=SUM(A1)", (
        "formula guard"
    )

    bob = rest_sign_up(api, "Importer2")[1]
    r = api.post(
        "/v1/jobs:import", headers={**bob, "content-type": "text/csv"}, content=exported.content
    )
    assert r.status_code == 200 and r.json()["importedCount"] == 2, r.text
    again = api.post(
        "/v1/jobs:import", headers={**bob, "content-type": "text/csv"}, content=exported.content
    )
    assert again.json()["importedCount"] == 0
    theirs = {j["company"]: j for j in api.get("/v1/jobs", headers=bob).json()["jobs"]}
    assert len(theirs) == 2
    acme = theirs["Acme"]
    for field in ("position", "status", "tags", "salary", "contacts", "interviews", "nextAction"):
        assert acme[field] == moved[field], field
    assert [h["status"] for h in acme["statusHistory"]] == ["APPLIED", "TECHNICAL_INTERVIEW"]
    assert [h["changeTime"] for h in acme["statusHistory"]] == [
        h["changeTime"] for h in moved["statusHistory"]
    ]
    assert theirs["Globex"]["notes"] == "=SUM(A1)"

    as_json = api.get("/v1/jobs:export", headers=alice, params={"format": "json"})
    assert as_json.headers["content-type"].startswith("application/json")
    assert {j["company"] for j in as_json.json()["jobs"]} == {"Acme", "Globex"}
    error(api.get("/v1/jobs:export", headers=alice, params={"format": "xml"}), 400)


def test_imports_over_the_limit_are_refused_whole(api: httpx.Client) -> None:
    auth = rest_sign_up(api)[1]
    big = "company,position,notes\r\n" + "".join(f"C{i},P,{'x' * 1000}\r\n" for i in range(6000))
    body = error(
        api.post("/v1/jobs:import", headers={**auth, "content-type": "text/csv"}, content=big), 400
    )
    assert reason(body) in ("IMPORT_TOO_LARGE", "IMPORT_TOO_MANY_ROWS")
    assert api.get("/v1/jobs", headers=auth).json().get("totalSize", 0) == 0


def test_stats_report_the_funnel_and_weeks(api: httpx.Client) -> None:
    auth = rest_sign_up(api)[1]
    for status in ("SAVED", "APPLIED", "PHONE_SCREEN", "OFFER"):
        api.post(
            "/v1/jobs",
            headers=auth,
            json={"company": "C", "position": "P", "status": status, "source": "Referral"},
        )
    stats = api.get("/v1/jobs:stats", headers=auth, params={"weeks": 3, "staleDays": 1}).json()
    assert stats["sent"] == 3 and len(stats["applicationsPerWeek"]) == 3
    assert stats["applicationsPerWeek"][-1]["count"] == 3
    assert [f["reached"] for f in stats["funnel"]] == [3, 2, 1, 1, 1, 0]
    assert stats["bySource"][0] == {
        "source": "Referral",
        "applications": 4,
        "responses": 2,
        "responseRate": 0.6667,
        "interviews": 2,
        "offers": 1,
    }
    assert stats["staleCount"] == 0
    error(api.get("/v1/jobs:stats", headers=auth, params={"weeks": 500}), 400)


def test_the_calendar_feed_is_private_and_revocable(api: httpx.Client) -> None:
    import datetime as dt

    auth = rest_sign_up(api, "Calendar")[1]
    start = (dt.datetime.now(dt.UTC) + dt.timedelta(days=7)).replace(
        hour=9, minute=30, second=0, microsecond=0
    )
    api.post(
        "/v1/jobs",
        headers=auth,
        json={
            "company": "Acme",
            "position": "SRE",
            "interviews": [{"kind": "PHONE", "startTime": start.strftime("%Y-%m-%dT%H:%M:%SZ")}],
        },
    )
    feed = api.get("/v1/calendarFeed", headers=auth).json()
    assert feed["path"].endswith("/careervault.ics")
    assert api.get("/v1/calendarFeed", headers=auth).json()["path"] == feed["path"], (
        "stable until rotated"
    )
    ics = api.get(feed["path"])  # no token: calendar apps cannot send one
    assert ics.status_code == 200 and ics.headers["content-type"].startswith("text/calendar")
    assert "BEGIN:VEVENT" in ics.text and f"DTSTART:{start:%Y%m%dT%H%M%SZ}" in ics.text
    assert "Interview: SRE at Acme" in ics.text

    rotated = api.post("/v1/calendarFeed:rotate", headers=auth, json={}).json()
    assert rotated["path"] != feed["path"]
    error(api.get(feed["path"]), 404)
    assert api.get(rotated["path"]).status_code == 200
    assert api.delete("/v1/calendarFeed", headers=auth).status_code == 200
    error(api.get(rotated["path"]), 404)
    error(api.get("/v1/calendars/short/careervault.ics"), 404)


def test_the_basic_view_lists_without_the_long_fields_and_its_etag_updates(
    api: httpx.Client,
) -> None:
    auth = rest_sign_up(api, "Viewer")[1]
    full_job = {
        "company": "Acme",
        "position": "SRE",
        "jobDescription": "Run Kubernetes clusters. " * 60,
        "notes": "Met Dana at the meetup.",
        "tags": ["remote"],
        "contacts": [{"name": "Dana", "email": "dana@acme.example"}],
        "interviews": [{"kind": "PHONE", "startTime": "2026-12-01T10:00:00Z"}],
        "salary": {"min": 90000, "max": 110000, "currency": "EUR", "period": "YEARLY"},
    }
    made = api.post("/v1/jobs", headers=auth, json=full_job)
    assert made.status_code == 200, made.text
    full = api.get("/v1/jobs", headers=auth).json()["jobs"][0]
    assert full == made.json()  # the default view is every field
    basic_page = api.get("/v1/jobs", headers=auth, params={"view": "JOB_VIEW_BASIC"})
    assert basic_page.status_code == 200, basic_page.text
    (basic,) = basic_page.json()["jobs"]
    omitted = {"jobDescription", "notes", "statusHistory", "contacts", "interviews", "analysis"}
    assert {k: v for k, v in basic.items() if k not in omitted} == {
        k: v for k, v in full.items() if k not in omitted
    }
    # The gateway prints every field of a message with its default: empty, not absent.
    assert all(not basic.get(k) for k in omitted), basic
    assert all(full[k] for k in omitted - {"analysis"}), full
    assert {"company", "position", "status", "tags", "salary", "etag", "updateTime"} <= set(basic)
    assert len(basic_page.content) * 4 < len(api.get("/v1/jobs", headers=auth).content)
    # Its etag is the application's: an update made from the list goes through.
    moved = api.patch(
        f"/v1/{basic['name']}",
        headers=auth,
        params={"updateMask": "status"},
        json={"status": "PHONE_SCREEN", "etag": basic["etag"]},
    )
    assert moved.status_code == 200, moved.text
    assert moved.json()["notes"] == "Met Dana at the meetup."  # nothing lost by the view
    bad = api.get("/v1/jobs", headers=auth, params={"view": "JOB_VIEW_TINY"})
    assert bad.status_code == 400, bad.text
