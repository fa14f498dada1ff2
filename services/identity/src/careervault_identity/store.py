"""Accounts, sessions and one-time secrets in SQLite (`$CAREERVAULT_DATA_DIR/identity/identity.db`).

Tables: `users`; `refresh_tokens` (hashed, rotated, revoked by family); `totp` (the MFA secret,
a pending one during setup, and the last accepted time step); `codes` (hashed one-time codes
for confirmation and password reset, one live code per user and kind); `challenges` (hashed
MFA sign-in sessions); `attempts` (failed guesses for throttling, see `throttle.py`). Every
row that belongs to a user goes with it (`ON DELETE CASCADE`).

Replicas may share the file: every read-check-write below is one `BEGIN IMMEDIATE`
transaction, so two processes cannot both consume a code, a session or a TOTP time step.
"""

from __future__ import annotations

import enum
import math
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
    # 2: consent time, token revocation time, MFA, one-time codes, sign-in sessions, throttling
    """
    ALTER TABLE users ADD COLUMN consent_time REAL NOT NULL DEFAULT 0;
    ALTER TABLE users ADD COLUMN tokens_valid_after REAL NOT NULL DEFAULT 0;
    CREATE TABLE totp (
        user_id TEXT PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
        secret TEXT,
        pending_secret TEXT,
        pending_time REAL,
        last_step INTEGER NOT NULL DEFAULT 0
    );
    CREATE TABLE codes (
        user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        kind TEXT NOT NULL,
        code_hash TEXT NOT NULL,
        create_time REAL NOT NULL,
        expire_time REAL NOT NULL,
        PRIMARY KEY (user_id, kind)
    );
    CREATE TABLE challenges (
        session_hash TEXT PRIMARY KEY,
        user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        expire_time REAL NOT NULL
    );
    CREATE INDEX challenges_user ON challenges(user_id);
    CREATE INDEX challenges_expire ON challenges(expire_time);
    CREATE TABLE attempts (
        id INTEGER PRIMARY KEY,
        key TEXT NOT NULL,
        time REAL NOT NULL
    );
    CREATE INDEX attempts_key_time ON attempts(key, time);
    CREATE INDEX attempts_time ON attempts(time)
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
    consent_time: float = 0.0  # when external_ai_consent last changed; 0 if never
    # Access tokens issued before this (their `iat`) are refused by this service.
    tokens_valid_after: float = 0.0

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
            consent_time=row["consent_time"],
            tokens_valid_after=row["tokens_valid_after"],
        )


@dataclass(frozen=True)
class TotpRecord:
    user_id: str
    secret: str | None  # the enabled secret; None while MFA is off
    pending_secret: str | None  # from SetupMfa, waiting for VerifyMfa
    last_step: int  # the last accepted RFC 6238 time step (replay protection)


class RefreshOutcome:
    """What presenting a refresh token led to."""

    OK = "ok"
    UNKNOWN = "unknown"  # never issued, expired or revoked
    REUSED = "reused"  # already rotated: the family is now revoked


class CodeOutcome(enum.Enum):
    """What presenting a one-time code led to."""

    OK = "ok"  # matched and consumed
    MISMATCH = "mismatch"  # wrong code, or none outstanding
    EXPIRED = "expired"  # the right code, too late (now deleted)


class CodeKind:
    CONFIRM = "confirm_sign_up"
    RESET = "reset_password"


def _user(conn: sqlite3.Connection, user_id: str) -> UserRecord | None:
    row = conn.execute("SELECT * FROM users WHERE id = ?", (user_id,)).fetchone()
    return UserRecord.from_row(row) if row else None


def _take_code(
    conn: sqlite3.Connection, user_id: str, kind: str, code_hash: str, now: float
) -> CodeOutcome:
    """Consumes the code if it matches; the caller's transaction applies the effect."""
    row = conn.execute(
        "SELECT code_hash, expire_time FROM codes WHERE user_id = ? AND kind = ?",
        (user_id, kind),
    ).fetchone()
    # Hashes of random codes: comparing them in variable time reveals nothing useful.
    if row is None or row["code_hash"] != code_hash:
        return CodeOutcome.MISMATCH
    conn.execute("DELETE FROM codes WHERE user_id = ? AND kind = ?", (user_id, kind))
    if row["expire_time"] < now:
        return CodeOutcome.EXPIRED
    return CodeOutcome.OK


def _end_sessions(conn: sqlite3.Connection, user_id: str, valid_after: float) -> None:
    """Revokes refresh tokens and MFA sessions; older access tokens are refused from now on."""
    conn.execute("UPDATE refresh_tokens SET revoked = 1 WHERE user_id = ?", (user_id,))
    conn.execute(
        "DELETE FROM refresh_tokens WHERE user_id = ? AND expire_time < ?", (user_id, valid_after)
    )
    conn.execute("DELETE FROM challenges WHERE user_id = ?", (user_id,))
    row = conn.execute("SELECT tokens_valid_after FROM users WHERE id = ?", (user_id,)).fetchone()
    previous = float(row[0]) if row else 0.0
    if previous:
        # Tokens issued since the previous revocation carry an `iat` of up to
        # ceil(previous) (see domain.py): this revocation must reach past them too.
        valid_after = max(valid_after, math.ceil(previous) + 0.001)
    conn.execute("UPDATE users SET tokens_valid_after = ? WHERE id = ?", (valid_after, user_id))


class IdentityStore:
    def __init__(self, path: Path) -> None:
        self.db = Database(path, MIGRATIONS)

    def close(self) -> None:
        self.db.close()

    # -- users -----------------------------------------------------------------------------

    async def create_user(self, user: UserRecord) -> None:
        def work(conn: sqlite3.Connection) -> None:
            try:
                conn.execute(
                    "INSERT INTO users (id, email, display_name, password_hash, email_verified,"
                    " mfa_enabled, external_ai_consent, create_time, update_time, version,"
                    " consent_time, tokens_valid_after) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
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
                        user.consent_time,
                        user.tokens_valid_after,
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
        return await self.db.transact(lambda conn: _user(conn, user_id))

    async def update_profile(
        self,
        user_id: str,
        expected_version: int | None,
        display_name: str | None,
        external_ai_consent: bool | None,
    ) -> UserRecord | None:
        """The updated user; None when it is gone or `expected_version` is stale.

        `consent_time` moves whenever consent changes (not when it is set to what it was).
        """

        def work(conn: sqlite3.Connection) -> UserRecord | None:
            current = _user(conn, user_id)
            if current is None:
                return None
            if expected_version is not None and expected_version != current.version:
                return None
            now = time.time()
            consent = (
                current.external_ai_consent if external_ai_consent is None else external_ai_consent
            )
            consent_time = now if consent != current.external_ai_consent else current.consent_time
            conn.execute(
                "UPDATE users SET display_name = ?, external_ai_consent = ?, consent_time = ?,"
                " update_time = ?, version = version + 1 WHERE id = ?",
                (
                    current.display_name if display_name is None else display_name,
                    int(consent),
                    consent_time,
                    now,
                    user_id,
                ),
            )
            return _user(conn, user_id)

        return await self.db.transact(work)

    async def set_password(self, user_id: str, password_hash: str, now: float) -> bool:
        """New password; every session ends (refresh tokens, MFA sessions, older access
        tokens) and an outstanding reset code dies. False if the user is gone."""

        def work(conn: sqlite3.Connection) -> bool:
            changed = conn.execute(
                "UPDATE users SET password_hash = ?, update_time = ?, version = version + 1"
                " WHERE id = ?",
                (password_hash, now, user_id),
            ).rowcount
            if not changed:
                return False
            conn.execute(
                "DELETE FROM codes WHERE user_id = ? AND kind = ?", (user_id, CodeKind.RESET)
            )
            _end_sessions(conn, user_id, now)
            return True

        return await self.db.transact(work)

    async def delete_user(self, user_id: str) -> bool:
        """The user and everything hanging off it (cascades), in one transaction."""

        def work(conn: sqlite3.Connection) -> bool:
            # Explicit as well as cascaded: correct even on a connection without foreign keys.
            for table in ("refresh_tokens", "totp", "codes", "challenges"):
                conn.execute(f"DELETE FROM {table} WHERE user_id = ?", (user_id,))  # noqa: S608
            return bool(conn.execute("DELETE FROM users WHERE id = ?", (user_id,)).rowcount)

        return await self.db.transact(work)

    # -- one-time codes --------------------------------------------------------------------

    async def put_code(
        self, user_id: str, kind: str, code_hash: str, now: float, expire_time: float
    ) -> None:
        """Stores the user's code of this kind, replacing any earlier one."""

        def work(conn: sqlite3.Connection) -> None:
            conn.execute(
                "INSERT OR REPLACE INTO codes (user_id, kind, code_hash, create_time,"
                " expire_time) VALUES (?,?,?,?,?)",
                (user_id, kind, code_hash, now, expire_time),
            )

        await self.db.transact(work)

    async def confirm_email(self, user_id: str, code_hash: str, now: float) -> CodeOutcome:
        def work(conn: sqlite3.Connection) -> CodeOutcome:
            outcome = _take_code(conn, user_id, CodeKind.CONFIRM, code_hash, now)
            if outcome == CodeOutcome.OK:
                conn.execute(
                    "UPDATE users SET email_verified = 1, update_time = ?, version = version + 1"
                    " WHERE id = ?",
                    (now, user_id),
                )
            return outcome

        return await self.db.transact(work)

    async def reset_password(
        self, user_id: str, code_hash: str, password_hash: str, now: float
    ) -> CodeOutcome:
        """With the right reset code: the new password, and every session ends."""

        def work(conn: sqlite3.Connection) -> CodeOutcome:
            outcome = _take_code(conn, user_id, CodeKind.RESET, code_hash, now)
            if outcome == CodeOutcome.OK:
                conn.execute(
                    "UPDATE users SET password_hash = ?, update_time = ?, version = version + 1"
                    " WHERE id = ?",
                    (password_hash, now, user_id),
                )
                _end_sessions(conn, user_id, now)
            return outcome

        return await self.db.transact(work)

    # -- MFA -------------------------------------------------------------------------------

    async def get_totp(self, user_id: str) -> TotpRecord | None:
        def work(conn: sqlite3.Connection) -> TotpRecord | None:
            row = conn.execute("SELECT * FROM totp WHERE user_id = ?", (user_id,)).fetchone()
            if row is None:
                return None
            return TotpRecord(
                user_id=row["user_id"],
                secret=row["secret"],
                pending_secret=row["pending_secret"],
                last_step=row["last_step"],
            )

        return await self.db.transact(work)

    async def set_pending_totp(self, user_id: str, secret: str, now: float) -> None:
        def work(conn: sqlite3.Connection) -> None:
            conn.execute(
                "INSERT INTO totp (user_id, pending_secret, pending_time) VALUES (?,?,?)"
                " ON CONFLICT(user_id) DO UPDATE SET pending_secret = excluded.pending_secret,"
                " pending_time = excluded.pending_time",
                (user_id, secret, now),
            )

        await self.db.transact(work)

    async def enable_totp(
        self, user_id: str, pending_secret: str, step: int, now: float
    ) -> UserRecord | None:
        """Makes the verified pending secret the user's MFA secret; `step` (the code that
        verified it) counts as used. None if the pending secret changed meanwhile."""

        def work(conn: sqlite3.Connection) -> UserRecord | None:
            changed = conn.execute(
                "UPDATE totp SET secret = pending_secret, pending_secret = NULL,"
                " pending_time = NULL, last_step = ? WHERE user_id = ? AND pending_secret = ?",
                (step, user_id, pending_secret),
            ).rowcount
            if not changed:
                return None
            conn.execute(
                "UPDATE users SET mfa_enabled = 1, update_time = ?, version = version + 1"
                " WHERE id = ?",
                (now, user_id),
            )
            return _user(conn, user_id)

        return await self.db.transact(work)

    async def use_totp_step(self, user_id: str, secret: str, step: int) -> bool:
        """Records `step` as used if it is newer than the last one used (RFC 6238 5.2: a code
        is accepted once). False for a replay, or if the secret changed meanwhile."""

        def work(conn: sqlite3.Connection) -> bool:
            return bool(
                conn.execute(
                    "UPDATE totp SET last_step = ? WHERE user_id = ? AND secret = ?"
                    " AND last_step < ?",
                    (step, user_id, secret, step),
                ).rowcount
            )

        return await self.db.transact(work)

    async def disable_totp(
        self, user_id: str, secret: str, step: int, now: float
    ) -> UserRecord | None:
        """Turns MFA off with a fresh code's `step`; None for a replayed step."""

        def work(conn: sqlite3.Connection) -> UserRecord | None:
            changed = conn.execute(
                "UPDATE totp SET secret = NULL, last_step = ? WHERE user_id = ? AND secret = ?"
                " AND last_step < ?",
                (step, user_id, secret, step),
            ).rowcount
            if not changed:
                return None
            conn.execute(
                "UPDATE users SET mfa_enabled = 0, update_time = ?, version = version + 1"
                " WHERE id = ?",
                (now, user_id),
            )
            conn.execute("DELETE FROM challenges WHERE user_id = ?", (user_id,))
            return _user(conn, user_id)

        return await self.db.transact(work)

    # -- MFA sign-in sessions --------------------------------------------------------------

    async def add_challenge(self, session_hash: str, user_id: str, expire_time: float) -> None:
        def work(conn: sqlite3.Connection) -> None:
            conn.execute("DELETE FROM challenges WHERE expire_time < ?", (time.time(),))
            conn.execute(
                "INSERT INTO challenges (session_hash, user_id, expire_time) VALUES (?,?,?)",
                (session_hash, user_id, expire_time),
            )

        await self.db.transact(work)

    async def take_challenge(self, session_hash: str, now: float) -> str | None:
        """The session's user, consuming the session (single use); None if unknown or
        expired."""

        def work(conn: sqlite3.Connection) -> str | None:
            row = conn.execute(
                "SELECT user_id, expire_time FROM challenges WHERE session_hash = ?",
                (session_hash,),
            ).fetchone()
            if row is None:
                return None
            conn.execute("DELETE FROM challenges WHERE session_hash = ?", (session_hash,))
            return str(row["user_id"]) if row["expire_time"] >= now else None

        return await self.db.transact(work)

    # -- refresh tokens --------------------------------------------------------------------

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
        """Signs the user out everywhere: refresh tokens, MFA sessions, and (for this service)
        every access token issued until now."""
        await self.db.transact(lambda conn: _end_sessions(conn, user_id, time.time()))
