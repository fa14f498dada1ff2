"""Import and export of job applications as CSV and JSON: pure functions, no I/O, no gRPC.

Export
======
`export_csv` writes UTF-8 (no BOM unless asked for), a header row, RFC 4180 quoting by the
`csv` module (CRLF line ends; a cell is quoted when it holds the delimiter, a quote or a line
break). The columns, in this order:

=================  ===================================================================
company            text
position           text
status             enum name: SAVED, APPLIED, PHONE_SCREEN, ... (empty when unset)
applied_date       YYYY-MM-DD
location           text
work_mode          enum name: ONSITE, HYBRID, REMOTE (empty when unknown)
salary_min         a plain number, no grouping or exponent: 120000, 45.5
salary_max         likewise
salary_currency    ISO 4217 code
salary_period      enum name: HOURLY, DAILY, WEEKLY, MONTHLY, YEARLY (empty when unknown)
job_url            text
source             text
tags               joined with "; "; a single tag holding a comma gets a trailing ";" so
                   that the importer does not split it
notes              text, line breaks kept
job_description    text, line breaks kept
next_action        the next action's description
next_action_due    YYYY-MM-DD
contacts           JSON array of proto JSON (lowerCamelCase) Contact objects
interviews         JSON array of proto JSON Interview objects (RFC 3339 times, "3600s")
status_history     STATUS@RFC3339;STATUS@RFC3339, oldest first
created            RFC 3339
updated            RFC 3339
name               jobs/{id}
=================  ===================================================================

Formula guard (OWASP "CSV injection"): a cell that starts with ``=``, ``+``, ``-``, ``@``, a
tab or a carriage return gets a leading ``'`` so that a spreadsheet shows it as text. A cell
that starts with one or more ``'`` followed by one of those characters gets one more ``'``,
and the importer removes exactly one leading ``'`` from any cell of that shape: the guard is
a bijection and a round trip is lossless.

`export_json` writes ``{"jobs": [...], "exportedAt": RFC 3339, "version": 1}``; each job is
its proto JSON (lowerCamelCase, fields at their default value omitted as proto JSON does),
output-only fields (name, statusHistory, createTime, updateTime, etag) included.

Import
======
`parse_import` reads CSV or JSON into an `ImportPlan`: the rows that can be created, with a
content key each for duplicate detection, and the problems of the rows that cannot.

Format: ``text/csv``, ``application/csv`` and ``text/plain`` are CSV; ``application/json``
(and ``*+json``) is JSON; anything else is sniffed: JSON when the text starts with ``[`` or
``{``, CSV otherwise.

Encoding: UTF-8, with or without a BOM, or UTF-16 with a BOM (Excel's "Unicode Text").
Anything else, or text containing NUL characters, is refused as unreadable.

CSV:

- The delimiter is the one of ``,``, ``;`` and tab that occurs most in the header line
  (Excel writes ``;`` in some locales and tabs in "Unicode Text"); ``,`` on a tie.
- The header is the first non-empty line. Header names are matched case-insensitively,
  ignoring spaces, ``_`` and ``-``; see `COLUMN_ALIASES` for the accepted names. Unknown
  columns are ignored and listed in `ImportPlan.ignored_columns`, as are repeated columns
  (the first one wins). ``updated`` and ``name`` are recognised and dropped (output only).
  A file without a company or a position column is refused.
- Lines that are empty, or whose cells are all blank, are skipped and do not count as rows.
  A row with more non-empty cells than the header has columns is refused.
- company, position, location, source, job_url, next_action and every tag are trimmed;
  notes and job_description are kept exactly.
- status: enum names in any case, spaces or dashes for ``_``, and the aliases in
  `STATUS_ALIASES`. Empty means APPLIED.
- Dates (applied_date, next_action_due): ``2026-11-20``, ``2026/11/20``, ISO date-times (the
  date as written is taken), ``20 Nov 2026``, ``20-Nov-2026``, ``Nov 20, 2026``, ``November
  20th, 2026``, ``20.11.2026`` (always day first), and ``a/b/yyyy`` or ``a-b-yyyy`` (also
  with two-digit years, 20yy): month/day when ``a <= 12``, day/month when ``a > 12``. When a
  column holds a value that can only be day/month (``25/11/2026``) and none that can only be
  month/day (``11/25/2026``), every ``a/b/yyyy`` value of that column is read day/month.
  ``-``, ``n/a`` and the like count as empty.
- salary: one "salary" column such as ``$120,000 - $150,000``, ``120k-150k``, ``120-150k``,
  ``€50k+`` (minimum only), ``up to £40k`` (maximum only), ``100000`` (minimum = maximum),
  ``$45/hr``. Currency from the symbol ($ USD, € EUR, £ GBP, ¥ JPY, ₹ INR, US$, C$, A$, NZ$)
  or an ISO code in the text; period from ``/hr``, ``per hour``, ``hourly``, ``/yr``,
  ``p.a.``, ``monthly``, ... and YEARLY when none is given. Thousands are grouped with ``,``
  only. Columns salary_min, salary_max, salary_currency and salary_period override what the
  salary column says; when the file has no salary_period column, amounts are YEARLY.
- tags: split on ``;`` when the cell holds one, else on ``,``; trimmed; empty ones dropped.
- contacts: a JSON array of Contact objects, or plain text read as one contact name per
  line or ``;``. interviews: a JSON array of Interview objects.
- status_history: ``STATUS@RFC3339;...``, oldest first (each entry's from_status is the
  previous entry's status).
- created: RFC 3339, or an ISO date-time (UTC unless it says otherwise), or a date
  (midnight UTC).

JSON: a list of proto JSON jobs, or ``{"jobs": [...]}`` as exported (``version`` 1 if
given). Each is parsed with `json_format.ParseDict` with unknown fields refused; ``name``,
``etag`` and ``updateTime`` are dropped, ``statusHistory`` and ``createTime`` kept. The
same trimming as for CSV applies, so both formats of the same data give equal jobs and keys.

Every row is then checked with `rules.validate(job, UPDATABLE)`; its violations become
issues on the CSV column as written (for JSON: the lowerCamelCase field path). A row with
any issue is not in `ImportPlan.rows`.

The key of a row (`import_key`) is the SHA-256 of the canonical JSON of its user fields
(`rules.UPDATABLE`); name, etag, update_time, create_time and status_history are not part
of it. Re-importing a file, or the export of what it created, gives the same keys.
"""

from __future__ import annotations

import csv
import datetime as dt
import functools
import hashlib
import io
import json
import math
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Literal

from google.protobuf import json_format
from google.protobuf.message import Message
from google.protobuf.timestamp_pb2 import Timestamp

from careervault.jobs.v1 import jobs_pb2 as pb
from careervault.runtime.errors import FieldViolation, InvalidArgument
from careervault_jobs.rules import UPDATABLE, validate

Status = pb.JobApplication.Status
WorkMode = pb.JobApplication.WorkMode
Period = pb.SalaryRange.Period

REASON_TOO_LARGE = "IMPORT_TOO_LARGE"
REASON_TOO_MANY_ROWS = "IMPORT_TOO_MANY_ROWS"
REASON_UNREADABLE = "IMPORT_UNREADABLE"
JSON_EXPORT_VERSION = 1
KEY_VERSION = b"careervault-import-key-v1\n"

CSV_COLUMNS: tuple[str, ...] = (
    "company",
    "position",
    "status",
    "applied_date",
    "location",
    "work_mode",
    "salary_min",
    "salary_max",
    "salary_currency",
    "salary_period",
    "job_url",
    "source",
    "tags",
    "notes",
    "job_description",
    "next_action",
    "next_action_due",
    "contacts",
    "interviews",
    "status_history",
    "created",
    "updated",
    "name",
)

# Column key -> other header names it is known by (besides the key itself).
COLUMN_ALIASES: Mapping[str, tuple[str, ...]] = {
    "company": ("company name", "employer", "organization", "organisation"),
    "position": ("title", "job title", "role", "position title", "job position"),
    "status": ("stage", "application status"),
    "applied_date": ("date applied", "applied", "applied on", "application date"),
    "location": ("city", "job location"),
    "work_mode": ("workplace", "workplace type", "work arrangement"),
    "salary": ("salary range", "compensation", "pay"),
    "salary_min": ("min salary", "minimum salary", "salary from"),
    "salary_max": ("max salary", "maximum salary", "salary to"),
    "salary_currency": ("currency",),
    "salary_period": ("pay period", "period"),
    "job_url": ("url", "link", "job link", "posting url", "job posting url", "posting link"),
    "source": ("found via", "job board"),
    "tags": ("labels", "tag"),
    "notes": ("comments", "note"),
    "job_description": ("description", "jd"),
    "next_action": ("next step", "next steps"),
    "next_action_due": ("next action date", "follow up", "follow up date", "due date"),
    "contacts": ("contact", "contact name", "contact person"),
    "interviews": (),
    "status_history": ("history",),
    "created": ("create time", "created at"),
    "updated": ("update time", "updated at"),
    "name": (),
}

STATUS_ALIASES: Mapping[str, Status.ValueType] = {
    "phone screen": Status.PHONE_SCREEN,
    "screening": Status.PHONE_SCREEN,
    "phone": Status.PHONE_SCREEN,
    "interview": Status.TECHNICAL_INTERVIEW,
    "interviewing": Status.TECHNICAL_INTERVIEW,
    "technical": Status.TECHNICAL_INTERVIEW,
    "tech interview": Status.TECHNICAL_INTERVIEW,
    "onsite": Status.FINAL_INTERVIEW,
    "final": Status.FINAL_INTERVIEW,
    "final round": Status.FINAL_INTERVIEW,
    "offered": Status.OFFER,
    "offer received": Status.OFFER,
    "accepted": Status.ACCEPTED,
    "hired": Status.ACCEPTED,
    "declined": Status.REJECTED,
    "rejected": Status.REJECTED,
    "no": Status.REJECTED,
    "withdrew": Status.WITHDRAWN,
    "withdrawn": Status.WITHDRAWN,
    "wishlist": Status.SAVED,
    "wish list": Status.SAVED,
    "bookmarked": Status.SAVED,
    "saved": Status.SAVED,
    "interested": Status.SAVED,
    "applied": Status.APPLIED,
    "submitted": Status.APPLIED,
}

WORK_MODE_ALIASES: Mapping[str, WorkMode.ValueType] = {
    "on site": WorkMode.ONSITE,
    "in office": WorkMode.ONSITE,
    "office": WorkMode.ONSITE,
    "in person": WorkMode.ONSITE,
    "fully remote": WorkMode.REMOTE,
    "wfh": WorkMode.REMOTE,
    "work from home": WorkMode.REMOTE,
}

PERIOD_ALIASES: Mapping[str, Period.ValueType] = {
    "hour": Period.HOURLY,
    "hr": Period.HOURLY,
    "per hour": Period.HOURLY,
    "day": Period.DAILY,
    "per day": Period.DAILY,
    "week": Period.WEEKLY,
    "per week": Period.WEEKLY,
    "month": Period.MONTHLY,
    "per month": Period.MONTHLY,
    "year": Period.YEARLY,
    "yr": Period.YEARLY,
    "per year": Period.YEARLY,
    "annual": Period.YEARLY,
    "annually": Period.YEARLY,
}

_DATE_COLUMNS = ("applied_date", "next_action_due")
_TRIMMED = ("company", "position", "location", "source", "job_url")
_BLANK_MARKERS = frozenset({"-", "\u2013", "\u2014", "n/a", "na", "none"})
_GUARDED = re.compile(r"'*[=+\-@\t\r]")
_TO_UNGUARD = re.compile(r"'+[=+\-@\t\r]")
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")

# Violation field (from rules.validate) -> CSV column keys that may hold it, best first.
_VIOLATION_COLUMNS: Mapping[str, tuple[str, ...]] = {
    "salary": ("salary_min", "salary", "salary_max"),
    "salary.min": ("salary_min", "salary"),
    "salary.max": ("salary_max", "salary"),
    "salary.currency": ("salary_currency", "salary"),
    "salary.period": ("salary_period", "salary"),
    "next_action": ("next_action", "next_action_due"),
    "next_action.due_date": ("next_action_due", "next_action"),
    "next_action.description": ("next_action",),
}


# --------------------------------------------------------------------------------------------
# Public types


@dataclass(frozen=True)
class ImportIssue:
    """Why one row was refused. `line`: the CSV file line (header = 1) or the 1-based JSON
    index; `column`: the CSV header as written, or the JSON field path; empty when the row as a
    whole is at fault."""

    line: int
    column: str
    message: str


@dataclass
class ImportRow:
    """A row that can be created: its line, the job (user fields, plus status_history and
    create_time when the file has them) and its duplicate-detection key."""

    line: int
    job: pb.JobApplication
    key: str


@dataclass
class ImportPlan:
    """What an import would do: `rows` to create in file order, `errors` for refused rows."""

    format: Literal["csv", "json"]
    rows: list[ImportRow] = field(default_factory=list)
    errors: list[ImportIssue] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)


# --------------------------------------------------------------------------------------------
# Export


def export_csv(jobs: Sequence[pb.JobApplication], *, excel_bom: bool = False) -> bytes:
    """The jobs as CSV (see the module docstring). `excel_bom` prefixes a UTF-8 BOM, which
    makes Excel read the file as UTF-8."""
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for job in jobs:
        writer.writerow([guard_formula(_csv_value(job, column)) for column in CSV_COLUMNS])
    data = out.getvalue().encode("utf-8")
    return b"\xef\xbb\xbf" + data if excel_bom else data


def export_json(
    jobs: Sequence[pb.JobApplication], *, exported_at: dt.datetime | None = None
) -> bytes:
    """The jobs as ``{"jobs": [...], "exportedAt": ..., "version": 1}``, UTF-8, indented.
    `exported_at` defaults to now (a naive value is taken as UTC)."""
    when = exported_at or dt.datetime.now(dt.UTC)
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    stamp = Timestamp()
    stamp.FromDatetime(when.astimezone(dt.UTC))
    document = {
        "jobs": [json_format.MessageToDict(job) for job in jobs],
        "exportedAt": stamp.ToJsonString(),
        "version": JSON_EXPORT_VERSION,
    }
    return (json.dumps(document, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


def guard_formula(cell: str) -> str:
    """Prefixes ``'`` to a cell a spreadsheet could run as a formula (see the module doc)."""
    return "'" + cell if _GUARDED.match(cell) else cell


def unguard_formula(cell: str) -> str:
    """Undoes `guard_formula`: drops one leading ``'`` when quotes lead to a formula start."""
    return cell[1:] if _TO_UNGUARD.match(cell) else cell


def _csv_value(job: pb.JobApplication, column: str) -> str:
    salary = job.salary if job.HasField("salary") else None
    match column:
        case "status":
            return _enum_name(Status, job.status)
        case "applied_date":
            return _date_text(job.applied_date) if job.HasField("applied_date") else ""
        case "work_mode":
            return _enum_name(WorkMode, job.work_mode)
        case "salary_min":
            return _number_text(salary.min) if salary and salary.min else ""
        case "salary_max":
            return _number_text(salary.max) if salary and salary.max else ""
        case "salary_currency":
            return salary.currency if salary else ""
        case "salary_period":
            return _enum_name(Period, salary.period) if salary else ""
        case "tags":
            text = "; ".join(job.tags)
            return text + ";" if "," in text and ";" not in text else text
        case "next_action":
            return job.next_action.description
        case "next_action_due":
            action = job.next_action
            return _date_text(action.due_date) if action.HasField("due_date") else ""
        case "contacts" | "interviews":
            items = getattr(job, column)
            if not items:
                return ""
            dicts = [json_format.MessageToDict(item) for item in items]
            return json.dumps(dicts, ensure_ascii=False, separators=(",", ":"))
        case "status_history":
            return ";".join(
                f"{_enum_name(Status, h.status)}@{h.change_time.ToJsonString()}"
                for h in job.status_history
            )
        case "created":
            return job.create_time.ToJsonString() if job.HasField("create_time") else ""
        case "updated":
            return job.update_time.ToJsonString() if job.HasField("update_time") else ""
        case _:
            value = getattr(job, column)
            assert isinstance(value, str)
            return value


def _enum_name(enum: Any, number: int) -> str:
    if number == 0:
        return ""
    try:
        name = enum.Name(number)
    except ValueError:
        return str(number)
    assert isinstance(name, str)
    return name


def _date_text(date: Any) -> str:
    year, month, day = int(date.year), int(date.month), int(date.day)
    if not (year or month or day):
        return ""
    return f"{year:04d}-{month:02d}-{day:02d}"


def _number_text(value: float) -> str:
    if not math.isfinite(value):
        return ""
    text = format(Decimal(repr(value)), "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


# --------------------------------------------------------------------------------------------
# Keys and normalisation


def import_key(job: pb.JobApplication) -> str:
    """The duplicate-detection key of a job: SHA-256 (hex) of the canonical JSON of its user
    fields after import normalisation. Output-only fields do not count."""
    user = normalise(job)
    for fd in pb.JobApplication.DESCRIPTOR.fields:
        if fd.name not in UPDATABLE:
            user.ClearField(fd.name)  # type: ignore[arg-type]
    canonical = json.dumps(
        json_format.MessageToDict(user, preserving_proto_field_name=True),
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    )
    return hashlib.sha256(KEY_VERSION + canonical.encode("utf-8")).hexdigest()


def normalise(job: pb.JobApplication) -> pb.JobApplication:
    """A copy of the job as the importer makes it: single-line text and tags trimmed, empty
    tags, empty salary, empty next action and all-zero dates dropped, no status = APPLIED."""
    out = pb.JobApplication()
    out.CopyFrom(job)
    for name in _TRIMMED:
        setattr(out, name, getattr(out, name).strip())
    tags = [t.strip() for t in out.tags if t.strip()]
    del out.tags[:]
    out.tags.extend(tags)
    if out.status == Status.STATUS_UNSPECIFIED:
        out.status = Status.APPLIED
    if out.HasField("applied_date") and not _date_text(out.applied_date):
        out.ClearField("applied_date")
    if out.HasField("next_action"):
        action = out.next_action
        action.description = action.description.strip()
        if action.HasField("due_date") and not _date_text(action.due_date):
            action.ClearField("due_date")
        if not action.description and not action.HasField("due_date"):
            out.ClearField("next_action")
    if out.HasField("salary") and out.salary == pb.SalaryRange():
        out.ClearField("salary")
    return out


# --------------------------------------------------------------------------------------------
# Import: entry point, limits, decoding


def parse_import(body: bytes, content_type: str, *, max_rows: int, max_bytes: int) -> ImportPlan:
    """Reads a CSV or JSON import (see the module docstring). Raises InvalidArgument with a
    violation on ``content`` and reason IMPORT_TOO_LARGE, IMPORT_TOO_MANY_ROWS or
    IMPORT_UNREADABLE when the file as a whole cannot be imported; problems of single rows are
    reported in `ImportPlan.errors` instead."""
    if len(body) > max_bytes:
        raise _file_error(
            REASON_TOO_LARGE,
            f"The file is {len(body)} bytes; at most {max_bytes} bytes can be imported.",
        )
    text = _decode(body)
    mime = content_type.split(";", 1)[0].strip().lower()
    if mime in ("text/csv", "application/csv", "text/plain"):
        fmt = "csv"
    elif mime == "application/json" or mime.endswith("+json"):
        fmt = "json"
    else:
        fmt = "json" if text.lstrip()[:1] in ("[", "{") else "csv"
    if fmt == "json":
        return _parse_json(text, max_rows)
    return _parse_csv(text, max_rows)


def _file_error(reason: str, message: str) -> InvalidArgument:
    return InvalidArgument(message, reason=reason, violations=[FieldViolation("content", message)])


def _decode(body: bytes) -> str:
    try:
        encoding = "utf-16" if body.startswith(_UTF16_BOMS) else "utf-8-sig"
        text = body.decode(encoding)
    except UnicodeDecodeError:
        raise _file_error(
            REASON_UNREADABLE,
            "The file is not UTF-8 text. Save it as CSV UTF-8 (or JSON) and try again.",
        ) from None
    if "\x00" in text:
        raise _file_error(
            REASON_UNREADABLE,
            "The file holds NUL characters: it is binary, or UTF-16 without a byte-order mark.",
        )
    return text.removeprefix("\ufeff")


def _too_many_rows(max_rows: int) -> InvalidArgument:
    return _file_error(
        REASON_TOO_MANY_ROWS,
        f"The file has more than {max_rows} rows; split it into smaller files.",
    )


def _show(value: str, limit: int = 60) -> str:
    value = value.strip()
    return value if len(value) <= limit else value[: limit - 3] + "..."


# --------------------------------------------------------------------------------------------
# Import: JSON


def _parse_json(text: str, max_rows: int) -> ImportPlan:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as err:
        raise _file_error(
            REASON_UNREADABLE,
            f"Not valid JSON: {err.msg} at line {err.lineno}, column {err.colno}.",
        ) from None
    except (ValueError, RecursionError):
        raise _file_error(REASON_UNREADABLE, "Not valid JSON.") from None
    if isinstance(data, dict) and "jobs" in data:
        version = data.get("version", JSON_EXPORT_VERSION)
        if version != JSON_EXPORT_VERSION:
            raise _file_error(REASON_UNREADABLE, f"Unknown export version {version!r}; expected 1.")
        data = data["jobs"]
    if not isinstance(data, list):
        raise _file_error(
            REASON_UNREADABLE, 'Expected a JSON list of jobs, or {"jobs": [...]} as exported.'
        )
    if len(data) > max_rows:
        raise _too_many_rows(max_rows)
    plan = ImportPlan(format="json")
    for index, item in enumerate(data, start=1):
        if not isinstance(item, dict):
            plan.errors.append(ImportIssue(index, "", "expected a JSON object"))
            continue
        job = pb.JobApplication()
        try:
            json_format.ParseDict(item, job, ignore_unknown_fields=False)
        except (json_format.ParseError, ValueError, TypeError, RecursionError) as err:
            message = str(err) or "not a job application"
            found = re.match(r"Failed to parse (\w+) field", message)
            plan.errors.append(ImportIssue(index, found.group(1) if found else "", message))
            continue
        for output_only in ("name", "etag", "update_time"):
            job.ClearField(output_only)  # type: ignore[arg-type]
        job = normalise(job)
        issues = [ImportIssue(index, _camel_path(f), m) for f, m in _violations(job)]
        if issues:
            plan.errors.extend(issues)
        else:
            plan.rows.append(ImportRow(index, job, import_key(job)))
    return plan


def _camel_path(path: str) -> str:
    return ".".join(
        re.sub(r"_([a-z0-9])", lambda m: m.group(1).upper(), part) for part in path.split(".")
    )


def _violations(job: pb.JobApplication) -> list[tuple[str, str]]:
    try:
        validate(job, UPDATABLE)
    except InvalidArgument as err:
        return [(v.field, v.description) for v in err.violations]
    return []


# --------------------------------------------------------------------------------------------
# Import: CSV


def _norm_header(text: str) -> str:
    return re.sub(r"[\s_\-]+", "", text.strip().lower())


_HEADER_KEYS: Mapping[str, str] = {
    _norm_header(alias): key for key, aliases in COLUMN_ALIASES.items() for alias in (key, *aliases)
}


def _delimiter(text: str) -> str:
    first = next((line for line in io.StringIO(text, newline="") if line.strip()), "")
    counts = {d: first.count(d) for d in (",", ";", "\t")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] > counts[","] else ","


def _parse_csv(text: str, max_rows: int) -> ImportPlan:
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text), strict=True)
    header: list[str] | None = None
    records: list[tuple[int, list[str]]] = []
    last = 0
    try:
        for record in reader:
            start, last = last + 1, reader.line_num
            if not any(cell.strip() for cell in record):
                continue
            if header is None:
                header = record
                continue
            records.append((start, record))
            if len(records) > max_rows:
                raise _too_many_rows(max_rows)
    except csv.Error as err:
        raise _file_error(
            REASON_UNREADABLE, f"The CSV is malformed at line {reader.line_num}: {err}."
        ) from None
    if header is None:
        raise _file_error(REASON_UNREADABLE, "The file is empty: it needs a header row.")

    plan = ImportPlan(format="csv")
    index: dict[str, int] = {}
    written: dict[str, str] = {}
    for i, raw in enumerate(header):
        name = raw.strip()
        if not name:
            continue
        key = _HEADER_KEYS.get(_norm_header(name))
        if key is None or key in index:
            plan.ignored_columns.append(name)
            continue
        index[key], written[key] = i, name
    missing = [k for k in ("company", "position") if k not in index]
    if missing:
        found = ", ".join(_show(h, 40) for h in header if h.strip())[:300]
        raise _file_error(
            REASON_UNREADABLE,
            f"The header row needs a {' and a '.join(missing)} column (found: {found}).",
        )

    def cell(record: list[str], key: str) -> str:
        i = index.get(key)
        return unguard_formula(record[i]) if i is not None and i < len(record) else ""

    day_first = {
        key: _column_is_day_first(cell(r, key) for _, r in records)
        for key in _DATE_COLUMNS
        if key in index
    }
    for line, record in records:
        if any(c.strip() for c in record[len(header) :]):
            plan.errors.append(
                ImportIssue(
                    line,
                    "",
                    f"the row has more cells than the header has columns ({len(header)})",
                )
            )
            continue
        job, problems = _csv_job(
            functools.partial(cell, record),
            has_period_column="salary_period" in index,
            day_first=day_first,
        )
        job = normalise(job)
        problem_columns = {key for key, _ in problems}
        for violation_field, message in _violations(job):
            key = next(
                (
                    k
                    for k in _VIOLATION_COLUMNS.get(
                        violation_field, (violation_field, violation_field.split(".")[0])
                    )
                    if k in index
                ),
                "",
            )
            if key in problem_columns:
                continue
            problems.append((key or violation_field, message))
        if problems:
            problems.sort(key=lambda p: index.get(p[0], -1))
            plan.errors.extend(
                ImportIssue(line, written.get(key, key), message) for key, message in problems
            )
        else:
            plan.rows.append(ImportRow(line, job, import_key(job)))
    return plan


def _csv_job(
    get: Callable[[str], str], *, has_period_column: bool, day_first: Mapping[str, bool]
) -> tuple[pb.JobApplication, list[tuple[str, str]]]:
    """One CSV row as a job, and the (column key, message) problems found in it."""
    job = pb.JobApplication()
    problems: list[tuple[str, str]] = []

    def bad(key: str, what: str) -> None:
        problems.append((key, f"not {what}: {_show(get(key))}"))

    for key in _TRIMMED:
        setattr(job, key, get(key).strip())
    job.notes = get("notes")
    job.job_description = get("job_description")

    status = _parse_status(get("status"))
    if status is None:
        bad("status", "a status")
    else:
        job.status = status

    work_mode = _lookup_enum(get("work_mode"), WorkMode, WORK_MODE_ALIASES, blank_markers=True)
    if work_mode is None:
        bad("work_mode", "a work mode (onsite, hybrid or remote)")
    else:
        job.work_mode = work_mode

    applied = get("applied_date")
    if not _is_blank(applied):
        date = parse_date(applied, day_first=day_first.get("applied_date", False))
        if date is None:
            bad("applied_date", "a date")
        else:
            _set_date(job.applied_date, date)

    _csv_salary(job, get, problems, has_period_column)

    tags = get("tags")
    parts = tags.split(";") if ";" in tags else tags.split(",")
    job.tags.extend(t.strip() for t in parts if t.strip())

    description, due = get("next_action").strip(), get("next_action_due")
    if description:
        job.next_action.description = description
    if not _is_blank(due):
        date = parse_date(due, day_first=day_first.get("next_action_due", False))
        if date is None:
            bad("next_action_due", "a date")
        else:
            _set_date(job.next_action.due_date, date)

    contacts = get("contacts").strip()
    if contacts.startswith(("[", "{")):
        parsed = _json_list(contacts, pb.Contact)
        if isinstance(parsed, str):
            problems.append(("contacts", parsed))
        else:
            job.contacts.extend(parsed)
    elif contacts:
        names = re.split(r"[;\n]", contacts)
        job.contacts.extend(pb.Contact(name=n.strip()) for n in names if n.strip())

    interviews = get("interviews").strip()
    if interviews:
        parsed_interviews = _json_list(interviews, pb.Interview)
        if isinstance(parsed_interviews, str):
            problems.append(("interviews", parsed_interviews))
        else:
            job.interviews.extend(parsed_interviews)

    history = get("status_history").strip()
    if history:
        changes = _parse_history(history)
        if isinstance(changes, str):
            problems.append(("status_history", changes))
        else:
            job.status_history.extend(changes)

    created = get("created").strip()
    if created:
        stamp = _parse_time(created)
        if stamp is None:
            bad("created", "an RFC 3339 time")
        else:
            job.create_time.CopyFrom(stamp)
    return job, problems


def _csv_salary(
    job: pb.JobApplication,
    get: Callable[[str], str],
    problems: list[tuple[str, str]],
    has_period_column: bool,
) -> None:
    salary = pb.SalaryRange()
    given = from_text = False
    text = get("salary")
    if not _is_blank(text):
        pay = parse_salary(text)
        if pay is None:
            problems.append(("salary", f"not a salary: {_show(text)}"))
        else:
            given = from_text = True
            salary.min, salary.max = pay.low or 0.0, pay.high or 0.0
            salary.currency, salary.period = pay.currency, pay.period
    for key in ("salary_min", "salary_max"):
        text = get(key)
        if _is_blank(text):
            continue
        pay = parse_salary(text)
        if pay is None or pay.low is None or pay.low != pay.high:
            problems.append((key, f"not an amount: {_show(text)}"))
            continue
        given = True
        setattr(salary, key.removeprefix("salary_"), pay.low)
        salary.currency = salary.currency or pay.currency
        salary.period = salary.period or pay.period
    currency = get("salary_currency").strip()
    if currency:
        code = _CURRENCY_SYMBOLS.get(currency, currency.upper())
        if re.fullmatch(r"[A-Z]{3}", code):
            salary.currency = code
        else:
            problems.append(("salary_currency", f"not a currency code: {_show(currency)}"))
    period = get("salary_period")
    if period.strip():
        value = _lookup_enum(period, Period, PERIOD_ALIASES)
        if value is None:
            problems.append(("salary_period", f"not a pay period: {_show(period)}"))
        else:
            salary.period = value
    amounts = bool(salary.min or salary.max)
    if amounts and not salary.period and (from_text or not has_period_column):
        salary.period = Period.YEARLY
    if given or salary.currency or salary.period:
        job.salary.CopyFrom(salary)


def _is_blank(text: str) -> bool:
    return text.strip().lower() in _BLANK_MARKERS or not text.strip()


def _set_date(target: Any, date: dt.date) -> None:
    target.year, target.month, target.day = date.year, date.month, date.day


def _json_list(text: str, cls: type[Message]) -> list[Any] | str:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as err:
        return f"not valid JSON: {err.msg} at position {err.pos}"
    except (ValueError, RecursionError):
        return "not valid JSON"
    if isinstance(data, dict):
        data = [data]
    if not isinstance(data, list):
        return "expected a JSON array of objects"
    out: list[Any] = []
    for item in data:
        if not isinstance(item, dict):
            return "expected a JSON array of objects"
        message = cls()
        try:
            json_format.ParseDict(item, message, ignore_unknown_fields=False)
        except (json_format.ParseError, ValueError, TypeError, RecursionError) as err:
            return str(err) or "not valid"
        out.append(message)
    return out


def _parse_history(text: str) -> list[pb.StatusChange] | str:
    out: list[pb.StatusChange] = []
    previous = Status.STATUS_UNSPECIFIED
    for part in (p.strip() for p in text.split(";")):
        if not part:
            continue
        status_text, at, time_text = part.partition("@")
        status = _parse_status(status_text) if status_text.strip() else None
        stamp = _parse_time(time_text.strip()) if at else None
        if status is None or stamp is None:
            return f"not a status history (STATUS@RFC3339;...): {_show(part)}"
        if out and stamp.ToNanoseconds() < out[-1].change_time.ToNanoseconds():
            return "the status history must be oldest first"
        out.append(pb.StatusChange(from_status=previous, status=status, change_time=stamp))
        previous = status
    return out


def _parse_time(text: str) -> Timestamp | None:
    """RFC 3339; else an ISO date-time (UTC unless it says otherwise); else a date (midnight
    UTC)."""
    stamp = Timestamp()
    try:
        stamp.FromJsonString(text)
        return stamp
    except ValueError:
        pass
    try:
        when = dt.datetime.fromisoformat(text) if _ISO_DATETIME.fullmatch(text) else None
    except ValueError:
        return None
    if when is None:
        date = parse_date(text)
        if date is None:
            return None
        when = dt.datetime(date.year, date.month, date.day)
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    stamp.FromDatetime(when.astimezone(dt.UTC))
    return stamp


# --------------------------------------------------------------------------------------------
# Values: statuses, enums, dates, salaries


def _words(text: str) -> str:
    return re.sub(r"[\s_\-]+", " ", text.strip().lower()).strip()


_STATUS_WORDS: Mapping[str, Status.ValueType] = {
    **{_words(name): value for name, value in Status.items()},
    "status unspecified": Status.APPLIED,
    **STATUS_ALIASES,
}


def _parse_status(text: str) -> Status.ValueType | None:
    """A status from its enum name or an alias (see STATUS_ALIASES); empty means APPLIED."""
    words = _words(text)
    return Status.APPLIED if not words else _STATUS_WORDS.get(words)


def _lookup_enum(
    text: str, enum: Any, aliases: Mapping[str, Any], *, blank_markers: bool = False
) -> Any:
    words = _words(text)
    if not words or (blank_markers and _is_blank(text)):
        return 0
    for name, value in enum.items():
        if _words(name) == words:
            return value
    return aliases.get(words)


_MONTHS: Mapping[str, int] = {
    name: number
    for number, names in enumerate(
        (
            ("jan", "january"),
            ("feb", "february"),
            ("mar", "march"),
            ("apr", "april"),
            ("may",),
            ("jun", "june"),
            ("jul", "july"),
            ("aug", "august"),
            ("sep", "sept", "september"),
            ("oct", "october"),
            ("nov", "november"),
            ("dec", "december"),
        ),
        start=1,
    )
    for name in names
}
_ISO_DATE = re.compile(r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})")
_ISO_DATETIME = re.compile(r"\d{4}-\d{2}-\d{2}[Tt ]\S.*")
_NUMERIC_DATE = re.compile(r"(\d{1,2})([/-])(\d{1,2})\2(\d{4}|\d{2})")
_DOTTED_DATE = re.compile(r"(\d{1,2})\.(\d{1,2})\.(\d{4})")
_DAY_MONTH_YEAR = re.compile(r"(\d{1,2})(?:st|nd|rd|th)?[\s-]+([A-Za-z]+)\.?,?[\s-]+(\d{4})")
_MONTH_DAY_YEAR = re.compile(r"([A-Za-z]+)\.?\s+(\d{1,2})(?:st|nd|rd|th)?,?\s+(\d{4})")


def parse_date(text: str, *, day_first: bool = False) -> dt.date | None:
    """A calendar date from the formats in the module docstring, or None.

    ``a/b/yyyy`` is month/day when ``a <= 12`` (unless `day_first`), day/month otherwise.
    """
    text = text.strip()

    def make(year: int, month: int, day: int) -> dt.date | None:
        try:
            return dt.date(year, month, day)
        except ValueError:
            return None

    if m := _ISO_DATE.fullmatch(text):
        return make(int(m[1]), int(m[2]), int(m[3]))
    if _ISO_DATETIME.fullmatch(text):
        try:
            return dt.datetime.fromisoformat(text).date()
        except ValueError:
            return None
    if m := _NUMERIC_DATE.fullmatch(text):
        a, b, year = int(m[1]), int(m[3]), int(m[4])
        year = year + 2000 if len(m[4]) == 2 else year
        if a > 12 or day_first:
            return make(year, b, a)
        return make(year, a, b)
    if m := _DOTTED_DATE.fullmatch(text):
        return make(int(m[3]), int(m[2]), int(m[1]))
    if m := _DAY_MONTH_YEAR.fullmatch(text):
        month = _MONTHS.get(m[2].lower())
        return make(int(m[3]), month, int(m[1])) if month else None
    if m := _MONTH_DAY_YEAR.fullmatch(text):
        month = _MONTHS.get(m[1].lower())
        return make(int(m[3]), month, int(m[2])) if month else None
    return None


def _column_is_day_first(values: Iterable[str]) -> bool:
    """True when some ``a/b/yyyy`` value must be day/month and none must be month/day."""
    day_first = month_first = False
    for value in values:
        if m := _NUMERIC_DATE.fullmatch(value.strip()):
            a, b = int(m[1]), int(m[3])
            day_first |= a > 12 >= b
            month_first |= b > 12 >= a
    return day_first and not month_first


@dataclass(frozen=True)
class Pay:
    """A parsed salary text: `low`/`high` are None when open-ended, equal for one figure;
    `currency` is "" and `period` PERIOD_UNSPECIFIED when the text does not say."""

    low: float | None
    high: float | None
    currency: str
    period: Period.ValueType


_CURRENCY_SYMBOLS: Mapping[str, str] = {
    "US$": "USD",
    "C$": "CAD",
    "CA$": "CAD",
    "A$": "AUD",
    "AU$": "AUD",
    "NZ$": "NZD",
    "$": "USD",
    "€": "EUR",
    "£": "GBP",
    "¥": "JPY",
    "₹": "INR",
}
_CURRENCY_RE = re.compile(r"(?:US|CA|C|AU|A|NZ)?\$|[€£¥₹]|\b[A-Z]{3}\b")
_PERIOD_PATTERNS: tuple[tuple[Period.ValueType, re.Pattern[str]], ...] = tuple(
    (period, re.compile(pattern, re.IGNORECASE))
    for period, pattern in (
        (Period.HOURLY, r"/\s*(?:hr|hour|h)\b|\bper\s+hour\b|\bhourly\b|\ban?\s+hour\b"),
        (Period.DAILY, r"/\s*(?:day|d)\b|\bper\s+day\b|\bdaily\b|\ba\s+day\b"),
        (Period.WEEKLY, r"/\s*(?:week|wk|w)\b|\bper\s+week\b|\bweekly\b|\ba\s+week\b"),
        (Period.MONTHLY, r"/\s*(?:month|mo|mth)\b|\bper\s+month\b|\bmonthly\b|\ba\s+month\b"),
        (
            Period.YEARLY,
            r"/\s*(?:year|yr|y|annum|a)\b|\bper\s+(?:year|annum)\b|\byearly\b"
            r"|\bannual(?:ly)?\b|\ba\s+year\b|\bp\.a\.?|\bpa\b",
        ),
    )
)
_AMOUNT_RE = re.compile(
    r"((?:\d{1,3}(?:,\d{3})+|\d{1,2}(?:,\d{2})+,\d{3}|\d+)(?:\.\d+)?)\s*([kKmM]\b)?"
)
_FILLER_RE = re.compile(r"[\s+~\-\u2013\u2014]|\bto\b|\bup\b", re.IGNORECASE)


def parse_salary(text: str) -> Pay | None:
    """A salary text such as ``$120,000 - $150,000`` or ``45/hr`` (module docstring), or
    None when it is not one. The period is PERIOD_UNSPECIFIED unless the text names one."""
    rest = text.strip()
    if not rest or rest.startswith("-"):
        return None
    period = Period.PERIOD_UNSPECIFIED
    for candidate, pattern in _PERIOD_PATTERNS:
        if pattern.search(rest):
            if period:
                return None
            period = candidate
            rest = pattern.sub(" ", rest)
    codes = {_CURRENCY_SYMBOLS.get(c, c) for c in _CURRENCY_RE.findall(rest)}
    if len(codes) > 1:
        return None
    currency = codes.pop() if codes else ""
    rest = _CURRENCY_RE.sub(" ", rest)
    up_to = bool(re.match(r"\s*up\s*to\b", rest, re.IGNORECASE))
    open_top = rest.rstrip().endswith("+")
    amounts: list[tuple[float, str]] = []
    for m in _AMOUNT_RE.finditer(rest):
        amounts.append((float(m[1].replace(",", "")), (m[2] or "").lower()))
    leftover = _FILLER_RE.sub("", _AMOUNT_RE.sub("", rest))
    if leftover or not 1 <= len(amounts) <= 2:
        return None
    scale = {"": 1.0, "k": 1e3, "m": 1e6}
    if len(amounts) == 2 and amounts[1][1] and not amounts[0][1] and amounts[0][0] < 1000:
        amounts[0] = (amounts[0][0], amounts[1][1])
    values = [value * scale[suffix] for value, suffix in amounts]
    if len(values) == 2:
        low, high = values
    elif up_to:
        low, high = None, values[0]
    elif open_top:
        low, high = values[0], None
    else:
        low = high = values[0]
    return Pay(low, high, currency, period)
