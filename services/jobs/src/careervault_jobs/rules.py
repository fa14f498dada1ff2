"""What a valid job application is: names, field limits and the checks every write passes
(create, update and import alike)."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from urllib.parse import urlparse

from careervault.jobs.v1 import jobs_pb2 as pb
from careervault.runtime.errors import FieldViolation, InvalidArgument

Status = pb.JobApplication.Status
DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 200
NAME_RE = re.compile(r"^jobs/([0-9a-f]{32})$")
REQUEST_ID_RE = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
LIMITS = {
    "company": 200,
    "position": 200,
    "location": 200,
    "source": 100,
    "job_url": 2048,
    "job_description": 100_000,
    "notes": 20_000,
}
SINGLE_LINE = ("company", "position", "location", "source")
CONTROL = re.compile(r"[\x00-\x1f\x7f]")
# A stored application must fit one DynamoDB item (400 KB) with room for its key attributes.
MAX_RECORD_BYTES = 300_000
MAX_TAGS, MAX_TAG = 20, 50
MAX_CONTACTS, MAX_INTERVIEWS = 50, 50
# A saved analysis: bounded like the rest, well inside MAX_RECORD_BYTES.
ANALYSIS_LIMITS = {
    "summary": 4000,
    "provider": 50,
    "component": 100,
    "explanation": 2000,
    "skill": 200,
    "suggestion": 2000,
}
MAX_ANALYSIS_COMPONENTS, MAX_ANALYSIS_SKILLS, MAX_ANALYSIS_SUGGESTIONS = 20, 200, 50
SHA256_RE = re.compile(r"^[0-9a-f]{64}$")
UPDATABLE = {
    "company",
    "position",
    "status",
    "applied_date",
    "location",
    "work_mode",
    "salary",
    "job_url",
    "job_description",
    "notes",
    "tags",
    "source",
    "contacts",
    "interviews",
    "next_action",
    # A saved resume analysis (the AI service writes it with UpdateJob, mask `analysis`).
    "analysis",
}
OUTPUT_ONLY = {"name", "status_history", "create_time", "update_time", "etag"}
INTERVIEW_STAGES = {Status.PHONE_SCREEN, Status.TECHNICAL_INTERVIEW, Status.FINAL_INTERVIEW}
OFFER_STAGES = {Status.OFFER, Status.ACCEPTED}
RESPONSE_STAGES = INTERVIEW_STAGES | OFFER_STAGES | {Status.REJECTED}


def parse_name(name: str) -> str:
    match = NAME_RE.match(name)
    if not match:
        raise InvalidArgument(
            "name must look like jobs/{id}.",
            reason="INVALID_NAME",
            violations=[FieldViolation("name", "name must look like jobs/{id}")],
        )
    return match.group(1)


def _check_date(field: str, date: object) -> list[FieldViolation]:
    year, month, day = getattr(date, "year", 0), getattr(date, "month", 0), getattr(date, "day", 0)
    try:
        dt.date(year, month, day)
    except ValueError:
        return [FieldViolation(field, "not a valid calendar date")]
    if not 1970 <= year <= 2100:
        return [FieldViolation(field, "year must be between 1970 and 2100")]
    return []


def validate(job: pb.JobApplication, fields: Iterable[str]) -> None:
    """Raises InvalidArgument listing every problem in the given fields."""
    problems: list[FieldViolation] = []
    fields = set(fields)
    for field in ("company", "position"):
        if field in fields and not getattr(job, field).strip():
            problems.append(FieldViolation(field, f"{field} is required"))
    for field, limit in LIMITS.items():
        if field in fields and len(getattr(job, field)) > limit:
            problems.append(FieldViolation(field, f"at most {limit} characters"))
    for field in SINGLE_LINE:
        if field in fields and CONTROL.search(getattr(job, field)):
            problems.append(FieldViolation(field, "no line breaks or control characters"))
    if "status" in fields and job.status not in Status.values():
        problems.append(FieldViolation("status", "unknown status"))
    if "work_mode" in fields and job.work_mode not in pb.JobApplication.WorkMode.values():
        problems.append(FieldViolation("work_mode", "unknown work mode"))
    if "job_url" in fields and job.job_url:
        url = urlparse(job.job_url)
        if url.scheme not in ("http", "https") or not url.netloc:
            problems.append(FieldViolation("job_url", "must be an http(s) URL"))
    if "applied_date" in fields and job.HasField("applied_date"):
        problems += _check_date("applied_date", job.applied_date)
    if "salary" in fields and job.HasField("salary"):
        s = job.salary
        if s.min < 0 or s.max < 0:
            problems.append(FieldViolation("salary", "amounts cannot be negative"))
        if s.max and s.min > s.max:
            problems.append(FieldViolation("salary.max", "max must not be below min"))
        if s.currency and not re.fullmatch(r"[A-Z]{3}", s.currency):
            problems.append(FieldViolation("salary.currency", "use an ISO 4217 code such as USD"))
        if s.period not in pb.SalaryRange.Period.values():
            problems.append(FieldViolation("salary.period", "unknown period"))
    if "tags" in fields:
        if len(job.tags) > MAX_TAGS:
            problems.append(FieldViolation("tags", f"at most {MAX_TAGS} tags"))
        if any(not t.strip() or len(t) > MAX_TAG or CONTROL.search(t) for t in job.tags):
            problems.append(
                FieldViolation("tags", f"tags must be 1 to {MAX_TAG} characters on one line")
            )
    if "contacts" in fields and len(job.contacts) > MAX_CONTACTS:
        problems.append(FieldViolation("contacts", f"at most {MAX_CONTACTS} contacts"))
    if "interviews" in fields and len(job.interviews) > MAX_INTERVIEWS:
        problems.append(FieldViolation("interviews", f"at most {MAX_INTERVIEWS} interviews"))
    if "next_action" in fields and job.next_action.HasField("due_date"):
        problems += _check_date("next_action.due_date", job.next_action.due_date)
    if "analysis" in fields and job.HasField("analysis"):
        problems += _check_analysis(job.analysis)
    if problems:
        raise InvalidArgument("Check the highlighted fields.", violations=problems)


def _check_analysis(a: pb.SavedAnalysis) -> list[FieldViolation]:
    """A saved analysis: scores in range, texts and lists bounded."""
    problems: list[FieldViolation] = []
    lim = ANALYSIS_LIMITS
    if not 0 <= a.match_score <= 100:
        problems.append(FieldViolation("analysis.match_score", "between 0 and 100"))
    for field in ("summary", "provider"):
        if len(getattr(a, field)) > lim[field]:
            problems.append(FieldViolation(f"analysis.{field}", f"at most {lim[field]} characters"))
    if CONTROL.search(a.provider):
        problems.append(FieldViolation("analysis.provider", "no control characters"))
    if a.resume_sha256 and not SHA256_RE.match(a.resume_sha256):
        problems.append(FieldViolation("analysis.resume_sha256", "64 lowercase hex digits"))
    if len(a.score_breakdown) > MAX_ANALYSIS_COMPONENTS:
        problems.append(
            FieldViolation(
                "analysis.score_breakdown", f"at most {MAX_ANALYSIS_COMPONENTS} components"
            )
        )
    for c in a.score_breakdown:
        if (
            len(c.component) > lim["component"]
            or len(c.explanation) > lim["explanation"]
            or not 0 <= c.score <= 100
            or not 0 <= c.weight <= 1
        ):
            problems.append(
                FieldViolation(
                    "analysis.score_breakdown",
                    f"component names up to {lim['component']} characters, explanations up to "
                    f"{lim['explanation']}, scores 0-100, weights 0-1",
                )
            )
            break
    for field in ("matched_skills", "missing_skills"):
        skills = getattr(a, field)
        if len(skills) > MAX_ANALYSIS_SKILLS or any(
            len(s) > lim["skill"] or CONTROL.search(s) for s in skills
        ):
            problems.append(
                FieldViolation(
                    f"analysis.{field}",
                    f"at most {MAX_ANALYSIS_SKILLS} skills of up to {lim['skill']} characters "
                    "on one line",
                )
            )
    if len(a.suggestions) > MAX_ANALYSIS_SUGGESTIONS or any(
        len(s) > lim["suggestion"] for s in a.suggestions
    ):
        problems.append(
            FieldViolation(
                "analysis.suggestions",
                f"at most {MAX_ANALYSIS_SUGGESTIONS} suggestions of up to {lim['suggestion']} "
                "characters",
            )
        )
    if a.HasField("analyze_time") and not 0 <= a.analyze_time.seconds <= 4_102_444_800:
        problems.append(FieldViolation("analysis.analyze_time", "a time between 1970 and 2100"))
    return problems


def check_size(job: pb.JobApplication) -> None:
    """The whole record, history included, must stay storable as one item."""
    size = job.ByteSize()
    if size > MAX_RECORD_BYTES:
        raise InvalidArgument(
            f"This application is too large to store ({size} bytes; at most "
            f"{MAX_RECORD_BYTES}). Shorten the description or notes.",
            reason="RECORD_TOO_LARGE",
            violations=[FieldViolation("job", f"at most {MAX_RECORD_BYTES} bytes in all")],
        )
