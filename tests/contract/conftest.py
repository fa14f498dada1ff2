"""The job store contract runs against every store: SQLite on a temp file, and DynamoDB on a
real moto server started for the session (no patching of boto3)."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from careervault_jobs.domain import Jobs, PageTokens
from careervault_jobs.sqlite_store import SqliteJobStore
from careervault_jobs.store import JobStore
from tests.support.moto import MotoServer, dynamo_env


@pytest.fixture(scope="session")
def moto() -> Iterator[MotoServer]:
    with MotoServer() as server:
        saved = {k: os.environ.get(k) for k in dynamo_env(server.endpoint)}
        os.environ.update(dynamo_env(server.endpoint))
        try:
            yield server
        finally:
            for k, v in saved.items():
                if v is None:
                    os.environ.pop(k, None)
                else:
                    os.environ[k] = v


@pytest.fixture(params=["sqlite", "dynamodb"])
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[JobStore]:
    if request.param == "sqlite":
        s: JobStore = SqliteJobStore(tmp_path / "jobs.db")
    else:
        from careervault_jobs.dynamo_store import DynamoJobStore

        server: MotoServer = request.getfixturevalue("moto")
        # A table per test keeps tests independent without resetting the whole server.
        s = DynamoJobStore(
            f"jobs-{uuid.uuid4().hex[:8]}",
            create_table=True,
            endpoint_url=server.endpoint,
            region="us-east-1",
        )
    yield s
    s.close()


@pytest.fixture
def jobs(store: JobStore) -> Jobs:
    return Jobs(store, 3600, PageTokens(b"contract-test-secret-0123456789abcdef"))
