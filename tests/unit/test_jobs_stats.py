"""Statistics against numbers worked out by hand (definitions in jobs.proto's JobStats)."""

from __future__ import annotations

import datetime as dt

from careervault.jobs.v1 import jobs_pb2 as pb
from careervault_jobs.domain import compute_stats
from careervault_jobs.records import StatsRow

S = pb.JobApplication.Status
DAY = 86400.0
# Thursday 2026-11-26 12:00 UTC.
NOW = dt.datetime(2026, 11, 26, 12, tzinfo=dt.UTC).timestamp()


def at(day: str, hour: int = 9) -> float:
    return dt.datetime.fromisoformat(day).replace(hour=hour, tzinfo=dt.UTC).timestamp()


def row(
    name: str,
    history: list[tuple[int, float]],
    *,
    source: str = "",
    applied: str = "",
    updated: float | None = None,
) -> StatsRow:
    """The row statistics see for an application with this history (as both stores derive it)."""
    job = pb.JobApplication(name=f"jobs/{name}", company=name.upper(), position="Dev")
    job.status, job.source = history[-1][0], source  # type: ignore[assignment]
    if applied:
        job.applied_date.year, job.applied_date.month, job.applied_date.day = (
            int(x) for x in applied.split("-")
        )
    for status, when in history:
        job.status_history.add(status=status).change_time.FromNanoseconds(int(when * 1e9))  # type: ignore[arg-type]
    job.update_time.FromNanoseconds(int((updated if updated is not None else history[-1][1]) * 1e9))
    return StatsRow.of(job)


ROWS = [
    # Saved only: not sent; open and untouched for 20 days -> stale.
    row("a", [(S.SAVED, NOW - 20 * DAY)], source="LinkedIn"),
    # Sent Mon 2026-11-16 (applied date), phone screen 4 days later, then rejected.
    row(
        "b",
        [
            (S.APPLIED, at("2026-11-17")),
            (S.PHONE_SCREEN, at("2026-11-20", 9)),
            (S.REJECTED, at("2026-11-24")),
        ],
        source="LinkedIn",
        applied="2026-11-16",
    ),
    # Saved, sent Wed 2026-11-18 09:00, offer 2 days later (skipping rounds), accepted.
    row(
        "c",
        [
            (S.SAVED, at("2026-11-10")),
            (S.APPLIED, at("2026-11-18")),
            (S.OFFER, at("2026-11-20")),
            (S.ACCEPTED, at("2026-11-25")),
        ],
        source="Referral",
    ),
    # Sent Tue 2026-11-03, no answer, untouched for 23 days -> stale.
    row("d", [(S.APPLIED, at("2026-11-03"))], source="LinkedIn"),
    # Sent Thu 2026-11-26, withdrawn the same day: sent, no answer, closed.
    row("e", [(S.APPLIED, at("2026-11-26", 8)), (S.WITHDRAWN, at("2026-11-26", 10))]),
    # Created directly as REJECTED on Fri 2026-10-02 (outside a 4-week window), answer at once.
    row("f", [(S.REJECTED, at("2026-10-02"))], source="Referral"),
]


def test_counts_rates_and_funnel() -> None:
    s = compute_stats(ROWS, NOW, stale_days=14, weeks=4)
    counts = {c.status: c.count for c in s.status_counts}
    assert s.total == 6 and s.sent == 5
    assert counts[S.SAVED] == 1 and counts[S.REJECTED] == 2 and counts[S.ACCEPTED] == 1
    assert counts[S.APPLIED] == 1 and counts[S.WITHDRAWN] == 1 and counts[S.OFFER] == 0
    # Responded: b, c, f (e withdrew, d waits). Interviewed: b, c. Offered: c.
    assert (s.response_rate, s.interview_rate, s.offer_rate) == (0.6, 0.4, 0.2)
    funnel = [(f.status, f.reached, f.conversion) for f in s.funnel]
    assert funnel == [
        (S.APPLIED, 5, 1.0),
        (S.PHONE_SCREEN, 2, 0.4),
        (S.TECHNICAL_INTERVIEW, 1, 0.5),
        (S.FINAL_INTERVIEW, 1, 1.0),
        (S.OFFER, 1, 1.0),
        (S.ACCEPTED, 1, 1.0),
    ]


def test_time_to_first_response() -> None:
    s = compute_stats(ROWS, NOW, stale_days=14, weeks=4)
    # b: 2026-11-16 00:00 -> 11-20 09:00 = 4.375 d; c: 11-18 09:00 -> 11-20 09:00 = 2 d;
    # f: created rejected = 0 d. Median 2.0; p75 = 2 + 0.5 * (4.375 - 2) = 3.1875.
    t = s.time_to_first_response
    assert (t.count, t.median_days, t.p75_days) == (3, 2.0, 3.19)


def test_weeks_weekdays_sources_and_staleness() -> None:
    s = compute_stats(ROWS, NOW, stale_days=14, weeks=4)
    weeks = [
        (f"{w.week_start.year}-{w.week_start.month:02d}-{w.week_start.day:02d}", w.count)
        for w in s.applications_per_week
    ]
    assert weeks == [("2026-11-02", 1), ("2026-11-09", 0), ("2026-11-16", 2), ("2026-11-23", 1)]
    by_day = {w.weekday: w.count for w in s.by_weekday}
    # Mon: b; Tue: d; Wed: c; Thu: e; Fri: f.
    assert [by_day[d] for d in range(1, 8)] == [1, 1, 1, 1, 1, 0, 0]
    sources = [
        (x.source, x.applications, x.responses, x.response_rate, x.interviews, x.offers)
        for x in s.by_source
    ]
    assert sources == [
        ("LinkedIn", 3, 1, 0.5, 1, 0),
        ("Referral", 2, 2, 1.0, 1, 1),
        ("", 1, 0, 0.0, 0, 0),
    ]
    assert s.stale_count == 2
    assert [(x.name, x.days_unchanged) for x in s.stale] == [("jobs/d", 23), ("jobs/a", 20)]


def test_an_empty_search_has_zeros_not_errors() -> None:
    s = compute_stats([], NOW, stale_days=14, weeks=2)
    assert s.total == 0 and s.response_rate == 0.0 and s.time_to_first_response.count == 0
    assert [w.count for w in s.applications_per_week] == [0, 0]
    assert [f.reached for f in s.funnel] == [0] * 6
