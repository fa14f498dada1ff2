"""The jobs store port: what the domain needs of storage, implemented by SQLite (embedded) and
DynamoDB (production). Both run the same contract suite (tests/contract)."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

from careervault.jobs.v1 import jobs_pb2 as pb
from careervault.runtime.errors import Aborted, NotFound
from careervault_jobs.filters import Condition, Order
from careervault_jobs.records import StatsRow

Mutation = Callable[[pb.JobApplication], pb.JobApplication]

NOT_FOUND_MESSAGE = "Job application not found."
STALE_MESSAGE = "This application changed since you read it; reload and try again."


def new_etag() -> str:
    return uuid.uuid4().hex[:16]


def not_found() -> NotFound:
    return NotFound(NOT_FOUND_MESSAGE, reason="JOB_NOT_FOUND")


def stale(current_etag: str) -> Aborted:
    return Aborted(STALE_MESSAGE, metadata={"currentEtag": current_etag})


@dataclass(frozen=True)
class Page:
    """One page of a query: `after` is the sort key of the previous page's last item."""

    conditions: Sequence[Condition]
    order: Order
    after: str
    limit: int


@dataclass(frozen=True)
class ImportItem:
    job: pb.JobApplication
    key: str  # content hash of the row: the same row is imported once


@dataclass(frozen=True)
class Feed:
    secret: str
    create_time: float


class JobStore(Protocol):
    async def create(
        self, user_id: str, job: pb.JobApplication, request_id: str, request_ttl: float
    ) -> pb.JobApplication:
        """Stores a new application; a `request_id` seen within `request_ttl` seconds returns
        the application that request created instead."""

    async def get(self, user_id: str, job_id: str) -> pb.JobApplication | None: ...

    async def query(self, user_id: str, page: Page) -> tuple[list[pb.JobApplication], int]:
        """Up to `page.limit` matching applications after `page.after`, and how many match."""

    async def update(
        self, user_id: str, job_id: str, expected_etag: str, mutate: Mutation
    ) -> pb.JobApplication:
        """Applies `mutate` atomically; NotFound, or Aborted on a stale non-empty etag."""

    async def delete(self, user_id: str, job_id: str, expected_etag: str) -> None: ...

    async def import_jobs(
        self, user_id: str, items: Sequence[ImportItem]
    ) -> tuple[list[pb.JobApplication], int]:
        """Creates each item whose key was not imported before; (created, duplicates)."""

    async def all_jobs(self, user_id: str) -> list[pb.JobApplication]: ...

    async def stats_rows(self, user_id: str) -> list[StatsRow]: ...

    async def get_feed(self, user_id: str) -> Feed | None: ...

    async def put_feed(self, user_id: str, feed: Feed) -> None:
        """Sets the user's feed, revoking any previous secret."""

    async def delete_feed(self, user_id: str) -> None: ...

    async def feed_owner(self, secret: str) -> str | None: ...

    async def purge_closed(self, before: float) -> int:
        """Deletes closed applications unchanged since `before`; how many."""

    async def delete_user(self, user_id: str) -> int:
        """Erases everything held for the user (applications, create and import keys, the
        calendar feed and its lookup); how many applications. Idempotent: a repeat returns 0.
        Other users are untouched."""

    def close(self) -> None: ...
