"""What only the DynamoDB store has to get right: transient faults, and retention by TTL."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar

import pytest

from careervault.jobs.v1 import jobs_pb2 as pb
from careervault.runtime.errors import Unavailable
from careervault_jobs.domain import Jobs, PageTokens
from tests.support.moto import MotoServer

S = pb.JobApplication.Status


class _Throttling(BaseHTTPRequestHandler):
    """Speaks just enough of DynamoDB's JSON protocol to answer every call with throttling."""

    calls: ClassVar[int] = 0

    def do_POST(self) -> None:
        type(self).calls += 1
        self.rfile.read(int(self.headers.get("content-length", 0)))
        body = json.dumps(
            {
                "__type": "com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException",
                "message": "Rate of requests exceeds the allowed throughput.",
            }
        ).encode()
        self.send_response(400)
        self.send_header("content-type", "application/x-amz-json-1.0")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def throttling_endpoint() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Throttling)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    _Throttling.calls = 0
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


async def test_throttling_is_retried_then_reported_as_unavailable(
    throttling_endpoint: str, moto: MotoServer
) -> None:
    from careervault_jobs.dynamo_store import DynamoJobStore

    store = DynamoJobStore(
        "jobs",
        create_table=False,
        endpoint_url=throttling_endpoint,
        region="us-east-1",
        max_attempts=3,
    )
    jobs = Jobs(store, 60, PageTokens(b"k" * 32))
    with pytest.raises(Unavailable) as err:
        await jobs.get("u1", "jobs/" + "a" * 32)
    assert err.value.reason == "STORE_UNAVAILABLE"
    assert _Throttling.calls >= 3, "botocore retried with backoff before giving up"
    store.close()


async def test_closed_applications_expire_after_the_retention_period(moto: MotoServer) -> None:
    import uuid

    from careervault_jobs.dynamo_store import DynamoJobStore

    store = DynamoJobStore(
        f"jobs-{uuid.uuid4().hex[:8]}",
        create_table=True,
        endpoint_url=moto.endpoint,
        region="us-east-1",
        retention_seconds=30 * 86400,
    )
    # Written 40 days ago by the clock the domain uses.
    jobs = Jobs(store, 60, PageTokens(b"k" * 32), clock=lambda: 1_700_000_000.0)
    try:
        closed = await jobs.create(
            "u1", pb.JobApplication(company="Old", position="P", status=S.REJECTED), ""
        )
        still_open = await jobs.create("u1", pb.JobApplication(company="Open", position="P"), "")
        names = {j.name for j in await store.all_jobs("u1")}
        # DynamoDB's TTL deletes within days; until then the store hides expired items itself.
        assert names == {still_open.name}
        assert await store.get("u1", closed.name.removeprefix("jobs/")) is None
    finally:
        store.close()
