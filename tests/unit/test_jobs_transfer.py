"""Import and export of job applications (careervault_jobs.transfer): pure functions, no server."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from collections.abc import Callable

import pytest
from google.protobuf.duration_pb2 import Duration
from google.protobuf.timestamp_pb2 import Timestamp
from google.type import date_pb2

from careervault.jobs.v1 import jobs_pb2 as pb
from careervault.runtime.errors import InvalidArgument
from careervault_jobs.transfer import (
    CSV_COLUMNS,
    ImportIssue,
    ImportPlan,
    export_csv,
    export_json,
    guard_formula,
    import_key,
    parse_date,
    parse_import,
    parse_salary,
    unguard_formula,
)

S = pb.JobApplication.Status
W = pb.JobApplication.WorkMode
P = pb.SalaryRange.Period
LIMITS = {"max_rows": 100, "max_bytes": 1_000_000}
HEADER = (
    "company,position,status,applied_date,location,work_mode,salary_min,salary_max,"
    "salary_currency,salary_period,job_url,source,tags,notes,job_description,next_action,"
    "next_action_due,contacts,interviews,status_history,created,updated,name"
)


def ts(text: str) -> Timestamp:
    stamp = Timestamp()
    stamp.FromJsonString(text)
    return stamp


def change(before: S.ValueType, after: S.ValueType, at: str) -> pb.StatusChange:
    return pb.StatusChange(from_status=before, status=after, change_time=ts(at))


def rich_job() -> pb.JobApplication:
    return pb.JobApplication(
        name="jobs/" + "a" * 32,
        etag="etag-1",
        company="Acme, Inc.",
        position='Senior "Staff" Engineer',
        status=S.TECHNICAL_INTERVIEW,
        applied_date=date_pb2.Date(year=2026, month=11, day=20),
        location="Zürich",
        work_mode=W.HYBRID,
        salary=pb.SalaryRange(min=120000, max=150000.5, currency="CHF", period=P.YEARLY),
        job_url="https://acme.example/jobs/42?ref=a,b",
        job_description="Build things.\nShip them; measure them.",
        notes='Met at "PyCon", great team,\r\nfollow up — 日本語 ✓\nthird line  ',
        tags=["python", "remote-first", "team, culture"],
        source="LinkedIn",
        contacts=[
            pb.Contact(
                name="Jane Roe",
                role="Recruiter",
                email="jane@acme.example",
                phone="+41 44 000 00 00",
                linkedin_url="https://www.linkedin.com/in/jane",
                notes="Prefers email, not calls",
            ),
            pb.Contact(name="Ann Bee"),
        ],
        interviews=[
            pb.Interview(
                kind=pb.Interview.Kind.VIDEO,
                start_time=ts("2026-11-25T14:30:00Z"),
                duration=Duration(seconds=3600),
                location="https://meet.example/abc",
                interviewers=["A. One", "B. Two"],
                notes='System design, "scaling"',
                outcome=pb.Interview.Outcome.PASSED,
            ),
            pb.Interview(
                kind=pb.Interview.Kind.IN_PERSON,
                start_time=ts("2026-12-01T09:00:00.250Z"),
                duration=Duration(seconds=5400, nanos=500_000_000),
                outcome=pb.Interview.Outcome.PENDING,
            ),
        ],
        next_action=pb.NextAction(
            description="Send thank-you note", due_date=date_pb2.Date(year=2026, month=11, day=26)
        ),
        status_history=[
            change(S.STATUS_UNSPECIFIED, S.APPLIED, "2026-11-20T08:00:00Z"),
            change(S.APPLIED, S.PHONE_SCREEN, "2026-11-22T10:15:30.123456Z"),
            change(S.PHONE_SCREEN, S.TECHNICAL_INTERVIEW, "2026-11-24T16:00:00Z"),
        ],
        create_time=ts("2026-11-19T21:00:00Z"),
        update_time=ts("2026-11-24T16:00:00Z"),
    )


def formula_job() -> pb.JobApplication:
    """Cells a spreadsheet would run as formulas."""
    return pb.JobApplication(
        name="jobs/" + "b" * 32,
        etag="etag-2",
        company="@Home Labs",
        position="-Backend Engineer",
        status=S.SAVED,
        location="+44 London",
        work_mode=W.REMOTE,
        salary=pb.SalaryRange(min=45.5, currency="USD", period=P.HOURLY),
        notes="=SUM(A1)",
        job_description="'=already quoted",
        tags=["-negative", "=x"],
        source='=HYPERLINK("http://evil.example")',
        status_history=[change(S.STATUS_UNSPECIFIED, S.SAVED, "2026-11-01T00:00:00Z")],
        create_time=ts("2026-11-01T00:00:00Z"),
        update_time=ts("2026-11-02T00:00:00Z"),
    )


def plain_job() -> pb.JobApplication:
    """Few fields; a salary without a period; one tag holding a comma."""
    return pb.JobApplication(
        name="jobs/" + "c" * 32,
        company="Beta",
        position="Dev",
        status=S.APPLIED,
        salary=pb.SalaryRange(min=90000),
        tags=["a,b"],
        status_history=[change(S.STATUS_UNSPECIFIED, S.APPLIED, "2026-10-01T12:00:00Z")],
        create_time=ts("2026-10-01T12:00:00Z"),
    )


def jobs() -> list[pb.JobApplication]:
    return [rich_job(), formula_job(), plain_job()]


def without_output_only(job: pb.JobApplication) -> pb.JobApplication:
    out = pb.JobApplication()
    out.CopyFrom(job)
    for name in ("name", "etag", "update_time"):
        out.ClearField(name)  # type: ignore[arg-type]
    return out


def read(body: bytes | str, content_type: str = "text/csv", **limits: int) -> ImportPlan:
    data = body.encode() if isinstance(body, str) else body
    return parse_import(data, content_type, **{**LIMITS, **limits})


def csv_text(header: list[str], *rows: list[str]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue()


def one(body: str, content_type: str = "text/csv") -> pb.JobApplication:
    plan = read(body, content_type)
    assert plan.errors == []
    assert len(plan.rows) == 1
    return plan.rows[0].job


# -- round trips ----------------------------------------------------------------------------


def test_csv_export_then_import_gives_back_every_user_field_history_and_create_time() -> None:
    body = export_csv(jobs())
    plan = read(body)
    assert plan.errors == []
    assert plan.ignored_columns == []
    assert [r.job for r in plan.rows] == [without_output_only(j) for j in jobs()]
    # The rich job's notes and description span 4 lines (a CRLF and two LFs).
    assert [r.line for r in plan.rows] == [2, 6, 7]


def test_json_export_then_import_gives_back_the_same_jobs_and_keys_as_csv() -> None:
    from_json = read(export_json(jobs()), "application/json")
    from_csv = read(export_csv(jobs()))
    assert from_json.errors == []
    assert [r.job for r in from_json.rows] == [without_output_only(j) for j in jobs()]
    assert [r.line for r in from_json.rows] == [1, 2, 3]
    assert [r.key for r in from_json.rows] == [r.key for r in from_csv.rows]
    assert len({r.key for r in from_csv.rows}) == 3


def test_csv_export_layout() -> None:
    body = export_csv(jobs())
    assert body.startswith(HEADER.encode() + b"\r\n")
    assert tuple(HEADER.split(",")) == CSV_COLUMNS
    table = list(csv.DictReader(io.StringIO(body.decode(), newline="")))
    rich, formula, plain = table
    assert rich["status"] == "TECHNICAL_INTERVIEW"
    assert rich["applied_date"] == "2026-11-20"
    assert rich["work_mode"] == "HYBRID"
    assert (rich["salary_min"], rich["salary_max"]) == ("120000", "150000.5")
    assert (rich["salary_currency"], rich["salary_period"]) == ("CHF", "YEARLY")
    assert rich["tags"] == "python; remote-first; team, culture"
    assert rich["notes"] == rich_job().notes
    assert rich["next_action"] == "Send thank-you note"
    assert rich["next_action_due"] == "2026-11-26"
    assert rich["status_history"] == (
        "APPLIED@2026-11-20T08:00:00Z;PHONE_SCREEN@2026-11-22T10:15:30.123456Z;"
        "TECHNICAL_INTERVIEW@2026-11-24T16:00:00Z"
    )
    assert json.loads(rich["contacts"])[0]["linkedinUrl"] == "https://www.linkedin.com/in/jane"
    interview = json.loads(rich["interviews"])[1]
    assert interview["startTime"] == "2026-12-01T09:00:00.250Z"
    assert interview["duration"] == "5400.500s"
    assert rich["created"] == "2026-11-19T21:00:00Z"
    assert rich["updated"] == "2026-11-24T16:00:00Z"
    assert rich["name"] == "jobs/" + "a" * 32
    assert plain["tags"] == "a,b;"
    assert (plain["salary_min"], plain["salary_max"], plain["salary_period"]) == ("90000", "", "")
    assert plain["work_mode"] == "" and plain["updated"] == ""
    assert formula["salary_min"] == "45.5"


def test_json_export_layout() -> None:
    when = dt.datetime(2026, 12, 1, 12, 0, tzinfo=dt.UTC)
    doc = json.loads(export_json(jobs(), exported_at=when))
    assert doc["version"] == 1
    assert doc["exportedAt"] == "2026-12-01T12:00:00Z"
    first = doc["jobs"][0]
    assert first["name"] == "jobs/" + "a" * 32
    assert first["jobUrl"] == rich_job().job_url
    assert first["appliedDate"] == {"year": 2026, "month": 11, "day": 20}
    assert [h["status"] for h in first["statusHistory"]] == [
        "APPLIED",
        "PHONE_SCREEN",
        "TECHNICAL_INTERVIEW",
    ]
    assert first["createTime"] == "2026-11-19T21:00:00Z"
    assert first["updateTime"] == "2026-11-24T16:00:00Z"
    assert list(doc) == ["jobs", "exportedAt", "version"]
    assert json.loads(export_json([]))["jobs"] == []


def test_excel_bom_export_reads_back() -> None:
    body = export_csv(jobs(), excel_bom=True)
    assert body.startswith(b"\xef\xbb\xbfcompany,")
    assert [r.job for r in read(body).rows] == [without_output_only(j) for j in jobs()]


# -- formula guard --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "guarded"),
    [
        ("=SUM(A1)", "'=SUM(A1)"),
        ("+1 555", "'+1 555"),
        ("-x", "'-x"),
        ("@user", "'@user"),
        ("\tindent", "'\tindent"),
        ("\rcr", "'\rcr"),
        ("'=x", "''=x"),
        ("''-x", "'''-x"),
        ("plain", "plain"),
        ("'quoted", "'quoted"),
        ("a=b", "a=b"),
        ("", ""),
        ("'", "'"),
    ],
)
def test_formula_guard_is_undone_exactly(value: str, guarded: str) -> None:
    assert guard_formula(value) == guarded
    assert unguard_formula(guarded) == value


def test_export_guards_formula_cells_and_import_strips_the_guard() -> None:
    body = export_csv([formula_job()])
    row = next(csv.DictReader(io.StringIO(body.decode(), newline="")))
    assert row["notes"] == "'=SUM(A1)"
    assert row["company"] == "'@Home Labs"
    assert row["position"] == "'-Backend Engineer"
    assert row["location"] == "'+44 London"
    assert row["source"] == '\'=HYPERLINK("http://evil.example")'
    assert row["job_description"] == "''=already quoted"
    assert row["tags"] == "'-negative; =x"
    assert read(body).rows[0].job == without_output_only(formula_job())


def test_import_keeps_a_quote_that_is_not_a_guard() -> None:
    job = one("Company,Position,Notes\n'Acme,Dev,'=1+1\n")
    assert job.company == "'Acme"
    assert job.notes == "=1+1"


# -- duplicate keys -------------------------------------------------------------------------


def test_identical_rows_share_a_key() -> None:
    plan = read("Company,Position,Notes\nAcme,Dev,hi\nAcme,Dev,hi\n")
    assert plan.rows[0].key == plan.rows[1].key
    assert len(plan.rows[0].key) == 64


def test_key_ignores_output_only_fields_and_surrounding_blanks() -> None:
    base = without_output_only(rich_job())
    other = rich_job()
    other.name, other.etag = "jobs/" + "f" * 32, "etag-9"
    other.update_time.CopyFrom(ts("2027-01-01T00:00:00Z"))
    other.create_time.CopyFrom(ts("2027-01-01T00:00:00Z"))
    del other.status_history[1:]
    other.company = "  Acme, Inc.  "
    assert import_key(other) == import_key(base)


MUTATIONS: dict[str, Callable[[pb.JobApplication], None]] = {
    "company": lambda j: setattr(j, "company", "Acme Inc."),
    "position": lambda j: setattr(j, "position", "Staff Engineer"),
    "status": lambda j: setattr(j, "status", S.OFFER),
    "applied_date": lambda j: setattr(j.applied_date, "day", 21),
    "location": lambda j: setattr(j, "location", "Zurich"),
    "work_mode": lambda j: setattr(j, "work_mode", W.REMOTE),
    "salary.min": lambda j: setattr(j.salary, "min", 120001),
    "salary.max": lambda j: setattr(j.salary, "max", 150000),
    "salary.currency": lambda j: setattr(j.salary, "currency", "EUR"),
    "salary.period": lambda j: setattr(j.salary, "period", P.MONTHLY),
    "job_url": lambda j: setattr(j, "job_url", "https://acme.example/jobs/43"),
    "job_description": lambda j: setattr(j, "job_description", "Build."),
    "notes": lambda j: setattr(j, "notes", j.notes + "!"),
    "tags": lambda j: j.tags.append("new"),
    "tags order": lambda j: j.tags.reverse(),
    "source": lambda j: setattr(j, "source", "Referral"),
    "contacts": lambda j: setattr(j.contacts[0], "email", "x@acme.example"),
    "interviews": lambda j: setattr(j.interviews[0].duration, "seconds", 1800),
    "next_action": lambda j: setattr(j.next_action, "description", "Call"),
    "next_action.due_date": lambda j: setattr(j.next_action.due_date, "month", 12),
}


@pytest.mark.parametrize("what", sorted(MUTATIONS))
def test_key_changes_when_any_user_field_changes(what: str) -> None:
    changed = rich_job()
    MUTATIONS[what](changed)
    assert import_key(changed) != import_key(rich_job())
    csv_keys = [r.key for r in read(export_csv([rich_job(), changed])).rows]
    assert csv_keys[0] != csv_keys[1]


def test_reimporting_the_export_of_an_import_gives_the_same_keys() -> None:
    sheet = (
        "Company Name,Job Title,Date Applied,Status,Link\n"
        "Acme,Engineer,11/20/2026,Phone Screen,https://acme.example/1\n"
        "Beta,Designer,,,\n"
    )
    first = read(sheet)
    stored = []
    for i, row in enumerate(first.rows):
        job = pb.JobApplication()
        job.CopyFrom(row.job)
        job.name, job.etag = f"jobs/{i:032x}", "e"
        job.create_time.CopyFrom(ts("2026-11-21T00:00:00Z"))
        job.update_time.CopyFrom(ts("2026-11-21T00:00:00Z"))
        job.status_history.append(change(S.STATUS_UNSPECIFIED, job.status, "2026-11-21T00:00:00Z"))
        stored.append(job)
    keys = [r.key for r in first.rows]
    assert [r.key for r in read(sheet).rows] == keys
    assert [r.key for r in read(export_csv(stored)).rows] == keys
    assert [r.key for r in read(export_json(stored), "application/json").rows] == keys


# -- other trackers' headers ----------------------------------------------------------------


def test_google_sheets_header() -> None:
    job = one(
        "Company Name,Job Title,Date Applied,Status,Link\n"
        'Acme,Engineer,"Nov 20, 2026",Interviewing,https://acme.example/1\n'
    )
    assert (job.company, job.position, job.status) == ("Acme", "Engineer", S.TECHNICAL_INTERVIEW)
    assert (job.applied_date.year, job.applied_date.month, job.applied_date.day) == (2026, 11, 20)
    assert job.job_url == "https://acme.example/1"
    assert not job.HasField("salary")


def test_huntr_like_header() -> None:
    body = csv_text(
        [
            "Job Title",
            "Company",
            "Stage",
            "Location",
            "Job Link",
            "Salary",
            "Date Applied",
            "Description",
            "Comments",
            "Labels",
            "Board",
            "Created At",
        ],
        [
            "Data Engineer",
            "Gamma",
            "Wishlist",
            "Berlin",
            "https://gamma.example/careers/7",
            "€60k - €75k",
            "2026-11-03",
            "ETL, Spark",
            "Referral from Bob",
            "data, berlin",
            "Search 2026",
            "2026-11-01 09:12:00",
        ],
    )
    plan = read(body)
    assert plan.errors == []
    assert plan.ignored_columns == ["Board"]
    job = plan.rows[0].job
    assert (job.position, job.company, job.status, job.location) == (
        "Data Engineer",
        "Gamma",
        S.SAVED,
        "Berlin",
    )
    assert job.salary == pb.SalaryRange(min=60000, max=75000, currency="EUR", period=P.YEARLY)
    assert job.job_description == "ETL, Spark"
    assert job.notes == "Referral from Bob"
    assert list(job.tags) == ["data", "berlin"]
    assert job.create_time == ts("2026-11-01T09:12:00Z")


def test_teal_like_header() -> None:
    body = csv_text(
        [
            "Company",
            "Job Position",
            "Location",
            "Min Salary",
            "Max Salary",
            "Currency",
            "Pay Period",
            "Status",
            "Date Saved",
            "Date Applied",
            "Follow-up",
            "Excitement",
            "Job Posting URL",
            "Notes",
            "Work Mode",
        ],
        [
            "Delta",
            "SRE",
            "Remote, US",
            "$140,000",
            "170k",
            "usd",
            "yearly",
            "Bookmarked",
            "10/01/2026",
            "",
            "12/02/2026",
            "5",
            "https://delta.example/jobs/sre",
            "",
            "Fully Remote",
        ],
    )
    plan = read(body)
    assert plan.errors == []
    assert plan.ignored_columns == ["Date Saved", "Excitement"]
    job = plan.rows[0].job
    assert (job.company, job.position, job.status, job.work_mode) == (
        "Delta",
        "SRE",
        S.SAVED,
        W.REMOTE,
    )
    assert job.salary == pb.SalaryRange(min=140000, max=170000, currency="USD", period=P.YEARLY)
    assert not job.HasField("applied_date")
    due = job.next_action.due_date
    assert (due.year, due.month, due.day) == (2026, 12, 2)
    assert job.job_url == "https://delta.example/jobs/sre"


GETTERS: dict[str, Callable[[pb.JobApplication], object]] = {
    "company": lambda j: j.company,
    "position": lambda j: j.position,
    "status": lambda j: j.status,
    "applied_date": lambda j: (j.applied_date.year, j.applied_date.month, j.applied_date.day),
    "location": lambda j: j.location,
    "source": lambda j: j.source,
    "job_url": lambda j: j.job_url,
    "job_description": lambda j: j.job_description,
    "notes": lambda j: j.notes,
    "tags": lambda j: list(j.tags),
    "salary": lambda j: (j.salary.min, j.salary.max),
    "next_action": lambda j: j.next_action.description,
}


@pytest.mark.parametrize(
    ("header", "field", "cell", "expected"),
    [
        ("Employer", "company", "Acme", "Acme"),
        ("organization", "company", "Acme", "Acme"),
        ("COMPANY_NAME", "company", "Acme", "Acme"),
        ("title", "position", "Dev", "Dev"),
        ("Role", "position", "Dev", "Dev"),
        ("position-title", "position", "Dev", "Dev"),
        ("Stage", "status", "offer received", S.OFFER),
        ("Application Status", "status", "offer received", S.OFFER),
        ("Applied", "applied_date", "2026-11-20", (2026, 11, 20)),
        ("Applied On", "applied_date", "2026-11-20", (2026, 11, 20)),
        ("application_date", "applied_date", "2026-11-20", (2026, 11, 20)),
        ("City", "location", "Oslo", "Oslo"),
        ("Found Via", "source", "Indeed", "Indeed"),
        ("job board", "source", "Indeed", "Indeed"),
        ("URL", "job_url", "https://acme.example/", "https://acme.example/"),
        ("Link", "job_url", "https://acme.example/", "https://acme.example/"),
        ("posting url", "job_url", "https://acme.example/", "https://acme.example/"),
        ("Description", "job_description", "Do things", "Do things"),
        ("JD", "job_description", "Do things", "Do things"),
        ("Comments", "notes", "hm", "hm"),
        ("Labels", "tags", "a;b", ["a", "b"]),
        ("salary range", "salary", "10-20", (10.0, 20.0)),
        ("Min Salary", "salary", "10", (10.0, 0.0)),
        ("max_salary", "salary", "20", (0.0, 20.0)),
        ("Next Step", "next_action", "Call back", "Call back"),
    ],
)
def test_header_aliases(header: str, field: str, cell: str, expected: object) -> None:
    others = {"company": "Acme", "position": "Dev"}
    others.pop(field, None)
    body = csv_text([header, *others], [cell, *others.values()])
    plan = read(body)
    assert plan.errors == []
    assert plan.ignored_columns == []
    assert GETTERS[field](plan.rows[0].job) == expected


def test_repeated_and_unknown_columns_are_listed_as_ignored() -> None:
    plan = read("Company,Employer,Position,Mood,,\nAcme,Other,Dev,happy,,\n")
    assert plan.ignored_columns == ["Employer", "Mood"]
    assert plan.rows[0].job.company == "Acme"


# -- values ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "status"),
    [
        ("", S.APPLIED),
        ("APPLIED", S.APPLIED),
        ("phone_screen", S.PHONE_SCREEN),
        ("Phone-Screen", S.PHONE_SCREEN),
        ("Technical Interview", S.TECHNICAL_INTERVIEW),
        ("final_interview", S.FINAL_INTERVIEW),
        ("phone screen", S.PHONE_SCREEN),
        ("Screening", S.PHONE_SCREEN),
        ("phone", S.PHONE_SCREEN),
        ("interview", S.TECHNICAL_INTERVIEW),
        ("Interviewing", S.TECHNICAL_INTERVIEW),
        ("technical", S.TECHNICAL_INTERVIEW),
        ("tech interview", S.TECHNICAL_INTERVIEW),
        ("onsite", S.FINAL_INTERVIEW),
        ("Final", S.FINAL_INTERVIEW),
        ("final round", S.FINAL_INTERVIEW),
        ("offered", S.OFFER),
        ("Offer Received", S.OFFER),
        ("accepted", S.ACCEPTED),
        ("hired", S.ACCEPTED),
        ("declined", S.REJECTED),
        ("rejected", S.REJECTED),
        ("No", S.REJECTED),
        ("withdrew", S.WITHDRAWN),
        ("Withdrawn", S.WITHDRAWN),
        ("wishlist", S.SAVED),
        ("bookmarked", S.SAVED),
        ("saved", S.SAVED),
        ("interested", S.SAVED),
        ("applied", S.APPLIED),
        ("Submitted", S.APPLIED),
    ],
)
def test_status_values(text: str, status: int) -> None:
    assert one(f"company,position,status\nAcme,Dev,{text}\n").status == status


@pytest.mark.parametrize(
    ("text", "mode"),
    [
        ("", W.WORK_MODE_UNSPECIFIED),
        ("remote", W.REMOTE),
        ("On-site", W.ONSITE),
        ("onsite", W.ONSITE),
        ("HYBRID", W.HYBRID),
        ("wfh", W.REMOTE),
    ],
)
def test_work_mode_values(text: str, mode: int) -> None:
    assert one(f"company,position,work_mode\nAcme,Dev,{text}\n").work_mode == mode


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-11-20", dt.date(2026, 11, 20)),
        ("2026/11/20", dt.date(2026, 11, 20)),
        ("2026-11-20T23:30:00-05:00", dt.date(2026, 11, 20)),
        ("2026-11-20T10:00:00Z", dt.date(2026, 11, 20)),
        ("20 Nov 2026", dt.date(2026, 11, 20)),
        ("20-Nov-2026", dt.date(2026, 11, 20)),
        ("Nov 20, 2026", dt.date(2026, 11, 20)),
        ("November 20, 2026", dt.date(2026, 11, 20)),
        ("Sept 3, 2026", dt.date(2026, 9, 3)),
        ("3rd September 2026", dt.date(2026, 9, 3)),
        ("11/20/2026", dt.date(2026, 11, 20)),
        ("20/11/2026", dt.date(2026, 11, 20)),
        ("05/11/2026", dt.date(2026, 5, 11)),
        ("11/20/26", dt.date(2026, 11, 20)),
        ("20.11.2026", dt.date(2026, 11, 20)),
        ("31/31/2026", None),
        ("02/30/2026", None),
        ("Foo 20, 2026", None),
        ("2026-13-01", None),
        ("tomorrow", None),
        ("2026-11-20Tnonsense", None),
    ],
)
def test_dates(text: str, expected: dt.date | None) -> None:
    assert parse_date(text) == expected


def test_a_column_with_day_first_dates_is_read_day_first() -> None:
    plan = read("company,position,date applied\nA,B,25/11/2026\nC,D,05/11/2026\n")
    days = [(r.job.applied_date.month, r.job.applied_date.day) for r in plan.rows]
    assert days == [(11, 25), (11, 5)]
    plan = read("company,position,date applied\nA,B,11/25/2026\nC,D,05/11/2026\n")
    assert [(r.job.applied_date.month, r.job.applied_date.day) for r in plan.rows] == [
        (11, 25),
        (5, 11),
    ]
    # Contradicting values: each is read by the a<=12 rule.
    plan = read("company,position,date applied\nA,B,11/25/2026\nC,D,25/11/2026\nE,F,05/11/2026\n")
    assert [(r.job.applied_date.month, r.job.applied_date.day) for r in plan.rows] == [
        (11, 25),
        (11, 25),
        (5, 11),
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("$120,000 - $150,000", (120000, 150000, "USD", P.YEARLY)),
        ("120k-150k", (120000, 150000, "", P.YEARLY)),
        ("120-150K", (120000, 150000, "", P.YEARLY)),
        ("100000", (100000, 100000, "", P.YEARLY)),
        ("€50k+", (50000, 0, "EUR", P.YEARLY)),
        ("up to £40k", (0, 40000, "GBP", P.YEARLY)),
        ("$45/hr", (45, 45, "USD", P.HOURLY)),
        ("40 - 55 per hour", (40, 55, "", P.HOURLY)),
        ("£30k-40k p.a.", (30000, 40000, "GBP", P.YEARLY)),
        ("CAD 95,000 to 105,000", (95000, 105000, "CAD", P.YEARLY)),
        ("US$8k/month", (8000, 8000, "USD", P.MONTHLY)),
        ("1,20,000 INR", (120000, 120000, "INR", P.YEARLY)),
        ("$1.2M", (1200000, 1200000, "USD", P.YEARLY)),
    ],
)
def test_salary_column(text: str, expected: tuple[float, float, str, P.ValueType]) -> None:
    body = csv_text(["company", "position", "salary"], ["Acme", "Dev", text])
    low, high, currency, period = expected
    assert one(body).salary == pb.SalaryRange(min=low, max=high, currency=currency, period=period)


@pytest.mark.parametrize("text", ["competitive", "120,50", "$100 - €200", "1-2-3", "-5", "DOE"])
def test_salary_texts_that_are_not_salaries(text: str) -> None:
    assert parse_salary(text) is None


def test_salary_columns_override_the_salary_text_and_blanks_mean_nothing() -> None:
    body = csv_text(
        ["company", "position", "salary", "max salary", "currency", "salary_period"],
        ["Acme", "Dev", "$100k", "130000", "EUR", "monthly"],
        ["Beta", "Dev", "-", "", "", ""],
        ["Gamma", "Dev", "", "n/a", "", ""],
    )
    plan = read(body)
    assert plan.errors == []
    first, second, third = (r.job for r in plan.rows)
    assert first.salary == pb.SalaryRange(min=100000, max=130000, currency="EUR", period=P.MONTHLY)
    assert not second.HasField("salary") and not third.HasField("salary")


def test_tags_split_on_semicolons_or_else_commas() -> None:
    body = csv_text(
        ["company", "position", "tags"],
        ["A", "B", "python, remote ,, ml"],
        ["A", "B", "x; y, z;"],
        ["A", "B", ""],
    )
    assert [list(r.job.tags) for r in read(body).rows] == [
        ["python", "remote", "ml"],
        ["x", "y, z"],
        [],
    ]


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("2026-11-20T10:00:00Z", "2026-11-20T10:00:00Z"),
        ("2026-11-20T10:00:00.5+02:00", "2026-11-20T08:00:00.500Z"),
        ("2026-11-20 10:00", "2026-11-20T10:00:00Z"),
        ("2026-11-20", "2026-11-20T00:00:00Z"),
        ("Nov 20, 2026", "2026-11-20T00:00:00Z"),
    ],
)
def test_created_times(cell: str, expected: str) -> None:
    job = one(csv_text(["company", "position", "created"], ["A", "B", cell]))
    assert job.create_time.ToJsonString() == expected


def test_status_history_accepts_aliases_and_offsets() -> None:
    cell = "applied@2026-11-20T10:00:00+01:00; phone screen@2026-11-21T00:00:00Z;"
    job = one(
        csv_text(["company", "position", "status", "status_history"], ["A", "B", "phone", cell])
    )
    assert list(job.status_history) == [
        change(S.STATUS_UNSPECIFIED, S.APPLIED, "2026-11-20T09:00:00Z"),
        change(S.APPLIED, S.PHONE_SCREEN, "2026-11-21T00:00:00Z"),
    ]


def test_json_export_time_defaults_to_now_and_naive_means_utc() -> None:
    naive = json.loads(export_json([], exported_at=dt.datetime(2026, 1, 2, 3, 4, 5)))
    assert naive["exportedAt"] == "2026-01-02T03:04:05Z"
    now = json.loads(export_json([]))["exportedAt"]
    assert abs(dt.datetime.fromisoformat(now) - dt.datetime.now(dt.UTC)) < dt.timedelta(minutes=1)


def test_plain_text_contacts_are_names() -> None:
    job = one(csv_text(["company", "position", "contact"], ["A", "B", "Jane Roe; John Doe"]))
    assert [c.name for c in job.contacts] == ["Jane Roe", "John Doe"]


def test_single_line_fields_are_trimmed_and_notes_kept() -> None:
    body = csv_text(["company", "position", "location", "notes"], [" A ", " B", "x ", " n "])
    job = one(body)
    assert (job.company, job.position, job.location, job.notes) == ("A", "B", "x", " n ")


# -- row errors -----------------------------------------------------------------------------


def test_every_row_error_names_its_line_and_column() -> None:
    header = [
        "Company Name",
        "Job Title",
        "Date Applied",
        "Status",
        "Salary",
        "Min Salary",
        "Max Salary",
        "Currency",
        "Pay Period",
        "Work Mode",
        "Link",
        "Notes",
        "Tags",
        "Follow Up",
        "Contacts",
        "Interviews",
        "Status History",
        "Created",
    ]

    def row(**cells: str) -> list[str]:
        base = {"Company Name": "Acme", "Job Title": "Dev"}
        base.update({k.replace("_", " "): v for k, v in cells.items()})
        return [base.get(h, "") for h in header]

    body = csv_text(
        header,
        row(),  # 2: fine
        row(Date_Applied="31/31/2026"),  # 3
        row(Status="ghosted"),  # 4
        row(Salary="competitive"),  # 5
        row(Work_Mode="spaceship"),  # 6
        row(Link="ftp://acme.example/x"),  # 7
        row(**{"Company Name": "  "}),  # 8
        row(Notes="x" * 20_001),  # 9
        row(Tags=",".join(f"t{i}" for i in range(21))),  # 10
        row(Follow_Up="soon"),  # 11
        row(Contacts="[{"),  # 12
        row(Interviews='[{"kind": "VIDEO", "mood": 1}]'),  # 13
        row(Status_History="APPLIED 2026-11-20"),  # 14
        row(Created="yesterday"),  # 15
        row(Min_Salary="150000", Max_Salary="120000"),  # 16
        row(Currency="dollars"),  # 17
        row(Pay_Period="fortnightly"),  # 18
        row(Min_Salary="abc"),  # 19
        row(Date_Applied="1900-01-01"),  # 20
        row(Status_History="OFFER@2026-11-22T00:00:00Z;APPLIED@2026-11-20T00:00:00Z"),  # 21
        row(Status="nope", Date_Applied="nope", **{"Job Title": ""}),  # 22
        row(Company_Name="A\tB"),  # 23
    )
    body += ",".join(["Acme", "Dev", *[""] * 16, "surplus"]) + "\n"  # 24
    plan = read(body)
    assert [r.line for r in plan.rows] == [2]
    errors = [(e.line, e.column, e.message) for e in plan.errors]
    assert errors[:11] == [
        (3, "Date Applied", "not a date: 31/31/2026"),
        (4, "Status", "not a status: ghosted"),
        (5, "Salary", "not a salary: competitive"),
        (6, "Work Mode", "not a work mode (onsite, hybrid or remote): spaceship"),
        (7, "Link", "must be an http(s) URL"),
        (8, "Company Name", "company is required"),
        (9, "Notes", "at most 20000 characters"),
        (10, "Tags", "at most 20 tags"),
        (11, "Follow Up", "not a date: soon"),
        (12, "Contacts", errors[9][2]),
        (13, "Interviews", errors[10][2]),
    ]
    assert errors[9][2].startswith("not valid JSON")
    assert "mood" in errors[10][2]
    assert errors[11:] == [
        (14, "Status History", "not a status history (STATUS@RFC3339;...): APPLIED 2026-11-20"),
        (15, "Created", "not an RFC 3339 time: yesterday"),
        (16, "Max Salary", "max must not be below min"),
        (17, "Currency", "not a currency code: dollars"),
        (18, "Pay Period", "not a pay period: fortnightly"),
        (19, "Min Salary", "not an amount: abc"),
        (20, "Date Applied", "year must be between 1970 and 2100"),
        (21, "Status History", "the status history must be oldest first"),
        (22, "Job Title", "position is required"),
        (22, "Date Applied", "not a date: nope"),
        (22, "Status", "not a status: nope"),
        (23, "Company Name", "no line breaks or control characters"),
        (24, "", "the row has more cells than the header has columns (18)"),
    ]


def test_line_numbers_count_blank_lines_and_line_breaks_in_cells() -> None:
    body = 'company,position,notes\r\n\r\nA,B,"one\r\ntwo"\r\n,,\r\n\r\nC,,x\r\nD,E,\r\n'
    plan = read(body)
    assert [(r.line, r.job.company) for r in plan.rows] == [(3, "A"), (8, "D")]
    assert plan.errors == [ImportIssue(7, "position", "position is required")]


def test_header_need_not_be_on_line_one() -> None:
    plan = read("\n\ncompany,position\nA,B\n")
    assert [r.line for r in plan.rows] == [4]


def test_json_row_errors_name_the_index_and_field() -> None:
    body = json.dumps(
        [
            {"company": "A", "position": "B", "name": "jobs/x", "etag": "e"},
            "not an object",
            {"company": "A", "position": "B", "mood": "happy"},
            {"company": "A", "position": "B", "status": "GHOSTED"},
            {"company": "A"},
            {"company": "A", "position": "B", "appliedDate": {"year": 2026, "month": 13, "day": 1}},
            {"company": "A", "position": "B", "salary": {"min": 10, "max": 5}},
            {"company": " A ", "position": "B", "nextAction": {"dueDate": {"year": 1900}}},
        ]
    )
    plan = read(body, "application/json")
    assert [r.line for r in plan.rows] == [1]
    assert plan.rows[0].job == pb.JobApplication(company="A", position="B", status=S.APPLIED)
    errors = [(e.line, e.column) for e in plan.errors]
    assert errors == [
        (2, ""),
        (3, ""),
        (4, "status"),
        (5, "position"),
        (6, "appliedDate"),
        (7, "salary.max"),
        (8, "nextAction.dueDate"),
    ]
    assert plan.errors[0].message == "expected a JSON object"
    assert "mood" in plan.errors[1].message
    assert "GHOSTED" in plan.errors[2].message
    assert plan.errors[3].message == "position is required"


def test_json_accepts_snake_case_and_a_bare_list_and_keeps_history() -> None:
    body = json.dumps(
        [
            {
                "company": "A",
                "position": "B",
                "job_url": "https://a.example",
                "status_history": [
                    {"status": "APPLIED", "change_time": "2026-11-20T00:00:00Z"},
                ],
                "create_time": "2026-11-19T00:00:00Z",
                "update_time": "2026-11-21T00:00:00Z",
            }
        ]
    )
    job = read(body, "application/json").rows[0].job
    assert job.job_url == "https://a.example"
    assert job.status_history[0].status == S.APPLIED
    assert job.create_time == ts("2026-11-19T00:00:00Z")
    assert not job.HasField("update_time")


# -- file errors and limits -----------------------------------------------------------------


def file_error(body: bytes, content_type: str = "text/csv", **limits: int) -> InvalidArgument:
    with pytest.raises(InvalidArgument) as err:
        parse_import(body, content_type, **{**LIMITS, **limits})
    assert [v.field for v in err.value.violations] == ["content"]
    return err.value


@pytest.mark.parametrize(
    ("body", "content_type", "reason", "says"),
    [
        (b"", "text/csv", "IMPORT_UNREADABLE", "header"),
        (b"\r\n\r\n , ,\r\n", "text/csv", "IMPORT_UNREADABLE", "header"),
        (b"foo,bar\n1,2\n", "text/csv", "IMPORT_UNREADABLE", "company and a position"),
        (b"Company,Notes\nAcme,x\n", "text/csv", "IMPORT_UNREADABLE", "a position column"),
        ("Société,x\n".encode("latin-1"), "text/csv", "IMPORT_UNREADABLE", "UTF-8"),
        (b"company,position\x00\n", "text/csv", "IMPORT_UNREADABLE", "NUL"),
        (b'company,position\n"Acme"x,Dev\n', "text/csv", "IMPORT_UNREADABLE", "line 2"),
        (b'company,position\n"Acme,Dev\n', "text/csv", "IMPORT_UNREADABLE", "malformed"),
        (b"[{", "application/json", "IMPORT_UNREADABLE", "Not valid JSON"),
        (b"", "application/json", "IMPORT_UNREADABLE", "Not valid JSON"),
        (b'{"company": "A"}', "application/json", "IMPORT_UNREADABLE", "list of jobs"),
        (b'{"jobs": {}}', "application/json", "IMPORT_UNREADABLE", "list of jobs"),
        (b'{"jobs": [], "version": 2}', "application/json", "IMPORT_UNREADABLE", "version"),
        (b"[" * 100_000, "application/json", "IMPORT_UNREADABLE", "JSON"),
        (b'[{"company": "A", "position": "B"}]', "text/plain", "IMPORT_UNREADABLE", "header"),
    ],
)
def test_unreadable_files(body: bytes, content_type: str, reason: str, says: str) -> None:
    err = file_error(body, content_type)
    assert err.reason == reason
    assert says in err.message


def test_size_limit() -> None:
    body = b"company,position\nAcme,Dev\n"
    assert read(body, max_bytes=len(body)).rows
    err = file_error(body, max_bytes=len(body) - 1)
    assert err.reason == "IMPORT_TOO_LARGE"


def test_row_limit_counts_data_rows_only() -> None:
    body = b"company,position\n\nA,B\n,,\nC,D\n\n"
    assert len(read(body, max_rows=2).rows) == 2
    assert file_error(body + b"E,F\n", max_rows=2).reason == "IMPORT_TOO_MANY_ROWS"
    many = json.dumps([{"company": "A", "position": "B"}] * 3).encode()
    assert len(read(many, "application/json", max_rows=3).rows) == 3
    assert file_error(many, "application/json", max_rows=2).reason == "IMPORT_TOO_MANY_ROWS"


# -- encodings, delimiters, content types ---------------------------------------------------


def test_utf8_bom() -> None:
    plan = read("Company,Position\nZürich AG,Dev\n".encode("utf-8-sig"))
    assert plan.errors == []
    assert plan.rows[0].job.company == "Zürich AG"


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be"])
def test_utf16_with_bom_as_excel_unicode_text(encoding: str) -> None:
    text = "Company\tJob Title\tNotes\r\nZürich AG\tDev\tnaïve, 日本\r\n"
    raw = text.encode(encoding)
    if encoding != "utf-16":
        raw = "\ufeff".encode(encoding) + raw
    plan = read(raw, "text/plain")
    assert plan.errors == []
    job = plan.rows[0].job
    assert (job.company, job.position, job.notes) == ("Zürich AG", "Dev", "naïve, 日本")


def test_utf16_without_bom_is_refused() -> None:
    assert file_error("company,position\n".encode("utf-16-le")).reason == "IMPORT_UNREADABLE"


def test_semicolon_delimited_excel_csv() -> None:
    job = one("Company;Position;Salary;Notes\nAcme;Dev;€50k;a, b\n")
    assert (job.company, job.notes) == ("Acme", "a, b")
    assert job.salary == pb.SalaryRange(min=50000, max=50000, currency="EUR", period=P.YEARLY)


@pytest.mark.parametrize(
    ("content_type", "fmt"),
    [
        ("text/csv; charset=utf-8", "csv"),
        ("application/csv", "csv"),
        ("TEXT/PLAIN", "csv"),
        ("application/json; charset=utf-8", "json"),
        ("application/vnd.ms-excel", "sniff"),
        ("application/octet-stream", "sniff"),
        ("", "sniff"),
    ],
)
def test_content_type_decides_and_otherwise_the_bytes_do(content_type: str, fmt: str) -> None:
    as_csv = b"company,position\nAcme,Dev\n"
    as_json = b' \n[{"company": "Acme", "position": "Dev"}]'
    if fmt in ("csv", "sniff"):
        assert read(as_csv, content_type).format == "csv"
    if fmt in ("json", "sniff"):
        assert read(as_json, content_type).format == "json"
    if fmt == "sniff":
        assert read(export_json(jobs()), content_type).format == "json"
