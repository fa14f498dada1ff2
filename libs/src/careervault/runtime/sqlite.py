"""SQLite for the embedded stores: a writing connection and two reading ones per process.

Writes (`transact`) run in a worker thread inside one transaction (`BEGIN IMMEDIATE`, so two
processes sharing the file serialise their writes instead of failing half-way). Reads need no
lock on the file: in WAL mode a reader sees the last committed state and never waits for a
writer, in this process or another (replicas sharing the file). `read` runs in a worker thread
inside a deferred `BEGIN` (one snapshot for several statements) on its own connection, so reads
do not queue behind this process's writes; `read_now` runs one statement right on the calling
thread (the event loop) on a third connection, for point lookups that take microseconds, less
than handing the work to a thread and back. Schema changes
are numbered migrations tracked in `PRAGMA user_version`: each is SQL, or a Python function for
changes SQL cannot express (backfilling derived columns). A database is migrated forward at
open, each step in its own transaction; a database newer than the code is refused.
"""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")
Migration = str | Callable[[sqlite3.Connection], None]


class SchemaTooNew(RuntimeError):
    """The file was written by a newer CareerVault; refusing beats corrupting it."""


class Database:
    def __init__(self, path: Path, migrations: Sequence[Migration]) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        # Personal data: readable by this service's user only (SQLite gives its -wal and -shm
        # files the same mode as the database).
        path.touch(mode=0o600, exist_ok=True)
        self._conn = self._connect()
        self._lock = threading.Lock()
        with self._lock:
            self._conn.execute("PRAGMA journal_mode=WAL")
            self._conn.execute("PRAGMA synchronous=NORMAL")
            self._conn.execute("PRAGMA foreign_keys=ON")
            self._migrate(migrations)
        # Opened after the migrations, so they see the current schema.
        self._reader = self._connect(read_only=True)
        self._reader_lock = threading.Lock()
        self._inline = self._connect(read_only=True)
        self._inline_lock = threading.Lock()

    def _connect(self, read_only: bool = False) -> sqlite3.Connection:
        # `timeout` is SQLite's busy timeout: a write waits up to 10 s for another's lock.
        conn = sqlite3.connect(
            self.path, check_same_thread=False, isolation_level=None, timeout=10.0
        )
        conn.row_factory = sqlite3.Row
        if read_only:
            conn.execute("PRAGMA query_only=ON")
        return conn

    def _migrate(self, migrations: Sequence[Migration]) -> None:
        conn = self._conn
        version = int(conn.execute("PRAGMA user_version").fetchone()[0])
        if version > len(migrations):
            raise SchemaTooNew(
                f"{self.path} has schema version {version}; this build knows {len(migrations)}"
            )
        for number, step in enumerate(migrations, start=1):
            conn.execute("BEGIN IMMEDIATE")
            try:
                # Re-read under the write lock: another process may have migrated meanwhile.
                version = int(conn.execute("PRAGMA user_version").fetchone()[0])
                if number > version:
                    if callable(step):
                        step(conn)
                    else:
                        for statement in step.split(";\n"):
                            if statement.strip():
                                conn.execute(statement)
                    conn.execute(f"PRAGMA user_version = {number}")
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise

    @property
    def schema_version(self) -> int:
        with self._lock:
            return int(self._conn.execute("PRAGMA user_version").fetchone()[0])

    def _transact(self, work: Callable[[sqlite3.Connection], T]) -> T:
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                result = work(self._conn)
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")
            return result

    async def transact(self, work: Callable[[sqlite3.Connection], T]) -> T:
        """Runs `work(conn)` in one transaction in a worker thread; rolls back if it raises."""
        return await asyncio.to_thread(self._transact, work)

    def _read(self, work: Callable[[sqlite3.Connection], T]) -> T:
        with self._reader_lock:
            self._reader.execute("BEGIN")
            try:
                return work(self._reader)
            finally:
                self._reader.execute("COMMIT")

    async def read(self, work: Callable[[sqlite3.Connection], T]) -> T:
        """Runs `work(conn)`, which only reads, in a worker thread; its statements see one
        snapshot (a deferred transaction, which takes no lock that writers wait for)."""
        return await asyncio.to_thread(self._read, work)

    def read_now(self, work: Callable[[sqlite3.Connection], T]) -> T:
        """Runs `work(conn)` on the calling thread: for one statement that reads a row or a few
        by key, where handing the work to a thread costs more than the read itself. The
        statement is its own read transaction. Not for anything whose cost grows with the
        data: it holds up the event loop while it runs."""
        with self._inline_lock:
            return work(self._inline)

    def close(self) -> None:
        with self._inline_lock:
            self._inline.close()
        with self._reader_lock:
            self._reader.close()
        with self._lock:
            self._conn.close()
