"""Formatting: tables and field lists for people, protobuf JSON (camelCase) for machines."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime

import grpc
from google.protobuf import json_format
from google.protobuf.message import Message
from google.protobuf.timestamp_pb2 import Timestamp
from google.rpc import error_details_pb2
from google.type import date_pb2, dayofweek_pb2
from grpc_status import rpc_status

from careervault.extraction.v1 import extraction_pb2 as xpb
from careervault.identity.v1 import identity_pb2
from careervault.jobs.v1 import jobs_pb2

Job = jobs_pb2.JobApplication
JOB_PREFIX = "jobs/"
BAR_WIDTH = 40

HINTS = {
    grpc.StatusCode.UNAUTHENTICATED: "run `careervault login`",
    grpc.StatusCode.UNAVAILABLE: (
        "is the service running? check --identity, --jobs, --extraction, --ai"
    ),
    grpc.StatusCode.DEADLINE_EXCEEDED: "the service did not answer in time; try a larger --timeout",
    grpc.StatusCode.ABORTED: "the job changed meanwhile; read it again and retry",
}


def to_json(message: Message) -> str:
    return json_format.MessageToJson(message, indent=2)


def status_name(value: int) -> str:
    if value in Job.Status.values():
        return Job.Status.Name(Job.Status.ValueType(value))
    return str(value)


def job_id(name: str) -> str:
    return name.removeprefix(JOB_PREFIX)


def fmt_date(date: date_pb2.Date) -> str:
    if not date.year:
        return ""
    return f"{date.year:04d}-{date.month:02d}-{date.day:02d}"


def fmt_time(ts: Timestamp) -> str:
    if not ts.seconds and not ts.nanos:
        return ""
    return datetime.fromtimestamp(ts.seconds, UTC).strftime("%Y-%m-%d %H:%M:%SZ")


def fmt_amount(value: float) -> str:
    return f"{value:,.0f}" if value == int(value) else f"{value:,.2f}"


def fmt_salary(job: Job) -> str:
    if not job.HasField("salary"):
        return ""
    s = job.salary
    text = f"{fmt_amount(s.min)}-{fmt_amount(s.max)}"
    if s.currency:
        text += f" {s.currency}"
    if s.period:
        text += f" / {jobs_pb2.SalaryRange.Period.Name(s.period)}"
    return text


def table(headers: Sequence[str], rows: Iterable[Sequence[str]]) -> str:
    data = [list(headers), *(list(r) for r in rows)]
    widths = [max(len(row[i]) for row in data) for i in range(len(headers))]
    lines = [
        "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip()
        for row in data
    ]
    return "\n".join(lines)


def fields(pairs: Iterable[tuple[str, str]]) -> str:
    shown = [(k, v) for k, v in pairs if v]
    width = max((len(k) for k, _ in shown), default=0) + 1
    return "\n".join(f"{(k + ':').ljust(width)} {v}" for k, v in shown)


def jobs_table(jobs: Iterable[Job]) -> str:
    return table(
        ["ID", "COMPANY", "POSITION", "STATUS", "APPLIED"],
        [
            [job_id(j.name), j.company, j.position, status_name(j.status), fmt_date(j.applied_date)]
            for j in jobs
        ],
    )


def history(job: Job) -> str:
    rows = [
        [
            fmt_time(c.change_time),
            "-" if not c.from_status else status_name(c.from_status),
            status_name(c.status),
        ]
        for c in job.status_history
    ]
    return table(["WHEN", "FROM", "TO"], rows)


def job_detail(job: Job) -> str:
    main = fields(
        [
            ("name", job.name),
            ("company", job.company),
            ("position", job.position),
            ("status", status_name(job.status)),
            ("applied", fmt_date(job.applied_date)),
            ("location", job.location),
            ("work mode", Job.WorkMode.Name(job.work_mode) if job.work_mode else ""),
            ("salary", fmt_salary(job)),
            ("url", job.job_url),
            ("source", job.source),
            ("tags", ", ".join(job.tags)),
            ("notes", job.notes),
            ("next action", job.next_action.description),
            ("created", fmt_time(job.create_time)),
            ("updated", fmt_time(job.update_time)),
            ("etag", job.etag),
        ]
    )
    return f"{main}\n\nStatus history:\n{history(job)}"


def percent(rate: float) -> str:
    return f"{rate * 100:.1f}%"


def bar(count: int, most: int, width: int = BAR_WIDTH) -> str:
    """`#` scaled so that `most` fills `width`; at least one for a non-zero count."""
    if count <= 0 or most <= 0:
        return ""
    return "#" * max(1, round(count / most * width))


def stats(s: jobs_pb2.JobStats, stale_days: int) -> str:
    """Counts, rates, funnel, response time, weekly chart, sources, weekdays and stale ones."""
    parts = [
        fields([("total", str(s.total)), ("sent", str(s.sent))]),
        table(
            ["STATUS", "COUNT"], [[status_name(c.status), str(c.count)] for c in s.status_counts]
        ),
        fields(
            [
                ("response rate", percent(s.response_rate)),
                ("interview rate", percent(s.interview_rate)),
                ("offer rate", percent(s.offer_rate)),
            ]
        ),
    ]
    if s.funnel:
        parts.append(
            "Funnel (conversion from the stage before; APPLIED from sent):\n"
            + table(
                ["STAGE", "REACHED", "CONVERSION"],
                [[status_name(f.status), str(f.reached), percent(f.conversion)] for f in s.funnel],
            )
        )
    response = s.time_to_first_response
    if response.count:
        parts.append(
            f"Time to first response: median {response.median_days:.1f} days, "
            f"p75 {response.p75_days:.1f} days (over {response.count} answered)"
        )
    else:
        parts.append("Time to first response: no answers yet")
    if s.applications_per_week:
        most = max(w.count for w in s.applications_per_week)
        rows = [
            f"{fmt_date(w.week_start)}  {str(w.count).rjust(3)} {bar(w.count, most)}".rstrip()
            for w in s.applications_per_week
        ]
        parts.append("Applications per week (week starting):\n" + "\n".join(rows))
    if s.by_source:
        parts.append(
            "By source:\n"
            + table(
                ["SOURCE", "APPS", "RESPONSES", "RATE", "INTERVIEWS", "OFFERS"],
                [
                    [
                        src.source or "(none)",
                        str(src.applications),
                        str(src.responses),
                        percent(src.response_rate),
                        str(src.interviews),
                        str(src.offers),
                    ]
                    for src in s.by_source
                ],
            )
        )
    if s.by_weekday:
        days = [
            f"{dayofweek_pb2.DayOfWeek.Name(d.weekday)[:3].title()} {d.count}" for d in s.by_weekday
        ]
        parts.append("Sent by weekday: " + ", ".join(days))
    heading = f"Stale (open, unchanged for {stale_days}+ days): {s.stale_count}"
    if s.stale:
        rows_ = [
            [job_id(a.name), a.company, a.position, status_name(a.status), str(a.days_unchanged)]
            for a in s.stale
        ]
        heading += "\n" + table(["ID", "COMPANY", "POSITION", "STATUS", "DAYS"], rows_)
        if s.stale_count > len(s.stale):
            heading += f"\n(the {len(s.stale)} unchanged longest of {s.stale_count})"
    parts.append(heading)
    return "\n\n".join(parts)


def import_errors(result: jobs_pb2.ImportJobsResponse, is_json: bool) -> list[str]:
    """`line L, column C: message` per refused CSV row; `item I, field F: ...` for JSON."""
    row, column = ("item", "field") if is_json else ("line", "column")
    return [
        f"{row} {e.row}" + (f", {column} {e.column}" if e.column else "") + f": {e.message}"
        for e in result.errors
    ]


def user_detail(user: identity_pb2.User) -> str:
    return fields(
        [
            ("name", user.name),
            ("email", user.email),
            ("display name", user.display_name),
            ("email verified", "yes" if user.email_verified else "no"),
            ("mfa", "on" if user.mfa_enabled else "off"),
            ("external ai", "allowed" if user.external_ai_consent else "not allowed"),
            ("created", fmt_time(user.create_time)),
        ]
    )


def rpc_error(err: grpc.RpcError) -> list[str]:
    """`error: CODE: message`, then the ErrorInfo reason, field violations and a hint."""
    code = err.code()
    lines = [f"error: {code.name}: {err.details() or ''}".rstrip()]
    status = None
    try:
        status = rpc_status.from_call(err)
    except (ValueError, AttributeError):
        status = None
    if status is not None:
        for detail in status.details:
            info = error_details_pb2.ErrorInfo()
            bad = error_details_pb2.BadRequest()
            if detail.Is(info.DESCRIPTOR) and detail.Unpack(info):
                lines.append(
                    f"  reason: {info.reason}" + (f" ({info.domain})" if info.domain else "")
                )
            elif detail.Is(bad.DESCRIPTOR) and detail.Unpack(bad):
                lines.extend(f"  {v.field}: {v.description}" for v in bad.field_violations)
    if code in HINTS:
        lines.append(f"hint: {HINTS[code]}")
    return lines


def outline(doc: xpb.ExtractedDocument) -> str:
    """An extracted document as a person reads it: what it is, who, and its sections."""
    methods = ", ".join(
        f"p{p.number} {xpb.ExtractedDocument.Method.Name(p.method).lower().replace('_', ' ')}"
        + (f" ({p.ocr_confidence:.0f}%)" if p.method == xpb.ExtractedDocument.OCR else "")
        for p in doc.page_info
    )
    lines = [f"{doc.detected_type}, {doc.pages} page(s)" + (f": {methods}" if methods else "")]
    c = doc.contact
    for label, value in (
        ("name", c.name),
        ("email", c.email),
        ("phone", c.phone),
        ("location", c.location),
        ("linkedin", c.linkedin_url),
        ("github", c.github_url),
    ):
        if value:
            lines.append(f"  {label}: {value}")
    for section in doc.sections:
        kind = xpb.Section.Kind.Name(section.kind)
        first = next((ln.strip() for ln in section.text.splitlines() if ln.strip()), "")
        lines.append(f"[{kind}] {section.title}".rstrip() + (f": {first[:70]}" if first else ""))
    for warning in doc.warnings:
        lines.append(f"warning: {warning}")
    return "\n".join(lines)
