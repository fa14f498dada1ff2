"""`make bench` (third part): the extraction service on real files, through Envoy and direct.

Starts identity, jobs (idle), extraction and Envoy with `gateway.stack.Stack` on free ports in
a temporary data directory (embedded defaults; inherited CAREERVAULT_* variables dropped; edge
rate limits off), signs one user up and uploads files built by `tests/support/documents.py`:

1. latency, one client, one request at a time, through the gateway (`POST /v1/documents:extract`,
   JSON with the file in base64, keep-alive HTTP/1.1) and straight to the service over gRPC
   (`ExtractDocument`): a 2-page PDF resume, a DOCX resume, and one page scanned at 300 and at
   200 dpi (grey PNG, OCR);
2. throughput: 1, 2, 4 and 8 clients uploading the 2-page PDF through the gateway at the same
   time, and 2 clients uploading the 300-dpi scan; refusals of the service's admission limit
   (429, EXTRACTION_BUSY) are counted, not retried;
3. in this process, without gRPC or Envoy, on the same PDFs: PyMuPDF's plain `get_text()`, the
   service's whole pipeline (`careervault_extraction.pipeline.run`: type detection, PyMuPDF
   blocks in reading order, sections and contact details) and pdfminer.six's
   `extract_text`; and the scan's tesseract pass, next to the two passes it replaced;
4. memory (VmRSS, PSS) of the extraction service and each of its worker processes, idle after
   start-up and again after the runs.

Prints a markdown section on stdout (progress on stderr). `--write docs/benchmarks.md` replaces
the text between `<!-- bench-extraction:start -->` and `<!-- bench-extraction:end -->`
(appended at the end when the markers are missing) and keeps everything else.
"""

from __future__ import annotations

import argparse
import base64
import io
import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import grpc  # noqa: E402

from careervault.extraction.v1 import extraction_pb2 as pb  # noqa: E402 (needs the path above)
from careervault.extraction.v1 import extraction_pb2_grpc  # noqa: E402
from gateway.stack import Stack  # noqa: E402
from scripts.bench import (  # noqa: E402
    IDLE_SECONDS,
    LARGE_GRPC_OPTIONS,
    Latency,
    Load,
    Metadata,
    Refused,
    Rest,
    arg_parser,
    cores,
    descendants,
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
    proc_kib,
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
from tests.support import documents  # noqa: E402

# jobs is not used, but the gateway refuses to render without the services of its public
# methods (gateway/render.py checks PUBLIC_METHODS whenever identity is in the stack).
SERVICES = ("identity", "jobs", "extraction")
PATH = "/v1/documents:extract"
TARGET_PDF_MS = 50.0
TARGET_SCAN_S = 2.0
TIMEOUT = 60.0


# --- the files ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class File:
    key: str
    label: str
    filename: str
    content_type: str
    data: bytes
    body: bytes = b""  # the JSON request the gateway gets

    @staticmethod
    def make(key: str, label: str, filename: str, content_type: str, data: bytes) -> File:
        body = json.dumps(
            {
                "content": base64.b64encode(data).decode(),
                "filename": filename,
                "contentType": content_type,
            }
        ).encode()
        return File(key, label, filename, content_type, data, body)


def build_files() -> dict[str, File]:
    pdf2 = documents.two_page_resume_pdf()
    docx_type = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    files = [
        File.make("pdf", "2-page PDF resume", "cv.pdf", "application/pdf", pdf2),
        File.make("docx", "DOCX resume", "cv.docx", docx_type, documents.resume_docx(long=True)),
        File.make(
            "scan300",
            "scanned page, 300 dpi grey PNG",
            "scan.png",
            "image/png",
            documents.scan(pdf=pdf2, dpi=300),
        ),
        File.make(
            "scan200",
            "scanned page, 200 dpi grey PNG",
            "scan.png",
            "image/png",
            documents.scan(pdf=pdf2, dpi=200),
        ),
    ]
    return {f.key: f for f in files}


# --- clients -----------------------------------------------------------------------------------


class RestUpload(Rest):
    """POSTs one file's JSON over one keep-alive HTTP/1.1 connection to Envoy."""

    def __init__(self, port: int, token: str, file: File) -> None:
        super().__init__(port, token, TIMEOUT)
        self.file = file
        self.last: bytes = b""

    def __call__(self) -> None:
        self.last = self.post(PATH, self.file.body)


class GrpcUpload:
    """ExtractDocument straight to the service, on a channel of its own."""

    def __init__(self, target: str, metadata: Metadata, file: File) -> None:
        self.channel = grpc.insecure_channel(target, options=LARGE_GRPC_OPTIONS)
        self.stub = extraction_pb2_grpc.ExtractionServiceStub(self.channel)
        self.metadata = metadata
        self.request = pb.ExtractDocumentRequest(
            content=file.data, filename=file.filename, content_type=file.content_type
        )
        self.last = pb.ExtractedDocument()

    def __call__(self) -> None:
        try:
            self.last = self.stub.ExtractDocument(
                self.request, metadata=self.metadata, timeout=TIMEOUT
            )
        except grpc.RpcError as exc:
            if exc.code() == grpc.StatusCode.RESOURCE_EXHAUSTED:  # type: ignore[attr-defined]
                raise Refused(str(exc.details())) from None  # type: ignore[attr-defined]
            raise

    def close(self) -> None:
        self.channel.close()


def check_rest_answer(file: File, body: bytes) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads(body)
    email = doc.get("contact", {}).get("email")
    if email != documents.EMAIL:
        raise RuntimeError(f"{file.key} via Envoy: expected {documents.EMAIL}, got {email!r}")
    return doc


def check_grpc_answer(file: File, doc: pb.ExtractedDocument) -> None:
    if doc.contact.email != documents.EMAIL:
        raise RuntimeError(f"{file.key} via gRPC: contact email {doc.contact.email!r}")


# --- measurements ------------------------------------------------------------------------------


@dataclass
class Seq:
    file: File
    path: str  # "Envoy (REST)" or "gRPC direct"
    latency: Latency
    note: str = ""


@dataclass
class Local:
    label: str
    file: str
    latency: Latency
    chars: int
    found: str


@dataclass
class Proc:
    pid: int
    role: str
    rss_kib: int | None
    pss_kib: int | None


@dataclass
class Results:
    loadavg_before: tuple[float, float, float] | None = None
    loadavg_after: tuple[float, float, float] | None = None
    started_in: float | None = None
    workers: int = 0
    sizes: dict[str, tuple[int, int]] = field(default_factory=dict)  # file, JSON body
    sequential: list[Seq] = field(default_factory=list)
    loads: list[Load] = field(default_factory=list)
    local: list[Local] = field(default_factory=list)
    ocr_split: list[Local] = field(default_factory=list)
    idle: list[Proc] = field(default_factory=list)
    after: list[Proc] = field(default_factory=list)
    others_after: dict[str, int | None] = field(default_factory=dict)


def measure_sequential(
    stack: Stack, token: str, md: Metadata, file: File, n: int, warmup: int, results: Results
) -> None:
    rest = RestUpload(stack.http_port, token, file)
    try:
        log(f"latency: {file.label} via Envoy, {warmup} warm-up + {n} measured")
        if warmup:
            rest()
        lat = timed(rest, n, max(0, warmup - 1))
        doc = check_rest_answer(file, rest.last)
    finally:
        rest.close()
    note = ""
    pages = doc.get("pageInfo", [])
    if pages and pages[0].get("method") == "OCR":
        note = f"OCR, confidence {pages[0].get('ocrConfidence', 0):.0f}%"
    results.sequential.append(Seq(file, "Envoy (REST, base64 JSON)", lat, note))

    direct = GrpcUpload(stack.grpc_target("extraction"), md, file)
    try:
        log(f"latency: {file.label} via gRPC, {warmup} warm-up + {n} measured")
        if warmup:
            direct()
        lat = timed(direct, n, max(0, warmup - 1))
        check_grpc_answer(file, direct.last)
    finally:
        direct.close()
    results.sequential.append(Seq(file, "gRPC direct", lat, note))


def measure_load(
    stack: Stack, token: str, file: File, clients: int, n: int, warm: bool, results: Results
) -> None:
    log(f"throughput: {file.label}, {clients} client(s), {n} uploads via Envoy")
    uploads = [RestUpload(stack.http_port, token, file) for _ in range(clients)]
    try:
        if warm:
            for u in uploads:  # each connection opened and used once before the clock starts
                u()
        load = refusable_load(clients, n, lambda i: uploads[i], file.label)
    finally:
        for u in uploads:
            u.close()
    load.reconnects = sum(u.reconnects for u in uploads)
    results.loads.append(load)


def measure_in_process(files: dict[str, File], n: int, results: Results) -> None:
    """The same PDFs parsed here: what a request costs without IPC, gRPC or Envoy."""
    from pdfminer.high_level import extract_text

    from careervault_extraction.limits import Limits
    from careervault_extraction.pipeline import run

    pymupdf = documents.pymupdf
    pdfs = [("2-page PDF", files["pdf"].data), ("1-page PDF", documents.resume_pdf())]

    def found(text: str) -> str:
        keys = (documents.NAME, documents.EMAIL, "Acme Corp", "experience")
        return f"{sum(k.lower() in text.lower() for k in keys)}/{len(keys)}"

    for name, data in pdfs:
        texts: list[str] = []

        def mupdf(data: bytes = data, texts: list[str] = texts) -> None:
            with pymupdf.open(stream=data, filetype="pdf") as doc:
                texts.append("".join(page.get_text() for page in doc))

        def service(data: bytes = data, texts: list[str] = texts) -> None:
            texts.append(run(data, "cv.pdf", "application/pdf", Limits()).text)

        def miner(data: bytes = data, texts: list[str] = texts) -> None:
            texts.append(extract_text(io.BytesIO(data)))

        for label, call, count in (
            ("PyMuPDF `get_text()` (plain)", mupdf, n),
            ("service pipeline (`pipeline.run`: detect, PyMuPDF blocks, outline)", service, n),
            ("pdfminer.six `extract_text`", miner, max(10, n // 10)),
        ):
            log(f"in-process: {label} on the {name}, {count} calls")
            texts.clear()
            lat = timed(call, count, warmup=2)
            text = texts[-1]
            results.local.append(Local(label, name, lat, len(text), found(text)))

    docx = files["docx"].data
    texts2: list[str] = []

    def docx_call() -> None:
        texts2.append(run(docx, "cv.docx", "", Limits()).text)

    log(f"in-process: service pipeline on the DOCX, {n} calls")
    lat = timed(docx_call, n, warmup=2)
    results.local.append(
        Local(
            "service pipeline (`pipeline.run`: python-docx, outline)",
            "DOCX",
            lat,
            len(texts2[-1]),
            found(texts2[-1]),
        )
    )


def measure_ocr_split(file: File, n: int, results: Results) -> None:
    """The service's one tesseract pass (`--psm 1`: orientation and text together), and the
    two passes it replaced (`image_to_osd`, then `--psm 3`), on the same image, one OpenMP
    thread each, as the service prepares it."""
    import pytesseract  # type: ignore[import-untyped]
    from PIL import Image, ImageOps

    os.environ["OMP_THREAD_LIMIT"] = "1"
    image = ImageOps.autocontrast(ImageOps.grayscale(Image.open(io.BytesIO(file.data))), cutoff=1)
    words: dict[str, int] = {}

    def text(psm: str) -> Callable[[], None]:
        def run() -> None:
            data = pytesseract.image_to_data(
                image,
                lang="eng",
                config=f"--psm {psm}",
                output_type=pytesseract.Output.DICT,
                timeout=60,
            )
            words[psm] = sum(1 for w in data["text"] if str(w).strip())

        return run

    def osd() -> None:
        pytesseract.image_to_osd(image, output_type=pytesseract.Output.DICT, timeout=60)

    log(f"in-process: tesseract passes on the {file.label}, {n} each")
    lat = timed(text("1"), n, 0)
    results.ocr_split.append(
        Local(
            "service: one pass (`image_to_data --psm 1`)",
            file.label,
            lat,
            words["1"],
            f"{words['1']} words",
        )
    )
    results.ocr_split.append(
        Local("before: orientation (`image_to_osd`)", file.label, timed(osd, n, 0), 0, "")
    )
    lat = timed(text("3"), n, 0)
    results.ocr_split.append(
        Local(
            "before: then text (`image_to_data --psm 3`)",
            file.label,
            lat,
            words["3"],
            f"{words['3']} words",
        )
    )


# --- memory ------------------------------------------------------------------------------------


def _role(pid: int, main: int) -> str:
    if pid == main:
        return "service (gRPC server)"
    try:
        cmd = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\x00", b" ").decode()
    except OSError:
        return "child (gone)"
    if "resource_tracker" in cmd:
        return "multiprocessing resource tracker"
    if "multiprocessing" in cmd or "spawn_main" in cmd:
        return "extraction worker"
    return "child: " + (cmd.split(" ")[0].rsplit("/", 1)[-1] or "?")


def extraction_memory(stack: Stack) -> list[Proc]:
    child = stack.children.get("extraction")
    if child is None or child.pid is None:
        return []
    main = child.pid
    procs = []
    for p in [main, *descendants(main)]:
        m = memory(p, children=False)
        procs.append(Proc(p, _role(p, main), m.rss_kib, m.pss_kib))
    return procs


# --- the run -----------------------------------------------------------------------------------


def run(args: argparse.Namespace, seen_pids: list[int]) -> Results:
    results = Results(loadavg_before=load_average())
    if shutil.which("tesseract") is None:
        raise RuntimeError("tesseract is not installed (make installs it: `make bench`)")
    files = build_files()
    results.sizes = {k: (len(f.data), len(f.body)) for k, f in files.items()}
    with running_stack("bench-extraction", SERVICES, seen_pids) as stack:
        results.started_in = stack.started_in
        token, md = sign_up(stack, "bench-extraction")
        # The pool starts its workers in the background; let them settle, then read memory.
        time.sleep(IDLE_SECONDS)
        results.idle = extraction_memory(stack)
        results.workers = sum(p.role == "extraction worker" for p in results.idle)
        seen_pids.extend(p.pid for p in results.idle)

        measure_sequential(stack, token, md, files["pdf"], args.requests, 20, results)
        measure_sequential(stack, token, md, files["docx"], args.requests // 2, 10, results)
        # One warm-up scan in all: a scan costs seconds and its connection set-up nothing.
        for k, key in enumerate(("scan300", "scan200")):
            measure_sequential(stack, token, md, files[key], args.scans, 1 - k, results)
        for clients in args.clients:
            load = args.load_requests
            measure_load(stack, token, files["pdf"], clients, load, True, results)
        measure_load(stack, token, files["scan300"], 2, args.load_scans, False, results)

        time.sleep(IDLE_SECONDS)
        results.after = extraction_memory(stack)
        for name in ("identity", "envoy"):
            c = stack.children.get(name)
            results.others_after[name] = (
                proc_kib(c.pid, "VmRSS", "status") if c is not None and c.pid else None
            )
        stack.check()  # nothing died under load
    measure_in_process(files, args.requests, results)
    measure_ocr_split(files["scan300"], 2, results)
    results.loadavg_after = load_average()
    return results


# --- report ------------------------------------------------------------------------------------


def tool_version(cmd: list[str]) -> str:
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=20, check=False)
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    first = (out.stdout or out.stderr).strip().splitlines()
    return first[0] if first else "unknown"


def report(results: Results, args: argparse.Namespace, argv: Sequence[str]) -> str:
    sizes = results.sizes
    lines = [
        *run_facts(
            "## Extraction: PDF, DOCX and scans",
            argv,
            f"grpcio {grpc.__version__}, PyMuPDF {package_version('pymupdf')}, python-docx "
            f"{package_version('python-docx')}, pdfminer.six {package_version('pdfminer.six')}, "
            f"{tool_version(['tesseract', '--version'])}, Envoy {envoy_version().split(' ')[0]}",
            f"(1, 5, 15 min) before the run: {loadavg(results.loadavg_before)}; "
            f"after: {loadavg(results.loadavg_after)}",
        ),
        f"- stack: identity, jobs (idle), extraction ({results.workers} worker processes, the "
        "default of one per core; tesseract with one OpenMP thread), Envoy `--concurrency 2`, "
        + (f"healthy in {results.started_in:.2f} s" if results.started_in else "")
        + "; embedded defaults, edge rate limits off",
        "",
        "Files, built by `tests/support/documents.py` (bytes; JSON body with base64 in "
        "brackets): "
        + "; ".join(f"{key} {size:,} ({body:,})" for key, (size, body) in sizes.items())
        + ". The scans are page 1 of the 2-page PDF rendered in grey and saved as PNG: "
        "a full page of 11 pt text.",
        "",
        "### Latency, one request at a time",
        "",
        "One client, one keep-alive connection (REST) or channel (gRPC). REST is "
        f"`POST {PATH}` through Envoy (JWT check, JSON transcoding, base64 decoding); gRPC is "
        "`ExtractDocument` straight to the service. Both include the client's own work "
        "(Python) and the hop to a worker process. The answer was checked once per path "
        "(contact email found). ms.",
        "",
        *table(
            ["file", "path", "requests", "p50", "p95", "mean", "max", "note"],
            "llrrrrrl",
            (
                [
                    s.file.label,
                    s.path,
                    len(s.latency.samples),
                    *ms_cells(s.latency, "p50", "p95", "mean", "max"),
                    s.note,
                ]
                for s in results.sequential
            ),
        ),
    ]
    by_key: dict[str, list[Seq]] = {}
    for s in results.sequential:
        by_key.setdefault(s.file.key, []).append(s)
    gaps = []
    for key, pair in by_key.items():
        if len(pair) == 2:
            gaps.append(f"{key} {pair[0].latency.p50 - pair[1].latency.p50:+.1f} ms")
    if gaps:
        lines += ["", "Gateway minus gRPC at p50: " + ", ".join(gaps) + "."]
    pdf = next((s for s in results.sequential if s.file.key == "pdf" and "Envoy" in s.path), None)
    scans = [s for s in results.sequential if s.file.key.startswith("scan") and "Envoy" in s.path]
    if pdf is not None:
        verdict = "met" if pdf.latency.p50 < TARGET_PDF_MS else "**missed**"
        lines += [
            "",
            f"Targets. 2-page PDF under {TARGET_PDF_MS:g} ms p50 through the gateway: "
            f"**{ms(pdf.latency.p50)} ms**, {verdict}. A scanned page under "
            f"{TARGET_SCAN_S:g} s: "
            + ", ".join(
                f"{s.file.label.split(', ')[1].split(' grey')[0]} **{s.latency.p50 / 1000:.2f} s**"
                f" p50 ({'met' if s.latency.p50 / 1000 < TARGET_SCAN_S else 'missed'})"
                for s in scans
            )
            + ".",
        ]
    if results.loads:
        lines += [
            "",
            "### Throughput, concurrent uploads through the gateway",
            "",
            "Each client is a thread with its own keep-alive connection, opened and used once "
            "before the clock starts (not for the scan); the clients share the uploads and "
            "start together. A 429 (`EXTRACTION_BUSY`: the service's admission limit, once "
            "workers + queue are taken; or out of time for OCR) is counted as refused, with "
            "its ErrorInfo reason, and not retried. Latency of the answered uploads, ms. "
            f"Clients, Envoy and the services share the {cores()} cores.",
            "",
            *table(
                ["file", "clients", "answered", "refused (reason)", "p50", "p95", "max", "files/s"],
                "lrrrrrrr",
            ),
        ]
        for load in results.loads:
            lat = load.latency
            cells = ms_cells(lat, "p50", "p95", "max") if lat.samples else ["n/a"] * 3
            refused = ", ".join(f"{n} {reason}" for reason, n in load.refused.most_common())
            rate = load.per_s
            shown = f"{rate:.1f}" if rate >= 1 else f"{rate:.2f}"
            lines.append(
                row(load.label, load.clients, len(lat.samples), refused or 0, *cells, shown)
            )
    if results.local:
        lines += [
            "",
            "### The same files parsed in-process",
            "",
            "In this benchmark's own process, no gRPC, no Envoy, no worker hop: what parsing "
            "costs by itself. `found` counts which of the name, the email, `Acme Corp` and "
            "`experience` (any case) are in the text. ms.",
            "",
            *table(
                ["reader", "file", "calls", "p50", "p95", "mean", "characters", "found"],
                "llrrrrrr",
                (
                    [
                        loc.label,
                        loc.file,
                        len(loc.latency.samples),
                        *ms_cells(loc.latency, "p50", "p95", "mean"),
                        f"{loc.chars:,}",
                        loc.found,
                    ]
                    for loc in results.local
                ),
            ),
        ]
    if results.ocr_split:
        lines += [
            "",
            "The scan's OCR is one tesseract run with orientation detection (`--psm 1`), next "
            "to the two runs it replaced (orientation, then text), on the same image as the "
            "service prepares it (grey, auto-contrast, `OMP_THREAD_LIMIT=1`):",
            "",
            *table(
                ["tesseract pass", "image", "runs", "p50 ms", "max ms", "note"],
                "llrrrl",
                (
                    [
                        loc.label,
                        loc.file,
                        len(loc.latency.samples),
                        *ms_cells(loc.latency, "p50", "max"),
                        loc.found,
                    ]
                    for loc in results.ocr_split
                ),
            ),
        ]
    if results.idle or results.after:
        lines += [
            "",
            "### Memory of the extraction service",
            "",
            f"VmRSS and PSS of the service and every process under it, {IDLE_SECONDS:g} s idle "
            "after start-up (workers started and their readers imported) and again after all "
            "the runs above. PSS splits shared pages between the processes; the sum of PSS is "
            "what the service costs. MiB.",
            "",
            *table(["process", "role", "RSS idle", "PSS idle", "RSS after", "PSS after"], "llrrrr"),
        ]
        after = {p.pid: p for p in results.after}
        pids = [p.pid for p in results.idle] + [p.pid for p in results.after]
        roles = {p.pid: p.role for p in [*results.after, *results.idle]}
        idle = {p.pid: p for p in results.idle}
        totals = [0, 0, 0, 0]
        for pid in dict.fromkeys(pids):
            values = memory_values(idle.get(pid), after.get(pid))
            totals = [t + (v or 0) for t, v in zip(totals, values, strict=True)]
            lines.append(row(pid, roles[pid], *map(mib, values)))
        lines.append("| **total** | | " + " | ".join(f"**{mib(v)}**" for v in totals) + " |")
        others = ", ".join(f"{k} {mib(v)} MiB" for k, v in results.others_after.items())
        if others:
            lines += ["", f"For comparison, RSS after the runs: {others}."]
    return "\n".join(lines) + "\n"


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    p = arg_parser(__doc__)
    p.add_argument("--requests", type=int, default=200, help="PDF requests per path (DOCX: half)")
    p.add_argument("--scans", type=int, default=3, help="scan requests per path and dpi")
    p.add_argument(
        "--clients",
        type=int_list("1,2,4,8", "client counts"),
        default=[1, 2, 4, 8],
        help="PDF client counts",
    )
    p.add_argument("--load-requests", type=int, default=200, help="PDF uploads per client count")
    p.add_argument("--load-scans", type=int, default=4, help="scan uploads, 2 clients")
    args = p.parse_args(argv)
    if min(args.requests, args.scans, args.load_requests, args.load_scans) < 2:
        p.error("--requests, --scans, --load-requests and --load-scans must be at least 2")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    return run_main(
        argv,
        parse_args,
        run,
        report,
        section_writer("bench-extraction"),
        (grpc.RpcError, RuntimeError, OSError, json.JSONDecodeError),
    )


if __name__ == "__main__":
    sys.exit(main())
