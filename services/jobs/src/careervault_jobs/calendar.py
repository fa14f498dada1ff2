"""The iCalendar (RFC 5545) feed of a seeker's interviews and next actions.

A subscribed calendar (Google Calendar, Apple Calendar, Outlook) polls the feed's URL and
replaces its copy with whatever the document holds, matching events by UID. So:

- every event has a UID that depends only on what identifies it (the application and, for an
  interview, its start), never on free text, so editing notes does not duplicate events;
- times are written in UTC (``...Z``), which needs no VTIMEZONE;
- next actions are all-day VEVENTs, not VTODOs, which Google Calendar ignores in feeds.

The serializer is the standard library only: text escaping per RFC 5545 3.3.11, content
lines folded at 75 octets per 3.1 without splitting a UTF-8 character or an escape sequence,
CRLF line endings.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from urllib.parse import quote

from careervault.jobs.v1 import jobs_pb2 as pb

__all__ = ["PRODID", "escape_text", "fold_line", "render_ics"]

PRODID = "-//CareerVault//Job applications//EN"
UID_DOMAIN = "careervault"
DEFAULT_DURATION = 3600  # seconds, for an interview without a duration
MAX_DURATION = 7 * 86400  # seconds; longer durations are clamped
MAX_LINE_OCTETS = 75  # RFC 5545 3.1, not counting the CRLF

Kind = pb.Interview.Kind
KIND_LABELS = {
    Kind.PHONE: "phone",
    Kind.VIDEO: "video",
    Kind.IN_PERSON: "in person",
    Kind.TECHNICAL: "technical",
}

# Control characters other than HTAB are not allowed in TEXT (RFC 5545 3.3.11); line breaks
# are handled before this.
_CONTROL_RE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
_NEWLINE_RE = re.compile(r"\r\n|\r|\n")
_URL_RE = re.compile(r"https?://[^\s<>\"]+", re.IGNORECASE)
_URI_SAFE = "%:/?#[]@!$&'()*+,;=~"
_SAFE_ID_RE = re.compile(r"^[A-Za-z0-9._-]{1,128}$")


def escape_text(value: str) -> str:
    """A TEXT value (RFC 5545 3.3.11): backslash, semicolon and comma escaped, line breaks as
    ``\\n``, other control characters dropped."""
    value = value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
    value = _NEWLINE_RE.sub("\\\\n", value)
    return _CONTROL_RE.sub("", value)


def fold_line(line: str) -> str:
    """One content line folded (RFC 5545 3.1): no physical line longer than 75 octets, each
    continuation starting with a space, CRLF after each. A multi-byte UTF-8 character or a
    backslash escape (``\\,``, ``\\n``, ...) is never split across lines."""
    out: list[str] = []
    current: list[str] = []
    size = 0
    i = 0
    while i < len(line):
        # A backslash and the character it escapes stay together.
        unit = line[i : i + 2] if line[i] == "\\" else line[i]
        i += len(unit)
        octets = len(unit.encode("utf-8"))
        if size + octets > MAX_LINE_OCTETS:
            out.append("".join(current))
            current, size = [" "], 1
        current.append(unit)
        size += octets
    out.append("".join(current))
    return "".join(part + "\r\n" for part in out)


@dataclass(frozen=True)
class _Event:
    """One VEVENT's properties, as (name with parameters, already encoded value) pairs."""

    sort_key: tuple[str, str]
    properties: tuple[tuple[str, str], ...]

    def lines(self) -> Iterator[str]:
        yield "BEGIN:VEVENT"
        for name, value in self.properties:
            yield f"{name}:{value}"
        yield "END:VEVENT"


_UTC_TIMEZONE = (
    "BEGIN:VTIMEZONE",
    "TZID:UTC",
    "BEGIN:STANDARD",
    "DTSTART:19700101T000000",
    "TZOFFSETFROM:+0000",
    "TZOFFSETTO:+0000",
    "TZNAME:UTC",
    "END:STANDARD",
    "END:VTIMEZONE",
)


def render_ics(
    jobs: Sequence[pb.JobApplication],
    *,
    now: dt.datetime,
    horizon_days: int = 365,
    past_days: int = 30,
    calendar_name: str = "CareerVault",
) -> bytes:
    """The iCalendar document (UTF-8, CRLF) of the applications' interviews starting, and
    next actions due, between ``now - past_days`` and ``now + horizon_days`` (inclusive).
    Without any, the document holds a UTC VTIMEZONE, as RFC 5545 wants one component at least.

    ``now`` must be timezone-aware; it is also each event's DTSTAMP. Events are ordered by
    start, then UID, so the same data always gives the same document apart from DTSTAMP.
    """
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("now must be timezone-aware")
    if horizon_days < 0 or past_days < 0:
        raise ValueError("horizon_days and past_days must not be negative")
    now = now.astimezone(dt.UTC).replace(microsecond=0)
    stamp = _utc(now)
    low = now - dt.timedelta(days=past_days)
    high = now + dt.timedelta(days=horizon_days)

    events: list[_Event] = []
    for job in jobs:
        job_id = _job_id(job)
        events += _interview_events(job, job_id, stamp, int(low.timestamp()), int(high.timestamp()))
        action = _next_action_event(job, job_id, stamp, low.date(), high.date())
        if action is not None:
            events.append(action)
    events.sort(key=lambda e: e.sort_key)

    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        f"PRODID:{PRODID}",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        f"X-WR-CALNAME:{escape_text(calendar_name)}",
        f"NAME:{escape_text(calendar_name)}",
        "REFRESH-INTERVAL;VALUE=DURATION:PT1H",
        "X-PUBLISHED-TTL:PT1H",
    ]
    for event in events:
        lines += event.lines()
    if not events:
        # RFC 5545 3.4 wants at least one component, and strict parsers (sabre/vobject) say
        # so; an unreferenced UTC time zone is the harmless one.
        lines += _UTC_TIMEZONE
    lines.append("END:VCALENDAR")
    return "".join(fold_line(line) for line in lines).encode("utf-8")


def _interview_events(
    job: pb.JobApplication, job_id: str, stamp: str, low: int, high: int
) -> list[_Event]:
    events: list[_Event] = []
    seen: dict[int, int] = {}
    for interview in job.interviews:
        if not interview.HasField("start_time"):
            continue
        start = interview.start_time.seconds
        # Two interviews of one application at the same second are told apart by their order
        # among those; the UID does not depend on the others, so adding or removing one
        # elsewhere in the list does not change it.
        n = seen[start] = seen.get(start, 0) + 1
        if not low <= start <= high:
            continue
        uid = f"{job_id}-interview-{start}{'' if n == 1 else f'-{n}'}@{UID_DOMAIN}"
        duration = interview.duration.seconds if interview.HasField("duration") else 0
        if duration <= 0:
            duration = DEFAULT_DURATION
        duration = min(duration, MAX_DURATION)
        begin = dt.datetime.fromtimestamp(start, dt.UTC)

        title = _title(job)
        kind = KIND_LABELS.get(interview.kind)
        summary = f"Interview: {title}" + (f" ({kind})" if kind else "")

        about: list[str] = []
        interviewers = ", ".join(p.strip() for p in interview.interviewers if p.strip())
        if interviewers:
            about.append(f"Interviewers: {interviewers}")
        if interview.notes.strip():
            about.append(interview.notes.strip())
        if job.job_url.strip():
            about.append(f"Job posting: {job.job_url.strip()}")

        cancelled = interview.outcome == pb.Interview.Outcome.CANCELLED
        props: list[tuple[str, str]] = [
            ("UID", uid),
            ("DTSTAMP", stamp),
            ("DTSTART", _utc(begin)),
            ("DTEND", _utc(begin + dt.timedelta(seconds=duration))),
            ("SUMMARY", escape_text(_one_line(summary))),
        ]
        location = interview.location.strip()
        if location:
            props.append(("LOCATION", escape_text(location)))
        if about:
            props.append(("DESCRIPTION", escape_text("\n\n".join(about))))
        link = _link(location)
        if link:
            props.append(("URL", link))
        props.append(("STATUS", "CANCELLED" if cancelled else "CONFIRMED"))
        props.append(("TRANSP", "OPAQUE"))
        events.append(_Event((_utc(begin), uid), tuple(props)))
    return events


def _next_action_event(
    job: pb.JobApplication, job_id: str, stamp: str, low: dt.date, high: dt.date
) -> _Event | None:
    if not job.HasField("next_action") or not job.next_action.HasField("due_date"):
        return None
    due = job.next_action.due_date
    try:
        day = dt.date(due.year, due.month, due.day)
        after = day + dt.timedelta(days=1)
    except (ValueError, OverflowError):  # a partial date (month or day 0), or 9999-12-31
        return None
    if not low <= day <= high:
        return None
    uid = f"{job_id}-next-action@{UID_DOMAIN}"
    what = _one_line(job.next_action.description) or "next step"
    summary = f"To do: {what}" + (f" ({_one_line(job.company)})" if job.company.strip() else "")
    about = [_title(job)] if _title(job) else []
    if job.next_action.description.strip() not in ("", what):  # had line breaks: keep them
        about.append(job.next_action.description.strip())
    if job.job_url.strip():
        about.append(f"Job posting: {job.job_url.strip()}")
    props: list[tuple[str, str]] = [
        ("UID", uid),
        ("DTSTAMP", stamp),
        ("DTSTART;VALUE=DATE", _date(day)),
        ("DTEND;VALUE=DATE", _date(after)),
        ("SUMMARY", escape_text(summary)),
    ]
    if about:
        props.append(("DESCRIPTION", escape_text("\n\n".join(about))))
    props.append(("TRANSP", "TRANSPARENT"))
    return _Event((_date(day), uid), tuple(props))


def _job_id(job: pb.JobApplication) -> str:
    """The application's id from its name (``jobs/{id}``); a hash of the name (or, for an
    unnamed application, of company and position) when it is not UID-safe."""
    name = job.name.removeprefix("jobs/")
    if _SAFE_ID_RE.match(name):
        return name
    basis = job.name or f"{job.company}\x00{job.position}"
    return "x" + hashlib.sha256(basis.encode("utf-8")).hexdigest()[:32]


def _title(job: pb.JobApplication) -> str:
    position, company = _one_line(job.position), _one_line(job.company)
    if position and company:
        return f"{position} at {company}"
    return position or (f"at {company}" if company else "")


def _one_line(text: str) -> str:
    """Whitespace (line breaks included) collapsed to single spaces, for a summary."""
    return " ".join(text.split())


def _link(location: str) -> str | None:
    """The http(s) link in a location (``https://zoom.us/j/1``, ``Zoom: https://...``), if any,
    without trailing punctuation."""
    match = _URL_RE.search(location)
    if match is None:
        return None
    link = match.group(0).rstrip(".,;:!?)]}'")
    if len(link) <= len("https://"):
        return None
    # A URI value is not escaped: drop control characters, percent-encode non-ASCII.
    return quote(_CONTROL_RE.sub("", link), safe=_URI_SAFE)


def _utc(moment: dt.datetime) -> str:
    return (
        f"{moment.year:04d}{moment.month:02d}{moment.day:02d}"
        f"T{moment.hour:02d}{moment.minute:02d}{moment.second:02d}Z"
    )


def _date(day: dt.date) -> str:
    return f"{day.year:04d}{day.month:02d}{day.day:02d}"
