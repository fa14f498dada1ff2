"""An account's data across services (GDPR): export everything, erase everything.

Export (`GET /v1/users/me:export`) gathers what every service holds about the caller. Today
that is the jobs service: applications with their history and whether a calendar feed exists
(`careervault.jobs.v1.UserDataService`, internal, no gateway route). Extraction and AI keep
nothing per user.

Erasure (`DELETE /v1/users/me`) must finish even when a service is down, and must be safe to
retry. `delete` therefore:

1. records a pending deletion in `$CAREERVAULT_DATA_DIR/identity/lifecycle.db`: the user id,
   when it was asked for, and the steps still to do, in order (`["jobs", "identity"]`);
2. calls `UserDataService.DeleteUserData` on jobs (idempotent), then drops "jobs" from the
   record;
3. calls `backend.delete_account` (the identity record itself; an account already gone counts
   as done), then marks the record done.

A failing step leaves the record pending with what is left and fails the call (UNAVAILABLE
when a service cannot be reached); nothing is undone, and a retry resumes where it stopped.

The hard part: erasing data in another service needs a token of the user. The services trust
nothing but a verified user token (DESIGN.md, "no service trusts the network"), and the
identity service cannot mint one for Cognito users (option (b), an internal service token,
is ruled out by that and would add a credential that can erase anyone's data). So a retry
runs with a user token or not at all (option (a)):

* Within the token's lifetime, this process retries by itself: after a failure worth
  retrying (UNAVAILABLE) the user's token is held in memory (never on disk), and a background
  task (`__aenter__`) retries the deletion every `retry_interval` seconds until the token
  expires. A short outage (a jobs restart) therefore finishes without the user doing anything.
* Afterwards the deletion stays pending until the user (or the client) retries DeleteUser with
  a valid token (idempotent), or signs in again: a user with a pending deletion gets no
  tokens. `check_sign_in` (the servicer calls it on the tokens from SignIn, RespondToChallenge
  and RefreshTokens before returning them) uses the fresh token, server-side only, to finish
  the deletion, then answers ACCOUNT_DELETED; if it still cannot finish, it answers UNAVAILABLE
  (ACCOUNT_DELETION_PENDING) and holds that token for the background retry. So a pending
  account never gets tokens again, and signing in is itself a retry. (Refusing sign-in outright
  would leave a deletion stuck for good once the last token expired.) `is_pending(user_id)` is
  the plain check.
* Done records are kept for `DONE_KEEP_SECONDS` (longer than any access token lives), so that
  a repeated DELETE with a still-valid token is harmless: it sweeps the jobs store again (which
  also removes anything written with that token after the first erasure) and succeeds without
  asking the identity backend about an account that no longer exists. Then they are purged:
  the record holds nothing but an opaque user id and times.

Limits: the record lives in this service's data dir. Replicas share it in local mode; separate
containers (ECS) each have their own, so a pending deletion is only known to the replica that
took the call until a shared store (a DynamoDB table) replaces this SQLite file. An access token
stays valid until it expires (15 min by default): the jobs service does not know the account is
gone and would accept writes made with it meanwhile; a repeated DELETE sweeps them.
"""

from __future__ import annotations

import asyncio
import json
import logging
import sqlite3
import time
import weakref
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any

import grpc
from google.protobuf import json_format
from jose import jwt
from jose.exceptions import JOSEError

from careervault.jobs.v1 import user_data_pb2, user_data_pb2_grpc
from careervault.runtime.balancing import balanced
from careervault.runtime.channels import create_channel
from careervault.runtime.errors import DomainError, NotFound, Unauthenticated, Unavailable
from careervault.runtime.sqlite import Database, Migration
from careervault_identity.backend import Caller, IdentityBackend, Tokens
from careervault_identity.settings import IdentitySettings

log = logging.getLogger(__name__)

JOBS = "jobs"
IDENTITY = "identity"
RETRY_SECONDS = 30.0
CLOSE_GRACE = 15.0  # seconds a replaced channel's calls get to finish
# Its own connections, so that the new channel made after UNAVAILABLE connects at once instead
# of sharing the old one's reconnect backoff (gRPC pools connections per process by default).
CHANNEL_OPTIONS = (("grpc.use_local_subchannel_pool", 1),)
USER_DATA_SERVICE = user_data_pb2.DESCRIPTOR.services_by_name["UserDataService"].full_name
DONE_KEEP_SECONDS = 2 * 86400.0  # longer than any access token lives (at most 1 day)

MIGRATIONS: list[Migration] = [
    # 1: the first release.
    """
    CREATE TABLE deletions (
        user_id TEXT PRIMARY KEY,
        request_time REAL NOT NULL,
        remaining TEXT NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0,
        last_attempt_time REAL NOT NULL DEFAULT 0,
        last_error TEXT NOT NULL DEFAULT '',
        done_time REAL
    );
    CREATE INDEX deletions_by_done ON deletions(done_time)
    """,
]


def _claims(token: str) -> dict[str, Any]:
    """The claims of a token this service verified or issued itself (not checked again)."""
    try:
        claims: dict[str, Any] = jwt.get_unverified_claims(token)
    except JOSEError:
        return {}
    return claims


@dataclass(frozen=True)
class PendingDeletion:
    user_id: str
    request_time: float
    remaining: tuple[str, ...]
    attempts: int
    last_error: str


@dataclass
class _Held:
    """A token of a user whose deletion failed, kept in memory for the background retry."""

    caller: Caller
    backend: IdentityBackend
    expires: float


def _rpc_error(exc: grpc.aio.AioRpcError, what: str) -> DomainError:
    if exc.code() == grpc.StatusCode.UNAUTHENTICATED:
        return Unauthenticated(
            "Your session expired; sign in again and retry.", reason="TOKEN_EXPIRED"
        )
    log.warning("jobs %s failed: %s %s", what, exc.code().name, exc.details())
    return Unavailable(
        "The jobs service cannot be reached at the moment; try again shortly.",
        reason="SERVICE_UNAVAILABLE",
        metadata={"service": JOBS},
    )


class AccountLifecycle:
    def __init__(
        self,
        jobs_target: str | None,
        data_dir: Path,
        *,
        retry_interval: float = RETRY_SECONDS,
        clock: Callable[[], float] = time.time,
    ) -> None:
        """`jobs_target`: host:port of the jobs service (None: no jobs service to clear);
        `data_dir`: CAREERVAULT_DATA_DIR (the record is `identity/lifecycle.db` in it)."""
        self.jobs_target = jobs_target
        self.db = Database(Path(data_dir).resolve() / "identity" / "lifecycle.db", MIGRATIONS)
        self.retry_interval = retry_interval
        self.clock = clock
        self._channel: grpc.aio.Channel | None = None
        self._held: dict[str, _Held] = {}
        self._locks: weakref.WeakValueDictionary[str, asyncio.Lock] = weakref.WeakValueDictionary()
        self._task: asyncio.Task[None] | None = None
        self._closing: set[asyncio.Task[None]] = set()

    @classmethod
    def from_settings(cls, settings: IdentitySettings) -> AccountLifecycle:
        return cls(
            settings.jobs_address,
            settings.data_dir,
            retry_interval=settings.account_deletion_retry_seconds,
        )

    # -- running ------------------------------------------------------------------------------

    async def __aenter__(self) -> AccountLifecycle:
        """Starts the background retry (and the purge of old done records)."""
        self._task = asyncio.get_running_loop().create_task(self._retry_loop())
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        if self._channel is not None:
            await self._channel.close()
            self._channel = None
        for closing in list(self._closing):
            closing.cancel()
            with suppress(asyncio.CancelledError):
                await closing
        self.db.close()

    def _jobs(self) -> user_data_pb2_grpc.UserDataServiceAsyncStub:
        if self._channel is None:
            assert self.jobs_target is not None
            # The address may list several jobs replicas: calls are spread over them and
            # avoid a draining or dead one; both calls are safe to run twice.
            target, options = balanced(
                self.jobs_target, USER_DATA_SERVICE, ("ExportUserData", "DeleteUserData")
            )
            self._channel = create_channel(target, options=[*CHANNEL_OPTIONS, *options])
        return user_data_pb2_grpc.UserDataServiceStub(self._channel)

    async def _after_rpc_error(self, exc: grpc.aio.AioRpcError) -> None:
        """After UNAVAILABLE, a new channel for the next attempt: the old one may sit in
        reconnect backoff (up to two minutes), failing every call at once even after the
        service is back."""
        if exc.code() == grpc.StatusCode.UNAVAILABLE and self._channel is not None:
            channel, self._channel = self._channel, None
            # Calls of other requests still on it get time to finish.
            closing = asyncio.get_running_loop().create_task(channel.close(grace=CLOSE_GRACE))
            self._closing.add(closing)
            closing.add_done_callback(self._closing.discard)

    @staticmethod
    def _auth(caller: Caller) -> tuple[tuple[str, str], ...]:
        # Explicit, so that the background retry (no call context to relay from) sends it too.
        return (("authorization", f"Bearer {caller.access_token}"),)

    # -- export -------------------------------------------------------------------------------

    async def export(self, caller: Caller) -> dict[str, Any]:
        """What the other services hold about the caller, by service, as proto JSON."""
        data: dict[str, Any] = {}
        if self.jobs_target is not None:
            try:
                reply = await self._jobs().ExportUserData(
                    user_data_pb2.ExportUserDataRequest(), metadata=self._auth(caller)
                )
            except grpc.aio.AioRpcError as exc:
                await self._after_rpc_error(exc)
                raise _rpc_error(exc, "ExportUserData") from None
            jobs = json_format.MessageToDict(reply)
            jobs.setdefault("jobs", [])
            data[JOBS] = jobs
        return data

    # -- erasure ------------------------------------------------------------------------------

    async def delete(self, caller: Caller, backend: IdentityBackend) -> None:
        """Erases the caller everywhere; see the module docstring. Safe to call again."""
        lock = self._locks.setdefault(caller.user_id, asyncio.Lock())
        async with lock:
            remaining = await self._begin(caller.user_id)
            try:
                await self._run(caller, backend, remaining)
            except Unavailable:
                # Worth retrying: keep the token (in memory) for the background task.
                expires = float(_claims(caller.access_token).get("exp") or 0)
                if expires > self.clock():
                    self._held[caller.user_id] = _Held(caller, backend, expires)
                raise
            self._held.pop(caller.user_id, None)

    async def _run(self, caller: Caller, backend: IdentityBackend, remaining: list[str]) -> None:
        for step in list(remaining):
            try:
                if step == JOBS:
                    await self._erase_jobs(caller)
                elif step == IDENTITY:
                    await self._erase_identity(caller, backend)
            except Exception as exc:
                await self._failed(caller.user_id, step, exc)
                if isinstance(exc, grpc.aio.AioRpcError):
                    await self._after_rpc_error(exc)
                    raise _rpc_error(exc, "DeleteUserData") from None
                raise
            await self._step_done(caller.user_id, step)
        await self._finish(caller.user_id)
        log.info("account deleted", extra={"user": caller.user_id})

    async def _erase_jobs(self, caller: Caller) -> None:
        if self.jobs_target is None:
            return
        reply = await self._jobs().DeleteUserData(
            user_data_pb2.DeleteUserDataRequest(), metadata=self._auth(caller)
        )
        log.info("jobs data erased", extra={"user": caller.user_id, "deleted": reply.deleted_count})

    @staticmethod
    async def _erase_identity(caller: Caller, backend: IdentityBackend) -> None:
        try:
            await backend.delete_account(caller)
        except NotFound:
            pass  # gone already (Cognito: USER_NOT_FOUND): an earlier attempt got this far
        except Unauthenticated as exc:
            if exc.reason != "USER_DELETED":  # the local backend's word for the same
                raise

    # -- sign-in of an account being deleted --------------------------------------------------

    async def is_pending(self, user_id: str) -> bool:
        """True while the user's deletion is asked for and not finished: give them no tokens."""

        def work(conn: sqlite3.Connection) -> bool:
            row = conn.execute(
                "SELECT 1 FROM deletions WHERE user_id = ? AND done_time IS NULL", (user_id,)
            ).fetchone()
            return row is not None

        return await self.db.transact(work)

    async def check_sign_in(self, tokens: Tokens, backend: IdentityBackend) -> None:
        """For the servicer, on tokens the backend just issued (SignIn, RespondToChallenge,
        RefreshTokens), before returning them. Nothing happens unless the user's deletion is
        pending: then the fresh token finishes it (server-side; it never reaches the client)
        and this raises Unauthenticated ACCOUNT_DELETED, or, if it still cannot finish, Unavailable
        ACCOUNT_DELETION_PENDING (the background task keeps trying with that token while it is
        valid). The tokens are never returned, so nobody holds the new session's refresh token;
        it is not revoked here, since revoking (Cognito's GlobalSignOut) would also revoke the
        access token that the background retry needs for Cognito's DeleteUser."""
        user_id = str(_claims(tokens.access_token).get("sub") or "")
        if not user_id or not await self.is_pending(user_id):
            return
        try:
            await self.delete(Caller(user_id, tokens.access_token), backend)
        except DomainError:
            raise Unavailable(
                "This account is being deleted; deletion could not finish yet. Try again later.",
                reason="ACCOUNT_DELETION_PENDING",
            ) from None
        raise Unauthenticated("This account was deleted.", reason="ACCOUNT_DELETED")

    async def pending(self) -> list[PendingDeletion]:
        """Every unfinished deletion, oldest first (for operators and tests)."""

        def work(conn: sqlite3.Connection) -> list[PendingDeletion]:
            rows = conn.execute(
                "SELECT user_id, request_time, remaining, attempts, last_error FROM deletions"
                " WHERE done_time IS NULL ORDER BY request_time"
            ).fetchall()
            return [
                PendingDeletion(
                    r["user_id"],
                    r["request_time"],
                    tuple(json.loads(r["remaining"])),
                    r["attempts"],
                    r["last_error"],
                )
                for r in rows
            ]

        return await self.db.transact(work)

    # -- the record ---------------------------------------------------------------------------

    async def _begin(self, user_id: str) -> list[str]:
        """Records the request (or resumes it) and returns the steps left, in order."""
        now = self.clock()

        def work(conn: sqlite3.Connection) -> list[str]:
            row = conn.execute(
                "SELECT remaining, done_time FROM deletions WHERE user_id = ?", (user_id,)
            ).fetchone()
            if row is None:
                steps = [JOBS, IDENTITY]
                conn.execute(
                    "INSERT INTO deletions (user_id, request_time, remaining) VALUES (?,?,?)",
                    (user_id, now, json.dumps(steps)),
                )
                return steps
            if row["done_time"] is None:
                return list(json.loads(row["remaining"]))
            # Done before, asked again with a token that is still valid: the account is gone;
            # sweep the data services again for anything written with that token since.
            steps = [JOBS]
            conn.execute(
                "UPDATE deletions SET remaining = ?, done_time = NULL WHERE user_id = ?",
                (json.dumps(steps), user_id),
            )
            return steps

        return await self.db.transact(work)

    async def _step_done(self, user_id: str, step: str) -> None:
        def work(conn: sqlite3.Connection) -> None:
            row = conn.execute(
                "SELECT remaining FROM deletions WHERE user_id = ?", (user_id,)
            ).fetchone()
            if row is not None:
                left = [s for s in json.loads(row["remaining"]) if s != step]
                conn.execute(
                    "UPDATE deletions SET remaining = ? WHERE user_id = ?",
                    (json.dumps(left), user_id),
                )

        await self.db.transact(work)

    async def _failed(self, user_id: str, step: str, exc: BaseException) -> None:
        now = self.clock()
        if isinstance(exc, grpc.aio.AioRpcError):
            error = f"{step}: {exc.code().name}"
        elif isinstance(exc, DomainError):
            error = f"{step}: {exc.code.name} {exc.reason}"
        else:
            error = f"{step}: {type(exc).__name__}"
        log.warning("account deletion incomplete", extra={"user": user_id, "error": error})

        def work(conn: sqlite3.Connection) -> None:
            conn.execute(
                "UPDATE deletions SET attempts = attempts + 1, last_attempt_time = ?,"
                " last_error = ? WHERE user_id = ?",
                (now, error, user_id),
            )

        await self.db.transact(work)

    async def _finish(self, user_id: str) -> None:
        now = self.clock()

        def work(conn: sqlite3.Connection) -> None:
            conn.execute(
                "UPDATE deletions SET remaining = '[]', done_time = ?, last_attempt_time = ?,"
                " last_error = '' WHERE user_id = ?",
                (now, now, user_id),
            )

        await self.db.transact(work)

    async def purge_done(self) -> int:
        """Forgets deletions finished more than DONE_KEEP_SECONDS ago; how many."""
        before = self.clock() - DONE_KEEP_SECONDS

        def work(conn: sqlite3.Connection) -> int:
            cursor = conn.execute(
                "DELETE FROM deletions WHERE done_time IS NOT NULL AND done_time < ?", (before,)
            )
            return int(cursor.rowcount)

        return await self.db.transact(work)

    # -- the background retry -----------------------------------------------------------------

    async def retry_held(self) -> None:
        """One pass: retries each pending deletion whose user's token is still held and valid;
        drops the tokens that expired (those deletions wait for the user)."""
        now = self.clock()
        for user_id, held in list(self._held.items()):
            if held.expires <= now:
                self._held.pop(user_id, None)
                log.info("account deletion waits for the user", extra={"user": user_id})
                continue
            with suppress(DomainError):
                await self.delete(held.caller, held.backend)

    async def _retry_loop(self) -> None:
        while True:
            await asyncio.sleep(self.retry_interval)
            try:
                await self.retry_held()
                await self.purge_done()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("account deletion retry failed")
