"""Tracing across the mesh, with a stack of its own whose processes export to a real OTLP/HTTP
receiver (tests/support/otlp.py): Envoy (its OpenTelemetry tracer) and the four services (the
Python SDK) post their spans there, as they would to a collector.

One resume analysis sent over REST through Envoy, with a file (so ai asks extraction) and a
saved job with `save` (so ai reads and updates it in jobs), is one trace: Envoy's span is the
root, ai's server span its child, and each call ai makes is a client span whose child is the
server span of the service it reached. A client's own `traceparent` is continued, a service's
JSON log line of a traced call carries the span's ids, and the session's stack, which has no
OTEL_* setting, traces nothing and installs no tracing interceptor.
"""

from __future__ import annotations

import base64
import json
import os
import secrets
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from gateway import render
from gateway.stack import Stack
from tests.support.clients import User
from tests.support.documents import resume_pdf
from tests.support.otlp import OtlpReceiver, Span
from tests.support.stack import log_records, own_stack, stack_user

pytestmark = pytest.mark.integration

SERVICES = ("identity", "jobs", "extraction", "ai")
JOB_DESCRIPTION = """Senior Backend Engineer

Requirements:
- 5+ years of building backend services in Python.
- Kubernetes and PostgreSQL in production.
"""
OTEL_ENDPOINT_VARIABLES = ("OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")


@pytest.fixture(scope="module")
def otlp() -> Iterator[OtlpReceiver]:
    with OtlpReceiver() as receiver:
        yield receiver


@pytest.fixture(scope="module")
def traced(otlp: OtlpReceiver, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    with own_stack(
        tmp_path_factory.mktemp("traced"),
        SERVICES,
        {
            "OTEL_EXPORTER_OTLP_ENDPOINT": otlp.url,
            # Exported within a tenth of a second (Envoy follows the same variable).
            "OTEL_BSP_SCHEDULE_DELAY": "100",
            # Whatever this shell says otherwise.
            "OTEL_SDK_DISABLED": "false",
            "OTEL_TRACES_EXPORTER": "otlp",
            "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "",
            "OTEL_SERVICE_NAME": "",
            "OTEL_TRACES_SAMPLER": "parentbased_always_on",
            "CAREERVAULT_GATEWAY_AUTH_RATE_LIMIT": "0",
        },
    ) as stack:
        yield stack


@pytest.fixture(scope="module")
def api(traced: Stack) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=traced.url, timeout=60) as client:
        yield client


@pytest.fixture(scope="module")
def user(traced: Stack) -> User:
    return stack_user(traced, "Traced")


@pytest.fixture(scope="module")
def job(api: httpx.Client, user: User) -> dict[str, Any]:
    r = api.post(
        "/v1/jobs",
        json={"company": "Initech", "position": "Backend", "jobDescription": JOB_DESCRIPTION},
        headers=user.headers,
    )
    assert r.status_code == 200, r.text
    created: dict[str, Any] = r.json()
    return created


def traceparent() -> tuple[str, str, str]:
    """A client's own W3C trace context: (header, trace id, span id), sampled."""
    trace_id, span_id = secrets.token_hex(16), secrets.token_hex(8)
    return f"00-{trace_id}-{span_id}-01", trace_id, span_id


def one(spans: list[Span], **match: str) -> Span:
    found = [s for s in spans if all(getattr(s, k) == v for k, v in match.items())]
    assert len(found) == 1, f"{len(found)} spans match {match}: {found}"
    return found[0]


def rpc_log_line(stack: Stack, service: str, text: str, timeout: float = 5.0) -> dict[str, Any]:
    """The `rpc` line of `service`'s log that contains `text` (a trace or request id). Polled:
    an error's status reaches the caller (abort sends it) before the line is written."""
    deadline = time.monotonic() + timeout
    while True:
        for record in log_records(stack, service, text):
            if record.get("message") == "rpc":
                return record
        if time.monotonic() > deadline:
            raise AssertionError(f"no rpc log line of {service} contains {text}")
        time.sleep(0.05)


def test_one_analysis_is_one_trace_from_envoy_through_ai_to_extraction_and_jobs(
    traced: Stack, otlp: OtlpReceiver, api: httpx.Client, user: User, job: dict[str, Any]
) -> None:
    r = api.post(
        "/v1/resumes:analyze",
        json={
            "document": {
                "content": base64.b64encode(resume_pdf()).decode(),
                "filename": "resume.pdf",
            },
            "job": job["name"],
            "save": True,
        },
        headers=user.headers,
    )
    assert r.status_code == 200, r.text
    request_id = r.headers["x-request-id"]

    def analysis(spans: list[Span]) -> Span | None:
        for s in spans:
            ours = s.attributes.get("careervault.request_id") == request_id
            if ours and (s.service, s.kind) == ("careervault-ai", "SERVER"):
                return s
        return None

    ai_span = analysis(otlp.wait_for(lambda spans: analysis(spans) is not None))
    assert ai_span is not None
    trace_id = ai_span.trace_id
    # Envoy, ai, and three calls of ai each seen from both ends.
    spans = otlp.wait_for(lambda spans: sum(s.trace_id == trace_id for s in spans) >= 8)
    spans = [s for s in spans if s.trace_id == trace_id]

    root = one(spans, parent_span_id="")
    assert (root.service, root.kind) == ("careervault-gateway", "SERVER")
    assert root.name == "careervault.ai.v1.AiService.AnalyzeResume"
    assert root.attributes["http.status_code"] == "200"
    assert root.user_agent.startswith("OTel-OTLP-Exporter-Envoy")

    assert ai_span.parent_span_id == root.span_id
    assert (ai_span.service, ai_span.name) == (
        "careervault-ai",
        "careervault.ai.v1.AiService/AnalyzeResume",
    )
    assert ai_span.user_agent.startswith("OTel-OTLP-Exporter-Python")

    calls = {
        "careervault.extraction.v1.ExtractionService/ExtractDocument": "careervault-extraction",
        "careervault.jobs.v1.JobService/GetJob": "careervault-jobs",
        "careervault.jobs.v1.JobService/UpdateJob": "careervault-jobs",
    }
    for method, callee in calls.items():
        client = one(spans, name=f"/{method}", kind="CLIENT")
        assert (client.service, client.parent_span_id) == ("careervault-ai", ai_span.span_id)
        server = one(spans, name=method, kind="SERVER")
        assert (server.service, server.parent_span_id) == (callee, client.span_id)
        assert server.attributes["rpc.grpc.status_code"] == 0
        assert server.attributes["careervault.request_id"] == request_id
    assert len(spans) == 2 + 2 * len(calls), [f"{s.service} {s.name}" for s in spans]

    # Each process says who it is.
    for s in spans:
        if s.service == "careervault-gateway":
            continue
        service = s.service.removeprefix("careervault-")
        assert s.resource["service.namespace"] == "careervault"
        assert s.resource["service.instance.id"] == traced.grpc_target(service)
        assert s.resource["careervault.replica"] == 0
        assert s.status_code != 2  # not an error


def test_a_clients_traceparent_is_continued_and_the_rpc_log_line_carries_the_ids(
    traced: Stack, otlp: OtlpReceiver, api: httpx.Client, user: User, job: dict[str, Any]
) -> None:
    header, trace_id, client_span = traceparent()
    r = api.get(f"/v1/{job['name']}", headers={**user.headers, "traceparent": header})
    assert r.status_code == 200, r.text

    spans = otlp.wait_for(lambda spans: sum(s.trace_id == trace_id for s in spans) >= 2)
    spans = [s for s in spans if s.trace_id == trace_id]
    gateway = one(spans, service="careervault-gateway")
    assert gateway.parent_span_id == client_span
    assert gateway.name == "careervault.jobs.v1.JobService.GetJob"
    assert gateway.attributes["http.status_code"] == "200"
    served = one(spans, service="careervault-jobs")
    assert (served.kind, served.name) == ("SERVER", "careervault.jobs.v1.JobService/GetJob")
    assert served.parent_span_id == gateway.span_id

    record = rpc_log_line(traced, "jobs", trace_id)
    assert record["trace_id"] == trace_id
    assert record["span_id"] == served.span_id
    assert record["request_id"] == r.headers["x-request-id"]
    assert record["method"] == "/careervault.jobs.v1.JobService/GetJob"


def test_an_error_is_recorded_with_its_code_on_both_sides(
    otlp: OtlpReceiver, api: httpx.Client, user: User
) -> None:
    header, trace_id, _ = traceparent()
    r = api.get(
        f"/v1/jobs/{secrets.token_hex(16)}", headers={**user.headers, "traceparent": header}
    )
    assert r.status_code == 404, r.text
    spans = otlp.wait_for(lambda spans: sum(s.trace_id == trace_id for s in spans) >= 2)
    served = one(spans, trace_id=trace_id, service="careervault-jobs")
    assert served.attributes["rpc.grpc.status_code"] == 5  # NOT_FOUND
    assert served.status_code == 0  # the caller's mistake: not an error of the server's
    gateway = one(spans, trace_id=trace_id, service="careervault-gateway")
    assert gateway.attributes["http.status_code"] == "404"


def test_without_otel_settings_nothing_is_traced(stack: Stack, alice: User) -> None:
    """The session's stack (no OTEL_* variables): Envoy has no tracer and no collector
    cluster, and the services log no trace ids even for a call that carries a client's
    traceparent (tests/unit/test_telemetry.py: they install no tracing interceptor)."""
    if any(os.environ.get(v) for v in OTEL_ENDPOINT_VARIABLES):
        pytest.skip("this shell sets an OTLP endpoint, so the session's stack traces")
    config = json.loads(Path(stack.envoy_config).read_text())
    hcm = config["static_resources"]["listeners"][0]["filter_chains"][0]["filters"][0]
    assert "tracing" not in hcm["typed_config"]
    clusters = {c["name"] for c in config["static_resources"]["clusters"]}
    assert render.OTLP_CLUSTER not in clusters

    header, trace_id, _ = traceparent()
    missing = f"{stack.url}/v1/jobs/{secrets.token_hex(16)}"
    r = httpx.get(missing, headers={**alice.headers, "traceparent": header}, timeout=10)
    assert r.status_code == 404, r.text  # answered by the jobs service
    record = rpc_log_line(stack, "jobs", r.headers["x-request-id"])
    assert record["code"] == "NOT_FOUND"
    assert "trace_id" not in record and "span_id" not in record
    for service in SERVICES:
        text = (stack.logs_dir / f"{service}.log").read_text(errors="replace")
        assert '"trace_id"' not in text and trace_id not in text
