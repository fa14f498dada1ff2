"""SQLite for the embedded stores: one connection per process, used off the event loop.

Every unit of work runs in a worker thread inside one transaction (`BEGIN IMMEDIATE`, so two
processes sharing the file serialise their writes instead of failing half-way). Schema changes
are numbered migrations tracked in `PRAGMA user_version`.
"""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")


class Database:
    def __init__(self, path: Path, migrations: Sequence[str]) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        self._conn = sqlite3.connect(
            path, check_same_thread=False, isolation_level=None, timeout=10.0
        )
        self._conn.row_factory = sqlite3.Row
        self._lock = threading.Lock()
        with self._lock:
            self._conn.execute("PRAGMA journal_mode=WAL")
            self._conn.execute("PRAGMA synchronous=NORMAL")
            self._conn.execute("PRAGMA foreign_keys=ON")
            self._conn.execute("PRAGMA busy_timeout=10000")
            self._migrate(migrations)

    def _migrate(self, migrations: Sequence[str]) -> None:
        conn = self._conn
        conn.execute("BEGIN IMMEDIATE")
        try:
            version = int(conn.execute("PRAGMA user_version").fetchone()[0])
            for number, script in enumerate(migrations, start=1):
                if number > version:
                    for statement in script.split(";\n"):
                        if statement.strip():
                            conn.execute(statement)
                    conn.execute(f"PRAGMA user_version = {number}")
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise

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

    def close(self) -> None:
        with self._lock:
            self._conn.close()
