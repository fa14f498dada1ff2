"""The account lifecycle in the identity service against a real jobs server in this process:
durable pending deletions, retries with and without the user, sign-in of a pending account."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from careervault.jobs.v1 import jobs_pb2 as jpb
from careervault.runtime.errors import (
    DomainError,
    NotFound,
    Unauthenticated,
    Unavailable,
    Unimplemented,
)
from careervault.runtime.server import Service
from careervault_identity.backend import Caller, Tokens
from careervault_identity.keys import SigningKey
from careervault_identity.lifecycle import DONE_KEEP_SECONDS, AccountLifecycle
from careervault_jobs.app import build_spec
from careervault_jobs.settings import JobsSettings
from careervault_jobs.sqlite_store import SqliteJobStore
from careervault_jobs.store import Feed
from gateway.stack import free_port
from tests.support import tokens

ISSUER, CLIENT = "careervault-local", "careervault-web"


@dataclass
class FakeBackend:
    """The part of an identity backend the lifecycle uses; records what it was asked."""

    fail_with: DomainError | None = None
    deleted: list[str] = field(default_factory=list)
    gone: set[str] = field(default_factory=set)

    async def delete_account(self, caller: Caller) -> None:
        if self.fail_with is not None:
            raise self.fail_with
        if caller.user_id in self.gone:  # as Cognito says it; the local backend's way below
            raise NotFound("User not found.", reason="USER_NOT_FOUND")
        if caller.user_id.startswith("local-gone"):
            raise Unauthenticated("This account was deleted.", reason="USER_DELETED")
        self.deleted.append(caller.user_id)
        self.gone.add(caller.user_id)


@dataclass
class Env:
    tmp: Path
    key: SigningKey
    jobs_port: int
    jobs: Service | None = None

    def token(self, sub: str, ttl: int = 600) -> str:
        now = int(time.time())
        return tokens.sign(
            tokens.claims(sub, ISSUER, CLIENT, exp=now + ttl),
            self.key.private_pem.decode(),
            self.key.kid,
        )

    def caller(self, sub: str, ttl: int = 600) -> Caller:
        return Caller(sub, self.token(sub, ttl))

    async def start_jobs(self) -> None:
        settings = JobsSettings(
            data_dir=self.tmp,
            host="127.0.0.1",
            port=self.jobs_port,
            jwks_url=(self.tmp / "keys" / "jwks.json").as_uri(),
        )
        self.jobs = Service(build_spec(settings), settings)
        await self.jobs.start()

    async def stop_jobs(self) -> None:
        if self.jobs is not None:
            await self.jobs.stop()
            self.jobs = None

    def store(self) -> SqliteJobStore:
        return SqliteJobStore(self.tmp / "jobs" / "jobs.db")


@pytest.fixture
async def env(tmp_path: Path) -> AsyncIterator[Env]:
    e = Env(tmp_path, SigningKey.load_or_create(tmp_path / "keys"), free_port())
    yield e
    await e.stop_jobs()


async def seed(env: Env, user: str, n: int = 2) -> None:
    store = env.store()
    try:
        for i in range(n):
            job = jpb.JobApplication(name=f"jobs/{user}-{i}", company=f"Co {i}", position="SRE")
            job.status_history.add(status=jpb.JobApplication.Status.APPLIED)
            await store.create(user, job, "", 60)
        await store.put_feed(user, Feed(f"{user}-secret".ljust(43, "x"), 1.0))
    finally:
        store.close()


async def count(env: Env, user: str) -> int:
    store = env.store()
    try:
        return len(await store.all_jobs(user))
    finally:
        store.close()


async def test_delete_erases_jobs_then_the_account_and_a_repeat_is_harmless(env: Env) -> None:
    await env.start_jobs()
    await seed(env, "u1")
    await seed(env, "u2")
    backend = FakeBackend()
    life = AccountLifecycle(f"127.0.0.1:{env.jobs_port}", env.tmp)
    try:
        exported = await life.export(env.caller("u1"))
        assert [j["company"] for j in exported["jobs"]["jobs"]] == ["Co 0", "Co 1"]
        assert exported["jobs"]["jobs"][0]["statusHistory"][0]["status"] == "APPLIED"
        assert "createTime" in exported["jobs"]["calendarFeed"]
        assert "secret" not in str(exported)

        await life.delete(env.caller("u1"), backend)  # type: ignore[arg-type]
        assert backend.deleted == ["u1"]
        assert await count(env, "u1") == 0 and await count(env, "u2") == 2
        assert not await life.is_pending("u1") and await life.pending() == []

        # The same (still valid) token again: jobs swept again, the backend not asked again.
        await seed(env, "u1", 1)  # written with the old token after the erasure
        await life.delete(env.caller("u1"), backend)  # type: ignore[arg-type]
        assert backend.deleted == ["u1"] and await count(env, "u1") == 0
        assert await life.export(env.caller("u1")) == {"jobs": {"jobs": []}}
    finally:
        await life.aclose()


async def test_jobs_down_leaves_a_pending_record_and_the_held_token_finishes_it(
    env: Env,
) -> None:
    await seed(env, "u1")
    backend = FakeBackend()
    life = AccountLifecycle(f"127.0.0.1:{env.jobs_port}", env.tmp)
    try:
        with pytest.raises(Unavailable) as err:
            await life.delete(env.caller("u1"), backend)  # type: ignore[arg-type]
        assert err.value.reason == "SERVICE_UNAVAILABLE"
        [pending] = await life.pending()
        assert (pending.user_id, pending.remaining, pending.attempts) == (
            "u1",
            ("jobs", "identity"),
            1,
        )
        assert pending.last_error == "jobs: UNAVAILABLE"
        assert await life.is_pending("u1") and backend.deleted == []

        await life.retry_held()  # still down: stays pending, token still held
        assert (await life.pending())[0].attempts == 2

        await env.start_jobs()
        await life.retry_held()
        assert await life.pending() == [] and backend.deleted == ["u1"]
        assert await count(env, "u1") == 0
    finally:
        await life.aclose()


async def test_after_the_token_expired_the_deletion_waits_for_the_user(env: Env) -> None:
    await seed(env, "u1")
    backend = FakeBackend()
    life = AccountLifecycle(f"127.0.0.1:{env.jobs_port}", env.tmp)
    try:
        with pytest.raises(Unavailable):
            await life.delete(env.caller("u1", ttl=1), backend)  # type: ignore[arg-type]
        await env.start_jobs()
        life.clock = lambda: time.time() + 5  # the held token has expired
        await life.retry_held()
        assert await life.is_pending("u1") and await count(env, "u1") == 2
        life.clock = time.time
        # The user retries DeleteUser with a fresh token: it resumes and finishes.
        await life.delete(env.caller("u1"), backend)  # type: ignore[arg-type]
        assert not await life.is_pending("u1") and backend.deleted == ["u1"]
    finally:
        await life.aclose()


async def test_a_failing_identity_step_keeps_only_that_step_pending(env: Env) -> None:
    await env.start_jobs()
    await seed(env, "u1")
    backend = FakeBackend(fail_with=Unimplemented("Account deletion is not available yet."))
    life = AccountLifecycle(f"127.0.0.1:{env.jobs_port}", env.tmp)
    try:
        with pytest.raises(Unimplemented):
            await life.delete(env.caller("u1"), backend)  # type: ignore[arg-type]
        [pending] = await life.pending()
        assert pending.remaining == ("identity",) and await count(env, "u1") == 0
        backend.fail_with = None
        backend.gone.add("u1")  # e.g. it was deleted, and the process died before recording it
        await life.delete(env.caller("u1"), backend)  # type: ignore[arg-type]
        assert await life.pending() == []
        # The local backend answers USER_DELETED for an account that is gone: done too.
        backend.fail_with = Unimplemented("again")
        with pytest.raises(Unimplemented):
            await life.delete(env.caller("local-gone-1"), backend)  # type: ignore[arg-type]
        backend.fail_with = None
        await life.delete(env.caller("local-gone-1"), backend)  # type: ignore[arg-type]
        assert await life.pending() == []
        # Any other refusal keeps the step pending.
        backend.fail_with = Unauthenticated("Session ended.", reason="TOKEN_REVOKED")
        with pytest.raises(Unauthenticated):
            await life.delete(env.caller("u3"), backend)  # type: ignore[arg-type]
        assert [p.remaining for p in await life.pending()] == [("identity",)]
    finally:
        await life.aclose()


async def test_signing_in_to_a_pending_account_finishes_the_deletion(env: Env) -> None:
    await seed(env, "u1")
    backend = FakeBackend()
    life = AccountLifecycle(f"127.0.0.1:{env.jobs_port}", env.tmp)
    try:
        fresh = Tokens(env.token("u1"), "id", "refresh", 900)
        await life.check_sign_in(fresh, backend)  # type: ignore[arg-type]  # nothing pending
        with pytest.raises(Unavailable):
            await life.delete(env.caller("u1"), backend)  # type: ignore[arg-type]

        # Jobs still down: no tokens.
        with pytest.raises(Unavailable) as err:
            await life.check_sign_in(fresh, backend)  # type: ignore[arg-type]
        assert err.value.reason == "ACCOUNT_DELETION_PENDING"
        assert await life.is_pending("u1")

        await env.start_jobs()
        with pytest.raises(Unauthenticated) as denied:
            await life.check_sign_in(Tokens(env.token("u1"), "id", "r2", 900), backend)  # type: ignore[arg-type]
        assert denied.value.reason == "ACCOUNT_DELETED"
        assert backend.deleted == ["u1"] and await count(env, "u1") == 0
        assert not await life.is_pending("u1")
    finally:
        await life.aclose()


async def test_the_record_survives_a_restart_and_done_records_are_purged(env: Env) -> None:
    backend = FakeBackend()
    life = AccountLifecycle(f"127.0.0.1:{env.jobs_port}", env.tmp)
    with pytest.raises(Unavailable):
        await life.delete(env.caller("u1"), backend)  # type: ignore[arg-type]
    await life.aclose()

    again = AccountLifecycle(f"127.0.0.1:{env.jobs_port}", env.tmp)
    try:
        assert await again.is_pending("u1")
        await again.retry_held()  # a new process holds no token: nothing to do without the user
        assert await again.is_pending("u1")
        await env.start_jobs()
        await again.delete(env.caller("u1"), backend)  # type: ignore[arg-type]
        assert await again.purge_done() == 0, "kept while tokens of the user may still be valid"
        again.clock = lambda: time.time() + DONE_KEEP_SECONDS + 1
        assert await again.purge_done() == 1
    finally:
        await again.aclose()


async def test_the_background_task_retries_by_itself(env: Env) -> None:
    await seed(env, "u1")
    backend = FakeBackend()
    async with AccountLifecycle(f"127.0.0.1:{env.jobs_port}", env.tmp, retry_interval=0.1) as life:
        with pytest.raises(Unavailable):
            await life.delete(env.caller("u1"), backend)  # type: ignore[arg-type]
        await env.start_jobs()
        deadline = time.monotonic() + 10
        while await life.is_pending("u1"):
            assert time.monotonic() < deadline, "the background retry did not finish it"

            await asyncio.sleep(0.05)
        assert backend.deleted == ["u1"] and await count(env, "u1") == 0
