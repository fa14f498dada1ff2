"""Brute-force protection: a sliding window of attempts per key, in the identity database.

A guarded operation (a password, an MFA code, an emailed code) first calls `begin()` with the
keys it is charged to (the account, the client address) and their limits. In one
transaction, `begin()` refuses with RESOURCE_EXHAUSTED (`TOO_MANY_ATTEMPTS`, and
`retryAfterSeconds` in the ErrorInfo metadata) if any key already has `limit` attempts within
the window, and otherwise records one attempt per key *before* the secret is checked: so the
check happens before any secret is looked at (a throttled caller learns nothing, even with
the right password), concurrent guesses count against each other, and replicas sharing the
database agree. The attempt then stays as a failure, unless the caller reports:

- `release()`: it was not a failed guess (e.g. right password, account not confirmed yet);
- `succeeded()`: a success, which also clears the failures of the keys marked `resets`
  (the account), not of the address.

Refused calls are not recorded, so hammering a locked key does not extend its lock. Keys are
stored as SHA-256 digests, so the table holds no email or IP address in the clear.
"""

from __future__ import annotations

import hashlib
import math
import sqlite3
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

from careervault.runtime.errors import ResourceExhausted
from careervault.runtime.sqlite import Database

# Attempts older than the window are deleted by whoever passes by, at most this often.
PRUNE_INTERVAL = 60.0


@dataclass(frozen=True)
class Rule:
    """Charge an attempt to `key`; refuse once it has `limit` within the window."""

    key: str
    limit: int
    resets: bool = False  # a success clears this key's failures (an account, not an address)


@dataclass
class Attempt:
    rules: tuple[Rule, ...]
    row_ids: list[int] = field(default_factory=list)


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


class Throttle:
    def __init__(self, db: Database, window: float) -> None:
        self.db = db
        self.window = window
        self._pruned_at = 0.0

    async def begin(self, rules: Sequence[Rule], now: float | None = None) -> Attempt:
        """Records the attempt, or raises ResourceExhausted if any rule is over its limit."""
        rules = tuple(r for r in rules if r.key)
        when = time.time() if now is None else now
        since = when - self.window
        prune = when - self._pruned_at > PRUNE_INTERVAL
        if prune:
            self._pruned_at = when

        def work(conn: sqlite3.Connection) -> tuple[list[int], float]:
            if prune:
                conn.execute("DELETE FROM attempts WHERE time <= ?", (since,))
            wait = 0.0
            for rule in rules:
                times = [
                    row[0]
                    for row in conn.execute(
                        "SELECT time FROM attempts WHERE key = ? AND time > ? ORDER BY time",
                        (_digest(rule.key), since),
                    )
                ]
                if len(times) >= rule.limit:
                    # Free again once enough of the oldest attempts leave the window.
                    wait = max(wait, times[len(times) - rule.limit] + self.window - when)
            if wait > 0:
                return [], wait
            ids = []
            for rule in rules:
                cursor = conn.execute(
                    "INSERT INTO attempts (key, time) VALUES (?, ?)", (_digest(rule.key), when)
                )
                ids.append(int(cursor.lastrowid or 0))
            return ids, 0.0

        ids, wait = await self.db.transact(work)
        if wait > 0:
            seconds = max(1, math.ceil(wait))
            raise ResourceExhausted(
                f"Too many attempts; try again in {seconds} seconds.",
                reason="TOO_MANY_ATTEMPTS",
                metadata={"retryAfterSeconds": str(seconds)},
            )
        return Attempt(rules, ids)

    async def release(self, attempt: Attempt) -> None:
        """The attempt was not a failed guess: it no longer counts."""
        ids = list(attempt.row_ids)
        attempt.row_ids.clear()
        if not ids:
            return

        def work(conn: sqlite3.Connection) -> None:
            conn.executemany("DELETE FROM attempts WHERE id = ?", [(i,) for i in ids])

        await self.db.transact(work)

    async def succeeded(self, attempt: Attempt) -> None:
        """A success: the attempt does not count, and the resetting keys start afresh."""
        ids = list(attempt.row_ids)
        attempt.row_ids.clear()
        keys = [_digest(r.key) for r in attempt.rules if r.resets]

        def work(conn: sqlite3.Connection) -> None:
            conn.executemany("DELETE FROM attempts WHERE id = ?", [(i,) for i in ids])
            conn.executemany("DELETE FROM attempts WHERE key = ?", [(k,) for k in keys])

        await self.db.transact(work)

    async def forget(self, keys: Sequence[str]) -> None:
        """Drops every attempt recorded against these keys (an account being deleted)."""

        def work(conn: sqlite3.Connection) -> None:
            conn.executemany("DELETE FROM attempts WHERE key = ?", [(_digest(k),) for k in keys])

        await self.db.transact(work)
