"""Prometheus metrics, scraped as Prometheus would from the running processes of the session's
stack (each service child serves /metrics on a port of its own, `Stack.metrics_url`).

Calls through the gateway are counted per gRPC method and status code in a latency histogram;
the extraction pool shows its queue; a Gemini outage (the stand-in answering 503, or not at
all) is counted as a fallback with its reason while the answer still comes, from the local
provider, within the caller's deadline; and Envoy's own statistics are at its admin endpoint.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import grpc
import httpx
import pytest
from google.protobuf import field_mask_pb2
from prometheus_client.parser import text_string_to_metric_families

from careervault.ai.v1 import ai_pb2 as pb
from careervault.ai.v1 import ai_pb2_grpc
from careervault.identity.v1 import identity_pb2 as idpb
from careervault.identity.v1 import identity_pb2_grpc
from gateway.stack import Child, Stack
from tests.support.clients import User, new_user
from tests.support.documents import resume_pdf, resume_text
from tests.support.fake_gemini import FakeGemini, Reply, gemini_ai_process

pytestmark = pytest.mark.integration

Labels = frozenset[tuple[str, str]]
GEMINI_TIMEOUT = 2.0  # seconds the spawned ai gives Gemini per call
DEADLINE = 20.0  # seconds the tests' analysis calls allow
JOB_TEXT = """Backend Engineer

Requirements:
- Python and PostgreSQL in production.
- Kubernetes is required.
"""


def scrape(url: str) -> dict[tuple[str, Labels], float]:
    """Every sample of one /metrics page: (name, labels) -> value."""
    r = httpx.get(url, timeout=5)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("text/plain")
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(r.text)
        for s in family.samples
    }


def value(samples: dict[tuple[str, Labels], float], name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


def rpc_count(samples: dict[tuple[str, Labels], float], method: str, code: str) -> float:
    service, _, name = method.rpartition("/")
    return value(
        samples,
        "careervault_grpc_server_handling_seconds_count",
        grpc_service=service,
        grpc_method=name,
        grpc_code=code,
    )


GET_JOB = "careervault.jobs.v1.JobService/GetJob"


def test_calls_are_counted_by_method_and_status_code(stack: Stack, alice: User) -> None:
    url = stack.metrics_url("jobs")
    with httpx.Client(base_url=stack.url, timeout=30, headers=alice.headers) as api:
        r = api.post("/v1/jobs", json={"company": "Metrics", "position": "Counted"})
        assert r.status_code == 200, r.text
        name = r.json()["name"]
        before = scrape(url)
        assert api.get(f"/v1/{name}").status_code == 200
        assert api.get(f"/v1/jobs/{uuid.uuid4().hex}").status_code == 404
    after = scrape(url)

    assert rpc_count(after, GET_JOB, "OK") == rpc_count(before, GET_JOB, "OK") + 1
    assert rpc_count(after, GET_JOB, "NOT_FOUND") == rpc_count(before, GET_JOB, "NOT_FOUND") + 1
    # A histogram: cumulative buckets up to +Inf, which equals the count.
    service, _, method = GET_JOB.rpartition("/")
    labels = {"grpc_service": service, "grpc_method": method, "grpc_code": "OK"}
    buckets = sorted(
        (float(dict(lbls)["le"]), v)
        for (n, lbls), v in after.items()
        if n == "careervault_grpc_server_handling_seconds_bucket"
        and {k: v for k, v in lbls if k != "le"} == labels
    )
    assert buckets[0][0] == 0.0005 and buckets[-1][0] == float("inf")
    assert [v for _, v in buckets] == sorted(v for _, v in buckets)
    assert buckets[-1][1] == rpc_count(after, GET_JOB, "OK")
    in_flight = "careervault_grpc_server_in_flight"
    assert value(after, in_flight, grpc_service=service, grpc_method=method) == 0
    assert value(after, "careervault_service_info", service="jobs", replica="0") == 1
    # Health checks (Envoy's, every few seconds) are not counted.
    assert not any("grpc.health" in str(lbls) for _, lbls in after)


def test_the_extraction_pool_shows_its_queue(stack: Stack, alice: User) -> None:
    url = stack.metrics_url("extraction")
    before = scrape(url)
    r = httpx.post(
        f"{stack.url}/v1/documents:upload?filename=cv.pdf",
        content=resume_pdf(),
        headers={**alice.headers, "content-type": "application/pdf"},
        timeout=60,
    )
    assert r.status_code == 200, r.text
    after = scrape(url)

    workers = value(after, "careervault_extraction_pool_workers")
    assert workers >= 1
    assert value(after, "careervault_extraction_pool_capacity") > workers  # + the queue
    assert value(after, "careervault_extraction_pool_in_flight") == 0  # nothing running now
    assert value(after, "careervault_extraction_pool_queued") == 0
    assert ("careervault_extraction_pool_rejections_total", frozenset()) in after
    upload = "careervault.extraction.v1.ExtractionService/UploadDocument"
    assert rpc_count(after, upload, "OK") == rpc_count(before, upload, "OK") + 1


def test_envoys_own_statistics_are_at_its_admin_endpoint(stack: Stack) -> None:
    r = httpx.get(f"{stack.admin_url}/stats/prometheus", timeout=5)
    assert r.status_code == 200
    families = {f.name for f in text_string_to_metric_families(r.text)}
    assert "envoy_cluster_upstream_rq" in families
    assert "envoy_http_downstream_rq" in families


# -- a Gemini outage -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeGemini]:
    with FakeGemini() as server:
        yield server


@pytest.fixture(scope="module")
def gemini_child(stack: Stack, fake: FakeGemini) -> Iterator[Child]:
    """An ai process configured for Gemini at the stand-in, beside the session's stack."""
    with gemini_ai_process(stack, fake, GEMINI_TIMEOUT, "ai-metrics") as child:
        yield child


@pytest.fixture(scope="module")
def consenting(identity: identity_pb2_grpc.IdentityServiceStub) -> User:
    user = new_user(identity, "Outage")
    identity.UpdateUser(
        idpb.UpdateUserRequest(
            user=idpb.User(name="users/me", external_ai_consent=True),
            update_mask=field_mask_pb2.FieldMask(paths=["external_ai_consent"]),
        ),
        metadata=user.metadata,
        timeout=10,
    )
    return user


@pytest.mark.parametrize(
    ("reply", "reason"),
    [(Reply.status(503), "http_503"), (Reply.hang(30), "timeout")],
    ids=["503", "hang"],
)
def test_a_gemini_outage_is_counted_and_answered_locally_within_the_deadline(
    stack: Stack,
    gemini_child: Child,
    fake: FakeGemini,
    consenting: User,
    reply: Reply,
    reason: str,
) -> None:
    fake.reset()
    fake.always(reply)
    url = stack.metrics_url(gemini_child.name)
    before = scrape(url)
    with grpc.insecure_channel(f"127.0.0.1:{gemini_child.port}") as channel:
        result = ai_pb2_grpc.AiServiceStub(channel).AnalyzeResume(
            # A job text unique to the call: the cache never answers instead.
            pb.AnalyzeResumeRequest(
                resume_text=resume_text(), job_description=f"{JOB_TEXT}\nRef {uuid.uuid4()}"
            ),
            metadata=consenting.metadata,
            timeout=DEADLINE,  # the answer came within it, or this raises DEADLINE_EXCEEDED
        )
    assert (result.provider.name, result.provider.fell_back) == ("local", True)
    assert fake.requests  # Gemini was asked
    after = scrape(url)

    def delta(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    fallbacks = "careervault_ai_fallbacks_total"
    assert delta(fallbacks, provider="gemini", reason=reason) == 1
    requests = "careervault_ai_provider_requests_total"
    assert delta(requests, provider="gemini", outcome="fallback") == 1
    assert delta(requests, provider="gemini", outcome="ok") == 0
    assert delta(requests, provider="local", outcome="ok") == 1
    analyze = "careervault.ai.v1.AiService/AnalyzeResume"
    assert rpc_count(after, analyze, "OK") == rpc_count(before, analyze, "OK") + 1
    assert delta("careervault_ai_cache_lookups_total", result="miss") == 1
