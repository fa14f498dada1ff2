"""A database written by the previous release is migrated forward at start and reads fully."""

from __future__ import annotations

import asyncio
import json
import sqlite3
from pathlib import Path

import pytest
from google.protobuf import json_format

from careervault.jobs.v1 import jobs_pb2 as pb
from careervault.runtime.sqlite import Database, SchemaTooNew
from careervault_jobs.domain import Jobs, PageTokens
from careervault_jobs.sqlite_store import MIGRATIONS, SqliteJobStore

S = pb.JobApplication.Status


def v1_database(path: Path) -> pb.JobApplication:
    """What release 1 wrote: its schema and one application row as it stored them."""
    Database(path, MIGRATIONS[:1]).close()
    job = pb.JobApplication(
        name="jobs/" + "a" * 32,
        company="Éclair SA",
        position="Pâtissier",
        status=S.PHONE_SCREEN,
        notes="met at the Kubernetes meetup",
        tags=["Remote"],
        etag="old-etag",
    )
    job.create_time.FromSeconds(1_700_000_000)
    job.update_time.FromSeconds(1_700_000_500)
    job.status_history.add(status=S.APPLIED).change_time.FromSeconds(1_700_000_000)
    job.status_history.add(from_status=S.APPLIED, status=S.PHONE_SCREEN).change_time.FromSeconds(
        1_700_000_500
    )
    conn = sqlite3.connect(path)
    conn.execute(
        "INSERT INTO jobs (user_id, id, company, position, status, work_mode, location, source,"
        " tags, applied_date, create_time, update_time, etag, data)"
        " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
        (
            "u1",
            "a" * 32,
            job.company,
            job.position,
            job.status,
            0,
            "",
            "",
            json.dumps(["remote"]),
            "",
            1_700_000_000.0,
            1_700_000_500.0,
            job.etag,
            json_format.MessageToJson(job, indent=None),
        ),
    )
    conn.commit()
    conn.close()
    return job


async def test_a_release_1_database_is_upgraded_and_fully_usable(tmp_path: Path) -> None:
    path = tmp_path / "jobs.db"
    old = v1_database(path)
    store = SqliteJobStore(path)
    try:
        assert store.db.schema_version == len(MIGRATIONS)
        jobs = Jobs(store, 60, PageTokens(b"s" * 32))
        assert await jobs.get("u1", old.name) == old
        for filter_text in (
            "kubernetes",
            "company : éclair",
            "tags : remote",
            "status = PHONE_SCREEN",
        ):
            found, _, total = await jobs.list("u1", 10, "", filter_text, "company")
            assert [j.name for j in found] == [old.name] and total == 1, filter_text
        stats = await jobs.stats("u1", 14, 4)
        assert stats.sent == 1 and stats.interview_rate == 1.0
        moved = await jobs.update(
            "u1", pb.JobApplication(name=old.name, status=S.OFFER, etag="old-etag"), ["status"]
        )
        assert len(moved.status_history) == 3
    finally:
        store.close()


def test_a_database_from_a_newer_release_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "jobs.db"
    SqliteJobStore(path).close()
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version = {len(MIGRATIONS) + 1}")
    conn.close()
    with pytest.raises(SchemaTooNew):
        SqliteJobStore(path)


def test_the_database_file_is_private(tmp_path: Path) -> None:
    SqliteJobStore(tmp_path / "jobs.db").close()
    assert (tmp_path / "jobs.db").stat().st_mode & 0o777 == 0o600


async def test_what_a_previous_release_writes_beside_this_one_reads_right(tmp_path: Path) -> None:
    """A process of the previous release, still running on the migrated file, writes only the
    JSON: a row it inserts has no binary copy, and a row it rewrites must not be read from a
    binary copy that no longer matches."""
    path = tmp_path / "jobs.db"
    old = v1_database(path)
    store = SqliteJobStore(path)
    try:
        jobs = Jobs(store, 60, PageTokens(b"s" * 32))
        assert await jobs.get("u1", old.name) == old  # from the binary copy
        changed = pb.JobApplication()
        changed.CopyFrom(old)
        changed.notes = "rewritten by the previous release"
        conn = sqlite3.connect(path)
        conn.execute("UPDATE jobs SET data = ?", (json_format.MessageToJson(changed),))
        conn.commit()
        assert conn.execute("SELECT pb FROM jobs").fetchone()[0] is None
        conn.close()
        assert await jobs.get("u1", old.name) == changed
        found, _, _ = await jobs.list("u1", 10, "", "", "")
        assert found == [changed]
        # This release's own writes keep both copies.
        moved = await jobs.update(
            "u1", pb.JobApplication(name=old.name, status=S.OFFER, etag=changed.etag), ["status"]
        )
        assert await jobs.get("u1", old.name) == moved
        conn = sqlite3.connect(path)
        assert conn.execute("SELECT pb FROM jobs").fetchone()[0] == moved.SerializeToString()
        conn.close()
    finally:
        store.close()


async def test_reads_do_not_wait_for_a_writer_holding_the_file(tmp_path: Path) -> None:
    """Another process (a replica) in the middle of a write transaction: reads in WAL mode go
    on from the last committed state instead of waiting for its lock (10 s, then failing)."""
    path = tmp_path / "jobs.db"
    old = v1_database(path)
    store = SqliteJobStore(path)
    other = sqlite3.connect(path, isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")
        other.execute("UPDATE jobs SET company = 'not committed'")
        jobs = Jobs(store, 60, PageTokens(b"s" * 32))
        got = await asyncio.wait_for(jobs.get("u1", old.name), 5)
        listed, _, total = await asyncio.wait_for(jobs.list("u1", 10, "", "", ""), 5)
        stats = await asyncio.wait_for(jobs.stats("u1", 14, 4), 5)
        assert got.company == old.company and listed == [old] and total == 1 and stats.total == 1
    finally:
        other.execute("ROLLBACK")
        other.close()
        store.close()
