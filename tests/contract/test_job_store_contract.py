"""One contract for every jobs store: what the domain relies on, run on SQLite and DynamoDB."""

from __future__ import annotations

import asyncio
import random
import uuid

import pytest
from google.protobuf import field_mask_pb2  # noqa: F401 - documents the update-mask contract

from careervault.jobs.v1 import jobs_pb2 as pb
from careervault.runtime.errors import Aborted, InvalidArgument, NotFound
from careervault_jobs import records
from careervault_jobs.domain import Jobs
from careervault_jobs.filters import parse_filter, parse_order_by
from careervault_jobs.store import Feed, ImportItem, JobStore

S = pb.JobApplication.Status
COMPANIES = ["Acme", "acme corp", "Globex", "Initech", "Umbrella", "Éclair SA", "zeta", "Acme"]


def app(company: str = "Acme", position: str = "Engineer", **kw: object) -> pb.JobApplication:
    return pb.JobApplication(company=company, position=position, **kw)  # type: ignore[arg-type]


async def seed(jobs: Jobs, user: str, n: int) -> list[pb.JobApplication]:
    rng = random.Random(n)
    made = []
    for i in range(n):
        job = app(
            COMPANIES[i % len(COMPANIES)],
            rng.choice(["SRE", "Backend Engineer", "Data Scientist"]),
            status=rng.choice([S.SAVED, S.APPLIED, S.PHONE_SCREEN, S.OFFER, S.REJECTED]),
            tags=rng.sample(["remote", "python", "go", "Senior"], k=rng.randint(0, 2)),
            source=rng.choice(["LinkedIn", "Referral", ""]),
            notes=rng.choice(["", "met at KubeCon", "needs Kubernetes"]),
            work_mode=rng.choice([0, 1, 2, 3]),
        )
        if i % 3:
            job.applied_date.year, job.applied_date.month, job.applied_date.day = (
                2026,
                1 + i % 12,
                1 + i % 28,
            )
        made.append(await jobs.create(user, job, ""))
    return made


async def all_pages(jobs: Jobs, user: str, size: int, filter_text: str, order_by: str) -> list[str]:
    names: list[str] = []
    token = ""
    while True:
        page, token, _total = await jobs.list(user, size, token, filter_text, order_by)
        names += [j.name for j in page]
        if not token:
            return names


def reference(made: list[pb.JobApplication], filter_text: str, order_by: str) -> list[str]:
    order = parse_order_by(order_by)
    keep = [j for j in made if records.matches(j, parse_filter(filter_text))]
    keep.sort(key=lambda j: records.sort_key(j, order.field), reverse=order.descending)
    return [j.name for j in keep]


async def test_create_then_get_returns_the_same_record(jobs: Jobs) -> None:
    made = await jobs.create("u1", app(tags=["x"], salary=pb.SalaryRange(min=1, max=2)), "")
    assert await jobs.get("u1", made.name) == made
    with pytest.raises(NotFound):
        await jobs.get("u2", made.name)
    with pytest.raises(NotFound):
        await jobs.get("u1", f"jobs/{uuid.uuid4().hex}")


async def test_a_repeated_request_id_returns_the_first_result(jobs: Jobs) -> None:
    first = await jobs.create("u1", app("Once"), "req-1")
    again = await jobs.create("u1", app("Twice"), "req-1")
    assert again == first
    other_user = await jobs.create("u2", app("Once"), "req-1")
    assert other_user.name != first.name
    _, _, total = await jobs.list("u1", 10, "", "", "")
    assert total == 1


async def test_a_stale_etag_changes_nothing(jobs: Jobs) -> None:
    made = await jobs.create("u1", app(notes="v1"), "")
    v2 = await jobs.update(
        "u1", pb.JobApplication(name=made.name, notes="v2", etag=made.etag), ["notes"]
    )
    with pytest.raises(Aborted):
        await jobs.update(
            "u1", pb.JobApplication(name=made.name, notes="v3", etag=made.etag), ["notes"]
        )
    with pytest.raises(Aborted):
        await jobs.delete("u1", made.name, made.etag)
    assert await jobs.get("u1", made.name) == v2
    with pytest.raises(NotFound):
        await jobs.update("u2", pb.JobApplication(name=made.name, notes="x"), ["notes"])


async def test_of_ten_writers_racing_on_one_etag_exactly_one_wins(jobs: Jobs) -> None:
    made = await jobs.create("u1", app(), "")

    async def write(i: int) -> str:
        job = pb.JobApplication(name=made.name, notes=f"writer {i}", etag=made.etag)
        try:
            await jobs.update("u1", job, ["notes"])
            return "won"
        except Aborted:
            return "lost"

    outcomes = await asyncio.gather(*(write(i) for i in range(10)))
    assert sorted(outcomes) == ["lost"] * 9 + ["won"]
    final = await jobs.get("u1", made.name)
    assert final.notes.startswith("writer ") and final.etag != made.etag


async def test_status_changes_are_recorded_with_the_update(jobs: Jobs) -> None:
    made = await jobs.create("u1", app(), "")
    moved = await jobs.update(
        "u1", pb.JobApplication(name=made.name, status=S.PHONE_SCREEN, etag=made.etag), ["status"]
    )
    stored = await jobs.get("u1", made.name)
    assert stored == moved
    assert [(h.from_status, h.status) for h in stored.status_history] == [
        (S.STATUS_UNSPECIFIED, S.APPLIED),
        (S.APPLIED, S.PHONE_SCREEN),
    ]


@pytest.mark.parametrize(
    "order_by",
    [
        "",
        "create_time",
        "update_time desc",
        "applied_date",
        "applied_date desc",
        "company",
        "company desc",
    ],
)
async def test_paging_sees_each_application_exactly_once_in_order(
    jobs: Jobs, order_by: str
) -> None:
    made = await seed(jobs, "u1", 37)
    await seed(jobs, "someone-else", 5)
    for size in (1, 7, 50):
        assert await all_pages(jobs, "u1", size, "", order_by) == reference(made, "", order_by)


@pytest.mark.parametrize(
    "filter_text",
    [
        "status = APPLIED",
        "status != SAVED",
        "company = acme",
        "company : acme",
        "tags : senior",
        "work_mode = REMOTE",
        "source = linkedin",
        "applied_date >= 2026-06-01",
        "applied_date < 2026-03-15",
        "kubernetes",
        '"met at"',
        "status != REJECTED AND tags : python AND company : a",
        "éclair",
    ],
)
async def test_filters_mean_the_same_on_every_store(jobs: Jobs, filter_text: str) -> None:
    made = await seed(jobs, "u1", 40)
    for order_by in ("", "company desc"):
        got = await all_pages(jobs, "u1", 6, filter_text, order_by)
        assert got == reference(made, filter_text, order_by), (filter_text, order_by)
        _, _, total = await jobs.list("u1", 6, "", filter_text, order_by)
        assert total == len(got)


async def test_time_filters_bound_create_and_update_times(jobs: Jobs) -> None:
    made = await seed(jobs, "u1", 5)
    cut = records.seconds(made[2].create_time)
    from datetime import UTC, datetime

    stamp = datetime.fromtimestamp(cut, UTC).isoformat()  # microseconds: may round
    bound = datetime.fromisoformat(stamp).timestamp()
    got = await all_pages(jobs, "u1", 10, f'create_time >= "{stamp}"', "create_time")
    assert got == [j.name for j in made if records.seconds(j.create_time) >= bound]
    assert made[3].name in got and made[1].name not in got


async def test_a_page_token_only_works_for_its_own_query(jobs: Jobs) -> None:
    await seed(jobs, "u1", 5)
    _, token, _ = await jobs.list("u1", 2, "", "", "")
    assert token
    for user, filter_text, order_by in (
        ("u2", "", ""),
        ("u1", "status = OFFER", ""),
        ("u1", "", "company"),
    ):
        with pytest.raises(InvalidArgument):
            await jobs.list(user, 2, token, filter_text, order_by)


async def test_delete_removes_and_then_reports_not_found(jobs: Jobs) -> None:
    made = await jobs.create("u1", app(), "req-9")
    with pytest.raises(NotFound):
        await jobs.delete("u2", made.name, "")
    await jobs.delete("u1", made.name, made.etag)
    with pytest.raises(NotFound):
        await jobs.get("u1", made.name)
    with pytest.raises(NotFound):
        await jobs.delete("u1", made.name, "")


async def test_imported_rows_are_created_once(store: JobStore, jobs: Jobs) -> None:
    def item(company: str, key: str) -> ImportItem:
        return ImportItem(jobs._new(app(company), 1_700_000_000.0, keep_history=False), key)

    created, dupes = await store.import_jobs("u1", [item("A", "k1"), item("B", "k2")])
    assert (len(created), dupes) == (2, 0)
    created2, dupes2 = await store.import_jobs("u1", [item("A", "k1"), item("C", "k3")])
    assert [j.company for j in created2] == ["C"] and dupes2 == 1
    again, _ = await store.import_jobs("u2", [item("A", "k1")])
    assert len(again) == 1, "keys are per user"
    await store.delete("u1", records.job_id(created[0]), "")
    back, dupes3 = await store.import_jobs("u1", [item("A", "k1")])
    assert len(back) == 1 and dupes3 == 0, "a deleted application can be imported again"
    assert len(await store.all_jobs("u1")) == 3


async def test_calendar_feeds_rotate_and_revoke(store: JobStore) -> None:
    assert await store.get_feed("u1") is None
    await store.put_feed("u1", Feed("s" * 43, 1.0))
    assert await store.feed_owner("s" * 43) == "u1"
    await store.put_feed("u1", Feed("t" * 43, 2.0))
    assert await store.feed_owner("s" * 43) is None, "the old secret is revoked"
    assert await store.feed_owner("t" * 43) == "u1"
    assert await store.get_feed("u1") == Feed("t" * 43, 2.0)
    await store.delete_feed("u1")
    assert await store.feed_owner("t" * 43) is None and await store.get_feed("u1") is None


async def test_statistics_are_computed_the_same_on_every_store(store: JobStore, jobs: Jobs) -> None:
    made = await seed(jobs, "u1", 30)
    rows = await store.stats_rows("u1")
    expected = sorted((records.StatsRow.of(j) for j in made), key=lambda r: r.name)
    assert sorted(rows, key=lambda r: r.name) == expected
    assert await store.stats_rows("u2") == []


async def test_retention_purges_only_closed_applications_past_the_period(tmp_path: object) -> None:
    """SQLite sweeps; DynamoDB expires the same applications by TTL (see services/jobs/README)."""
    from pathlib import Path

    from careervault_jobs.domain import PageTokens
    from careervault_jobs.sqlite_store import SqliteJobStore

    store = SqliteJobStore(Path(str(tmp_path)) / "jobs.db")
    clock = [1_700_000_000.0]
    jobs = Jobs(store, 60, PageTokens(b"k" * 32), clock=lambda: clock[0])
    try:
        old_closed = await jobs.create("u1", app("Old", status=S.REJECTED), "")
        old_open = await jobs.create("u1", app("Waiting", status=S.APPLIED), "")
        clock[0] += 40 * 86400
        recent_closed = await jobs.create("u1", app("Recent", status=S.WITHDRAWN), "")
        assert await jobs.purge_closed(30) == 1
        left = {j.name for j in await store.all_jobs("u1")}
        assert left == {old_open.name, recent_closed.name}
        assert old_closed.name not in left
    finally:
        store.close()
