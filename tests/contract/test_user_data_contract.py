"""The account-lifecycle part of the store contract (GDPR erasure and access), run on SQLite and
DynamoDB: `delete_user` leaves nothing of the user, touches no one else, and is idempotent."""

from __future__ import annotations

import contextvars
from collections.abc import Awaitable, Callable
from typing import TypeVar

from google.protobuf import json_format

from careervault.jobs.v1 import jobs_pb2 as pb
from careervault.jobs.v1 import user_data_pb2 as udpb
from careervault.runtime.context import Principal, principal_var
from careervault_jobs.domain import Jobs
from careervault_jobs.sqlite_store import SqliteJobStore
from careervault_jobs.store import ImportItem, JobStore
from careervault_jobs.user_data import UserDataServicer

S = pb.JobApplication.Status
T = TypeVar("T")


def app(company: str, **kw: object) -> pb.JobApplication:
    return pb.JobApplication(company=company, position="Engineer", **kw)  # type: ignore[arg-type]


async def populate(store: JobStore, jobs: Jobs, user: str, n: int) -> list[str]:
    """Every kind of data a user can have: applications (with history, created with and
    without request ids, imported), and a calendar feed rotated once. The feed's secrets."""
    for i in range(n):
        made = await jobs.create(user, app(f"Co {i}"), f"req-{i}" if i % 2 else "")
        if i % 3 == 0:
            await jobs.update(
                user, pb.JobApplication(name=made.name, status=S.PHONE_SCREEN), ["status"]
            )
    items = [
        ImportItem(jobs._new(app(f"Imported {k}"), 1_700_000_000.0, keep_history=False), f"key-{k}")
        for k in range(3)
    ]
    await store.import_jobs(user, items)
    first = (await jobs.calendar_feed(user)).path
    second = (await jobs.rotate_calendar_feed(user)).path
    return [path.split("/")[3] for path in (first, second)]


def leftovers(store: JobStore, user: str) -> int:
    """Everything stored under the user, read below the port: rows of every table (SQLite),
    items of the user's partition (DynamoDB)."""
    if isinstance(store, SqliteJobStore):
        conn = store.db._conn
        return sum(
            int(conn.execute(f"SELECT COUNT(*) FROM {t} WHERE user_id = ?", (user,)).fetchone()[0])
            for t in ("jobs", "create_requests", "import_keys", "feeds")
        )
    from careervault_jobs.dynamo_store import DynamoJobStore

    assert isinstance(store, DynamoJobStore)
    reply = store.client.query(
        TableName=store.table,
        KeyConditionExpression="PK = :pk",
        ExpressionAttributeValues={":pk": {"S": f"USER#{user}"}},
        ConsistentRead=True,
        Select="COUNT",
    )
    return int(reply["Count"])


async def snapshot(store: JobStore, user: str) -> tuple[list[str], object, int]:
    jobs = [json_format.MessageToJson(j) for j in await store.all_jobs(user)]
    return jobs, await store.get_feed(user), leftovers(store, user)


async def test_delete_user_leaves_nothing_of_the_user_and_no_one_else_is_touched(
    store: JobStore, jobs: Jobs
) -> None:
    secrets_u1 = await populate(store, jobs, "u1", 7)
    secrets_u2 = await populate(store, jobs, "u2", 4)
    before_u2 = await snapshot(store, "u2")
    assert leftovers(store, "u1") > 10

    assert await store.delete_user("u1") == 7 + 3

    assert await store.all_jobs("u1") == []
    assert await store.stats_rows("u1") == []
    assert await store.get_feed("u1") is None
    for secret in secrets_u1:
        assert await store.feed_owner(secret) is None, "the feed URL must stop working"
    assert leftovers(store, "u1") == 0
    # The other user is exactly as before, their feed included.
    assert await snapshot(store, "u2") == before_u2
    assert await store.feed_owner(secrets_u2[1]) == "u2"
    assert await store.feed_owner(secrets_u2[0]) is None  # rotated away before, as it was


async def test_delete_user_is_idempotent_and_the_user_can_start_afresh(
    store: JobStore, jobs: Jobs
) -> None:
    await populate(store, jobs, "u1", 2)
    assert await store.delete_user("u1") == 2 + 3
    assert await store.delete_user("u1") == 0
    assert await store.delete_user("never-seen") == 0
    # Nothing remembered: a reused request id creates anew, an imported row imports again.
    again = await jobs.create("u1", app("Co 1"), "req-1")
    assert [j.name for j in await store.all_jobs("u1")] == [again.name]
    item = ImportItem(jobs._new(app("Imported 0"), 1_700_000_000.0, keep_history=False), "key-0")
    created, duplicates = await store.import_jobs("u1", [item])
    assert (len(created), duplicates) == (1, 0)


async def test_delete_user_handles_more_than_one_batch(store: JobStore, jobs: Jobs) -> None:
    """DynamoDB deletes 25 items per request; 60 applications with request ids are 120 items."""
    for i in range(60):
        await jobs.create("u1", app(f"Co {i}"), f"r{i}")
    await jobs.create("u2", app("Keep"), "r0")
    assert await store.delete_user("u1") == 60
    assert leftovers(store, "u1") == 0
    assert [j.company for j in await store.all_jobs("u2")] == ["Keep"]


async def as_caller(user: str, call: Callable[[], Awaitable[T]]) -> T:
    """Runs `call` as if the auth interceptor had verified `user`'s token."""

    async def run() -> T:
        principal_var.set(Principal(user_id=user, token="t"))
        return await call()

    return await contextvars.copy_context().run(run)


async def test_the_internal_service_exports_and_erases_only_the_caller(
    store: JobStore, jobs: Jobs
) -> None:
    servicer = UserDataServicer(store)
    await populate(store, jobs, "u1", 2)
    await populate(store, jobs, "u2", 1)
    exported = await as_caller(
        "u1", lambda: servicer.ExportUserData(udpb.ExportUserDataRequest(), None)
    )
    assert len(exported.jobs) == 2 + 3
    history = [[h.status for h in j.status_history] for j in exported.jobs]
    assert [S.APPLIED, S.PHONE_SCREEN] in history, "the status history is exported"
    assert exported.HasField("calendar_feed") and exported.calendar_feed.create_time.seconds > 0
    feed_secret = (await store.get_feed("u1")).secret  # type: ignore[union-attr]
    assert feed_secret not in json_format.MessageToJson(exported), "a credential, not data"

    erased = await as_caller(
        "u1", lambda: servicer.DeleteUserData(udpb.DeleteUserDataRequest(), None)
    )
    assert erased.deleted_count == 5
    empty = await as_caller(
        "u1", lambda: servicer.ExportUserData(udpb.ExportUserDataRequest(), None)
    )
    assert list(empty.jobs) == [] and not empty.HasField("calendar_feed")
    assert len(await store.all_jobs("u2")) == 1 + 3
