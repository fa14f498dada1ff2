"""Job applications and their workflow: status history, paging, statistics, import, export and
the calendar feed.

Knows nothing of gRPC. Every operation takes the caller's user id and touches only that
user's applications; another user's application is reported exactly like a missing one.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import hmac
import json
import re
import secrets
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence

from google.api import httpbody_pb2
from google.protobuf.timestamp_pb2 import Timestamp
from google.type import date_pb2, dayofweek_pb2

from careervault.jobs.v1 import jobs_pb2 as pb
from careervault.runtime.errors import FieldViolation, InvalidArgument, NotFound
from careervault_jobs import calendar, records, transfer
from careervault_jobs.filters import parse_filter, parse_order_by
from careervault_jobs.records import ANSWERS, CLOSED, StatsRow
from careervault_jobs.rules import (
    DEFAULT_PAGE_SIZE,
    INTERVIEW_STAGES,
    MAX_PAGE_SIZE,
    OFFER_STAGES,
    OUTPUT_ONLY,
    REQUEST_ID_RE,
    UPDATABLE,
    check_size,
    parse_name,
    validate,
)
from careervault_jobs.store import Feed, ImportItem, JobStore, Page, new_etag, not_found

Status = pb.JobApplication.Status
DAY = 86400.0
FUNNEL = (
    Status.APPLIED,
    Status.PHONE_SCREEN,
    Status.TECHNICAL_INTERVIEW,
    Status.FINAL_INTERVIEW,
    Status.OFFER,
    Status.ACCEPTED,
)
RANK: dict[int, int] = {s: i for i, s in enumerate(FUNNEL)}
# Plain ints and frozensets: protobuf's enum wrapper is slow to read in the statistics loops.
INTERVIEWED = frozenset(int(s) for s in INTERVIEW_STAGES | OFFER_STAGES)
OFFERED = frozenset(int(s) for s in OFFER_STAGES)
MAX_STALE_LISTED = 50
FEED_SECRET_RE = re.compile(r"^[A-Za-z0-9_-]{32,64}$")
PAGE_TOKEN_VERSION = 1


def _timestamp(seconds: float) -> Timestamp:
    ts = Timestamp()
    ts.FromNanoseconds(int(seconds * 1e9))
    return ts


def _bad_token() -> InvalidArgument:
    return InvalidArgument(
        "page_token is invalid or belongs to another query.",
        reason="INVALID_PAGE_TOKEN",
        violations=[FieldViolation("page_token", "use the token from the previous page")],
    )


class PageTokens:
    """Opaque page tokens: the last sort key, bound to the caller and the query, signed with
    HMAC-SHA256 so that a forged or foreign token is refused rather than obeyed."""

    def __init__(self, secret: bytes) -> None:
        self.secret = secret

    @staticmethod
    def binding(user_id: str, filter_text: str, order_by: str) -> str:
        raw = f"{user_id}\0{filter_text}\0{order_by}".encode()
        return hashlib.sha256(raw).hexdigest()[:32]

    def _sign(self, payload: bytes) -> bytes:
        return hmac.new(self.secret, payload, hashlib.sha256).digest()[:16]

    def encode(self, after: str, binding: str) -> str:
        payload = json.dumps(
            {"v": PAGE_TOKEN_VERSION, "a": after, "b": binding}, separators=(",", ":")
        ).encode()
        return base64.urlsafe_b64encode(self._sign(payload) + payload).decode().rstrip("=")

    def decode(self, token: str, binding: str) -> str:
        try:
            raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        except (ValueError, binascii.Error):
            raise _bad_token() from None
        mac, payload = raw[:16], raw[16:]
        if len(mac) != 16 or not hmac.compare_digest(mac, self._sign(payload)):
            raise _bad_token()
        try:
            data = json.loads(payload)
        except ValueError:
            raise _bad_token() from None
        if not isinstance(data, dict) or data.get("b") != binding or data.get("v") != 1:
            raise _bad_token()
        after = data.get("a")
        if not isinstance(after, str) or not after:
            raise _bad_token()
        return after


def _percentile(values: Sequence[float], q: float) -> float:
    """Linear interpolation between closest ranks (numpy's default)."""
    ordered = sorted(values)
    pos = (len(ordered) - 1) * q
    low = int(pos)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (pos - low)


def compute_stats(rows: Sequence[StatsRow], now: float, stale_days: int, weeks: int) -> pb.JobStats:
    """JobStats as defined in the proto's comments; a pure function of the rows."""
    counts = Counter(r.status for r in rows)
    sent_rows: list[tuple[StatsRow, frozenset[int]]] = [
        (r, r.reached) for r in rows if r.sent_at is not None
    ]
    responded = [(r, got) for r, got in sent_rows if got & ANSWERS]
    interviewed = sum(1 for _, got in sent_rows if got & INTERVIEWED)
    offered = sum(1 for _, got in sent_rows if got & OFFERED)
    sent = len(sent_rows)

    def share(n: int, of: int) -> float:
        return round(n / of, 4) if of else 0.0

    stats = pb.JobStats(
        total=len(rows),
        status_counts=[
            pb.StatusCount(status=s, count=counts.get(s, 0))
            for s in Status.values()
            if s != Status.STATUS_UNSPECIFIED
        ],
        response_rate=share(len(responded), sent),
        interview_rate=share(interviewed, sent),
        offer_rate=share(offered, sent),
        sent=sent,
    )

    # Funnel: a stage is reached when the history holds it or a later stage of the chain.
    top = [max((RANK[s] for s in got if s in RANK), default=0) for _, got in sent_rows]
    previous = sent
    for rank, status in enumerate(FUNNEL):
        at_stage = sum(1 for t in top if t >= rank)
        stats.funnel.append(
            pb.FunnelStep(status=status, reached=at_stage, conversion=share(at_stage, previous))
        )
        previous = at_stage

    delays: list[float] = []
    for r, _ in responded:
        if r.sent_at is not None and r.answered_at is not None:
            delays.append(max(0.0, (r.answered_at - r.sent_at) / DAY))
    stats.time_to_first_response.count = len(delays)
    if delays:
        stats.time_to_first_response.median_days = round(_percentile(delays, 0.5), 2)
        stats.time_to_first_response.p75_days = round(_percentile(delays, 0.75), 2)

    today = dt.datetime.fromtimestamp(now, dt.UTC).date()
    this_monday = today - dt.timedelta(days=today.weekday())
    first_monday = this_monday - dt.timedelta(weeks=weeks - 1)
    per_week: Counter[dt.date] = Counter()
    per_weekday: Counter[int] = Counter()
    for r, _ in sent_rows:
        at = r.sent_at
        if at is None:
            continue
        day = dt.datetime.fromtimestamp(at, dt.UTC).date()
        per_weekday[day.isoweekday()] += 1
        monday = day - dt.timedelta(days=day.weekday())
        if first_monday <= monday <= this_monday:
            per_week[monday] += 1
    for i in range(weeks):
        monday = first_monday + dt.timedelta(weeks=i)
        stats.applications_per_week.append(
            pb.WeekCount(
                week_start=date_pb2.Date(year=monday.year, month=monday.month, day=monday.day),
                count=per_week.get(monday, 0),
            )
        )
    for weekday in range(1, 8):
        stats.by_weekday.append(
            pb.WeekdayCount(
                weekday=dayofweek_pb2.DayOfWeek.ValueType(weekday),  # MONDAY = 1 .. SUNDAY = 7
                count=per_weekday.get(weekday, 0),
            )
        )

    groups: dict[str, list[StatsRow]] = defaultdict(list)
    for r in rows:
        groups[r.source].append(r)
    for source, members in sorted(groups.items(), key=lambda kv: (-len(kv[1]), kv[0])):
        m_sent = [r.reached for r in members if r.sent_at is not None]
        m_resp = sum(1 for got in m_sent if got & ANSWERS)
        stats.by_source.append(
            pb.SourceStats(
                source=source,
                applications=len(members),
                responses=m_resp,
                response_rate=share(m_resp, len(m_sent)),
                interviews=sum(1 for got in m_sent if got & INTERVIEWED),
                offers=sum(1 for got in m_sent if got & OFFERED),
            )
        )

    cutoff = now - stale_days * DAY
    closed = frozenset(int(s) for s in CLOSED)
    stale = sorted(
        (r for r in rows if r.status not in closed and r.update_time < cutoff),
        key=lambda r: (r.update_time, r.name),
    )
    stats.stale_count = len(stale)
    for r in stale[:MAX_STALE_LISTED]:
        stats.stale.append(
            pb.StaleApplication(
                name=r.name,
                company=r.company,
                position=r.position,
                status=r.status,  # type: ignore[arg-type]
                days_unchanged=int((now - r.update_time) // DAY),
            )
        )
    return stats


class Jobs:
    def __init__(
        self,
        store: JobStore,
        request_ttl_seconds: float,
        page_tokens: PageTokens,
        *,
        import_max_bytes: int = 5 * 1024 * 1024,
        import_max_rows: int = 5000,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.store = store
        self.request_ttl = request_ttl_seconds
        self.page_tokens = page_tokens
        self.import_max_bytes = import_max_bytes
        self.import_max_rows = import_max_rows
        self.clock = clock

    def _new(self, job: pb.JobApplication, now: float, *, keep_history: bool) -> pb.JobApplication:
        """A fresh record from client data: output-only fields are the service's."""
        new = pb.JobApplication()
        new.CopyFrom(job)
        history = list(job.status_history) if keep_history else []
        create_time = job.create_time if keep_history and job.HasField("create_time") else None
        for field in OUTPUT_ONLY:
            new.ClearField(field)  # type: ignore[arg-type]
        new.company, new.position = job.company.strip(), job.position.strip()
        if new.status == Status.STATUS_UNSPECIFIED:
            new.status = Status.APPLIED
        stamp = _timestamp(now)
        new.name = f"jobs/{uuid.uuid4().hex}"
        new.create_time.CopyFrom(create_time or stamp)
        new.update_time.CopyFrom(stamp)
        if history:
            new.status_history.extend(history)
            if history[-1].status != new.status:
                new.status_history.append(
                    pb.StatusChange(
                        from_status=history[-1].status, status=new.status, change_time=stamp
                    )
                )
        else:
            new.status_history.append(
                pb.StatusChange(
                    from_status=Status.STATUS_UNSPECIFIED, status=new.status, change_time=stamp
                )
            )
        new.etag = new_etag()
        check_size(new)
        return new

    async def create(
        self, user_id: str, job: pb.JobApplication, request_id: str
    ) -> pb.JobApplication:
        if request_id and not REQUEST_ID_RE.match(request_id):
            raise InvalidArgument(
                "request_id must be 1-64 letters, digits, '-' or '_' (a UUID fits).",
                violations=[FieldViolation("request_id", "1-64 of [A-Za-z0-9_-]")],
            )
        validate(job, UPDATABLE)
        new = self._new(job, self.clock(), keep_history=False)
        return await self.store.create(user_id, new, request_id, self.request_ttl)

    async def get(self, user_id: str, name: str) -> pb.JobApplication:
        job = await self.store.get(user_id, parse_name(name))
        if job is None:
            raise not_found()
        return job

    async def list(
        self,
        user_id: str,
        page_size: int,
        page_token: str,
        filter_text: str,
        order_by: str,
        view: int = pb.JOB_VIEW_FULL,
    ) -> tuple[list[pb.JobApplication], str, int]:
        if page_size < 0:
            raise InvalidArgument(
                "page_size cannot be negative.",
                violations=[FieldViolation("page_size", "must be 0 or more")],
            )
        size = min(page_size or DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE)
        conditions = parse_filter(filter_text)
        order = parse_order_by(order_by)
        binding = PageTokens.binding(user_id, filter_text, order_by)
        after = self.page_tokens.decode(page_token, binding) if page_token else ""
        # One more than asked tells whether another page follows.
        jobs, total = await self.store.query(user_id, Page(conditions, order, after, size + 1))
        next_token = ""
        if len(jobs) > size:
            jobs = jobs[:size]
            next_token = self.page_tokens.encode(records.sort_key(jobs[-1], order.field), binding)
        if view == pb.JOB_VIEW_BASIC:
            for job in jobs:
                records.basic_view(job)
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
        now = self.clock()

        def mutate(current: pb.JobApplication) -> pb.JobApplication:
            updated = pb.JobApplication()
            updated.CopyFrom(current)
            for field in tops:
                if field in ("company", "position"):
                    setattr(updated, field, getattr(job, field).strip())
                elif field in ("tags", "contacts", "interviews"):
                    updated.ClearField(field)  # type: ignore[arg-type]
                    getattr(updated, field).extend(getattr(job, field))
                elif field in ("applied_date", "salary", "next_action", "analysis"):
                    updated.ClearField(field)  # type: ignore[arg-type]
                    if job.HasField(field):  # type: ignore[arg-type]
                        getattr(updated, field).CopyFrom(getattr(job, field))
                else:
                    setattr(updated, field, getattr(job, field))
            if updated.status == Status.STATUS_UNSPECIFIED:
                updated.status = current.status
            stamp = _timestamp(now)
            if updated.status != current.status:
                updated.status_history.append(
                    pb.StatusChange(
                        from_status=current.status, status=updated.status, change_time=stamp
                    )
                )
            updated.update_time.CopyFrom(stamp)
            check_size(updated)
            return updated

        return await self.store.update(user_id, job_id, job.etag, mutate)

    async def delete(self, user_id: str, name: str, etag: str) -> None:
        await self.store.delete(user_id, parse_name(name), etag)

    async def stats(self, user_id: str, stale_days: int, weeks: int) -> pb.JobStats:
        problems = []
        if not 0 <= stale_days <= 365:
            problems.append(FieldViolation("stale_days", "between 1 and 365 (0: default 14)"))
        if not 0 <= weeks <= 104:
            problems.append(FieldViolation("weeks", "between 1 and 104 (0: default 12)"))
        if problems:
            raise InvalidArgument("Check the highlighted fields.", violations=problems)
        rows = await self.store.stats_rows(user_id)
        return compute_stats(rows, self.clock(), stale_days or 14, weeks or 12)

    # -- import and export ------------------------------------------------------------------

    async def import_jobs(
        self, user_id: str, body: bytes, content_type: str
    ) -> pb.ImportJobsResponse:
        plan = transfer.parse_import(
            body, content_type, max_rows=self.import_max_rows, max_bytes=self.import_max_bytes
        )
        now = self.clock()
        items: list[ImportItem] = []
        errors = [
            pb.ImportError(row=e.line, column=e.column, message=e.message) for e in plan.errors
        ]
        for row in plan.rows:
            try:
                items.append(ImportItem(self._new(row.job, now, keep_history=True), row.key))
            except InvalidArgument as exc:
                errors.append(pb.ImportError(row=row.line, column="", message=exc.message))
        created, duplicates = await self.store.import_jobs(user_id, items)
        errors.sort(key=lambda e: (e.row, e.column))
        return pb.ImportJobsResponse(
            imported_count=len(created),
            errors=errors,
            duplicate_count=duplicates,
            created=[j.name for j in created],
        )

    async def export_jobs(self, user_id: str, fmt: str) -> httpbody_pb2.HttpBody:
        fmt = (fmt or "csv").lower()
        if fmt not in ("csv", "json"):
            raise InvalidArgument(
                "format must be csv or json.",
                violations=[FieldViolation("format", "csv or json")],
            )
        jobs = await self.store.all_jobs(user_id)
        if fmt == "csv":
            return httpbody_pb2.HttpBody(
                content_type="text/csv; charset=utf-8", data=transfer.export_csv(jobs)
            )
        return httpbody_pb2.HttpBody(
            content_type="application/json", data=transfer.export_json(jobs)
        )

    # -- calendar feed ------------------------------------------------------------------------

    @staticmethod
    def feed_to_pb(feed: Feed) -> pb.CalendarFeed:
        return pb.CalendarFeed(
            path=f"/v1/calendars/{feed.secret}/careervault.ics",
            create_time=_timestamp(feed.create_time),
        )

    async def calendar_feed(self, user_id: str) -> pb.CalendarFeed:
        feed = await self.store.get_feed(user_id)
        if feed is None:
            return await self.rotate_calendar_feed(user_id)
        return self.feed_to_pb(feed)

    async def rotate_calendar_feed(self, user_id: str) -> pb.CalendarFeed:
        feed = Feed(secrets.token_urlsafe(32), self.clock())
        await self.store.put_feed(user_id, feed)
        return self.feed_to_pb(feed)

    async def delete_calendar_feed(self, user_id: str) -> None:
        await self.store.delete_feed(user_id)

    async def calendar_ics(self, secret: str) -> httpbody_pb2.HttpBody:
        gone = NotFound("No such calendar feed.", reason="FEED_NOT_FOUND")
        if not FEED_SECRET_RE.match(secret):
            raise gone
        owner = await self.store.feed_owner(secret)
        if owner is None:
            raise gone
        jobs = await self.store.all_jobs(owner)
        now = dt.datetime.fromtimestamp(self.clock(), dt.UTC)
        return httpbody_pb2.HttpBody(
            content_type="text/calendar; charset=utf-8", data=calendar.render_ics(jobs, now=now)
        )

    async def purge_closed(self, retention_days: int) -> int:
        return await self.store.purge_closed(self.clock() - retention_days * DAY)
