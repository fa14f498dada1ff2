"""Job applications and their workflow: validation, status history, paging and statistics.

Knows nothing of gRPC. Every operation takes the caller's user id and touches only that
user's applications; another user's application is reported exactly like a missing one.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import json
import re
import uuid
from collections.abc import Iterable
from urllib.parse import urlparse

from google.protobuf.timestamp_pb2 import Timestamp

from careervault.jobs.v1 import jobs_pb2 as pb
from careervault.runtime.errors import FieldViolation, InvalidArgument, NotFound
from careervault_jobs.filters import parse_filter, parse_order_by
from careervault_jobs.store import NOT_FOUND_MESSAGE, JobStore, new_etag

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
MAX_TAGS, MAX_TAG = 20, 50
MAX_CONTACTS, MAX_INTERVIEWS = 50, 50
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


def _now() -> Timestamp:
    ts = Timestamp()
    ts.GetCurrentTime()
    return ts


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
        if any(not t.strip() or len(t) > MAX_TAG for t in job.tags):
            problems.append(FieldViolation("tags", f"tags must be 1 to {MAX_TAG} characters"))
    if "contacts" in fields and len(job.contacts) > MAX_CONTACTS:
        problems.append(FieldViolation("contacts", f"at most {MAX_CONTACTS} contacts"))
    if "interviews" in fields and len(job.interviews) > MAX_INTERVIEWS:
        problems.append(FieldViolation("interviews", f"at most {MAX_INTERVIEWS} interviews"))
    if "next_action" in fields and job.next_action.HasField("due_date"):
        problems += _check_date("next_action.due_date", job.next_action.due_date)
    if problems:
        raise InvalidArgument("Check the highlighted fields.", violations=problems)


def _page_binding(user_id: str, filter_text: str, order_by: str) -> str:
    return hashlib.sha256(f"{user_id}\0{filter_text}\0{order_by}".encode()).hexdigest()[:16]


def encode_page_token(offset: int, binding: str) -> str:
    raw = json.dumps({"o": offset, "b": binding}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_page_token(token: str, binding: str) -> int:
    bad = InvalidArgument(
        "page_token is invalid or belongs to another query.",
        reason="INVALID_PAGE_TOKEN",
        violations=[FieldViolation("page_token", "use the token from the previous page")],
    )
    try:
        data = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
    except (ValueError, binascii.Error):
        raise bad from None
    if not isinstance(data, dict) or data.get("b") != binding:
        raise bad
    offset = data.get("o")
    if not isinstance(offset, int) or offset < 0:
        raise bad
    return offset


class Jobs:
    def __init__(self, store: JobStore, request_ttl_seconds: float) -> None:
        self.store = store
        self.request_ttl = request_ttl_seconds

    async def create(
        self, user_id: str, job: pb.JobApplication, request_id: str
    ) -> pb.JobApplication:
        if request_id and not REQUEST_ID_RE.match(request_id):
            raise InvalidArgument(
                "request_id must be 1-64 letters, digits, '-' or '_' (a UUID fits).",
                violations=[FieldViolation("request_id", "1-64 of [A-Za-z0-9_-]")],
            )
        validate(job, UPDATABLE)
        new = pb.JobApplication()
        new.CopyFrom(job)
        for field in OUTPUT_ONLY:
            new.ClearField(field)  # type: ignore[arg-type]
        new.company, new.position = job.company.strip(), job.position.strip()
        if new.status == Status.STATUS_UNSPECIFIED:
            new.status = Status.APPLIED
        now = _now()
        new.name = f"jobs/{uuid.uuid4().hex}"
        new.create_time.CopyFrom(now)
        new.update_time.CopyFrom(now)
        new.status_history.append(
            pb.StatusChange(
                from_status=Status.STATUS_UNSPECIFIED, status=new.status, change_time=now
            )
        )
        new.etag = new_etag()
        return await self.store.create(user_id, new, request_id, self.request_ttl)

    async def get(self, user_id: str, name: str) -> pb.JobApplication:
        job = await self.store.get(user_id, parse_name(name))
        if job is None:
            raise NotFound(NOT_FOUND_MESSAGE, reason="JOB_NOT_FOUND")
        return job

    async def list(
        self, user_id: str, page_size: int, page_token: str, filter_text: str, order_by: str
    ) -> tuple[list[pb.JobApplication], str, int]:
        if page_size < 0:
            raise InvalidArgument(
                "page_size cannot be negative.",
                violations=[FieldViolation("page_size", "must be 0 or more")],
            )
        size = min(page_size or DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE)
        conditions = parse_filter(filter_text)
        order = parse_order_by(order_by)
        binding = _page_binding(user_id, filter_text, order_by)
        offset = decode_page_token(page_token, binding) if page_token else 0
        jobs, total = await self.store.query(user_id, conditions, order, offset, size)
        next_token = encode_page_token(offset + size, binding) if offset + size < total else ""
        return jobs, next_token, total

    async def update(
        self, user_id: str, job: pb.JobApplication, mask_paths: Iterable[str]
    ) -> pb.JobApplication:
        job_id = parse_name(job.name)
        paths = set(mask_paths)
        if not paths:
            raise InvalidArgument(
                "update_mask is required: name the fields to change.",
                violations=[FieldViolation("update_mask", "update_mask is required")],
            )
        if "*" in paths:
            paths = set(UPDATABLE)
        # A nested path (salary.min) updates its whole top-level field.
        tops = {p.split(".", 1)[0] for p in paths} - OUTPUT_ONLY
        unknown = tops - UPDATABLE
        if unknown:
            raise InvalidArgument(
                "update_mask names fields that cannot be updated.",
                violations=[
                    FieldViolation("update_mask", f"{p} is not a field of a job application")
                    for p in sorted(unknown)
                ],
            )
        validate(job, tops)

        def mutate(current: pb.JobApplication) -> pb.JobApplication:
            updated = pb.JobApplication()
            updated.CopyFrom(current)
            for field in tops:
                if field in ("company", "position"):
                    setattr(updated, field, getattr(job, field).strip())
                elif field in ("tags", "contacts", "interviews"):
                    updated.ClearField(field)  # type: ignore[arg-type]
                    getattr(updated, field).extend(getattr(job, field))
                elif field in ("applied_date", "salary", "next_action"):
                    updated.ClearField(field)  # type: ignore[arg-type]
                    if job.HasField(field):  # type: ignore[arg-type]
                        getattr(updated, field).CopyFrom(getattr(job, field))
                else:
                    setattr(updated, field, getattr(job, field))
            if updated.status == Status.STATUS_UNSPECIFIED:
                updated.status = current.status
            now = _now()
            if updated.status != current.status:
                updated.status_history.append(
                    pb.StatusChange(
                        from_status=current.status, status=updated.status, change_time=now
                    )
                )
            updated.update_time.CopyFrom(now)
            return updated

        return await self.store.update(user_id, job_id, job.etag, mutate)

    async def delete(self, user_id: str, name: str, etag: str) -> None:
        await self.store.delete(user_id, parse_name(name), etag)

    async def stats(self, user_id: str) -> pb.JobStats:
        jobs = await self.store.all(user_id)
        counts = dict.fromkeys(Status.values(), 0)
        sent = responded = interviewed = offered = 0
        for job in jobs:
            counts[job.status] += 1
            reached = {h.status for h in job.status_history} | {job.status}
            if reached == {Status.SAVED}:
                continue
            sent += 1
            responded += bool(reached & RESPONSE_STAGES)
            interviewed += bool(reached & (INTERVIEW_STAGES | OFFER_STAGES))
            offered += bool(reached & OFFER_STAGES)

        def rate(n: int) -> float:
            return round(n / sent, 4) if sent else 0.0

        return pb.JobStats(
            total=len(jobs),
            status_counts=[
                pb.StatusCount(status=s, count=c)
                for s, c in counts.items()
                if s != Status.STATUS_UNSPECIFIED
            ],
            response_rate=rate(responded),
            interview_rate=rate(interviewed),
            offer_rate=rate(offered),
        )
