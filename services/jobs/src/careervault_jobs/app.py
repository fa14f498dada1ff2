"""Wiring: settings -> store -> domain -> servicer -> server."""

from __future__ import annotations

from contextlib import AsyncExitStack

import grpc

from careervault.jobs.v1 import jobs_pb2_grpc
from careervault.runtime.server import ServiceSpec
from careervault_jobs.domain import Jobs
from careervault_jobs.servicer import SERVICE, JobServicer
from careervault_jobs.settings import JobsSettings
from careervault_jobs.store import JobStore, SqliteJobStore


def open_store(settings: JobsSettings) -> JobStore:
    if settings.jobs_store == "dynamodb":
        raise SystemExit("CAREERVAULT_JOBS_STORE=dynamodb is not available in this build yet")
    return SqliteJobStore(settings.data_dir.resolve() / "jobs" / "jobs.db")


def build_spec(settings: JobsSettings) -> ServiceSpec:
    async def register(server: grpc.aio.Server, resources: AsyncExitStack) -> None:
        store = open_store(settings)
        resources.callback(store.close)
        jobs = Jobs(store, settings.request_id_ttl_days * 86400)
        jobs_pb2_grpc.add_JobServiceServicer_to_server(JobServicer(jobs), server)

    return ServiceSpec(name="jobs", full_names=[SERVICE], register=register)
