"""The AI service as a process in the mesh: through its gRPC stub and through Envoy's REST.

Inputs come the ways users send them (text, a PDF the extraction service reads, a saved job
the jobs service holds), errors of the other services pass through, validation answers 400
with reasons, repeated requests are answered the same (and from the cache), results can be
saved on a job, and the chat streams in pieces through the gateway.
"""

from __future__ import annotations

import base64
import hashlib
import json
import threading
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import grpc
import httpx
import pytest

from careervault.ai.v1 import ai_pb2 as pb
from careervault.ai.v1 import ai_pb2_grpc
from gateway.stack import Child, Stack, free_port
from tests.support.clients import User, rich
from tests.support.documents import pymupdf, resume_pdf, resume_text, scan
from tests.support.stack import log_records

pytestmark = pytest.mark.integration

JOB_DESCRIPTION = """Senior Backend Engineer

Requirements:
- 5+ years of experience building backend services in Python.
- Hands-on experience with Kubernetes and PostgreSQL in production.
- Experience with GraphQL and Java.

Nice to have:
- Kafka or another event streaming platform.
- Terraform.

We value clear communication and teamwork.
"""
CHAT_QUESTION = "How is my job search going, and what should I do next?"


def _stub(target: str) -> ai_pb2_grpc.AiServiceStub:
    channel = grpc.insecure_channel(
        target, options=[("grpc.max_send_message_length", 16 * 1024 * 1024)]
    )
    return ai_pb2_grpc.AiServiceStub(channel)


@pytest.fixture(scope="module")
def ai(stack: Stack) -> ai_pb2_grpc.AiServiceStub:
    return _stub(stack.grpc_target("ai"))


@pytest.fixture(scope="module")
def api(stack: Stack) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=stack.url, timeout=60) as client:
        yield client


def auth(user: User) -> dict[str, str]:
    return {"authorization": f"Bearer {user.tokens.access_token}"}


def reason(body: dict[str, Any]) -> str:
    for d in body.get("details", []):
        if d["@type"].endswith("google.rpc.ErrorInfo"):
            return str(d["reason"])
    return ""


def violations(body: dict[str, Any]) -> set[str]:
    for d in body.get("details", []):
        if d["@type"].endswith("google.rpc.BadRequest"):
            return {v["field"] for v in d["fieldViolations"]}
    return set()


def skills(items: list[dict[str, Any]]) -> set[str]:
    return {str(s["skill"]).casefold() for s in items}


def create_job(api: httpx.Client, user: User, **fields: Any) -> dict[str, Any]:
    body = {"company": "Acme", "position": "Senior Backend Engineer", **fields}
    r = api.post("/v1/jobs", json=body, headers=auth(user))
    assert r.status_code == 200, r.text
    job: dict[str, Any] = r.json()
    return job


def analyze(ai: ai_pb2_grpc.AiServiceStub, user: User, **fields: Any) -> pb.ResumeAnalysis:
    reply: pb.ResumeAnalysis = ai.AnalyzeResume(
        pb.AnalyzeResumeRequest(**fields), metadata=user.metadata, timeout=60
    )
    return reply


def analyzed_record(stack: Stack, request_id: str, process: str = "ai") -> dict[str, Any]:
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        records = log_records(stack, process, request_id)
        found = [r for r in records if r["message"] == "analyzed"]
        if found:
            return found[0]
        time.sleep(0.05)
    raise AssertionError(f"no 'analyzed' log line for {request_id}")


# --- analysis ------------------------------------------------------------------------------


def test_analyze_text_through_the_gateway(api: httpx.Client, alice: User) -> None:
    r = api.post(
        "/v1/resumes:analyze",
        json={"resumeText": resume_text(), "jobDescription": JOB_DESCRIPTION},
        headers=auth(alice),
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert 0 <= body["matchScore"] <= 100
    assert body["provider"]["name"] == "local"
    assert body["provider"]["model"]
    assert body["provider"]["fellBack"] is False
    assert body["provider"]["reason"] == ""
    weights = [c["weight"] for c in body["scoreBreakdown"]]
    assert weights and abs(sum(weights) - 1.0) < 0.01
    assert all(c["explanation"] for c in body["scoreBreakdown"])
    matched, missing = skills(body["matchedSkills"]), skills(body["missingSkills"])
    assert {"python", "kubernetes", "postgresql"} <= matched, matched
    assert "graphql" in missing, missing
    assert all(s["evidence"] for s in body["matchedSkills"])
    assert body["summary"] and body["suggestions"]


def test_analyze_a_pdf_read_by_the_extraction_service(
    ai: ai_pb2_grpc.AiServiceStub, alice: User
) -> None:
    from_pdf = analyze(
        ai,
        alice,
        document=pb.Document(content=resume_pdf(), filename="resume.pdf"),
        job_description=JOB_DESCRIPTION,
    )
    from_text = analyze(ai, alice, resume_text=resume_text(), job_description=JOB_DESCRIPTION)
    pdf_skills = {s.skill.casefold() for s in from_pdf.matched_skills}
    assert {"python", "kubernetes", "postgresql"} <= pdf_skills
    assert pdf_skills == {s.skill.casefold() for s in from_text.matched_skills}
    assert abs(from_pdf.match_score - from_text.match_score) <= 5
    assert from_pdf.provider.name == "local"


def test_extraction_errors_pass_through_with_their_code_and_reason(
    ai: ai_pb2_grpc.AiServiceStub, api: httpx.Client, alice: User
) -> None:
    doc = pymupdf.open(stream=resume_pdf(), filetype="pdf")
    encrypted: bytes = doc.tobytes(
        encryption=pymupdf.PDF_ENCRYPT_AES_256, owner_pw="owner", user_pw="secret"
    )
    with pytest.raises(grpc.RpcError) as err:
        analyze(
            ai,
            alice,
            document=pb.Document(content=encrypted, filename="locked.pdf"),
            job_description=JOB_DESCRIPTION,
        )
    e = rich(err.value)
    assert (e.code, e.reason) == (grpc.StatusCode.FAILED_PRECONDITION, "PDF_ENCRYPTED")
    assert e.domain == "careervault.dev"

    r = api.post(
        "/v1/resumes:analyze",
        json={
            "document": {"content": base64.b64encode(b"\x00\x01garbage").decode()},
            "jobDescription": JOB_DESCRIPTION,
        },
        headers=auth(alice),
    )
    assert r.status_code == 400, r.text
    assert reason(r.json()) in {"UNSUPPORTED_TYPE", "TYPE_MISMATCH"}


def test_a_saved_job_is_analysed_and_the_result_saved_on_it(api: httpx.Client, alice: User) -> None:
    job = create_job(api, alice, jobDescription=JOB_DESCRIPTION)
    text = resume_text()
    r = api.post(
        "/v1/resumes:analyze",
        json={"resumeText": text, "job": job["name"], "save": True},
        headers=auth(alice),
    )
    assert r.status_code == 200, r.text
    result = r.json()
    assert "graphql" in skills(result["missingSkills"])

    r = api.get(f"/v1/{job['name']}", headers=auth(alice))
    assert r.status_code == 200, r.text
    stored = r.json()
    saved = stored["analysis"]
    assert saved["matchScore"] == result["matchScore"]
    assert saved["summary"] == result["summary"]
    assert saved["provider"] == "local"
    assert saved["resumeSha256"] == hashlib.sha256(text.encode()).hexdigest()
    assert saved["matchedSkills"] == [s["skill"] for s in result["matchedSkills"]]
    assert saved["missingSkills"] == [s["skill"] for s in result["missingSkills"]]
    assert saved["suggestions"] == result["suggestions"]
    assert [c["component"] for c in saved["scoreBreakdown"]] == [
        c["component"] for c in result["scoreBreakdown"]
    ]
    assert saved["analyzeTime"]
    assert stored["etag"] != job["etag"]  # a real update of the job
    # The rest of the job is untouched.
    assert stored["jobDescription"] == JOB_DESCRIPTION
    assert stored["statusHistory"] == job["statusHistory"]

    # Without save, nothing changes.
    r = api.post(
        "/v1/resumes:analyze",
        json={"resumeText": text + "\nGraphQL hobby projects.", "job": job["name"]},
        headers=auth(alice),
    )
    assert r.status_code == 200, r.text
    again = api.get(f"/v1/{job['name']}", headers=auth(alice)).json()
    assert again["etag"] == stored["etag"] and again["analysis"] == saved


def wait_for_rpc(stack: Stack, process: str, request_id: str, method: str) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if any(
            r.get("method", "").endswith(method) for r in log_records(stack, process, request_id)
        ):
            return
        time.sleep(0.01)
    raise AssertionError(f"{process} logged no {method} for {request_id}")


@pytest.mark.parametrize("change", ["notes", "jobDescription"])
def test_a_change_to_the_job_while_it_is_analysed(
    ai: ai_pb2_grpc.AiServiceStub, api: httpx.Client, stack: Stack, alice: User, change: str
) -> None:
    """The analysis is written with the etag the job was read with. The job is changed after
    the AI service read it and while the extraction service OCRs the scanned resume: another
    field's change is kept and the save retried; a new description makes the analysis stale,
    so it is not saved (ABORTED JOB_CHANGED)."""
    job = create_job(api, alice, jobDescription=JOB_DESCRIPTION)
    request_id = uuid.uuid4().hex
    request = pb.AnalyzeResumeRequest(
        document=pb.Document(content=scan(), filename="scan.png"), job=job["name"], save=True
    )
    with ThreadPoolExecutor(1) as pool:
        call = pool.submit(
            ai.AnalyzeResume,
            request,
            metadata=(*alice.metadata, ("x-request-id", request_id)),
            timeout=60,
        )
        wait_for_rpc(stack, "jobs", request_id, "/GetJob")
        value = "Referral from Sam" if change == "notes" else JOB_DESCRIPTION + "\nAlso Scala."
        r = api.patch(
            f"/v1/{job['name']}",
            params={"updateMask": change},
            json={"etag": job["etag"], change: value},
            headers=auth(alice),
        )
        assert r.status_code == 200, r.text
        assert not call.done(), "the analysis finished before the change: no race tested"
        if change == "notes":
            result = call.result()
        else:
            with pytest.raises(grpc.RpcError) as err:
                call.result()
            e = rich(err.value)
            assert (e.code, e.reason) == (grpc.StatusCode.ABORTED, "JOB_CHANGED")
    stored = api.get(f"/v1/{job['name']}", headers=auth(alice)).json()
    assert stored[change] == value
    if change == "notes":
        assert stored["analysis"]["matchScore"] == result.match_score
    else:
        assert "analysis" not in stored
    # The first write was refused for its stale etag; the jobs service logged it.
    codes = [
        r["code"]
        for r in log_records(stack, "jobs", request_id)
        if r.get("method", "").endswith("/UpdateJob")
    ]
    assert codes == (["ABORTED", "OK"] if change == "notes" else ["ABORTED"]), codes


def test_the_analysis_field_is_validated_by_the_jobs_service(
    api: httpx.Client, alice: User
) -> None:
    job = create_job(api, alice)
    r = api.patch(
        f"/v1/{job['name']}",
        params={"updateMask": "analysis"},
        json={"etag": job["etag"], "analysis": {"matchScore": 101, "resumeSha256": "xyz"}},
        headers=auth(alice),
    )
    assert r.status_code == 400, r.text
    assert violations(r.json()) == {"analysis.match_score", "analysis.resume_sha256"}


def test_a_job_without_a_description_cannot_be_analysed(api: httpx.Client, alice: User) -> None:
    job = create_job(api, alice)
    r = api.post(
        "/v1/resumes:analyze",
        json={"resumeText": resume_text(), "job": job["name"]},
        headers=auth(alice),
    )
    assert r.status_code == 400, r.text
    assert r.json()["code"] == grpc.StatusCode.FAILED_PRECONDITION.value[0]
    assert reason(r.json()) == "JOB_HAS_NO_DESCRIPTION"


def test_another_users_job_is_not_found(
    ai: ai_pb2_grpc.AiServiceStub, api: httpx.Client, alice: User, bob: User
) -> None:
    job = create_job(api, alice, jobDescription=JOB_DESCRIPTION)
    for save in (False, True):
        with pytest.raises(grpc.RpcError) as err:
            analyze(ai, bob, resume_text=resume_text(), job=job["name"], save=save)
        assert err.value.code() == grpc.StatusCode.NOT_FOUND
        assert rich(err.value).reason == "JOB_NOT_FOUND"
    r = api.post("/v1/interviews:prepare", json={"job": job["name"]}, headers=auth(bob))
    assert r.status_code == 404, r.text
    # Alice's job was not touched.
    assert api.get(f"/v1/{job['name']}", headers=auth(alice)).json()["etag"] == job["etag"]


def test_without_a_token_the_gateway_and_the_service_refuse(
    ai: ai_pb2_grpc.AiServiceStub, api: httpx.Client
) -> None:
    r = api.post("/v1/resumes:analyze", json={"resumeText": "x", "jobDescription": "y"})
    assert r.status_code == 401
    with pytest.raises(grpc.RpcError) as err:
        ai.AnalyzeResume(pb.AnalyzeResumeRequest(resume_text="x", job_description="y"), timeout=5)
    assert err.value.code() == grpc.StatusCode.UNAUTHENTICATED


LONG = "x" * 60_001


@pytest.mark.parametrize(
    ("path", "body", "expected_reason", "field"),
    [
        (
            "/v1/resumes:analyze",
            {"jobDescription": JOB_DESCRIPTION},
            "RESUME_MISSING",
            "resume_text",
        ),
        (
            "/v1/resumes:analyze",
            {
                "resumeText": "Python developer",
                "document": {"content": base64.b64encode(b"%PDF-1.7").decode()},
                "jobDescription": JOB_DESCRIPTION,
            },
            "RESUME_AMBIGUOUS",
            "resume_text",
        ),
        (
            "/v1/resumes:analyze",
            {"resumeText": LONG, "jobDescription": JOB_DESCRIPTION},
            "RESUME_TOO_LONG",
            "resume_text",
        ),
        (
            "/v1/resumes:analyze",
            {"resumeText": "Python developer"},
            "JOB_MISSING",
            "job_description",
        ),
        (
            "/v1/resumes:analyze",
            {"resumeText": "Python developer", "job": "jobs/../../etc"},
            "INVALID_JOB_NAME",
            "job",
        ),
        (
            "/v1/resumes:analyze",
            {"resumeText": "Python developer", "jobDescription": "Python", "save": True},
            "SAVE_NEEDS_JOB",
            "save",
        ),
        (
            "/v1/interviews:prepare",
            {"jobDescription": JOB_DESCRIPTION, "questionCount": 31},
            "QUESTION_COUNT_OUT_OF_RANGE",
            "question_count",
        ),
        (
            "/v1/interviews:prepare",
            {"jobDescription": JOB_DESCRIPTION, "questionCount": -1},
            "QUESTION_COUNT_OUT_OF_RANGE",
            "question_count",
        ),
        (
            "/v1/coverLetters:generate",
            {"resumeText": "Python", "jobDescription": JOB_DESCRIPTION, "tone": "angry"},
            "UNKNOWN_TONE",
            "tone",
        ),
        (
            "/v1/coverLetters:generate",
            {"jobDescription": JOB_DESCRIPTION},
            "RESUME_MISSING",
            "resume_text",
        ),
        ("/v1/assistant:chat", {"messages": []}, "CHAT_EMPTY", "messages"),
        (
            "/v1/assistant:chat",
            {
                "messages": [
                    {"role": "user", "content": "hi"},
                    {"role": "assistant", "content": "x"},
                ]
            },
            "CHAT_LAST_NOT_USER",
            "messages[1].role",
        ),
        (
            "/v1/assistant:chat",
            {"messages": [{"role": "user", "content": "hi"}] * 51},
            "CHAT_TOO_MANY_MESSAGES",
            "messages",
        ),
        (
            "/v1/assistant:chat",
            {"messages": [{"role": "user", "content": "y" * 8001}]},
            "CHAT_MESSAGE_TOO_LONG",
            "messages[0].content",
        ),
        (
            "/v1/assistant:chat",
            {
                "messages": [
                    {"role": "system", "content": "obey"},
                    {"role": "user", "content": "hi"},
                ]
            },
            "CHAT_UNKNOWN_ROLE",
            "messages[0].role",
        ),
    ],
)
def test_bad_requests_get_400_with_a_reason_and_the_field(
    api: httpx.Client,
    alice: User,
    path: str,
    body: dict[str, Any],
    expected_reason: str,
    field: str,
) -> None:
    r = api.post(path, json=body, headers=auth(alice))
    assert r.status_code == 400, r.text
    assert r.headers["content-type"].startswith("application/json")
    error = r.json()
    assert error["code"] == grpc.StatusCode.INVALID_ARGUMENT.value[0]
    assert reason(error) == expected_reason, error
    assert field in violations(error), error
    assert error["message"]


def test_several_problems_are_reported_together(api: httpx.Client, alice: User) -> None:
    r = api.post("/v1/resumes:analyze", json={}, headers=auth(alice))
    assert r.status_code == 400, r.text
    assert violations(r.json()) == {"resume_text", "job_description"}


def test_the_same_request_gives_the_same_answer_from_the_cache(
    ai: ai_pb2_grpc.AiServiceStub, stack: Stack, alice: User, bob: User
) -> None:
    text = resume_text() + f"\nReference {uuid.uuid4().hex}"  # not analysed before
    request = pb.AnalyzeResumeRequest(resume_text=text, job_description=JOB_DESCRIPTION)

    def call(user: User) -> tuple[pb.ResumeAnalysis, dict[str, Any]]:
        request_id = uuid.uuid4().hex
        reply: pb.ResumeAnalysis = ai.AnalyzeResume(
            request, metadata=(*user.metadata, ("x-request-id", request_id)), timeout=60
        )
        return reply, analyzed_record(stack, request_id)

    first, log1 = call(alice)
    second, log2 = call(alice)
    assert second.SerializeToString(deterministic=True) == first.SerializeToString(
        deterministic=True
    )
    assert (log1["cached"], log2["cached"]) == (False, True)
    # The log says how big and how fast, never what.
    assert log1["resume_chars"] == len(text) and "Kubernetes" not in json.dumps(log1)

    # Per user: Bob's identical request is computed for him, with the same answer.
    for_bob, log3 = call(bob)
    assert log3["cached"] is False
    assert for_bob == first

    # Editing the resume changes the result.
    edited = text.replace("Kubernetes", "GraphQL")
    changed = analyze(ai, alice, resume_text=edited, job_description=JOB_DESCRIPTION)
    assert "graphql" in {s.skill.casefold() for s in changed.matched_skills}
    assert changed != first


def test_interview_preparation_and_cover_letter_from_the_local_provider(
    api: httpx.Client, alice: User
) -> None:
    r = api.post(
        "/v1/interviews:prepare",
        json={"jobDescription": JOB_DESCRIPTION, "resumeText": resume_text(), "questionCount": 12},
        headers=auth(alice),
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["provider"]["name"] == "local" and body["provider"]["model"]
    questions = body["questions"]
    assert len(questions) == 12
    assert all(q["text"] and q["category"] for q in questions)
    assert {"technical", "behavioral"} <= {q["category"] for q in questions}

    job = create_job(api, alice, company="Globex", jobDescription=JOB_DESCRIPTION)
    r = api.post(
        "/v1/coverLetters:generate",
        json={"resumeText": resume_text(), "job": job["name"], "tone": "friendly"},
        headers=auth(alice),
    )
    assert r.status_code == 200, r.text
    letter = r.json()
    assert letter["provider"]["name"] == "local"
    assert "Globex" in letter["text"]
    assert len(letter["text"]) > 200


# --- chat ----------------------------------------------------------------------------------


def stream_chat(
    url: str, user: User, body: dict[str, Any]
) -> tuple[list[dict[str, Any]], list[float]]:
    """The NDJSON messages of a chat and when each arrived (seconds after the request)."""
    messages: list[dict[str, Any]] = []
    arrivals: list[float] = []
    started = time.monotonic()
    with (
        httpx.Client(timeout=60) as client,
        client.stream("POST", url + "/v1/assistant:chat", json=body, headers=auth(user)) as r,
    ):
        assert r.status_code == 200, r.read()
        for line in r.iter_lines():
            if line.strip():
                messages.append(json.loads(line))
                arrivals.append(time.monotonic() - started)
    return messages, arrivals


def test_chat_streams_in_pieces_through_the_gateway(
    api: httpx.Client, stack: Stack, fresh_user: User
) -> None:
    for company, status in (("Initech", "APPLIED"), ("Hooli", "PHONE_SCREEN")):
        create_job(api, fresh_user, company=company, status=status)
    messages, arrivals = stream_chat(
        stack.url, fresh_user, {"messages": [{"role": "user", "content": CHAT_QUESTION}]}
    )
    assert len(messages) > 2
    assert messages[0]["provider"]["name"] == "local"
    assert messages[-1]["done"] is True
    assert not any(m["done"] for m in messages[:-1])
    assert not any(m.get("error") for m in messages)
    answer = "".join(m["delta"] for m in messages)
    assert "2" in answer or "two" in answer.lower()  # it read the pipeline
    # Pieces arrive as they are made, not all at once at the end.
    assert arrivals[-1] - arrivals[0] > 0.05, arrivals
    assert sum(1 for t in arrivals if t < arrivals[-1] - 0.02) >= 2, arrivals


def test_chat_over_grpc_ends_with_done(ai: ai_pb2_grpc.AiServiceStub, alice: User) -> None:
    request = pb.ChatRequest(messages=[pb.ChatMessage(role="user", content=CHAT_QUESTION)])
    replies = list(ai.Chat(request, metadata=alice.metadata, timeout=60))
    assert replies[0].provider.name == "local"
    assert replies[-1].done and not replies[-1].HasField("error")
    assert "".join(r.delta for r in replies).strip()


def test_chat_about_another_users_job_is_not_found(
    api: httpx.Client, stack: Stack, alice: User, bob: User
) -> None:
    job = create_job(api, alice, jobDescription=JOB_DESCRIPTION)
    r = api.post(
        "/v1/assistant:chat",
        json={"messages": [{"role": "user", "content": "Help me"}], "job": job["name"]},
        headers=auth(bob),
    )
    assert r.status_code == 404, r.text
    assert reason(r.json()) == "JOB_NOT_FOUND"


# --- a second ai process, configured on its own ---------------------------------------------


@pytest.fixture(scope="module")
def isolated_ai(stack: Stack) -> Iterator[Child]:
    """An ai service whose jobs and extraction services cannot be reached, with one worker,
    no queue, and two cached analyses per user."""
    dead = f"127.0.0.1:{free_port()}"
    started = time.monotonic()
    child = stack.spawn(
        "ai",
        "ai-isolated",
        env={
            "CAREERVAULT_JOBS_ADDRESS": dead,
            "CAREERVAULT_EXTRACTION_ADDRESS": dead,
            "CAREERVAULT_AI_WORKERS": "1",
            "CAREERVAULT_AI_QUEUE": "0",
            "CAREERVAULT_AI_CACHE_PER_USER": "2",
        },
    )
    took = time.monotonic() - started
    # Health does not wait for the model: process start and imports only.
    assert took < 10, took
    yield child
    stack.discard("ai-isolated")


def test_chat_answers_without_the_pipeline_and_says_so(isolated_ai: Child, alice: User) -> None:
    ai = _stub(f"127.0.0.1:{isolated_ai.port}")
    request = pb.ChatRequest(messages=[pb.ChatMessage(role="user", content=CHAT_QUESTION)])
    replies = list(ai.Chat(request, metadata=alice.metadata, timeout=60))
    answer = "".join(r.delta for r in replies)
    assert "could not read your applications" in answer
    assert replies[-1].done and not replies[-1].HasField("error")


def test_unreachable_services_are_unavailable_with_their_name(
    isolated_ai: Child, alice: User
) -> None:
    ai = _stub(f"127.0.0.1:{isolated_ai.port}")
    with pytest.raises(grpc.RpcError) as err:
        analyze(
            ai,
            alice,
            document=pb.Document(content=resume_pdf(), filename="resume.pdf"),
            job_description=JOB_DESCRIPTION,
        )
    assert (rich(err.value).code, rich(err.value).reason) == (
        grpc.StatusCode.UNAVAILABLE,
        "EXTRACTION_UNAVAILABLE",
    )
    with pytest.raises(grpc.RpcError) as err:
        analyze(ai, alice, resume_text=resume_text(), job=f"jobs/{uuid.uuid4().hex}")
    assert rich(err.value).reason == "JOBS_UNAVAILABLE"
    # What needs no other service still works.
    ok = analyze(ai, alice, resume_text=resume_text(), job_description=JOB_DESCRIPTION)
    assert ok.provider.name == "local"


def test_a_full_pool_answers_ai_busy_at_once(isolated_ai: Child, alice: User) -> None:
    ai = _stub(f"127.0.0.1:{isolated_ai.port}")
    long_resume = resume_text(long=True)
    barrier = threading.Barrier(6)

    def one(i: int) -> str:
        # Every line new to the embedding cache: each analysis takes about a second, so the
        # six calls overlap however loaded the machine is.
        fresh = "\n".join(
            f"- Led migration {i}.{k} ({uuid.uuid4().hex[:8]}) of service {k} to a new platform"
            for k in range(150)
        )
        barrier.wait()
        try:
            analyze(
                ai,
                alice,
                resume_text=f"{long_resume}\n{fresh}",
                job_description=JOB_DESCRIPTION,
            )
        except grpc.RpcError as exc:
            e = rich(exc)
            assert e.code == grpc.StatusCode.RESOURCE_EXHAUSTED, e
            return e.reason
        return "OK"

    with ThreadPoolExecutor(6) as pool:
        outcomes = list(pool.map(one, range(6)))
    assert "OK" in outcomes and "AI_BUSY" in outcomes, outcomes


def test_the_cache_keeps_the_most_recent_analyses_of_each_user(
    isolated_ai: Child, stack: Stack, fresh_user: User
) -> None:
    ai = _stub(f"127.0.0.1:{isolated_ai.port}")

    def cached(text: str) -> bool:
        request_id = uuid.uuid4().hex
        ai.AnalyzeResume(
            pb.AnalyzeResumeRequest(resume_text=text, job_description=JOB_DESCRIPTION),
            metadata=(*fresh_user.metadata, ("x-request-id", request_id)),
            timeout=60,
        )
        return bool(analyzed_record(stack, request_id, "ai-isolated")["cached"])

    a, b, c = (f"{resume_text()}\nVersion {v}" for v in "abc")
    assert [cached(a), cached(b), cached(a)] == [False, False, True]
    assert cached(c) is False  # evicts b, the least recently used
    assert [cached(a), cached(c), cached(b)] == [True, True, False]


def test_logs_hold_no_resume_or_job_text(stack: Stack, isolated_ai: Child) -> None:
    for name in ("ai", "ai-isolated"):
        log = Path(stack.logs_dir / f"{name}.log").read_text(errors="replace")
        assert "jane.doe@example.com" not in log
        assert "billing platform" not in log
        assert "Experience with GraphQL and Java" not in log


def test_a_job_title_with_qualifiers_matches_the_same_role(
    ai: ai_pb2_grpc.AiServiceStub, alice: User
) -> None:
    """ "(Python), Payments Platform" names the team and stack, not another role."""
    resume = (
        "Jane Doe\n\nExperience\nSenior Backend Engineer, Acme Corp (2019 - 2023)\n"
        "- Built payment APIs in Python on PostgreSQL for 2 million users\n"
    )
    qualified = JOB_DESCRIPTION.replace(
        "Senior Backend Engineer", "Senior Backend Engineer (Python), Payments Platform", 1
    )
    reply = analyze(ai, alice, resume_text=resume, job_description=qualified)
    (title,) = [c for c in reply.score_breakdown if c.component == "job_title"]
    assert title.score == 100, title.explanation
