"""Serving documents: the raw upload route, body limits and busy answers through Envoy, OCR
time budgets, the worker memory cap, multi-page TIFFs and OCR languages.

Most tests use the session's stack; the budget, memory and busy tests need settings of their
own, so a second small stack (one worker, a queue of one, a 5 s OCR budget, a 320 MiB worker
cap, English, German, French and Spanish OCR) is started for them.
"""

from __future__ import annotations

import base64
import io
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import grpc
import httpx
import pymupdf as _pymupdf
import pytest
from PIL import Image
from pydantic import ValidationError

from careervault.extraction.v1 import extraction_pb2 as pb
from careervault.extraction.v1 import extraction_pb2_grpc
from careervault_extraction.settings import ExtractionSettings
from gateway import render
from gateway.stack import Stack, free_port
from tests.extraction.test_extraction import assert_resume, single_column_pdf, two_column_pdf
from tests.support.clients import User, rest_sign_up, rich
from tests.support.stack import own_stack

pytestmark = pytest.mark.integration
pymupdf: Any = _pymupdf
MIB = 1024 * 1024
M = pb.ExtractedDocument
GERMAN = "Berufserfahrung\nMüller Straße 12, 80331 München\nGeschäftsführer der Bäckerei"


# --- documents the tests build ---------------------------------------------------------------


def text_page(text: str, fontsize: float = 14) -> Any:
    doc = pymupdf.open()
    page = doc.new_page()
    page.insert_textbox(pymupdf.Rect(72, 72, 540, 770), text, fontsize=fontsize)
    return doc


def scan(text: str, dpi: int = 200) -> Image.Image:
    """A page of `text` as a grayscale scan."""
    pix = text_page(text)[0].get_pixmap(dpi=dpi, colorspace=pymupdf.csGRAY)
    return Image.frombytes("L", (pix.width, pix.height), pix.samples)


def png(image: Image.Image) -> bytes:
    buf = io.BytesIO()
    image.save(buf, "PNG")
    return buf.getvalue()


def tiff(frames: list[Image.Image]) -> bytes:
    buf = io.BytesIO()
    frames[0].save(buf, "TIFF", save_all=True, append_images=frames[1:], compression="tiff_lzw")
    return buf.getvalue()


def scanned_pdf(pages: int) -> bytes:
    """`pages` pages that are only images (no text layer), so each one goes through OCR."""
    source = pymupdf.open(stream=single_column_pdf(), filetype="pdf")
    image = source[0].get_pixmap(dpi=150, colorspace=pymupdf.csGRAY).tobytes("jpg")
    out = pymupdf.open()
    for _ in range(pages):
        page = out.new_page()
        page.insert_image(page.rect, stream=image)
    data: bytes = out.tobytes()
    return data


# --- clients -----------------------------------------------------------------------------------


def bearer(user: User) -> dict[str, str]:
    return dict(user.metadata)


def upload(
    url: str,
    auth: dict[str, str],
    body: bytes,
    filename: str = "",
    content_type: str = "application/octet-stream",
    timeout: float = 60,
) -> httpx.Response:
    params = {"filename": filename} if filename else None
    return httpx.post(
        f"{url}/v1/documents:upload",
        content=body,
        params=params,
        headers={**auth, "content-type": content_type},
        timeout=timeout,
    )


def error(r: httpx.Response, status: int) -> dict[str, Any]:
    assert r.status_code == status, r.text[:500]
    assert r.headers["content-type"].startswith("application/json"), r.headers
    body: dict[str, Any] = r.json()
    assert isinstance(body["code"], int) and body["message"]
    return body


def reason(body: dict[str, Any]) -> str:
    for d in body.get("details", []):
        if d["@type"].endswith("google.rpc.ErrorInfo"):
            return str(d["reason"])
    return ""


def rest_user(url: str) -> dict[str, str]:
    with httpx.Client(base_url=url, timeout=10) as api:
        return rest_sign_up(api, "Serving")[1]


# --- the raw upload route ----------------------------------------------------------------------


def test_raw_upload_reads_the_body_as_the_file(stack: Stack, alice: User) -> None:
    r = upload(stack.url, bearer(alice), two_column_pdf(), "cv.pdf", "application/pdf")
    assert r.status_code == 200, r.text
    doc = r.json()
    assert doc["detectedType"] == "application/pdf" and doc["pages"] == 1
    assert {"EXPERIENCE", "EDUCATION", "SKILLS"} <= {s["kind"] for s in doc["sections"]}
    assert doc["contact"]["email"] == "jane.doe@example.com"
    # The same answer as the base64 route gives for the same file.
    r2 = httpx.post(
        f"{stack.url}/v1/documents:extract",
        json={"content": base64.b64encode(two_column_pdf()).decode(), "filename": "cv.pdf"},
        headers=bearer(alice),
        timeout=30,
    )
    assert r2.status_code == 200, r2.text
    assert r2.json() == doc


def test_raw_upload_checks_name_type_and_emptiness(stack: Stack, alice: User) -> None:
    auth = bearer(alice)
    pdf = two_column_pdf()
    assert reason(error(upload(stack.url, auth, pdf, "cv.docx"), 400)) == "TYPE_MISMATCH"
    body = error(upload(stack.url, auth, pdf, "cv", "image/png"), 400)
    assert reason(body) == "TYPE_MISMATCH" and "image/png" in body["message"]
    assert reason(error(upload(stack.url, auth, b"", "cv.pdf"), 400)) == "EMPTY_FILE"
    # No token, no extraction; an unknown query parameter is refused, not ignored.
    assert upload(stack.url, {}, pdf, "cv.pdf").status_code == 401
    r = httpx.post(
        f"{stack.url}/v1/documents:upload?filename=cv.pdf&bogus=1",
        content=pdf,
        headers={**auth, "content-type": "application/pdf"},
        timeout=10,
    )
    error(r, 400)


def test_raw_upload_of_a_scan(stack: Stack, alice: User) -> None:
    image = scan(f"{single_column_text()}")
    r = upload(stack.url, bearer(alice), png(image), "scan.png", "image/png")
    assert r.status_code == 200, r.text
    doc = r.json()
    assert doc["pageInfo"][0]["method"] == "OCR"
    assert "Acme Corp" in doc["text"]


def single_column_text() -> str:
    doc = pymupdf.open(stream=single_column_pdf(), filetype="pdf")
    text: str = doc[0].get_text()
    return text


def test_body_limits_10_mib_raw_passes_and_more_is_413(stack: Stack, alice: User) -> None:
    auth = bearer(alice)
    pdf = two_column_pdf()
    # A PDF padded with a trailing comment to exactly 10 MiB: the largest raw upload.
    exact = pdf + b"\n%" + b"x" * (10 * MIB - len(pdf) - 3) + b"\n"
    assert len(exact) == 10 * MIB
    r = upload(stack.url, auth, exact, "cv.pdf", "application/pdf")
    assert r.status_code == 200, r.text[:500]
    assert "Acme Corp" in r.json()["text"]
    # One byte more: Envoy answers 413 as JSON (RESOURCE_EXHAUSTED), the service never sees it.
    body = error(upload(stack.url, auth, exact + b"x", "cv.pdf", "application/pdf"), 413)
    assert body["code"] == 8 and "too large" in body["message"]
    # The base64 route: over its own (larger) limit, the same JSON 413.
    big = {"content": base64.b64encode(b"a" * (11 * MIB)).decode(), "filename": "cv.txt"}
    r = httpx.post(f"{stack.url}/v1/documents:extract", json=big, headers=auth, timeout=30)
    assert error(r, 413)["code"] == 8
    # Between the file limit and the base64 body limit the service answers FILE_TOO_LARGE.
    over = {"content": base64.b64encode(b"a" * (10 * MIB + 1)).decode(), "filename": "cv.txt"}
    r = httpx.post(f"{stack.url}/v1/documents:extract", json=over, headers=auth, timeout=30)
    assert reason(error(r, 400)) == "FILE_TOO_LARGE"


def test_the_raw_route_has_the_file_limit_and_only_it() -> None:
    cfg = render.GatewayConfig.from_env(
        {"CAREERVAULT_GATEWAY_SERVICES": "identity,jobs,extraction"},
        cwd=render.REPO_ROOT,
    )
    assert cfg.max_raw_upload_bytes == 10 * MIB
    config = render.render(cfg, check_jwks=False)
    hcm = config["static_resources"]["listeners"][0]["filter_chains"][0]["filters"][0]
    routes = hcm["typed_config"]["route_config"]["virtual_hosts"][0]["routes"]
    by_name = {r["name"]: r for r in routes}
    upload_route = by_name["careervault.extraction.v1.ExtractionService.UploadDocument"]
    extract_route = by_name["careervault.extraction.v1.ExtractionService.ExtractDocument"]
    off = {k for k, v in upload_route["typed_per_filter_config"].items() if v.get("disabled")}
    assert render.RAW_UPLOAD_LIMIT_FILTER not in off
    assert {render.BODY_LIMIT_FILTER, render.UPLOAD_LIMIT_FILTER} <= off
    off = {k for k, v in extract_route["typed_per_filter_config"].items() if v.get("disabled")}
    assert render.UPLOAD_LIMIT_FILTER not in off
    # The raw limit follows the extraction service's file limit unless set on its own.
    env = {"CAREERVAULT_EXTRACTION_MAX_BYTES": str(5 * MIB)}
    assert render.GatewayConfig.from_env(env, cwd=render.REPO_ROOT).max_raw_upload_bytes == (
        5 * MIB
    )


# --- multi-page TIFF, languages ----------------------------------------------------------------


def test_multi_page_tiff_reads_every_frame(stack: Stack, alice: User) -> None:
    frames = [scan(f"Page {n}\n{text}") for n, text in enumerate(("EXPERIENCE", "EDUCATION"), 1)]
    frames.append(scan("SKILLS\nPython, Go, Kubernetes"))
    r = upload(stack.url, bearer(alice), tiff(frames), "scan.tiff", "image/tiff")
    assert r.status_code == 200, r.text
    doc = r.json()
    assert doc["pages"] == 3 and doc["detectedType"] == "image/tiff"
    assert [p["number"] for p in doc["pageInfo"]] == [1, 2, 3]
    assert all(p["method"] == "OCR" and p["ocrConfidence"] > 60 for p in doc["pageInfo"])
    text = doc["text"]
    assert text.index("EXPERIENCE") < text.index("EDUCATION") < text.index("Kubernetes")
    assert not any("frames" in w for w in doc["warnings"])


def test_a_tiff_with_too_many_pages_is_refused_before_any_ocr(stack: Stack, alice: User) -> None:
    frames = [Image.new("L", (64, 64), 255) for _ in range(21)]
    start = time.monotonic()
    body = error(upload(stack.url, bearer(alice), tiff(frames), "scan.tif", "image/tiff"), 400)
    assert reason(body) == "TOO_MANY_PAGES" and time.monotonic() - start < 5


def test_a_tiff_frame_is_size_checked_before_it_is_decoded(stack: Stack, alice: User) -> None:
    small = Image.new("L", (64, 64), 255)
    # 7000 x 7000 = 49 MP > 40 MP: compressed it is tiny, decoded it would not be.
    huge = Image.new("1", (7000, 7000), 1)
    body = error(upload(stack.url, bearer(alice), tiff([small, huge]), "scan.tif"), 400)
    assert reason(body) == "IMAGE_TOO_LARGE" and "frame 2" in body["message"]


def test_english_ocr_by_default_does_not_know_umlauts(stack: Stack, alice: User) -> None:
    # The session's service runs with the default language, eng.
    r = upload(stack.url, bearer(alice), png(scan(GERMAN)), "lebenslauf.png", "image/png")
    assert r.status_code == 200, r.text
    text = r.json()["text"]
    assert "Berufserfahrung" in text and "Straße" not in text, text


def test_unknown_ocr_languages_stop_the_service_at_start(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("CAREERVAULT_EXTRACTION_OCR_LANGUAGES", "eng+xyz")
    with pytest.raises(ValidationError) as info:
        ExtractionSettings()
    assert "xyz" in str(info.value) and "tesseract-ocr-xyz" in str(info.value)
    monkeypatch.setenv("CAREERVAULT_EXTRACTION_OCR_LANGUAGES", "eng; rm")
    with pytest.raises(ValidationError):
        ExtractionSettings()
    env = {
        **os.environ,
        "CAREERVAULT_EXTRACTION_OCR_LANGUAGES": "eng+xyz",
        "CAREERVAULT_PORT": str(free_port()),
        "CAREERVAULT_DATA_DIR": str(tmp_path),
    }
    proc = subprocess.run(
        [sys.executable, "-m", "careervault_extraction"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 2, proc.stderr
    assert "extraction_ocr_languages" in proc.stderr and "xyz" in proc.stderr


def test_worker_memory_setting_is_checked(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CAREERVAULT_EXTRACTION_WORKER_MEMORY_MB", "64")
    with pytest.raises(ValidationError):
        ExtractionSettings()
    monkeypatch.setenv("CAREERVAULT_EXTRACTION_WORKER_MEMORY_MB", "0")
    monkeypatch.setenv("CAREERVAULT_EXTRACTION_OCR_DOCUMENT_TIMEOUT", "30")
    limits = ExtractionSettings().limits
    assert limits.worker_memory_mb == 0 and limits.ocr_document_timeout == 30


# --- the caller's deadline ---------------------------------------------------------------------


def test_a_scan_that_cannot_be_read_in_time_is_ocr_timeout(stack: Stack, alice: User) -> None:
    # With 2 s to go, the service keeps 1.5 s for its answer: too little to start OCR, so
    # no page is read and the caller gets RESOURCE_EXHAUSTED in time, not DEADLINE_EXCEEDED.
    stub = extraction_pb2_grpc.ExtractionServiceStub(
        grpc.insecure_channel(stack.grpc_target("extraction"))
    )
    request = pb.ExtractDocumentRequest(content=scanned_pdf(2), filename="scan.pdf")
    with pytest.raises(grpc.RpcError) as info:
        stub.ExtractDocument(request, metadata=alice.metadata, timeout=2.0)
    err = rich(info.value)
    assert (err.code, err.reason) == (grpc.StatusCode.RESOURCE_EXHAUSTED, "OCR_TIMEOUT")


# --- a small stack of its own: budget, memory cap, busy -----------------------------------------


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    with own_stack(
        tmp_path_factory.mktemp("careervault-small"),
        # jobs too: the gateway wants every public method, and jobs has one.
        ("identity", "jobs", "extraction"),
        {
            **render.RATE_LIMITS_OFF,
            "CAREERVAULT_EXTRACTION_WORKERS": "1",
            "CAREERVAULT_EXTRACTION_QUEUE": "1",
            "CAREERVAULT_EXTRACTION_OCR_DOCUMENT_TIMEOUT": "5",
            "CAREERVAULT_EXTRACTION_WORKER_MEMORY_MB": "320",
            "CAREERVAULT_EXTRACTION_OCR_LANGUAGES": "eng+deu+fra+spa",
        },
    ) as s:
        yield s


@pytest.fixture(scope="module")
def small_auth(small: Stack) -> dict[str, str]:
    return rest_user(small.url)


def test_the_document_ocr_budget_stops_at_the_pages_it_reached(
    small: Stack, small_auth: dict[str, str]
) -> None:
    start = time.monotonic()
    r = upload(small.url, small_auth, scanned_pdf(12), "scan.pdf", "application/pdf")
    elapsed = time.monotonic() - start
    assert r.status_code == 200, r.text
    doc = r.json()
    methods = [p["method"] for p in doc["pageInfo"]]
    assert len(methods) == 12 and methods[0] == "OCR", methods
    assert "OCR_TIMED_OUT" in methods, methods
    # Pages are read in order until the budget is spent; none after that.
    first = methods.index("OCR_TIMED_OUT")
    assert set(methods[first:]) == {"OCR_TIMED_OUT"}, methods
    budget = [w for w in doc["warnings"] if w.startswith("The OCR time for this document ran out")]
    assert len(budget) == 1 and f"page {first + 1} " in budget[0], doc["warnings"]
    assert "Acme Corp" in doc["text"]
    assert elapsed < 5 + 5, elapsed


def test_a_german_scan_keeps_its_umlauts_with_deu(small: Stack, small_auth: dict[str, str]) -> None:
    r = upload(small.url, small_auth, png(scan(GERMAN)), "lebenslauf.png", "image/png")
    assert r.status_code == 200, r.text
    text = r.json()["text"]
    for word in ("Berufserfahrung", "Müller", "Straße", "München", "Geschäftsführer"):
        assert word in text, text


def test_the_memory_cap_fails_one_document_and_the_service_carries_on(
    small: Stack, small_auth: dict[str, str]
) -> None:
    # 6300 x 6300 RGB is 40 MP, within the pixel limit, ~7 KB as a PNG, ~160 MB decoded:
    # more than a worker capped at 320 MiB can hold next to its own ~230 MiB.
    big = Image.new("RGB", (6300, 6300), (255, 255, 255))
    r = upload(small.url, small_auth, png(big), "photo.png", "image/png")
    body = error(r, 429)
    assert reason(body) == "DOCUMENT_TOO_COMPLEX" and "320 MiB" in body["message"]
    # The same worker (none was restarted: no UNAVAILABLE) reads the next document.
    r = upload(small.url, small_auth, two_column_pdf(), "cv.pdf", "application/pdf")
    assert r.status_code == 200, r.text
    assert_resume(pb_from_json(r.json()))
    # And OCR too: tesseract runs under the same cap.
    r = upload(small.url, small_auth, png(scan("SKILLS\nPython, Go")), "s.png", "image/png")
    assert r.status_code == 200 and "Python" in r.json()["text"], r.text


def pb_from_json(doc: dict[str, Any]) -> pb.ExtractedDocument:
    from google.protobuf import json_format

    out = pb.ExtractedDocument()
    json_format.ParseDict(doc, out)
    return out


def test_a_full_service_answers_429_extraction_busy_over_rest(
    small: Stack, small_auth: dict[str, str]
) -> None:
    # One worker and a queue of one: a slow scan holds the worker, a second waits, and a
    # third is refused at once.
    slow = scanned_pdf(8)
    answers: dict[str, httpx.Response] = {}

    def send(name: str) -> None:
        answers[name] = upload(small.url, small_auth, slow, "scan.pdf", "application/pdf")

    first = threading.Thread(target=send, args=("first",))
    second = threading.Thread(target=send, args=("second",))
    first.start()
    time.sleep(0.5)
    second.start()
    time.sleep(0.5)
    start = time.monotonic()
    r = upload(small.url, small_auth, two_column_pdf(), "cv.pdf", "application/pdf")
    refused_in = time.monotonic() - start
    first.join(60)
    second.join(60)
    body = error(r, 429)
    assert body["code"] == 8 and reason(body) == "EXTRACTION_BUSY"
    info = next(d for d in body["details"] if d["@type"].endswith("ErrorInfo"))
    assert info["metadata"]["retryAfterSeconds"] == "5"
    assert r.headers["retry-after"] == "5"  # the standard header too
    assert refused_in < 1.5, refused_in
    assert answers["first"].status_code == 200, answers["first"].text
    assert answers["second"].status_code == 200, answers["second"].text
    # Once the queue drains, the same request is served.
    r = upload(small.url, small_auth, two_column_pdf(), "cv.pdf", "application/pdf")
    assert r.status_code == 200, r.text
