"""The embedded jobs store: SQLite in `$CAREERVAULT_DATA_DIR/jobs/jobs.db`.

Each application is kept whole, in binary protobuf (`pb`, read back) and as its proto JSON
(`data`, for people and tools reading the file, and for a process of the previous release
still running beside a new one on the same file), with what queries filter and sort on copied
into columns computed by `records` (casefolded text, sort keys, what statistics need), so the
SQL here means exactly what `records.matches` means for DynamoDB. Reads take `pb` when a row
has it and parse `data` otherwise (a row the previous release wrote; a trigger drops `pb` when
only `data` is rewritten): parsing the JSON costs about 100 times as much (240 against 2 µs
for a typical application) and was most of a list's time. (Schema 2's `history` column is no
longer written or read: schema 3's derived statistics columns replaced it.)
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Sequence
from pathlib import Path

from google.protobuf import json_format

from careervault.jobs.v1 import jobs_pb2 as pb
from careervault.runtime.sqlite import Database, Migration
from careervault_jobs import records
from careervault_jobs.filters import TEXT_SEARCH, Condition
from careervault_jobs.records import StatsRow
from careervault_jobs.store import (
    Feed,
    ImportItem,
    Mutation,
    Page,
    new_etag,
    not_found,
    stale,
)

SORT_COLUMNS = {
    "create_time": "k_create",
    "update_time": "k_update",
    "applied_date": "k_applied",
    "company": "k_company",
}
TEXT_COLUMNS = {
    "company": "company_cf",
    "position": "position_cf",
    "location": "location_cf",
    "source": "source_cf",
}
# The columns written from an application, in the order of _values.
_DERIVED_COLUMNS = (
    "company",
    "position",
    "status",
    "work_mode",
    "location",
    "source",
    "tags",
    "applied_date",
    "create_time",
    "update_time",
    "etag",
    "data",
    "pb",
    "company_cf",
    "position_cf",
    "location_cf",
    "source_cf",
    "search",
    "k_create",
    "k_update",
    "k_applied",
    "k_company",
)
_DERIVED = ", ".join(_DERIVED_COLUMNS)
_MARKS = ",".join("?" * len(_DERIVED_COLUMNS))
# The stored application: its binary protobuf when the row has one, else its JSON.
_DOC = "coalesce(pb, data)"


def _values(job: pb.JobApplication) -> tuple[object, ...]:
    """The values of _DERIVED_COLUMNS for `job`."""
    return (
        job.company,
        job.position,
        int(job.status),
        int(job.work_mode),
        job.location,
        job.source,
        json.dumps([t.casefold() for t in job.tags]),
        records.date_text(job),
        records.seconds(job.create_time),
        records.seconds(job.update_time),
        job.etag,
        json_format.MessageToJson(job, indent=None),
        job.SerializeToString(),
        records.text_of(job, "company"),
        records.text_of(job, "position"),
        records.text_of(job, "location"),
        records.text_of(job, "source"),
        records.search_text(job),
        records.sort_key(job, "create_time"),
        records.sort_key(job, "update_time"),
        records.sort_key(job, "applied_date"),
        records.sort_key(job, "company"),
    )


def _backfill_v2(conn: sqlite3.Connection) -> None:
    for column in (
        "company_cf",
        "position_cf",
        "location_cf",
        "source_cf",
        "search",
        "k_create",
        "k_update",
        "k_applied",
        "k_company",
        "history",
    ):
        default = "'[]'" if column == "history" else "''"
        conn.execute(f"ALTER TABLE jobs ADD COLUMN {column} TEXT NOT NULL DEFAULT {default}")
    rows = conn.execute("SELECT user_id, id, data FROM jobs").fetchall()
    kept = [i for i, column in enumerate(_DERIVED_COLUMNS) if column != "pb"]  # schema 4's
    columns = ", ".join(_DERIVED_COLUMNS[i] for i in kept)
    marks = ",".join("?" * len(kept))
    for row in rows:
        job = json_format.Parse(row["data"], pb.JobApplication(), ignore_unknown_fields=True)
        values = _values(job)
        conn.execute(
            f"UPDATE jobs SET ({columns}) = ({marks}) WHERE user_id = ? AND id = ?",  # noqa: S608
            (*(values[i] for i in kept), row["user_id"], row["id"]),
        )
    conn.execute("DROP INDEX IF EXISTS jobs_by_create")
    for column in SORT_COLUMNS.values():
        conn.execute(f"CREATE INDEX jobs_{column} ON jobs(user_id, {column})")
    conn.execute(
        "CREATE TABLE import_keys (user_id TEXT NOT NULL, key TEXT NOT NULL,"
        " job_id TEXT NOT NULL, PRIMARY KEY (user_id, key))"
    )
    conn.execute(
        "CREATE TABLE feeds (user_id TEXT PRIMARY KEY, secret TEXT NOT NULL UNIQUE,"
        " create_time REAL NOT NULL)"
    )


def _stats_values(job: pb.JobApplication) -> tuple[object, ...]:
    row = StatsRow.of(job)
    return (records.reached_mask(row.reached), row.sent_at, row.answered_at)


_STATS = "reached, sent_at, answered_at"


def _stats_columns_v3(conn: sqlite3.Connection) -> None:
    conn.execute("ALTER TABLE jobs ADD COLUMN reached INTEGER NOT NULL DEFAULT 0")
    conn.execute("ALTER TABLE jobs ADD COLUMN sent_at REAL")
    conn.execute("ALTER TABLE jobs ADD COLUMN answered_at REAL")
    for row in conn.execute("SELECT user_id, id, data FROM jobs").fetchall():
        job = json_format.Parse(row["data"], pb.JobApplication(), ignore_unknown_fields=True)
        conn.execute(
            f"UPDATE jobs SET ({_STATS}) = (?,?,?) WHERE user_id = ? AND id = ?",  # noqa: S608
            (*_stats_values(job), row["user_id"], row["id"]),
        )
    conn.execute(
        "CREATE INDEX jobs_stats ON jobs(user_id, id, company, position, status, source,"
        " applied_date, update_time, reached, sent_at, answered_at)"
    )


def _binary_v4(conn: sqlite3.Connection) -> None:
    conn.execute("ALTER TABLE jobs ADD COLUMN pb BLOB")
    for row in conn.execute("SELECT user_id, id, data FROM jobs").fetchall():
        job = json_format.Parse(row["data"], pb.JobApplication(), ignore_unknown_fields=True)
        conn.execute(
            "UPDATE jobs SET pb = ? WHERE user_id = ? AND id = ?",
            (job.SerializeToString(), row["user_id"], row["id"]),
        )
    # A process of the previous release still running on the file rewrites only the JSON: its
    # binary copy is then stale, so it is dropped and the row is read from the JSON again.
    conn.execute(
        "CREATE TRIGGER jobs_pb_stale AFTER UPDATE OF data ON jobs"
        " WHEN NEW.pb IS OLD.pb AND NEW.data IS NOT OLD.data"
        " BEGIN UPDATE jobs SET pb = NULL WHERE user_id = NEW.user_id AND id = NEW.id; END"
    )


MIGRATIONS: list[Migration] = [
    # 1: the first release.
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
    # 2: derived columns for filters, keyset paging and statistics; imports; calendar feeds.
    _backfill_v2,
    # 3: what statistics need, derived at write time (records.StatsRow), in an index that
    # statistics read without touching the rows and their documents.
    _stats_columns_v3,
    # 4: the application in binary protobuf too, read instead of parsing its JSON.
    _binary_v4,
]


def _from_row(row: sqlite3.Row) -> pb.JobApplication:
    """The application of a row selected as `_DOC`."""
    doc = row[0]
    if isinstance(doc, bytes):
        return pb.JobApplication.FromString(doc)
    return json_format.Parse(doc, pb.JobApplication(), ignore_unknown_fields=True)


def _where(conditions: Sequence[Condition]) -> tuple[list[str], list[object]]:
    clauses: list[str] = []
    params: list[object] = []
    for c in conditions:
        if c.field in ("status", "work_mode"):
            clauses.append(f"{c.field} {'=' if c.op == '=' else '!='} ?")
            params.append(c.value)
        elif c.field == "tags":
            clauses.append("EXISTS (SELECT 1 FROM json_each(jobs.tags) WHERE value = ?)")
            params.append(c.value)
        elif c.field == TEXT_SEARCH:
            clauses.append("instr(search, ?) > 0")
            params.append(c.value)
        elif c.field == "applied_date":
            clauses.append(f"applied_date != '' AND applied_date {c.op} ?")
            params.append(c.value)
        elif c.field in ("create_time", "update_time"):
            clauses.append(f"{c.field} {c.op} ?")
            params.append(c.value)
        else:
            column = TEXT_COLUMNS[c.field]
            if c.op == ":":
                clauses.append(f"instr({column}, ?) > 0")
            else:
                clauses.append(f"{column} {'=' if c.op == '=' else '!='} ?")
            params.append(c.value)
    return clauses, params


class SqliteJobStore:
    def __init__(self, path: Path) -> None:
        self.db = Database(path, MIGRATIONS)

    def close(self) -> None:
        self.db.close()

    @staticmethod
    def _insert(conn: sqlite3.Connection, user_id: str, job: pb.JobApplication) -> None:
        conn.execute(
            f"INSERT INTO jobs (user_id, id, {_DERIVED}, {_STATS})"  # noqa: S608
            f" VALUES (?,?,{_MARKS},?,?,?)",
            (user_id, records.job_id(job), *_values(job), *_stats_values(job)),
        )

    async def create(
        self, user_id: str, job: pb.JobApplication, request_id: str, request_ttl: float
    ) -> pb.JobApplication:
        def work(conn: sqlite3.Connection) -> pb.JobApplication:
            now = time.time()
            if request_id:
                seen = conn.execute(
                    "SELECT coalesce(j.pb, j.data) FROM create_requests r JOIN jobs j"
                    " ON j.user_id = r.user_id AND j.id = r.job_id"
                    " WHERE r.user_id = ? AND r.request_id = ? AND r.expire_time >= ?",
                    (user_id, request_id, now),
                ).fetchone()
                if seen is not None:
                    return _from_row(seen)
                conn.execute("DELETE FROM create_requests WHERE expire_time < ?", (now,))
                conn.execute(
                    "INSERT OR REPLACE INTO create_requests (user_id, request_id, job_id,"
                    " expire_time) VALUES (?,?,?,?)",
                    (user_id, request_id, records.job_id(job), now + request_ttl),
                )
            self._insert(conn, user_id, job)
            return job

        return await self.db.transact(work)

    async def get(self, user_id: str, job_id: str) -> pb.JobApplication | None:
        # A lookup by primary key: on the event loop, not worth a thread hop.
        row = self.db.read_now(
            lambda conn: conn.execute(
                f"SELECT {_DOC} FROM jobs WHERE user_id = ? AND id = ?",  # noqa: S608
                (user_id, job_id),
            ).fetchone()
        )
        return _from_row(row) if row else None

    async def query(self, user_id: str, page: Page) -> tuple[list[pb.JobApplication], int]:
        clauses, params = _where(page.conditions)
        column = SORT_COLUMNS[page.order.field]
        desc = page.order.descending
        where = " AND ".join(["user_id = ?", *clauses])
        # Only whitelisted column names are formatted in; every value is bound.
        count_sql = f"SELECT COUNT(*) FROM jobs WHERE {where}"  # noqa: S608
        page_where = where + (f" AND {column} {'<' if desc else '>'} ?" if page.after else "")
        page_sql = (
            f"SELECT {_DOC} FROM jobs WHERE {page_where}"  # noqa: S608
            f" ORDER BY {column} {'DESC' if desc else 'ASC'} LIMIT ?"
        )
        page_params = [user_id, *params, *([page.after] if page.after else []), page.limit]

        def work(conn: sqlite3.Connection) -> tuple[list[pb.JobApplication], int]:
            total = int(conn.execute(count_sql, [user_id, *params]).fetchone()[0])
            rows = conn.execute(page_sql, page_params).fetchall()
            return [_from_row(r) for r in rows], total

        return await self.db.read(work)

    async def update(
        self, user_id: str, job_id: str, expected_etag: str, mutate: Mutation
    ) -> pb.JobApplication:
        def work(conn: sqlite3.Connection) -> pb.JobApplication:
            row = conn.execute(
                f"SELECT {_DOC} FROM jobs WHERE user_id = ? AND id = ?",  # noqa: S608
                (user_id, job_id),
            ).fetchone()
            if row is None:
                raise not_found()
            current = _from_row(row)
            if expected_etag and expected_etag != current.etag:
                raise stale(current.etag)
            updated = mutate(current)
            updated.etag = new_etag()
            conn.execute(
                f"UPDATE jobs SET ({_DERIVED}, {_STATS}) = ({_MARKS},?,?,?)"  # noqa: S608
                " WHERE user_id = ? AND id = ?",
                (*_values(updated), *_stats_values(updated), user_id, job_id),
            )
            return updated

        return await self.db.transact(work)

    async def delete(self, user_id: str, job_id: str, expected_etag: str) -> None:
        def work(conn: sqlite3.Connection) -> None:
            row = conn.execute(
                "SELECT etag FROM jobs WHERE user_id = ? AND id = ?", (user_id, job_id)
            ).fetchone()
            if row is None:
                raise not_found()
            if expected_etag and expected_etag != row["etag"]:
                raise stale(row["etag"])
            self._delete(conn, user_id, job_id)

        await self.db.transact(work)

    @staticmethod
    def _delete(conn: sqlite3.Connection, user_id: str, job_id: str) -> None:
        conn.execute("DELETE FROM jobs WHERE user_id = ? AND id = ?", (user_id, job_id))
        conn.execute(
            "DELETE FROM create_requests WHERE user_id = ? AND job_id = ?", (user_id, job_id)
        )
        conn.execute("DELETE FROM import_keys WHERE user_id = ? AND job_id = ?", (user_id, job_id))

    async def import_jobs(
        self, user_id: str, items: Sequence[ImportItem]
    ) -> tuple[list[pb.JobApplication], int]:
        def work(conn: sqlite3.Connection) -> tuple[list[pb.JobApplication], int]:
            created: list[pb.JobApplication] = []
            duplicates = 0
            for item in items:
                seen = conn.execute(
                    "SELECT 1 FROM import_keys WHERE user_id = ? AND key = ?", (user_id, item.key)
                ).fetchone()
                if seen:
                    duplicates += 1
                    continue
                self._insert(conn, user_id, item.job)
                conn.execute(
                    "INSERT INTO import_keys (user_id, key, job_id) VALUES (?,?,?)",
                    (user_id, item.key, records.job_id(item.job)),
                )
                created.append(item.job)
            return created, duplicates

        return await self.db.transact(work)

    async def all_jobs(self, user_id: str) -> list[pb.JobApplication]:
        def work(conn: sqlite3.Connection) -> list[pb.JobApplication]:
            rows = conn.execute(
                f"SELECT {_DOC} FROM jobs WHERE user_id = ? ORDER BY k_create",  # noqa: S608
                (user_id,),
            ).fetchall()
            return [_from_row(r) for r in rows]

        return await self.db.read(work)

    async def stats_rows(self, user_id: str) -> list[StatsRow]:
        def work(conn: sqlite3.Connection) -> list[StatsRow]:
            rows = conn.execute(
                "SELECT id, company, position, status, source, applied_date, update_time,"
                " reached, sent_at, answered_at FROM jobs WHERE user_id = ?",
                (user_id,),
            ).fetchall()
            masks: dict[int, frozenset[int]] = {}
            out = []
            for (
                i,
                company,
                position,
                status,
                source,
                applied,
                updated,
                mask,
                sent,
                answered,
            ) in rows:
                reached = masks.get(mask)
                if reached is None:
                    reached = masks[mask] = records.reached_of(mask)
                out.append(
                    StatsRow(
                        f"jobs/{i}",
                        company,
                        position,
                        status,
                        source,
                        applied,
                        updated,
                        reached,
                        sent,
                        answered,
                    )
                )
            return out

        return await self.db.read(work)

    async def get_feed(self, user_id: str) -> Feed | None:
        def work(conn: sqlite3.Connection) -> Feed | None:
            row = conn.execute(
                "SELECT secret, create_time FROM feeds WHERE user_id = ?", (user_id,)
            ).fetchone()
            return Feed(row["secret"], row["create_time"]) if row else None

        return await self.db.read(work)

    async def put_feed(self, user_id: str, feed: Feed) -> None:
        def work(conn: sqlite3.Connection) -> None:
            conn.execute(
                "INSERT OR REPLACE INTO feeds (user_id, secret, create_time) VALUES (?,?,?)",
                (user_id, feed.secret, feed.create_time),
            )

        await self.db.transact(work)

    async def delete_feed(self, user_id: str) -> None:
        def work(conn: sqlite3.Connection) -> None:
            conn.execute("DELETE FROM feeds WHERE user_id = ?", (user_id,))

        await self.db.transact(work)

    async def feed_owner(self, secret: str) -> str | None:
        def work(conn: sqlite3.Connection) -> str | None:
            row = conn.execute("SELECT user_id FROM feeds WHERE secret = ?", (secret,)).fetchone()
            return str(row["user_id"]) if row else None

        return await self.db.read(work)

    async def purge_closed(self, before: float) -> int:
        closed = tuple(int(s) for s in records.CLOSED)

        def work(conn: sqlite3.Connection) -> int:
            rows = conn.execute(
                f"SELECT user_id, id FROM jobs WHERE status IN ({','.join('?' * len(closed))})"  # noqa: S608
                " AND update_time < ?",
                (*closed, before),
            ).fetchall()
            for r in rows:
                self._delete(conn, r["user_id"], r["id"])
            return len(rows)

        return await self.db.transact(work)

    async def delete_user(self, user_id: str) -> int:
        def work(conn: sqlite3.Connection) -> int:
            # One transaction: all of the user's data goes, or (on any error) none of it.
            deleted = conn.execute("DELETE FROM jobs WHERE user_id = ?", (user_id,)).rowcount
            for table in ("create_requests", "import_keys", "feeds"):
                conn.execute(f"DELETE FROM {table} WHERE user_id = ?", (user_id,))  # noqa: S608
            return int(deleted)

        return await self.db.transact(work)
