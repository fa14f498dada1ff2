"""Values both stores derive from an application in exactly the same way: sort keys, the text
that filters search, the reference meaning of a filter, and the rows statistics are made of.

Keeping these in one place is what makes the contract suite pass on SQLite and DynamoDB alike.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal, get_args

from careervault.jobs.v1 import jobs_pb2 as pb
from careervault_jobs.filters import TEXT_SEARCH, Condition

# Separates a sort value from the id that breaks ties. Below every printable character, and
# validation keeps control characters out of the fields that are sorted on.
SEP = "\x1f"
SAVED = int(pb.JobApplication.Status.SAVED)
# Statuses that are an answer from the employer.
ANSWERS = frozenset(
    int(s)
    for s in (
        pb.JobApplication.Status.PHONE_SCREEN,
        pb.JobApplication.Status.TECHNICAL_INTERVIEW,
        pb.JobApplication.Status.FINAL_INTERVIEW,
        pb.JobApplication.Status.OFFER,
        pb.JobApplication.Status.ACCEPTED,
        pb.JobApplication.Status.REJECTED,
    )
)
CLOSED = frozenset(
    {
        pb.JobApplication.Status.ACCEPTED,
        pb.JobApplication.Status.REJECTED,
        pb.JobApplication.Status.WITHDRAWN,
    }
)


def job_id(job: pb.JobApplication) -> str:
    return job.name.removeprefix("jobs/")


def seconds(ts: object) -> float:
    return float(getattr(ts, "seconds", 0)) + getattr(ts, "nanos", 0) / 1e9


def date_text(job: pb.JobApplication) -> str:
    if not job.HasField("applied_date") or not job.applied_date.year:
        return ""
    d = job.applied_date
    return f"{d.year:04d}-{d.month:02d}-{d.day:02d}"


def sort_value(job: pb.JobApplication, field: str) -> str:
    if field == "create_time":
        return f"{job.create_time.ToNanoseconds():020d}"
    if field == "update_time":
        return f"{job.update_time.ToNanoseconds():020d}"
    if field == "applied_date":
        return date_text(job)
    if field == "company":
        return job.company.casefold()
    raise ValueError(field)


def sort_key(job: pb.JobApplication, field: str) -> str:
    """What both stores order by: the field's value, then the id."""
    return f"{sort_value(job, field)}{SEP}{job_id(job)}"


def text_of(job: pb.JobApplication, field: str) -> str:
    return str(getattr(job, field)).casefold()


def search_text(job: pb.JobApplication) -> str:
    """What a bare filter term searches: company, position and notes."""
    return "\n".join((job.company.casefold(), job.position.casefold(), job.notes.casefold()))


def _compare(left: str | float, op: str, right: str | float) -> bool:
    if op == "=":
        return left == right
    if op == "<":
        return left < right  # type: ignore[operator]
    if op == "<=":
        return left <= right  # type: ignore[operator]
    if op == ">":
        return left > right  # type: ignore[operator]
    if op == ">=":
        return left >= right  # type: ignore[operator]
    raise ValueError(op)


def matches(job: pb.JobApplication, conditions: Iterable[Condition]) -> bool:
    """The reference meaning of a filter (the SQLite store expresses the same in SQL)."""
    for c in conditions:
        if c.field in ("status", "work_mode"):
            ok = getattr(job, c.field) == c.value
            ok = ok if c.op == "=" else not ok
        elif c.field == "tags":
            ok = str(c.value) in {t.casefold() for t in job.tags}
        elif c.field == TEXT_SEARCH:
            ok = str(c.value) in search_text(job)
        elif c.field == "applied_date":
            value = date_text(job)
            ok = bool(value) and _compare(value, c.op, c.value)
        elif c.field in ("create_time", "update_time"):
            ok = _compare(seconds(getattr(job, c.field)), c.op, c.value)
        else:
            text = text_of(job, c.field)
            ok = str(c.value) in text if c.op == ":" else (text == c.value) == (c.op == "=")
        if not ok:
            return False
    return True


def _midnight(day: str) -> float:
    return dt.datetime.combine(dt.date.fromisoformat(day), dt.time(), dt.UTC).timestamp()


@dataclass(frozen=True)
class StatsRow:
    """What statistics need of one application, derived from it once (at write time on
    SQLite, where these are columns; at read time on DynamoDB)."""

    name: str
    company: str
    position: str
    status: int
    source: str
    applied_date: str  # YYYY-MM-DD or ""
    update_time: float
    reached: frozenset[int]  # every status in the history, and the current one
    sent_at: float | None  # the applied date (00:00 UTC), else the first non-SAVED entry
    answered_at: float | None  # the first entry in PHONE_SCREEN or later, OFFER, ... REJECTED

    @classmethod
    def of(cls, job: pb.JobApplication) -> StatsRow:
        history = [(int(h.status), seconds(h.change_time)) for h in job.status_history]
        applied = date_text(job)
        sent = any(s != SAVED for s, _ in history) or job.status != SAVED
        sent_at: float | None = None
        if sent:
            sent_at = (
                _midnight(applied)
                if applied
                else next((at for s, at in history if s != SAVED), None)
            )
        return cls(
            name=job.name,
            company=job.company,
            position=job.position,
            status=int(job.status),
            source=job.source,
            applied_date=applied,
            update_time=seconds(job.update_time),
            reached=frozenset({s for s, _ in history} | {int(job.status)}),
            sent_at=sent_at,
            answered_at=next((at for s, at in history if s in ANSWERS), None),
        )


def reached_mask(reached: frozenset[int]) -> int:
    return sum(1 << s for s in reached)


def reached_of(mask: int) -> frozenset[int]:
    return frozenset(s for s in range(mask.bit_length()) if mask >> s & 1)


# What JOB_VIEW_BASIC leaves out of a listed application (jobs.proto, JobView): the long texts
# and lists, which screens showing many applications do not show.
BasicViewOmits = Literal[
    "job_description", "notes", "status_history", "contacts", "interviews", "analysis"
]
BASIC_VIEW_OMITS: tuple[BasicViewOmits, ...] = get_args(BasicViewOmits)


def basic_view(job: pb.JobApplication) -> None:
    """Reduces `job`, in place, to what JOB_VIEW_BASIC returns."""
    for field in BASIC_VIEW_OMITS:
        job.ClearField(field)
