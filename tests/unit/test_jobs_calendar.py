"""The iCalendar feed: what goes in it, and that it is valid RFC 5545.

Validity is checked twice: on the raw bytes (CRLF, 75-octet folding, escaping), and by parsing
the document with the independent `icalendar` package (skipped when it is not installed).
"""

from __future__ import annotations

import datetime as dt
from types import ModuleType
from typing import Any

import pytest

from careervault.jobs.v1 import jobs_pb2 as pb
from careervault_jobs.calendar import PRODID, escape_text, fold_line, render_ics

NOW = dt.datetime(2026, 5, 1, 12, 30, 15, 999, tzinfo=dt.UTC)
JOB_ID = "0123456789abcdef0123456789abcdef"
Kind, Outcome = pb.Interview.Kind, pb.Interview.Outcome


@pytest.fixture
def ical() -> ModuleType:
    # An independent parser (a dev dependency) judges whether the feed is valid iCalendar.
    import icalendar

    return icalendar


def job(
    company: str = "Acme",
    position: str = "Backend Engineer",
    *,
    job_id: str = JOB_ID,
    job_url: str = "",
) -> pb.JobApplication:
    return pb.JobApplication(
        name=f"jobs/{job_id}", company=company, position=position, job_url=job_url
    )


def add_interview(
    target: pb.JobApplication,
    start: dt.datetime,
    *,
    minutes: int = 0,
    kind: pb.Interview.Kind.ValueType = Kind.KIND_UNSPECIFIED,
    outcome: pb.Interview.Outcome.ValueType = Outcome.OUTCOME_UNSPECIFIED,
    location: str = "",
    interviewers: tuple[str, ...] = (),
    notes: str = "",
) -> pb.Interview:
    interview = target.interviews.add(
        kind=kind, outcome=outcome, location=location, interviewers=interviewers, notes=notes
    )
    interview.start_time.FromDatetime(start)
    if minutes:
        interview.duration.FromTimedelta(dt.timedelta(minutes=minutes))
    return interview


def job_with_interview() -> pb.JobApplication:
    j = job()
    add_interview(j, NOW + dt.timedelta(days=1))
    return j


def set_next_action(target: pb.JobApplication, description: str, day: dt.date) -> None:
    target.next_action.description = description
    target.next_action.due_date.year = day.year
    target.next_action.due_date.month = day.month
    target.next_action.due_date.day = day.day


def parse(ical: ModuleType, document: bytes) -> Any:
    """The parsed calendar, after checking the parser found nothing wrong anywhere."""
    calendar = ical.Calendar.from_ical(document)
    for component in calendar.walk():
        assert component.errors == [], (component.name, component.errors)
    return calendar


def events(calendar: Any) -> dict[str, Any]:
    found = {str(e["UID"]): e for e in calendar.walk("VEVENT")}
    assert len(found) == len(calendar.walk("VEVENT")), "UIDs are unique"
    return found


def physical_lines(document: bytes) -> list[bytes]:
    assert document.endswith(b"\r\n")
    lines = document[:-2].split(b"\r\n")
    assert all(b"\r" not in line and b"\n" not in line for line in lines), "bare CR or LF"
    return lines


def content_lines(document: bytes) -> list[str]:
    """Unfolded content lines (RFC 5545 3.1)."""
    return document.decode("utf-8").replace("\r\n ", "").split("\r\n")[:-1]


def at(day: int, hour: int = 10, minute: int = 0, month: int = 5) -> dt.datetime:
    return dt.datetime(2026, month, day, hour, minute, tzinfo=dt.UTC)


# --- the document ------------------------------------------------------------------------------


def test_an_empty_calendar_is_valid_and_carries_the_feed_properties(ical: ModuleType) -> None:
    document = render_ics([], now=NOW)
    lines = content_lines(document)
    assert lines[0] == "BEGIN:VCALENDAR" and lines[-1] == "END:VCALENDAR"
    for line in (
        "VERSION:2.0",
        f"PRODID:{PRODID}",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        "X-WR-CALNAME:CareerVault",
        "REFRESH-INTERVAL;VALUE=DURATION:PT1H",
        "X-PUBLISHED-TTL:PT1H",
    ):
        assert line in lines
    assert PRODID == "-//CareerVault//Job applications//EN"

    calendar = parse(ical, document)
    assert calendar.name == "VCALENDAR"
    assert str(calendar["VERSION"]) == "2.0"
    assert str(calendar["PRODID"]) == PRODID
    assert str(calendar["METHOD"]) == "PUBLISH"
    assert calendar.decoded("REFRESH-INTERVAL") == dt.timedelta(hours=1)
    assert calendar.walk("VEVENT") == []
    # RFC 5545 3.4: one component at least, so strict parsers accept it too.
    assert [c.name for c in calendar.subcomponents] == ["VTIMEZONE"]
    assert "BEGIN:VTIMEZONE" not in content_lines(render_ics([job_with_interview()], now=NOW))


def test_the_calendar_name_is_escaped() -> None:
    lines = content_lines(render_ics([], now=NOW, calendar_name="Jobs, mine; 2026"))
    assert "X-WR-CALNAME:Jobs\\, mine\\; 2026" in lines


def test_now_must_be_aware_and_the_window_not_negative() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        render_ics([], now=dt.datetime(2026, 5, 1))
    with pytest.raises(ValueError):
        render_ics([], now=NOW, past_days=-1)


def test_the_same_data_gives_the_same_bytes_in_start_order() -> None:
    a, b = job("Acme", job_id="a" * 32), job("Beta", job_id="b" * 32)
    add_interview(a, at(9))
    add_interview(b, at(3))
    set_next_action(a, "Follow up", dt.date(2026, 5, 5))
    first = render_ics([a, b], now=NOW)
    assert render_ics([a, b], now=NOW) == first
    summaries = [line for line in content_lines(first) if line.startswith("SUMMARY:")]
    assert summaries == [
        "SUMMARY:Interview: Backend Engineer at Beta",
        "SUMMARY:To do: Follow up (Acme)",
        "SUMMARY:Interview: Backend Engineer at Acme",
    ]


# --- interviews --------------------------------------------------------------------------------


def test_an_interview_becomes_a_utc_event(ical: ModuleType) -> None:
    j = job("Acme", "Staff Engineer", job_url="https://acme.example/jobs/42")
    add_interview(
        j,
        dt.datetime(2026, 5, 3, 16, 0, tzinfo=dt.timezone(dt.timedelta(hours=2))),
        minutes=45,
        kind=Kind.VIDEO,
        location="https://meet.example.com/abc-defg",
        interviewers=("Ana Lima", "Bo Chen"),
        notes="System design round",
    )
    document = render_ics([j], now=NOW)
    lines = content_lines(document)
    assert "DTSTART:20260503T140000Z" in lines
    assert "DTEND:20260503T144500Z" in lines
    assert "DTSTAMP:20260501T123015Z" in lines

    (event,) = events(parse(ical, document)).values()
    assert str(event["UID"]) == f"{JOB_ID}-interview-{int(at(3, 14).timestamp())}@careervault"
    assert event.decoded("DTSTART") == at(3, 14)
    assert event.decoded("DTSTART").utcoffset() == dt.timedelta(0)
    assert event.decoded("DTEND") == at(3, 14, 45)
    assert event.decoded("DTSTAMP") == NOW.replace(microsecond=0)
    assert str(event["SUMMARY"]) == "Interview: Staff Engineer at Acme (video)"
    assert str(event["LOCATION"]) == "https://meet.example.com/abc-defg"
    assert str(event["URL"]) == "https://meet.example.com/abc-defg"
    assert str(event["STATUS"]) == "CONFIRMED"
    description = str(event["DESCRIPTION"])
    assert "Interviewers: Ana Lima, Bo Chen" in description
    assert "System design round" in description
    assert "https://acme.example/jobs/42" in description


def test_a_link_inside_a_location_is_the_url_and_an_address_is_none(ical: ModuleType) -> None:
    j = job()
    add_interview(j, at(3), location="Zoom: https://zoom.us/j/123?pwd=x, passcode 99")
    add_interview(j, at(4), location="1 Main St, Springfield", kind=Kind.IN_PERSON)
    calendar = parse(ical, render_ics([j], now=NOW))
    by_start = {e.decoded("DTSTART"): e for e in calendar.walk("VEVENT")}
    zoom, office = by_start[at(3)], by_start[at(4)]
    assert str(zoom["URL"]) == "https://zoom.us/j/123?pwd=x"
    assert str(zoom["LOCATION"]) == "Zoom: https://zoom.us/j/123?pwd=x, passcode 99"
    assert "URL" not in office
    assert str(office["LOCATION"]) == "1 Main St, Springfield"
    assert str(office["SUMMARY"]).endswith("(in person)")


def test_a_missing_duration_lasts_an_hour(ical: ModuleType) -> None:
    j = job()
    add_interview(j, at(3, 9, 30))  # no duration
    zero = add_interview(j, at(4, 9, 30))
    zero.duration.seconds = 0  # present but zero
    for event in events(parse(ical, render_ics([j], now=NOW))).values():
        assert event.decoded("DTEND") - event.decoded("DTSTART") == dt.timedelta(hours=1)


def test_a_cancelled_interview_is_kept_with_cancelled_status(ical: ModuleType) -> None:
    j = job()
    add_interview(j, at(3), outcome=Outcome.CANCELLED)
    add_interview(j, at(4), outcome=Outcome.PENDING)
    add_interview(j, at(5), outcome=Outcome.PASSED)
    calendar = parse(ical, render_ics([j], now=NOW))
    statuses = {e.decoded("DTSTART").day: str(e["STATUS"]) for e in calendar.walk("VEVENT")}
    assert statuses == {3: "CANCELLED", 4: "CONFIRMED", 5: "CONFIRMED"}


def test_only_interviews_within_the_window_are_included(ical: ModuleType) -> None:
    j = job()
    now = NOW.replace(microsecond=0)
    for start in (
        now - dt.timedelta(days=30, seconds=1),  # too old
        now - dt.timedelta(days=30),  # oldest kept
        now,
        now + dt.timedelta(days=10),
        now + dt.timedelta(days=10),  # same start twice
        now + dt.timedelta(days=365),  # last kept
        now + dt.timedelta(days=365, seconds=1),  # too far
    ):
        add_interview(j, start)
    j.interviews.add(location="not scheduled")  # no start time at all
    calendar = parse(ical, render_ics([j], now=NOW))
    starts = sorted(e.decoded("DTSTART") for e in calendar.walk("VEVENT"))
    assert starts == [
        now - dt.timedelta(days=30),
        now,
        now + dt.timedelta(days=10),
        now + dt.timedelta(days=10),
        now + dt.timedelta(days=365),
    ]
    narrow = parse(ical, render_ics([j], now=NOW, horizon_days=5, past_days=0))
    assert [e.decoded("DTSTART") for e in narrow.walk("VEVENT")] == [now]


def test_uids_are_unique_and_survive_unrelated_changes() -> None:
    def uids(jobs: list[pb.JobApplication]) -> list[str]:
        lines = content_lines(render_ics(jobs, now=NOW))
        return [line.removeprefix("UID:") for line in lines if line.startswith("UID:")]

    a, b = job(job_id="a" * 32), job(job_id="b" * 32)
    add_interview(a, at(3))
    add_interview(a, at(3))  # the same start twice
    add_interview(a, at(7))
    add_interview(b, at(3))
    set_next_action(a, "Email the recruiter", dt.date(2026, 5, 6))
    set_next_action(b, "Email the recruiter", dt.date(2026, 5, 6))
    before = uids([a, b])
    assert len(before) == len(set(before)) == 6
    assert all(uid.endswith("@careervault") for uid in before)

    # Edit everything but the identity of each event; add an earlier interview; reorder.
    a.company, a.position, a.notes, a.job_url = "Acme Corp", "Lead", "changed", "https://x.io"
    for interview in a.interviews:
        interview.notes, interview.location = "new notes", "Room 4"
        interview.outcome, interview.kind = Outcome.PASSED, Kind.PHONE
        interview.duration.seconds = 5400
    a.next_action.description = "Call the recruiter"
    a.next_action.due_date.day = 8
    add_interview(a, at(2))
    reordered = [pb.Interview.FromString(i.SerializeToString()) for i in a.interviews]
    del a.interviews[:]
    a.interviews.extend(reversed(reordered))
    after = uids([b, a])
    assert set(before) < set(after)
    assert len(after) == 7


def test_uids_fall_back_to_a_hash_for_odd_names() -> None:
    odd = pb.JobApplication(name="jobs/with space;and,comma", company="Acme", position="Dev")
    add_interview(odd, at(3))
    lines = content_lines(render_ics([odd, odd], now=NOW))
    uid_lines = [line for line in lines if line.startswith("UID:")]
    assert len(uid_lines) == 2 and uid_lines[0] == uid_lines[1]
    assert " " not in uid_lines[0] and "," not in uid_lines[0]


# --- next actions ------------------------------------------------------------------------------


def test_a_next_action_is_an_all_day_transparent_event(ical: ModuleType) -> None:
    j = job("Acme", "Data Engineer", job_url="https://acme.example/jobs/7")
    set_next_action(j, "Send thank-you note", dt.date(2026, 5, 4))
    document = render_ics([j], now=NOW)
    lines = content_lines(document)
    assert "DTSTART;VALUE=DATE:20260504" in lines
    assert "DTEND;VALUE=DATE:20260505" in lines
    assert not any(line.startswith("BEGIN:VTODO") for line in lines)

    (event,) = events(parse(ical, document)).values()
    assert str(event["UID"]) == f"{JOB_ID}-next-action@careervault"
    assert event.decoded("DTSTART") == dt.date(2026, 5, 4)
    assert not isinstance(event.decoded("DTSTART"), dt.datetime)
    assert event.decoded("DTEND") == dt.date(2026, 5, 5)
    assert str(event["SUMMARY"]) == "To do: Send thank-you note (Acme)"
    assert str(event["TRANSP"]) == "TRANSPARENT"
    assert "Data Engineer at Acme" in str(event["DESCRIPTION"])


def test_next_actions_outside_the_window_or_without_a_full_date_are_left_out() -> None:
    jobs = []
    for n, day in enumerate(
        (dt.date(2026, 3, 31), dt.date(2026, 4, 1), dt.date(2027, 5, 1), dt.date(2027, 5, 2))
    ):
        j = job(job_id=f"{n:032x}")
        set_next_action(j, f"action {n}", day)
        jobs.append(j)
    partial = job(job_id="f" * 32)
    set_next_action(partial, "someday", dt.date(2026, 5, 1))
    partial.next_action.due_date.day = 0  # a month, not a day
    undated = job(job_id="e" * 32)
    undated.next_action.description = "no date"
    lines = content_lines(render_ics([*jobs, partial, undated], now=NOW))
    summaries = [line for line in lines if line.startswith("SUMMARY:")]
    assert summaries == ["SUMMARY:To do: action 1 (Acme)", "SUMMARY:To do: action 2 (Acme)"]


# --- escaping and folding ----------------------------------------------------------------------


def test_escape_text_follows_rfc_5545() -> None:
    assert escape_text("a,b;c\\d:e") == "a\\,b\\;c\\\\d:e"
    assert escape_text("one\ntwo\r\nthree\rfour") == "one\\ntwo\\nthree\\nfour"
    assert escape_text("tab\tkept, bell\x07 dropped") == "tab\tkept\\, bell dropped"


def test_text_round_trips_through_a_parser(ical: ModuleType) -> None:
    company = 'Smith, Jones; Partners \\ "Co"'
    notes = "Line 1; with, punctuation\nLine 2 \\n is not a newline\r\nLine 3: colon"
    j = job(company, "Dev, Ops")
    add_interview(j, at(3), location="Room 4; Floor 2, Building \\A", notes=notes)
    set_next_action(j, "Prepare: questions, answers; more", dt.date(2026, 5, 2))
    calendar = parse(ical, render_ics([j], now=NOW))
    interview, action = sorted(calendar.walk("VEVENT"), key=lambda e: str(e["UID"]))
    assert str(interview["SUMMARY"]) == f"Interview: Dev, Ops at {company}"
    assert str(interview["LOCATION"]) == "Room 4; Floor 2, Building \\A"
    assert notes.replace("\r\n", "\n") in str(interview["DESCRIPTION"])
    assert str(action["SUMMARY"]) == f"To do: Prepare: questions, answers; more ({company})"


def test_summaries_are_one_line() -> None:
    j = job("Acme\nLabs", "Dev")
    set_next_action(j, "first line\nsecond line", dt.date(2026, 5, 2))
    lines = content_lines(render_ics([j], now=NOW))
    assert "SUMMARY:To do: first line second line (Acme Labs)" in lines
    assert any(line.endswith("first line\\nsecond line") for line in lines)


def test_fold_line_keeps_lines_within_75_octets_and_characters_whole() -> None:
    for text in ("x" * 300, "é" * 200, "日本語" * 60, "🚀a" * 70, "\\," * 100, "a" * 74 + "🚀"):
        folded = fold_line("DESCRIPTION:" + text)
        assert folded.endswith("\r\n")
        parts = folded.encode("utf-8")[:-2].split(b"\r\n")
        assert all(len(part) <= 75 for part in parts)
        assert all(part.startswith(b" ") for part in parts[1:])
        for part in parts:
            part.decode("utf-8")  # no character split across lines
        assert not any(part.endswith(b"\\") for part in parts), "escape split"
        assert folded.replace("\r\n ", "").removesuffix("\r\n") == "DESCRIPTION:" + text
    assert fold_line("X:" + "a" * 73) == "X:" + "a" * 73 + "\r\n"  # exactly 75: not folded
    assert fold_line("X:" + "a" * 74) == "X:" + "a" * 73 + "\r\n a\r\n"


def test_long_unicode_text_is_folded_and_parses_back_intact(ical: ModuleType) -> None:
    notes = "Entretien à Zürich — préparer « system design » 🚀 面试准备 " * 12
    j = job("Société Générale", "Ingénieur logiciel")
    add_interview(j, at(3), notes=notes, location="https://例え.jp/会議/" + "ä" * 80)
    document = render_ics([j], now=NOW)
    lines = physical_lines(document)
    assert max(len(line) for line in lines) <= 75
    assert any(line.startswith(b" ") for line in lines), "something was folded"
    for line in lines:
        line.decode("utf-8")

    (event,) = parse(ical, document).walk("VEVENT")
    assert notes.strip() in str(event["DESCRIPTION"])
    assert str(event["SUMMARY"]) == "Interview: Ingénieur logiciel at Société Générale"
    assert str(event["LOCATION"]).endswith("ä" * 80)
    assert str(event["URL"]).isascii()  # a URI value: non-ASCII percent-encoded
