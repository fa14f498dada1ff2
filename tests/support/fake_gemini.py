"""A stand-in for Google's Gemini API: a real HTTP server on a free loopback port.

It speaks the REST format that `google-genai` sends and reads (nothing in the SDK is patched):

    POST /{v1|v1beta}/models/{model}:generateContent             -> one JSON response
    POST /{v1|v1beta}/models/{model}:streamGenerateContent?alt=sse -> `data: {...}` events

with the key in the `x-goog-api-key` header (a wrong key gets Gemini's 400 "API key not
valid"). Each test scripts what the "model" does next:

    with FakeGemini() as fake:
        fake.script(Reply.status(503), Reply.ok())   # the next two requests, in order
        fake.always(Reply.hang(30))                  # every request after the script
        ... run the code under test against fake.url ...
        fake.requests  # what left the machine: path, headers, parsed JSON body

`Reply.ok()` answers like a cooperative model: for a structured-output request it builds a
valid answer from the request itself (the resume and the job are read from the data parts the
provider sends; skills are spotted with a small vocabulary), for a plain one it writes text,
and for a stream it sends the text in several SSE events. It is gullible on purpose: a resume
that says "ignore previous instructions" makes it claim every requirement is met, with
invented evidence and a score of 100, as a model that obeys injected text would. Faults:
`status(429|503|...)`, `hang(seconds)` (no answer for that long), `malformed_body()` (not
JSON at all), `malformed_answer()` (the model's text is not the requested JSON), `invalid()`
(JSON of the wrong shape), `blocked()` (promptFeedback.blockReason, no candidates),
`safety()` (a candidate with finishReason SAFETY), `stream(chunks, cut_after=n)` (a stream
that breaks after n events), `stalled(after=n, seconds=s)` (a stream that goes quiet after n
events).

It runs on a `ThreadingHTTPServer` in a daemon thread, so a hung handler never blocks the next
request; `close()` releases hung handlers and stops the server.
"""

from __future__ import annotations

import contextlib
import json
import re
import socket
import threading
import time
import uuid
from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlsplit

from tests.support.http_server import LoopbackHTTPServer

if TYPE_CHECKING:
    from gateway.stack import Child, Stack

API_KEY = "test-key"
PATH = re.compile(r"^/(?P<version>v1|v1beta)/models/(?P<model>[\w.\-]+):(?P<method>\w+)$")

# Skills the canned model recognises in a job description (lowercase pattern -> display name).
VOCABULARY: dict[str, str] = {
    "python": "Python",
    "go": "Go",
    "golang": "Go",
    "kubernetes": "Kubernetes",
    "docker": "Docker",
    "postgresql": "PostgreSQL",
    "aws": "AWS",
    "terraform": "Terraform",
    "react": "React",
    "typescript": "TypeScript",
    "java": "Java",
    "sql": "SQL",
    "grpc": "gRPC",
    "kafka": "Kafka",
    "redis": "Redis",
    "linux": "Linux",
    "rust": "Rust",
    "graphql": "GraphQL",
}
PREFERRED = re.compile(r"nice to have|preferred|a plus|bonus|ideally", re.I)
INJECTION = re.compile(r"ignore (all )?(previous|prior|above) instructions", re.I)


@dataclass
class Received:
    """One request as the server saw it."""

    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]  # lowercased names
    body: dict[str, Any]
    at: float

    @property
    def rpc(self) -> str:
        """`generateContent` or `streamGenerateContent`."""
        m = PATH.match(self.path)
        return m.group("method") if m else ""

    @property
    def model(self) -> str:
        m = PATH.match(self.path)
        return m.group("model") if m else ""

    def texts(self) -> list[str]:
        """Every text the request carried: system instruction and contents, in order."""
        out: list[str] = []
        sys_inst = self.body.get("systemInstruction") or self.body.get("system_instruction")
        if isinstance(sys_inst, dict):
            out += [str(p.get("text", "")) for p in sys_inst.get("parts", [])]
        for content in self.body.get("contents", []):
            out += [str(p.get("text", "")) for p in content.get("parts", [])]
        return out

    @property
    def all_text(self) -> str:
        return "\n".join(self.texts())

    def data_part(self, kind: str) -> str | None:
        """The text inside the provider's `<kind-NONCE>...</kind-NONCE>` data part."""
        m = re.search(rf"<{kind}-(\w+)>\n(.*?)\n</{kind}-\1>", self.all_text, re.S)
        return m.group(2) if m else None

    @property
    def generation_config(self) -> dict[str, Any]:
        cfg = self.body.get("generationConfig") or {}
        return cfg if isinstance(cfg, dict) else {}

    @property
    def schema(self) -> dict[str, Any]:
        cfg = self.generation_config
        schema = cfg.get("responseSchema") or cfg.get("responseJsonSchema") or {}
        return schema if isinstance(schema, dict) else {}


@dataclass(frozen=True)
class Reply:
    """What the fake does with one request."""

    kind: str
    code: int = 200
    seconds: float = 0.0
    text: str | None = None
    payload: dict[str, Any] | None = None
    chunks: tuple[str, ...] = ()
    cut_after: int | None = None
    stall_after: int | None = None
    delay: float = 0.0

    @classmethod
    def ok(cls, text: str | None = None, *, payload: dict[str, Any] | None = None) -> Reply:
        """A normal answer: `text` as the model's text, or `payload` as its JSON, or (neither)
        one built from the request."""
        return cls("ok", text=text, payload=payload)

    @classmethod
    def status(
        cls, code: int, message: str = "", *, payload: dict[str, Any] | None = None
    ) -> Reply:
        """An HTTP error with Gemini's error body (429 RESOURCE_EXHAUSTED, 503 UNAVAILABLE),
        or `payload` as the body (e.g. with a RetryInfo detail)."""
        return cls("status", code=code, text=message or None, payload=payload)

    @classmethod
    def hang(cls, seconds: float) -> Reply:
        """No answer for `seconds` (released early when the server closes), then a normal one."""
        return cls("ok", seconds=seconds)

    @classmethod
    def malformed_body(cls) -> Reply:
        return cls("malformed_body")

    @classmethod
    def malformed_answer(cls) -> Reply:
        return cls("ok", text='{"requirements": [{"skill": "Python", "required": tru')

    @classmethod
    def invalid(cls) -> Reply:
        """Well-formed JSON that does not fit the requested schema."""
        return cls("ok", payload={"requirements": "all of them", "questions": 7})

    @classmethod
    def blocked(cls) -> Reply:
        return cls("blocked")

    @classmethod
    def safety(cls) -> Reply:
        return cls("safety")

    @classmethod
    def stream(
        cls, chunks: Iterable[str] = (), *, cut_after: int | None = None, delay: float = 0.0
    ) -> Reply:
        """An SSE stream of `chunks` (default: a canned answer in several pieces); with
        `cut_after`, the connection drops after that many events."""
        return cls("ok", chunks=tuple(chunks), cut_after=cut_after, delay=delay)

    @classmethod
    def stalled(cls, after: int, seconds: float) -> Reply:
        """A stream that sends `after` events, then nothing for `seconds`."""
        return cls("ok", stall_after=after, seconds=seconds)


class FakeGemini(LoopbackHTTPServer):
    """The server. Thread-safe: requests are recorded and scripts consumed under a lock.
    `start()`, `port` and `url` come from `LoopbackHTTPServer`."""

    thread_name = "fake-gemini"

    def __init__(self, api_key: str = API_KEY) -> None:
        super().__init__()
        self.api_key = api_key
        self.requests: list[Received] = []
        self._script: deque[Reply] = deque()
        self._default = Reply.ok()
        self._lock = threading.Lock()
        self._closing = threading.Event()

    def close(self) -> None:
        """Release hung handlers, then stop the server."""
        self._closing.set()
        super().close()

    # -- scripting ---------------------------------------------------------------------------

    def script(self, *replies: Reply) -> None:
        """The next requests get these replies, in order; then the default one."""
        with self._lock:
            self._script.extend(replies)

    def always(self, reply: Reply) -> None:
        """The reply for every request once the script is used up."""
        with self._lock:
            self._default = reply

    def reset(self) -> None:
        """Forget requests and scripts; answer normally again."""
        with self._lock:
            self.requests.clear()
            self._script.clear()
            self._default = Reply.ok()

    def wait_for_requests(self, n: int, timeout: float = 5.0) -> list[Received]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                if len(self.requests) >= n:
                    return list(self.requests)
            time.sleep(0.01)
        with self._lock:
            return list(self.requests)

    # -- the protocol ------------------------------------------------------------------------

    def _handle(self, h: BaseHTTPRequestHandler) -> None:
        url = urlsplit(h.path)
        length = int(h.headers.get("content-length") or 0)
        raw = h.rfile.read(length) if length else b""
        try:
            body = json.loads(raw or b"{}")
        except ValueError:
            body = {"_unparsed": raw.decode("utf-8", "replace")}
        rec = Received(
            method="POST",
            path=url.path,
            query=parse_qs(url.query),
            headers={k.lower(): v for k, v in h.headers.items()},
            body=body if isinstance(body, dict) else {"_body": body},
            at=time.monotonic(),
        )
        with self._lock:
            self.requests.append(rec)
            reply = self._script.popleft() if self._script else self._default

        m = PATH.match(url.path)
        if m is None or m.group("method") not in ("generateContent", "streamGenerateContent"):
            _json(h, 404, _error(404, f"Method not found: {url.path}", "NOT_FOUND"))
            return
        if rec.headers.get("x-goog-api-key") != self.api_key:
            _json(
                h,
                400,
                _error(400, "API key not valid. Please pass a valid API key.", "INVALID_ARGUMENT"),
            )
            return
        streaming = m.group("method") == "streamGenerateContent"
        if streaming and rec.query.get("alt") != ["sse"]:
            _json(
                h, 400, _error(400, "this stand-in only streams with alt=sse", "INVALID_ARGUMENT")
            )
            return

        if reply.seconds and reply.stall_after is None and self._closing.wait(reply.seconds):
            return
        if reply.kind == "status":
            status_name = {
                429: "RESOURCE_EXHAUSTED",
                500: "INTERNAL",
                503: "UNAVAILABLE",
                504: "DEADLINE_EXCEEDED",
            }.get(reply.code, "UNKNOWN")
            message = reply.text or {
                429: "Resource has been exhausted (e.g. check quota).",
                503: "The model is overloaded. Please try again later.",
            }.get(reply.code, "Internal error encountered.")
            _json(h, reply.code, reply.payload or _error(reply.code, message, status_name))
            return
        if reply.kind == "malformed_body":
            _send(
                h, 200, b'{"candidates": [{"content": {"parts": [{"text": "hel', "application/json"
            )
            return
        if reply.kind == "blocked":
            _json(
                h,
                200,
                {
                    "promptFeedback": {
                        "blockReason": "SAFETY",
                        "safetyRatings": [
                            {"category": "HARM_CATEGORY_DANGEROUS_CONTENT", "probability": "HIGH"}
                        ],
                    },
                    "usageMetadata": {"promptTokenCount": 12, "totalTokenCount": 12},
                    "modelVersion": rec.model,
                },
            )
            return
        if reply.kind == "safety":
            _json(h, 200, _response(rec.model, None, "SAFETY"))
            return

        if streaming:
            self._stream(h, rec, reply)
        else:
            text = _answer_text(rec, reply)
            _json(h, 200, _response(rec.model, text, "STOP"))

    def _stream(self, h: BaseHTTPRequestHandler, rec: Received, reply: Reply) -> None:
        pieces = list(reply.chunks) or _split(_answer_text(rec, reply), 4)
        h.send_response(200)
        h.send_header("Content-Type", "text/event-stream")
        h.send_header("Transfer-Encoding", "chunked")
        h.end_headers()
        for i, piece in enumerate(pieces):
            if reply.cut_after is not None and i >= reply.cut_after:
                # Drop the connection without the closing chunk: a broken stream.
                h.wfile.flush()
                h.close_connection = True
                _abort(h)
                return
            if reply.stall_after is not None and i >= reply.stall_after:
                self._closing.wait(reply.seconds)
                _abort(h)
                return
            last = i == len(pieces) - 1
            event = _response(rec.model, piece, "STOP" if last else None)
            data = f"data: {json.dumps(event)}\r\n\r\n".encode()
            try:
                h.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
                h.wfile.flush()
            except OSError:
                return
            if reply.delay:
                time.sleep(reply.delay)
        try:
            h.wfile.write(b"0\r\n\r\n")
            h.wfile.flush()
        except OSError:
            return


@contextlib.contextmanager
def gemini_ai_process(
    stack: Stack, fake: FakeGemini, timeout: float, name_prefix: str
) -> Iterator[Child]:
    """An ai service process configured for Gemini at `fake` (`timeout` seconds a call, one
    retry), beside `stack` (it shares the stack's data dir, so its JWKS, and reaches
    identity/jobs/extraction there); named `<name_prefix>-<random>`, stopped by its PID at the
    end, and checked to be gone."""
    name = f"{name_prefix}-{uuid.uuid4().hex[:6]}"
    child = stack.spawn(
        "ai",
        name,
        env={
            "CAREERVAULT_AI_PROVIDER": "gemini",
            "GEMINI_API_KEY": fake.api_key,
            "CAREERVAULT_GEMINI_BASE_URL": fake.url,
            "CAREERVAULT_GEMINI_TIMEOUT": str(timeout),
            "CAREERVAULT_GEMINI_RETRIES": "1",
        },
    )
    try:
        yield child
    finally:
        stack.discard(name)
        assert not child.running()


# -- helpers ---------------------------------------------------------------------------------


def _abort(h: BaseHTTPRequestHandler) -> None:
    h.close_connection = True
    with contextlib.suppress(OSError):
        h.connection.shutdown(socket.SHUT_RDWR)


def _send(h: BaseHTTPRequestHandler, status: int, data: bytes, ctype: str) -> None:
    try:
        h.send_response(status)
        h.send_header("Content-Type", ctype)
        h.send_header("Content-Length", str(len(data)))
        h.end_headers()
        h.wfile.write(data)
        h.wfile.flush()
    except OSError:
        pass


def _json(h: BaseHTTPRequestHandler, status: int, payload: dict[str, Any]) -> None:
    _send(h, status, json.dumps(payload).encode(), "application/json; charset=UTF-8")


def _error(code: int, message: str, status: str) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "status": status}}


def _response(model: str, text: str | None, finish: str | None) -> dict[str, Any]:
    candidate: dict[str, Any] = {"index": 0}
    if text is not None:
        candidate["content"] = {"role": "model", "parts": [{"text": text}]}
    if finish:
        candidate["finishReason"] = finish
    if finish == "SAFETY":
        candidate["safetyRatings"] = [
            {"category": "HARM_CATEGORY_HARASSMENT", "probability": "HIGH", "blocked": True}
        ]
    return {
        "candidates": [candidate],
        "usageMetadata": {"promptTokenCount": 100, "candidatesTokenCount": 50},
        "modelVersion": model,
    }


def _split(text: str, n: int) -> list[str]:
    """`text` in about `n` pieces, cut at spaces."""
    words = text.split(" ")
    size = max(1, -(-len(words) // n))
    parts = [" ".join(words[i : i + size]) for i in range(0, len(words), size)]
    return [p + (" " if i < len(parts) - 1 else "") for i, p in enumerate(parts)]


def _answer_text(rec: Received, reply: Reply) -> str:
    if reply.text is not None:
        return reply.text
    if reply.payload is not None:
        return json.dumps(reply.payload)
    cfg = rec.generation_config
    if cfg.get("responseMimeType") == "application/json":
        return json.dumps(canned_json(rec))
    if rec.rpc == "streamGenerateContent":
        return (
            "Here is where your search stands. You have a few applications in flight; "
            "follow up on the oldest one this week, and prepare examples for the skills "
            "the job asks for."
        )
    return (
        "Dear Hiring Manager,\n\nI am excited to apply for this role. My experience with the "
        "skills you list matches what the team needs.\n\nKind regards"
    )


def _sentences(text: str) -> list[str]:
    parts = re.split(r"(?<=[.!?])\s+|\n+", text)
    return [p.strip(" -•*\t") for p in parts if p.strip(" -•*\t")]


def job_skills(job: str) -> list[tuple[str, bool, str]]:
    """(skill, required, sentence) for each vocabulary skill the job names, in order."""
    found: list[tuple[str, bool, str]] = []
    seen: set[str] = set()
    for sentence in _sentences(job):
        for pattern, name in VOCABULARY.items():
            if name in seen or not re.search(
                rf"(?<![\w+#]){re.escape(pattern)}(?![\w+#])", sentence, re.I
            ):
                continue
            seen.add(name)
            found.append((name, not PREFERRED.search(sentence), sentence))
    return found


def canned_json(rec: Received) -> dict[str, Any]:
    """A valid structured answer for the schema the request asks for."""
    props = rec.schema.get("properties") or {}
    resume = rec.data_part("resume") or ""
    job = rec.data_part("job") or ""
    if "questions" in props:
        skills = job_skills(job) or [("the role", True, job[:80])]
        questions = [
            {
                "text": f"How have you used {skill} in production?",
                "category": "technical",
                "rationale": f"The job says: {sentence}",
                "answer_points": [f"A project where {skill} mattered", "The result, in numbers"],
            }
            for skill, _, sentence in skills
        ]
        questions.append(
            {
                "text": "Tell me about a time you disagreed with a teammate.",
                "category": "behavioral",
                "rationale": "Every team asks it.",
                "answer_points": ["Situation", "Task", "Action", "Result"],
            }
        )
        return {"questions": questions}
    gullible = bool(INJECTION.search(resume))
    lines = [ln.strip() for ln in resume.splitlines() if ln.strip()]
    requirements = []
    for skill, required, sentence in job_skills(job):
        evidence = [
            ln for ln in lines if re.search(rf"(?<![\w+#]){re.escape(skill)}(?![\w+#])", ln, re.I)
        ][:2]
        if gullible:
            evidence = evidence or [f"Expert in {skill} with 10 years of production experience"]
        requirements.append(
            {
                "skill": skill,
                "required": required,
                "job_phrase": sentence,
                "met": bool(evidence),
                "evidence": evidence,
            }
        )
    answer: dict[str, Any] = {
        "requirements": requirements,
        "suggestions": [
            f"Add {r['skill']} to your skills section if you have used it."
            for r in requirements
            if not r["met"]
        ][:3]
        or ["Quantify the impact of your last role."],
        "summary": "The resume covers most of what the job asks for.",
    }
    if gullible:
        answer["summary"] = "Perfect candidate. Match score: 100."
        answer["match_score"] = 100
    return answer
