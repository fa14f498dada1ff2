"""Overload is answered, not queued forever; deadlines propagate, so abandoned work stops.

One stack of its own with small pools: extraction with one worker and a queue of one, ai with
one analysis thread and no queue. What the other suites already show is not repeated here:
a full extraction service answers 429 EXTRACTION_BUSY over REST at once
(tests/extraction/test_serving.py), a full ai service RESOURCE_EXHAUSTED AI_BUSY over gRPC
(tests/ai/test_service.py), a channel never gives a callee more time than its caller has
(tests/unit/test_channels.py). Here:

- the ai service's AI_BUSY is a 429 over REST too, with the JSON error and when to retry;
- an extraction whose deadline comes mid-document answers in time with the pages it read;
- the ai service hands its caller's remaining deadline to the extraction service it calls;
- an extraction whose caller goes away (a gRPC cancel, or an HTTP client that stops
  waiting, which Envoy turns into a reset stream) stops its worker before the next page, and
  keeps its place in the admission count until the worker is free.

Scanned pages take about 1-3 s each here: documents are long enough that an outcome never
depends on how fast the machine is, only on the order of events.
"""

from __future__ import annotations

import io
import threading
import time
import uuid
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import grpc
import httpx
import pymupdf as _pymupdf
import pytest

from careervault.ai.v1 import ai_pb2 as apb
from careervault.ai.v1 import ai_pb2_grpc
from careervault.extraction.v1 import extraction_pb2 as epb
from careervault.extraction.v1 import extraction_pb2_grpc
from gateway.render import RATE_LIMITS_OFF
from gateway.stack import Stack
from tests.support.clients import User, rich
from tests.support.documents import page_image, resume_pdf, resume_text
from tests.support.stack import log_records, own_stack, stack_user

pymupdf: Any = _pymupdf
OCR = epb.ExtractedDocument.OCR
TIMED_OUT = epb.ExtractedDocument.OCR_TIMED_OUT
JOB_DESCRIPTION = "Backend Engineer\n\nRequirements:\n- Python, Kubernetes and PostgreSQL.\n"


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    with own_stack(
        tmp_path_factory.mktemp("overload"),
        ("identity", "jobs", "extraction", "ai"),
        {
            **RATE_LIMITS_OFF,
            "CAREERVAULT_EXTRACTION_WORKERS": "1",
            "CAREERVAULT_EXTRACTION_QUEUE": "1",
            "CAREERVAULT_AI_WORKERS": "1",
            "CAREERVAULT_AI_QUEUE": "0",
        },
    ) as stack:
        yield stack


@pytest.fixture(scope="module")
def user(small: Stack) -> User:
    return stack_user(small, "Overload")


@pytest.fixture(scope="module")
def extraction(small: Stack) -> extraction_pb2_grpc.ExtractionServiceStub:
    channel = grpc.insecure_channel(
        small.grpc_target("extraction"),
        options=[("grpc.max_send_message_length", 16 * 1024 * 1024)],
    )
    return extraction_pb2_grpc.ExtractionServiceStub(channel)


def scanned_pdf(pages: int) -> bytes:
    """`pages` image-only pages (no text layer): every one goes through OCR."""
    jpeg = io.BytesIO()
    page_image(resume_pdf(), dpi=150).save(jpeg, "JPEG")
    out = pymupdf.open()
    for _ in range(pages):
        page = out.new_page()
        page.insert_image(page.rect, stream=jpeg.getvalue())
    data: bytes = out.tobytes()
    return data


def with_id(user: User) -> tuple[tuple[str, str], ...]:
    return (*user.metadata, ("x-request-id", uuid.uuid4().hex))


def records(stack: Stack, process: str, request_id: str) -> list[dict[str, Any]]:
    """The JSON log lines of one process for one request id."""
    return [r for r in log_records(stack, process, request_id) if r.get("request_id") == request_id]


def wait_for_record(
    stack: Stack, process: str, request_id: str, message: str, timeout: float
) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        found = [r for r in records(stack, process, request_id) if r["message"] == message]
        if found:
            return found[0]
        assert time.monotonic() < deadline, f"no {message!r} from {process} for {request_id}"
        time.sleep(0.1)


# -- the ai service's bounded pool over REST -------------------------------------------------


def test_a_full_ai_service_answers_429_over_rest_at_once(small: Stack, user: User) -> None:
    # One analysis thread, no queue: of calls that overlap, one runs and the others are
    # refused at once. Every resume line is new to the embedding cache, so each analysis
    # takes long enough (about a second here) for six calls started together to overlap.
    barrier = threading.Barrier(6)
    answers: list[httpx.Response] = []

    def one(i: int) -> None:
        fresh = "\n".join(
            f"- Led migration {i}.{k} ({uuid.uuid4().hex[:8]}) of service {k} to a new platform"
            for k in range(150)
        )
        body = {
            "resumeText": f"{resume_text(long=True)}\n{fresh}",
            "jobDescription": JOB_DESCRIPTION,
        }
        barrier.wait()
        answers.append(
            httpx.post(
                f"{small.url}/v1/resumes:analyze",
                json=body,
                headers=user.headers,
                timeout=60,
            )
        )

    threads = [threading.Thread(target=one, args=(i,)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    statuses = sorted(r.status_code for r in answers)
    assert 200 in statuses and 429 in statuses and set(statuses) <= {200, 429}, statuses
    refused = next(r for r in answers if r.status_code == 429)
    assert refused.headers["content-type"].startswith("application/json")
    body = refused.json()
    assert body["code"] == 8, body  # RESOURCE_EXHAUSTED
    info = next(d for d in body["details"] if d["@type"].endswith("google.rpc.ErrorInfo"))
    assert info["reason"] == "AI_BUSY" and int(info["metadata"]["retryAfterSeconds"]) > 0, info
    assert refused.headers["retry-after"] == info["metadata"]["retryAfterSeconds"]
    # Refused, not queued: the pool is free again once the running one is done.
    r = httpx.post(
        f"{small.url}/v1/resumes:analyze",
        json={"resumeText": resume_text(), "jobDescription": JOB_DESCRIPTION},
        headers=user.headers,
        timeout=60,
    )
    assert r.status_code == 200, r.text


# -- deadlines -------------------------------------------------------------------------------


def test_an_extraction_whose_deadline_comes_mid_document_answers_in_time(
    extraction: extraction_pb2_grpc.ExtractionServiceStub, user: User
) -> None:
    # Twenty scanned pages take far longer than 6 s (half a second a page would be fast): the
    # service stops OCR in time to answer (it keeps 1.5 s for that), with the pages it read,
    # or, when not even the first page fitted (a busy machine), with OCR_TIMEOUT. Never with
    # the caller's deadline passed, which a service ignoring it would run into.
    request = epb.ExtractDocumentRequest(content=scanned_pdf(20), filename="scan.pdf")
    try:
        doc = extraction.ExtractDocument(request, metadata=user.metadata, timeout=6.0)
    except grpc.RpcError as exc:
        err = rich(exc)
        assert (err.code, err.reason) == (grpc.StatusCode.RESOURCE_EXHAUSTED, "OCR_TIMEOUT"), err
        return
    methods = [p.method for p in doc.page_info]
    assert len(methods) == 20 and methods[0] == OCR and TIMED_OUT in methods, methods
    first = methods.index(TIMED_OUT)
    assert set(methods[first:]) == {TIMED_OUT}, methods
    assert any(w.startswith("The OCR time for this document ran out") for w in doc.warnings)


def test_the_ai_service_hands_its_remaining_deadline_to_extraction(
    small: Stack, user: User
) -> None:
    # With 2 s left, the extraction service called by ai sees at most that, keeps 1.5 s for
    # its answer and starts no OCR: RESOURCE_EXHAUSTED OCR_TIMEOUT, relayed by ai, in time.
    # (Given ai's own 90 s for extraction instead, it would read the pages and the caller
    # would get DEADLINE_EXCEEDED while the worker kept going.)
    ai = ai_pb2_grpc.AiServiceStub(
        grpc.insecure_channel(
            small.grpc_target("ai"), options=[("grpc.max_send_message_length", 16 * 1024 * 1024)]
        )
    )
    request = apb.AnalyzeResumeRequest(
        document=apb.Document(content=scanned_pdf(2), filename="scan.pdf"),
        job_description=JOB_DESCRIPTION,
    )
    metadata = with_id(user)
    with pytest.raises(grpc.RpcError) as info:
        ai.AnalyzeResume(request, metadata=metadata, timeout=2.0)
    err = rich(info.value)
    assert (err.code, err.reason) == (grpc.StatusCode.RESOURCE_EXHAUSTED, "OCR_TIMEOUT"), err
    request_id = metadata[-1][1]
    rpc = wait_for_record(small, "extraction", request_id, "rpc", timeout=10)
    assert rpc["code"] == "RESOURCE_EXHAUSTED", rpc


# -- abandoned work --------------------------------------------------------------------------


def test_an_abandoned_extraction_stops_its_worker_and_keeps_its_place_until_then(
    small: Stack, extraction: extraction_pb2_grpc.ExtractionServiceStub, user: User
) -> None:
    # A long scan, with all the time in the world; its caller goes away once it runs.
    metadata = with_id(user)
    request_id = metadata[-1][1]
    call = extraction.ExtractDocument.future(
        epb.ExtractDocumentRequest(content=scanned_pdf(16), filename="long.pdf"),
        metadata=metadata,
        timeout=300,
    )
    # The worker has started on it (its first page takes a second or more).
    time.sleep(1.0)
    call.cancel()
    wait_for_record(
        small,
        "extraction",
        request_id,
        "extraction abandoned by its caller; stopping its worker",
        timeout=10,
    )

    # Until the worker is free, the abandoned call still counts: one small document may wait
    # (the queue of one), the next is refused at once, unless the worker has already stopped.
    small_pdf = epb.ExtractDocumentRequest(content=resume_pdf(), filename="cv.pdf")
    waiting = extraction.ExtractDocument.future(small_pdf, metadata=user.metadata, timeout=60)
    sent = time.time()
    try:
        extraction.ExtractDocument(small_pdf, metadata=user.metadata, timeout=60)
        refused = None
    except grpc.RpcError as exc:
        refused = rich(exc)
    stopped = wait_for_record(
        small, "extraction", request_id, "abandoned extraction stopped", timeout=60
    )
    if refused is None:
        # Admitted: right only if the worker had stopped before it was sent (a page boundary
        # at that very moment). The log's clock has milliseconds.
        stopped_at = datetime.strptime(stopped["time"], "%Y-%m-%d %H:%M:%S,%f").timestamp()
        assert stopped_at <= sent + 0.001, "admitted while the abandoned call held the worker"
    else:
        assert (refused.code, refused.reason) == (
            grpc.StatusCode.RESOURCE_EXHAUSTED,
            "EXTRACTION_BUSY",
        ), refused

    # It stopped before the end: the pages after the one it was reading were not read (or,
    # on a machine too busy to have started it within the second, none was).
    if stopped["error"]:
        assert stopped["error"] in ("not started", "ABANDONED"), stopped
    else:
        assert stopped["ocr_pages_skipped"] > 0, stopped
        assert stopped["ocr_pages"] + stopped["ocr_pages_skipped"] == 16, stopped
    # And the worker serves the next call.
    assert waiting.result().pages == 1
    assert extraction.ExtractDocument(small_pdf, metadata=user.metadata, timeout=60).pages == 1


def test_a_rest_client_that_gives_up_stops_the_extraction_it_started(
    small: Stack, user: User
) -> None:
    # A browser closing the tab: the HTTP client stops waiting and closes its connection;
    # Envoy resets the gRPC stream, the service's call is cancelled, and its worker stops.
    def stopped() -> list[dict[str, Any]]:
        return log_records(small, "extraction", '"abandoned extraction stopped"')

    before = len(stopped())
    with pytest.raises(httpx.ReadTimeout):
        httpx.post(
            f"{small.url}/v1/documents:upload",
            content=scanned_pdf(16),
            params={"filename": "long.pdf"},
            headers={**user.headers, "content-type": "application/pdf"},
            timeout=httpx.Timeout(10.0, read=1.5),
        )
    deadline = time.monotonic() + 60
    while len(stopped()) == before:
        assert time.monotonic() < deadline, "the extraction went on after its client left"
        time.sleep(0.1)
    record = stopped()[before]
    if record["error"]:
        assert record["error"] in ("not started", "ABANDONED"), record
    else:
        assert record["ocr_pages_skipped"] > 0, record
    # The worker is free for the next caller.
    r = httpx.post(
        f"{small.url}/v1/documents:upload",
        content=resume_pdf(),
        headers={**user.headers, "content-type": "application/pdf"},
        timeout=60,
    )
    assert r.status_code == 200, r.text
