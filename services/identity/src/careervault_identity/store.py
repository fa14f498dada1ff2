"""Users and refresh tokens in SQLite (`$CAREERVAULT_DATA_DIR/identity/identity.db`)."""

from __future__ import annotations

import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path

from careervault.runtime.errors import AlreadyExists
from careervault.runtime.sqlite import Database

MIGRATIONS = [
    """
    CREATE TABLE users (
        id TEXT PRIMARY KEY,
        email TEXT NOT NULL UNIQUE,
        display_name TEXT NOT NULL,
        password_hash TEXT NOT NULL,
        email_verified INTEGER NOT NULL DEFAULT 0,
        mfa_enabled INTEGER NOT NULL DEFAULT 0,
        external_ai_consent INTEGER NOT NULL DEFAULT 0,
        create_time REAL NOT NULL,
        update_time REAL NOT NULL,
        version INTEGER NOT NULL DEFAULT 1
    );
    CREATE TABLE refresh_tokens (
        token_hash TEXT PRIMARY KEY,
        user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        family_id TEXT NOT NULL,
        expire_time REAL NOT NULL,
        used INTEGER NOT NULL DEFAULT 0,
        revoked INTEGER NOT NULL DEFAULT 0
    );
    CREATE INDEX refresh_tokens_user ON refresh_tokens(user_id);
    CREATE INDEX refresh_tokens_family ON refresh_tokens(family_id)
    """,
]


@dataclass(frozen=True)
class UserRecord:
    id: str
    email: str
    display_name: str
    password_hash: str
    email_verified: bool
    mfa_enabled: bool
    external_ai_consent: bool
    create_time: float
    update_time: float
    version: int

    @classmethod
    def from_row(cls, row: sqlite3.Row) -> UserRecord:
        return cls(
            id=row["id"],
            email=row["email"],
            display_name=row["display_name"],
            password_hash=row["password_hash"],
            email_verified=bool(row["email_verified"]),
            mfa_enabled=bool(row["mfa_enabled"]),
            external_ai_consent=bool(row["external_ai_consent"]),
            create_time=row["create_time"],
            update_time=row["update_time"],
            version=row["version"],
        )


class RefreshOutcome:
    """What presenting a refresh token led to."""

    OK = "ok"
    UNKNOWN = "unknown"  # never issued, expired or revoked
    REUSED = "reused"  # already rotated: the family is now revoked


class IdentityStore:
    def __init__(self, path: Path) -> None:
        self.db = Database(path, MIGRATIONS)

    def close(self) -> None:
        self.db.close()

    async def create_user(self, user: UserRecord) -> None:
        def work(conn: sqlite3.Connection) -> None:
            try:
                conn.execute(
                    "INSERT INTO users (id, email, display_name, password_hash, email_verified,"
                    " mfa_enabled, external_ai_consent, create_time, update_time, version)"
                    " VALUES (?,?,?,?,?,?,?,?,?,?)",
                    (
                        user.id,
                        user.email,
                        user.display_name,
                        user.password_hash,
                        int(user.email_verified),
                        int(user.mfa_enabled),
                        int(user.external_ai_consent),
                        user.create_time,
                        user.update_time,
                        user.version,
                    ),
                )
            except sqlite3.IntegrityError:
                raise AlreadyExists(
                    "An account with this email exists already.", reason="EMAIL_TAKEN"
                ) from None

        await self.db.transact(work)

    async def get_by_email(self, email: str) -> UserRecord | None:
        def work(conn: sqlite3.Connection) -> UserRecord | None:
            row = conn.execute("SELECT * FROM users WHERE email = ?", (email,)).fetchone()
            return UserRecord.from_row(row) if row else None

        return await self.db.transact(work)

    async def get_by_id(self, user_id: str) -> UserRecord | None:
        def work(conn: sqlite3.Connection) -> UserRecord | None:
            row = conn.execute("SELECT * FROM users WHERE id = ?", (user_id,)).fetchone()
            return UserRecord.from_row(row) if row else None

        return await self.db.transact(work)

    async def update_profile(
        self,
        user_id: str,
        expected_version: int | None,
        display_name: str | None,
        external_ai_consent: bool | None,
    ) -> UserRecord | None:
        """The updated user; None when it is gone or `expected_version` is stale."""

        def work(conn: sqlite3.Connection) -> UserRecord | None:
            row = conn.execute("SELECT * FROM users WHERE id = ?", (user_id,)).fetchone()
            if row is None:
                return None
            current = UserRecord.from_row(row)
            if expected_version is not None and expected_version != current.version:
                return None
            conn.execute(
                "UPDATE users SET display_name = ?, external_ai_consent = ?, update_time = ?,"
                " version = version + 1 WHERE id = ?",
                (
                    current.display_name if display_name is None else display_name,
                    int(
                        current.external_ai_consent
                        if external_ai_consent is None
                        else external_ai_consent
                    ),
                    time.time(),
                    user_id,
                ),
            )
            updated = conn.execute("SELECT * FROM users WHERE id = ?", (user_id,)).fetchone()
            return UserRecord.from_row(updated)

        return await self.db.transact(work)

    async def add_refresh_token(
        self, token_hash: str, user_id: str, family_id: str, expire_time: float
    ) -> None:
        def work(conn: sqlite3.Connection) -> None:
            conn.execute(
                "INSERT INTO refresh_tokens (token_hash, user_id, family_id, expire_time)"
                " VALUES (?,?,?,?)",
                (token_hash, user_id, family_id, expire_time),
            )

        await self.db.transact(work)

    async def rotate_refresh_token(
        self, token_hash: str, new_hash: str, expire_time: float
    ) -> tuple[str, str | None]:
        """Marks the token used and issues its successor in the same family, atomically.

        A token presented twice revokes its whole family (RFC 6819 5.2.2.3 / OAuth 2.1
        refresh-token rotation): whoever holds a stolen copy loses it along with the owner.
        """

        def work(conn: sqlite3.Connection) -> tuple[str, str | None]:
            row = conn.execute(
                "SELECT * FROM refresh_tokens WHERE token_hash = ?", (token_hash,)
            ).fetchone()
            if row is None or row["revoked"] or row["expire_time"] < time.time():
                return RefreshOutcome.UNKNOWN, None
            if row["used"]:
                conn.execute(
                    "UPDATE refresh_tokens SET revoked = 1 WHERE family_id = ?", (row["family_id"],)
                )
                return RefreshOutcome.REUSED, row["user_id"]
            conn.execute("UPDATE refresh_tokens SET used = 1 WHERE token_hash = ?", (token_hash,))
            conn.execute(
                "INSERT INTO refresh_tokens (token_hash, user_id, family_id, expire_time)"
                " VALUES (?,?,?,?)",
                (new_hash, row["user_id"], row["family_id"], expire_time),
            )
            return RefreshOutcome.OK, row["user_id"]

        return await self.db.transact(work)

    async def revoke_refresh_tokens(self, user_id: str) -> None:
        def work(conn: sqlite3.Connection) -> None:
            conn.execute("UPDATE refresh_tokens SET revoked = 1 WHERE user_id = ?", (user_id,))
            conn.execute(
                "DELETE FROM refresh_tokens WHERE user_id = ? AND expire_time < ?",
                (user_id, time.time()),
            )

        await self.db.transact(work)
