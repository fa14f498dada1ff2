"""The jobs store port and its SQLite implementation.

Each application is kept whole as its proto JSON, with the fields that queries filter and
order on copied into columns. Writes are single transactions; the etag changes with each one.
"""

from __future__ import annotations

import json
import sqlite3
import time
import uuid
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Protocol

from google.protobuf import json_format

from careervault.jobs.v1 import jobs_pb2 as pb
from careervault.runtime.errors import Aborted, NotFound
from careervault.runtime.sqlite import Database
from careervault_jobs.filters import Condition

Mutation = Callable[[pb.JobApplication], pb.JobApplication]

NOT_FOUND_MESSAGE = "Job application not found."


def new_etag() -> str:
    return uuid.uuid4().hex[:16]


class JobStore(Protocol):
    async def create(
        self, user_id: str, job: pb.JobApplication, request_id: str, request_ttl: float
    ) -> pb.JobApplication: ...

    async def get(self, user_id: str, job_id: str) -> pb.JobApplication | None: ...

    async def query(
        self,
        user_id: str,
        conditions: Sequence[Condition],
        order: Sequence[tuple[str, bool]],
        offset: int,
        limit: int,
    ) -> tuple[list[pb.JobApplication], int]: ...

    async def update(
        self, user_id: str, job_id: str, expected_etag: str, mutate: Mutation
    ) -> pb.JobApplication: ...

    async def delete(self, user_id: str, job_id: str, expected_etag: str) -> None: ...

    async def all(self, user_id: str) -> list[pb.JobApplication]: ...

    def close(self) -> None: ...


MIGRATIONS = [
    """
    CREATE TABLE jobs (
        user_id TEXT NOT NULL,
        id TEXT NOT NULL,
        company TEXT NOT NULL,
        position TEXT NOT NULL,
        status INTEGER NOT NULL,
        work_mode INTEGER NOT NULL,
        location TEXT NOT NULL,
        source TEXT NOT NULL,
        tags TEXT NOT NULL,
        applied_date TEXT NOT NULL,
        create_time REAL NOT NULL,
        update_time REAL NOT NULL,
        etag TEXT NOT NULL,
        data TEXT NOT NULL,
        PRIMARY KEY (user_id, id)
    );
    CREATE INDEX jobs_by_create ON jobs(user_id, create_time);
    CREATE INDEX jobs_by_status ON jobs(user_id, status);
    CREATE TABLE create_requests (
        user_id TEXT NOT NULL,
        request_id TEXT NOT NULL,
        job_id TEXT NOT NULL,
        expire_time REAL NOT NULL,
        PRIMARY KEY (user_id, request_id)
    )
    """,
]

_COLUMNS = {
    "create_time": "create_time",
    "update_time": "update_time",
    "applied_date": "applied_date",
    "company": "company COLLATE NOCASE",
    "position": "position COLLATE NOCASE",
    "status": "status",
}


def _date(d: object) -> str:
    year, month, day = getattr(d, "year", 0), getattr(d, "month", 0), getattr(d, "day", 0)
    return f"{year:04d}-{month:02d}-{day:02d}" if year else ""


def _row_values(user_id: str, job_id: str, job: pb.JobApplication) -> tuple[object, ...]:
    return (
        job.company,
        job.position,
        int(job.status),
        int(job.work_mode),
        job.location,
        job.source,
        json.dumps([t.lower() for t in job.tags]),
        _date(job.applied_date) if job.HasField("applied_date") else "",
        job.create_time.ToNanoseconds() / 1e9,
        job.update_time.ToNanoseconds() / 1e9,
        job.etag,
        json_format.MessageToJson(job, indent=None),
        user_id,
        job_id,
    )


def _from_row(row: sqlite3.Row) -> pb.JobApplication:
    return json_format.Parse(row["data"], pb.JobApplication())


def _escape_like(value: str) -> str:
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _where(conditions: Sequence[Condition]) -> tuple[str, list[object]]:
    clauses: list[str] = ["user_id = ?"]
    params: list[object] = []
    for c in conditions:
        if c.field in ("status", "work_mode"):
            clauses.append(f"{c.field} {'=' if c.op == '=' else '!='} ?")
            params.append(c.value)
        elif c.field == "tags":
            clauses.append("EXISTS (SELECT 1 FROM json_each(jobs.tags) WHERE value = ?)")
            params.append(str(c.value).lower())
        elif c.op == ":":
            clauses.append(f"{c.field} LIKE ? ESCAPE '\\'")
            params.append(f"%{_escape_like(str(c.value))}%")
        else:
            clauses.append(f"{c.field} {'=' if c.op == '=' else '!='} ? COLLATE NOCASE")
            params.append(c.value)
    return " AND ".join(clauses), params


class SqliteJobStore:
    def __init__(self, path: Path) -> None:
        self.db = Database(path, MIGRATIONS)

    def close(self) -> None:
        self.db.close()

    async def create(
        self, user_id: str, job: pb.JobApplication, request_id: str, request_ttl: float
    ) -> pb.JobApplication:
        job_id = job.name.removeprefix("jobs/")

        def work(conn: sqlite3.Connection) -> pb.JobApplication:
            now = time.time()
            if request_id:
                conn.execute("DELETE FROM create_requests WHERE expire_time < ?", (now,))
                seen = conn.execute(
                    "SELECT j.* FROM create_requests r JOIN jobs j"
                    " ON j.user_id = r.user_id AND j.id = r.job_id"
                    " WHERE r.user_id = ? AND r.request_id = ?",
                    (user_id, request_id),
                ).fetchone()
                if seen is not None:
                    return _from_row(seen)
                conn.execute(
                    "INSERT OR REPLACE INTO create_requests (user_id, request_id, job_id,"
                    " expire_time) VALUES (?,?,?,?)",
                    (user_id, request_id, job_id, now + request_ttl),
                )
            conn.execute(
                "INSERT INTO jobs (company, position, status, work_mode, location, source, tags,"
                " applied_date, create_time, update_time, etag, data, user_id, id)"
                " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                _row_values(user_id, job_id, job),
            )
            return job

        return await self.db.transact(work)

    async def get(self, user_id: str, job_id: str) -> pb.JobApplication | None:
        def work(conn: sqlite3.Connection) -> pb.JobApplication | None:
            row = conn.execute(
                "SELECT data FROM jobs WHERE user_id = ? AND id = ?", (user_id, job_id)
            ).fetchone()
            return _from_row(row) if row else None

        return await self.db.transact(work)

    async def query(
        self,
        user_id: str,
        conditions: Sequence[Condition],
        order: Sequence[tuple[str, bool]],
        offset: int,
        limit: int,
    ) -> tuple[list[pb.JobApplication], int]:
        where, params = _where(conditions)
        order_sql = ", ".join(f"{_COLUMNS[f]} {'DESC' if desc else 'ASC'}" for f, desc in order)
        # The id breaks ties so that pages never overlap or skip.
        order_sql += ", id ASC"

        def work(conn: sqlite3.Connection) -> tuple[list[pb.JobApplication], int]:
            params_user = [user_id, *params]
            # `where` and `order_sql` hold only whitelisted column names; values are bound.
            count_sql = f"SELECT COUNT(*) FROM jobs WHERE {where}"  # noqa: S608
            total = conn.execute(count_sql, params_user).fetchone()[0]
            rows = conn.execute(
                f"SELECT data FROM jobs WHERE {where} ORDER BY {order_sql} LIMIT ? OFFSET ?",  # noqa: S608
                [*params_user, limit, offset],
            ).fetchall()
            return [_from_row(r) for r in rows], int(total)

        return await self.db.transact(work)

    async def update(
        self, user_id: str, job_id: str, expected_etag: str, mutate: Mutation
    ) -> pb.JobApplication:
        def work(conn: sqlite3.Connection) -> pb.JobApplication:
            row = conn.execute(
                "SELECT data FROM jobs WHERE user_id = ? AND id = ?", (user_id, job_id)
            ).fetchone()
            if row is None:
                raise NotFound(NOT_FOUND_MESSAGE, reason="JOB_NOT_FOUND")
            current = _from_row(row)
            if expected_etag and expected_etag != current.etag:
                raise Aborted(
                    "This application changed since you read it; reload and try again.",
                    metadata={"currentEtag": current.etag},
                )
            updated = mutate(current)
            updated.etag = new_etag()
            conn.execute(
                "UPDATE jobs SET company = ?, position = ?, status = ?, work_mode = ?,"
                " location = ?, source = ?, tags = ?, applied_date = ?, create_time = ?,"
                " update_time = ?, etag = ?, data = ? WHERE user_id = ? AND id = ?",
                _row_values(user_id, job_id, updated),
            )
            return updated

        return await self.db.transact(work)

    async def delete(self, user_id: str, job_id: str, expected_etag: str) -> None:
        def work(conn: sqlite3.Connection) -> None:
            row = conn.execute(
                "SELECT etag FROM jobs WHERE user_id = ? AND id = ?", (user_id, job_id)
            ).fetchone()
            if row is None:
                raise NotFound(NOT_FOUND_MESSAGE, reason="JOB_NOT_FOUND")
            if expected_etag and expected_etag != row["etag"]:
                raise Aborted(
                    "This application changed since you read it; reload and try again.",
                    metadata={"currentEtag": row["etag"]},
                )
            conn.execute("DELETE FROM jobs WHERE user_id = ? AND id = ?", (user_id, job_id))
            conn.execute(
                "DELETE FROM create_requests WHERE user_id = ? AND job_id = ?", (user_id, job_id)
            )

        await self.db.transact(work)

    async def all(self, user_id: str) -> list[pb.JobApplication]:
        def work(conn: sqlite3.Connection) -> list[pb.JobApplication]:
            rows = conn.execute("SELECT data FROM jobs WHERE user_id = ?", (user_id,)).fetchall()
            return [_from_row(r) for r in rows]

        return await self.db.transact(work)
