"""Wiring: settings -> store -> domain -> servicer -> server."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import secrets
from contextlib import AsyncExitStack
from pathlib import Path

import grpc

from careervault.jobs.v1 import jobs_pb2_grpc, user_data_pb2_grpc
from careervault.runtime.public import PUBLIC_METHODS
from careervault.runtime.server import ServiceSpec
from careervault_jobs.domain import Jobs, PageTokens
from careervault_jobs.servicer import SERVICE, JobServicer
from careervault_jobs.settings import JobsSettings
from careervault_jobs.sqlite_store import SqliteJobStore
from careervault_jobs.store import JobStore
from careervault_jobs.user_data import SERVICE as USER_DATA_SERVICE
from careervault_jobs.user_data import UserDataServicer

log = logging.getLogger(__name__)
SWEEP_INTERVAL = 3600.0


def open_store(settings: JobsSettings) -> JobStore:
    if settings.jobs_store == "dynamodb":
        from careervault_jobs.dynamo_store import DynamoJobStore

        return DynamoJobStore(
            settings.dynamodb_table,
            create_table=settings.dynamodb_create_table,
            endpoint_url=settings.dynamodb_endpoint or None,
            retention_seconds=settings.retention_days * 86400,
        )
    return SqliteJobStore(settings.data_dir.resolve() / "jobs" / "jobs.db")


def page_token_secret(settings: JobsSettings) -> bytes:
    configured = settings.page_token_secret.get_secret_value()
    if configured:
        return configured.encode()
    # Local mode: one key per data dir, shared by the replicas that share the dir.
    path: Path = settings.data_dir.resolve() / "jobs" / "page-token.key"
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(secrets.token_urlsafe(48))
        with contextlib.suppress(FileExistsError):
            os.link(tmp, path)
        tmp.unlink()
    return path.read_bytes().strip()


async def _sweep(jobs: Jobs, retention_days: int) -> None:
    """Deletes closed applications past retention (SQLite; DynamoDB expires them by TTL)."""
    while True:
        try:
            purged = await jobs.purge_closed(retention_days)
            if purged:
                log.info("retention sweep", extra={"purged": purged})
        except Exception:
            log.exception("retention sweep failed")
        await asyncio.sleep(SWEEP_INTERVAL)


def build_spec(settings: JobsSettings) -> ServiceSpec:
    async def register(server: grpc.aio.Server, resources: AsyncExitStack) -> None:
        store = open_store(settings)
        resources.callback(store.close)
        jobs = Jobs(
            store,
            settings.request_id_ttl_days * 86400,
            PageTokens(page_token_secret(settings)),
            import_max_bytes=settings.import_max_bytes,
            import_max_rows=settings.import_max_rows,
        )
        if settings.retention_days and settings.jobs_store == "sqlite":
            task = asyncio.get_running_loop().create_task(_sweep(jobs, settings.retention_days))
            resources.callback(task.cancel)
        jobs_pb2_grpc.add_JobServiceServicer_to_server(JobServicer(jobs), server)
        # Internal (identity -> jobs, for the account lifecycle); the gateway has no route to it.
        user_data_pb2_grpc.add_UserDataServiceServicer_to_server(UserDataServicer(store), server)

    return ServiceSpec(
        name="jobs",
        full_names=[SERVICE, USER_DATA_SERVICE],
        register=register,
        public_methods=PUBLIC_METHODS,
    )
