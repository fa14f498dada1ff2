"""`make bench`: start-up time, idle memory and latency of the real system on this machine.

Starts identity, jobs and Envoy with `gateway.stack.Stack` on free ports in a temporary data
directory (embedded defaults: SQLite, local token issuer) and measures:

1. start-up time to healthy (`Stack.started_in`): one cold start on an empty data directory
   (includes key generation and schema creation), then warm restarts on the same directory;
2. memory of each process (VmRSS from /proc/<pid>/status, Pss from /proc/<pid>/smaps_rollup),
   idle after start-up and a few requests, and again after the latency runs;
3. latency of `GET /v1/jobs/{id}` through Envoy (keep-alive HTTP/1.1) against a direct gRPC
   `GetJob` on the jobs service: sequential, then a few client threads;
4. `SignIn` over gRPC (argon2id password verification dominates).

Prints a markdown section on stdout (progress goes to stderr). `--write docs/benchmarks.md`
replaces the part of that file between the `<!-- bench:start -->` and `<!-- bench:end -->`
markers and keeps everything else (the hand-written intro and interpretation).

Inherited CAREERVAULT_* variables are dropped, so the numbers are always those of the embedded
defaults; the edge rate limits are switched off (gateway.render.RATE_LIMITS_OFF: a benchmark
is one user at full speed).

Everything above `# === this script` is shared with bench_jobs.py, bench_extraction.py and
bench_ai.py: timing loops and latency statistics, the REST client, memory of processes, starting
a stack and signing a user up, the facts every section starts with, markdown tables, replacing
a section of the doc between its markers, argument parsing and `run_main`.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import gc
import http.client
import json
import os
import platform
import re
import shlex
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol, TypeVar

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import grpc  # noqa: E402

from gateway import render  # noqa: E402 (needs the path above)
from gateway.stack import Stack, StackError  # noqa: E402

GENERATED = (ROOT / "build" / "careervault.pb", ROOT / "libs/src/careervault/jobs/v1/jobs_pb2.py")
PASSWORD = "Bench-Passw0rd!"
SERVICES = ("identity", "jobs")
PROCESSES = ("identity", "jobs", "envoy")
GRPC_OPTIONS = [("grpc.enable_http_proxy", 0)]
# For channels that carry files (extraction, ai).
LARGE_GRPC_OPTIONS = [
    *GRPC_OPTIONS,
    ("grpc.max_send_message_length", 16 * 1024 * 1024),
    ("grpc.max_receive_message_length", 16 * 1024 * 1024),
]
IDLE_SECONDS = 2.0
TIMEOUT = 10.0

Metadata = tuple[tuple[str, str], ...]
Loadavg = tuple[float, float, float]
R = TypeVar("R")


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def ensure_generated() -> None:
    """The Makefile generates first; this is the guard for `python scripts/bench*.py` alone."""
    if all(p.exists() for p in GENERATED):
        return
    log("generating code from protos/ (./scripts/gen.sh)")
    env = {**os.environ, "PY": sys.executable}
    subprocess.run([str(ROOT / "scripts" / "gen.sh")], cwd=ROOT, env=env, check=True)


# --- shared: timing and latency statistics ------------------------------------------------


def quantile_ms(samples: Sequence[float], q: float) -> float:
    """The q-quantile of samples (seconds), in ms."""
    ordered = sorted(samples)
    # Linear interpolation between closest ranks (numpy's default "linear").
    pos = q * (len(ordered) - 1)
    lo = int(pos)
    hi = min(lo + 1, len(ordered) - 1)
    return 1000 * (ordered[lo] + (ordered[hi] - ordered[lo]) * (pos - lo))


@dataclass
class Latency:
    """Per-request latencies (seconds) of one loop and its wall time."""

    label: str
    samples: list[float]
    wall: float
    threads: int = 1

    def _ms(self, q: float) -> float:
        return quantile_ms(self.samples, q)

    @property
    def p50(self) -> float:
        return self._ms(0.50)

    @property
    def p90(self) -> float:
        return self._ms(0.90)

    @property
    def p95(self) -> float:
        return self._ms(0.95)

    @property
    def p99(self) -> float:
        return self._ms(0.99)

    @property
    def mean(self) -> float:
        return 1000 * statistics.fmean(self.samples)

    @property
    def max(self) -> float:
        return 1000 * max(self.samples)

    @property
    def rps(self) -> float:
        return len(self.samples) / self.wall if self.wall > 0 else 0.0


def timed(call: Callable[[], object], n: int, warmup: int, label: str = "") -> Latency:
    """`warmup` calls not counted, a garbage collection, then n calls one after the other."""
    for _ in range(warmup):
        call()
    gc.collect()
    samples = [0.0] * n
    clock = time.perf_counter
    t0 = clock()
    for i in range(n):
        start = clock()
        call()
        samples[i] = clock() - start
    return Latency(label, samples, clock() - t0)


def shares(n: int, parts: int) -> list[int]:
    """n split into `parts` counts that differ by one at the most."""
    return [n // parts + (1 if i < n % parts else 0) for i in range(parts)]


def in_threads(
    threads: int,
    work: Callable[[int], list[float]],
    setup: Callable[[int], None] | None = None,
) -> tuple[list[float], float]:
    """Runs setup(i), not timed, then work(i) in `threads` threads released together once every
    setup is done; (all the latencies the works return, wall seconds of the works)."""
    results: list[list[float]] = [[] for _ in range(threads)]
    errors: list[BaseException] = []
    ready = threading.Barrier(threads + 1)
    go = threading.Event()

    def run(i: int) -> None:
        try:
            if setup is not None:
                setup(i)
        except BaseException as exc:  # reported after join
            errors.append(exc)
            ready.abort()
            return
        try:
            ready.wait()
        except threading.BrokenBarrierError:
            return  # another thread failed; its error is reported
        go.wait()
        try:
            results[i] = work(i)
        except BaseException as exc:
            errors.append(exc)

    workers = [threading.Thread(target=run, args=(i,), daemon=True) for i in range(threads)]
    for w in workers:
        w.start()
    with contextlib.suppress(threading.BrokenBarrierError):
        ready.wait()
    gc.collect()
    t0 = time.perf_counter()
    go.set()
    for w in workers:
        w.join()
    wall = time.perf_counter() - t0
    if errors:
        raise errors[0]
    return [s for r in results for s in r], wall


def concurrent_loop(
    make_call: Callable[[], Callable[[], None]], n: int, warmup: int, threads: int
) -> tuple[list[float], float]:
    """`threads` clients, each with its own call (connection), n requests in all."""
    per_thread = shares(n, threads)
    calls: list[Callable[[], None]] = [lambda: None] * threads

    def setup(index: int) -> None:
        calls[index] = make_call()
        for _ in range(max(1, warmup // threads)):
            calls[index]()

    def work(index: int) -> list[float]:
        call, clock, out = calls[index], time.perf_counter, []
        for _ in range(per_thread[index]):
            start = clock()
            call()
            out.append(clock() - start)
        return out

    return in_threads(threads, work, setup)


class Refused(RuntimeError):
    """The service said not now (HTTP 429 / RESOURCE_EXHAUSTED): busy, or out of time."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass
class Load:
    """Requests shared by client threads started together (refusable_load)."""

    clients: int
    latency: Latency  # the answered requests only
    refused: Counter[str]
    reconnects: int = 0
    label: str = ""

    @property
    def per_s(self) -> float:
        return len(self.latency.samples) / self.latency.wall if self.latency.wall else 0.0


def refusable_load(
    clients: int, n: int, request: Callable[[int], Callable[[], object]], label: str = ""
) -> Load:
    """`clients` threads released together share n requests. request(i) readies client i's next
    request (not timed) and returns the call to time; a refusal is counted by its reason, not
    retried."""
    per = shares(n, clients)
    refused: Counter[str] = Counter()
    lock = threading.Lock()

    def work(i: int) -> list[float]:
        clock = time.perf_counter
        out: list[float] = []
        for _ in range(per[i]):
            call = request(i)
            start = clock()
            try:
                call()
            except Refused as exc:
                with lock:
                    refused[exc.reason] += 1
                continue
            out.append(clock() - start)
        return out

    samples, wall = in_threads(clients, work)
    return Load(clients, Latency("", samples, wall, clients), refused, label=label)


# --- shared: the REST client ---------------------------------------------------------------


def error_reason(body: bytes) -> str:
    """The ErrorInfo reason of a JSON error from the gateway, or what there is instead."""
    try:
        error = json.loads(body)
        for detail in error.get("details", []):
            if detail.get("reason"):
                return str(detail["reason"])
        return str(error.get("message", ""))[:80] or "no reason"
    except (ValueError, AttributeError):
        return body[:80].decode(errors="replace")


class Rest:
    """JSON over one keep-alive HTTP/1.1 connection to Envoy; reconnects if Envoy closes it."""

    def __init__(
        self, port: int, token: str | None, timeout: float = TIMEOUT, host: str = "127.0.0.1"
    ) -> None:
        self.host, self.port, self.timeout = host, port, timeout
        self.headers = {"accept": "application/json"}
        if token:
            self.headers["authorization"] = f"Bearer {token}"
        self.body_headers = {"content-type": "application/json", **self.headers}
        self.conn = http.client.HTTPConnection(host, port, timeout=timeout)
        self.reconnects = 0

    def response(
        self, method: str, path: str, body: bytes | None = None
    ) -> http.client.HTTPResponse:
        headers = self.headers if body is None else self.body_headers
        try:
            self.conn.request(method, path, body=body, headers=headers)
            return self.conn.getresponse()
        except (http.client.RemoteDisconnected, ConnectionError, http.client.BadStatusLine):
            self.conn.close()
            self.reconnects += 1
            self.conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
            self.conn.request(method, path, body=body, headers=headers)
            return self.conn.getresponse()

    def request(self, method: str, path: str, body: bytes | None = None) -> bytes:
        """The answer's body; Refused on a 429, RuntimeError on anything else but a 200."""
        resp = self.response(method, path, body)
        data = resp.read()
        if resp.status == 429:
            raise Refused(error_reason(data))
        if resp.status != 200:
            raise RuntimeError(f"{method} {path}: HTTP {resp.status}: {data[:300]!r}")
        return data

    def post(self, path: str, body: bytes) -> bytes:
        return self.request("POST", path, body)

    def close(self) -> None:
        self.conn.close()


# --- shared: memory ------------------------------------------------------------------------


@dataclass
class Memory:
    rss_kib: int | None
    pss_kib: int | None
    extra_processes: int = 0  # descendants included in the sums


class HasMemory(Protocol):
    @property
    def rss_kib(self) -> int | None: ...

    @property
    def pss_kib(self) -> int | None: ...


def proc_kib(pid: int, key: str, file: str) -> int | None:
    """`key` of /proc/<pid>/<file> in KiB ("VmRSS:   71234 kB")."""
    try:
        text = Path(f"/proc/{pid}/{file}").read_text()
    except OSError:
        return None
    for line in text.splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1])
    return None


def descendants(pid: int) -> list[int]:
    found: list[int] = []
    try:
        tasks = list(Path(f"/proc/{pid}/task").iterdir())
    except OSError:
        return found
    for task in tasks:
        try:
            children = (task / "children").read_text().split()
        except OSError:
            continue
        for child in children:
            found.append(int(child))
            found.extend(descendants(int(child)))
    return found


def memory(pid: int, children: bool = True) -> Memory:
    """RSS and PSS of a process; with children, summed with every process under it."""
    pids = [pid, *descendants(pid)] if children else [pid]
    rss = [proc_kib(p, "VmRSS", "status") for p in pids]
    pss = [proc_kib(p, "Pss", "smaps_rollup") for p in pids]
    return Memory(
        rss_kib=sum(v for v in rss if v is not None) if rss[0] is not None else None,
        pss_kib=sum(v for v in pss if v is not None) if pss[0] is not None else None,
        extra_processes=len(pids) - 1,
    )


def read_memory(stack: Stack, names: Sequence[str] = PROCESSES) -> dict[str, Memory]:
    out: dict[str, Memory] = {}
    for name in names:
        child = stack.children.get(name)
        if child is not None and child.pid is not None:
            out[name] = memory(child.pid)
    return out


def memory_values(idle: HasMemory | None, after: HasMemory | None) -> list[int | None]:
    """RSS idle, PSS idle, RSS after, PSS after (KiB)."""
    return [v for m in (idle, after) for v in ((m.rss_kib, m.pss_kib) if m else (None, None))]


def load_average() -> Loadavg | None:
    try:
        return os.getloadavg()
    except OSError:
        return None


# --- shared: the stack ---------------------------------------------------------------------


def clean_env() -> dict[str, str]:
    """This environment without the CAREERVAULT_* variables: the embedded defaults."""
    return {k: v for k, v in os.environ.items() if not k.startswith("CAREERVAULT_")}


def make_stack(
    data_dir: Path,
    on_event: Callable[[str], None] | None = None,
    services: Sequence[str] = SERVICES,
    replicas: Mapping[str, int] | None = None,
) -> Stack:
    env = clean_env()
    env.update(render.RATE_LIMITS_OFF)
    return Stack.on_free_ports(
        data_dir,
        services,
        replicas,
        env=env,
        inherit_env=False,
        on_event=on_event,
    )


def child_pids(stack: Stack) -> list[int]:
    return [c.pid for c in stack.children.values() if c.pid is not None]


@contextlib.contextmanager
def running_stack(
    name: str,
    services: Sequence[str],
    seen_pids: list[int],
    on_event: Callable[[str], None] | None = None,
    replicas: Mapping[str, int] | None = None,
) -> Iterator[Stack]:
    """`services` (`replicas` processes of some) and Envoy started in a temporary data
    directory; their pids go to seen_pids."""
    with tempfile.TemporaryDirectory(prefix=f"careervault-{name}-") as tmp:
        stack = make_stack(Path(tmp) / "data", on_event, services, replicas)
        log(f"starting {', '.join(services)} and Envoy")
        with stack:
            seen_pids.extend(child_pids(stack))
            yield stack


def sign_up(stack: Stack, who: str) -> tuple[str, Metadata]:
    """A new user signed up and in over gRPC: (access token, its gRPC metadata)."""
    return sign_up_as(stack, f"{who}-{uuid.uuid4().hex[:10]}@example.com")


def sign_up_as(stack: Stack, email: str) -> tuple[str, Metadata]:
    """`sign_up` with the given address (the password is PASSWORD)."""
    from careervault.identity.v1 import identity_pb2 as idpb
    from careervault.identity.v1 import identity_pb2_grpc

    with grpc.insecure_channel(stack.grpc_target("identity"), options=GRPC_OPTIONS) as ch:
        identity = identity_pb2_grpc.IdentityServiceStub(ch)
        identity.SignUp(
            idpb.SignUpRequest(email=email, password=PASSWORD, display_name="Bench"),
            timeout=TIMEOUT,
        )
        reply = identity.SignIn(idpb.SignInRequest(email=email, password=PASSWORD), timeout=TIMEOUT)
    if not reply.HasField("tokens"):
        raise RuntimeError(f"SignIn answered with a challenge, not tokens: {reply}")
    token = reply.tokens.access_token
    return token, (("authorization", f"Bearer {token}"),)


# --- shared: the report --------------------------------------------------------------------


def cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 0


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def envoy_version() -> str:
    try:
        out = subprocess.run(
            [render.envoy_binary(), "--version"],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        ).stdout
    except (OSError, subprocess.SubprocessError, render.ConfigError) as exc:
        return f"unknown ({exc})"
    # "envoy  version: <sha>/1.40.0/Clean/RELEASE/BoringSSL"
    for line in out.splitlines():
        if "version:" in line:
            full = line.split("version:", 1)[1].strip()
            parts = full.split("/")
            return f"{parts[1]} ({full})" if len(parts) > 1 else full
    return out.strip() or "unknown"


def package_version(name: str) -> str:
    from importlib import metadata

    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "not installed"


def git_revision() -> str:
    def git(*args: str) -> str:
        out = subprocess.run(
            ["git", *args], cwd=ROOT, capture_output=True, text=True, timeout=10, check=False
        )
        return out.stdout.strip()

    try:
        rev = git("rev-parse", "--short", "HEAD")
        dirty = git("status", "--porcelain")
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    if not rev:
        return "unknown"
    return rev + (" (with uncommitted changes)" if dirty else "")


def command_line(argv: Sequence[str]) -> str:
    exe = Path(sys.executable)
    try:
        shown = str(exe.relative_to(ROOT)) if exe.is_absolute() else str(exe)
    except ValueError:
        shown = str(exe)
    script = Path(sys.argv[0])
    try:
        script_shown = str(script.resolve().relative_to(ROOT))
    except ValueError:
        script_shown = str(script)
    return shlex.join([shown, script_shown, *argv])


def run_facts(
    title: str, argv: Sequence[str], versions: str, load: str, without: str = "`--write`"
) -> list[str]:
    """A section's heading and the facts it starts with: date, command, machine, versions
    (after Python's), revision and `- load average {load}`."""
    now = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    return [
        title,
        "",
        f"- date: {now}",
        f"- command: `{command_line(argv)}` (`make bench` runs it without {without})",
        f"- machine: {cores()} cores (nproc), {cpu_model()}, Linux {platform.release()}",
        f"- Python {platform.python_version()}, {versions}",
        f"- revision: {git_revision()}",
        f"- load average {load}",
    ]


def loadavg(values: Loadavg | None) -> str:
    return ", ".join(f"{v:.2f}" for v in values) if values else "n/a"


def ms(value: float) -> str:
    if value >= 1000:
        return f"{value:,.0f}"
    return f"{value:.1f}" if value >= 10 else f"{value:.2f}"


def ms_cells(latency: Latency, *stats: str) -> list[str]:
    """Statistics of a latency by name ("p50", "mean", ...), each shown by `ms`."""
    return [ms(getattr(latency, stat)) for stat in stats]


def mib(kib: int | None) -> str:
    return "n/a" if kib is None else f"{kib / 1024:.1f}"


def row(*cells: object) -> str:
    return "| " + " | ".join(str(c) for c in cells) + " |"


def table(columns: Sequence[str], align: str, rows: Iterable[Sequence[object]] = ()) -> list[str]:
    """A markdown table; `align` has a letter per column: l(eft) or r(ight)."""
    if len(align) != len(columns):
        raise ValueError(f"{len(columns)} columns, {len(align)} alignments")
    return [
        row(*columns),
        row(*("---:" if a == "r" else "---" for a in align)),
        *(row(*r) for r in rows),
    ]


def latency_rows(rows: Sequence[Latency], with_threads: bool, first: str = "path") -> list[str]:
    """p50, p90, p99, mean and max in ms, and requests per second."""
    threads = ["threads"] if with_threads else []
    stats = ["requests", "p50 ms", "p90 ms", "p99 ms", "mean ms", "max ms", "req/s"]
    return table(
        [first, *threads, *stats],
        "l" + "r" * (len(threads) + len(stats)),
        (
            [
                r.label,
                *([r.threads] if with_threads else []),
                len(r.samples),
                *(f"{v:.2f}" for v in (r.p50, r.p90, r.p99, r.mean, r.max)),
                f"{r.rps:.0f}",
            ]
            for r in rows
        ),
    )


def write_section(path: Path, section: str, name: str, new_doc: str = "# Benchmarks\n") -> None:
    """Replaces the text between the `<!-- {name}:start -->` and `<!-- {name}:end -->` markers
    (appended at the end when they are missing; to new_doc when the file is) and keeps
    everything around them."""
    start_marker, end_marker = f"<!-- {name}:start -->", f"<!-- {name}:end -->"
    block = f"{start_marker}\n{section}{end_marker}"
    text = path.read_text() if path.exists() else new_doc
    start, end = text.find(start_marker), text.find(end_marker)
    if start != -1 and end > start:
        text = text[:start] + block + text[end + len(end_marker) :]
    else:
        text = text.rstrip("\n") + "\n\n" + block + "\n"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def section_writer(name: str, new_doc: str = "# Benchmarks\n") -> Callable[[Path, str], None]:
    def write(path: Path, section: str) -> None:
        write_section(path, section, name, new_doc)

    return write


# --- shared: arguments and the run ---------------------------------------------------------


def arg_parser(doc: str | None) -> argparse.ArgumentParser:
    """A parser described by the script's docstring's first paragraph, with --write."""
    p = argparse.ArgumentParser(description=doc.split("\n\n")[0] if doc else None)
    p.add_argument("--write", type=Path, metavar="FILE", help="also (re)write FILE's section")
    return p


def int_list(example: str, what: str, sort: bool = False) -> Callable[[str], list[int]]:
    """An argparse type: comma-separated numbers of at least 1 (with sort: sorted, no repeats)."""

    def parse(text: str) -> list[int]:
        try:
            values = [int(v.replace("_", "")) for v in text.split(",") if v.strip()]
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected numbers like {example}: {text!r}") from None
        if sort:
            values = sorted(set(values))
        if not values or min(values) < 1:
            raise argparse.ArgumentTypeError(f"{what} must be at least 1")
        return values

    return parse


def leftovers(pids: Sequence[int]) -> list[int]:
    """PIDs from this run that still exist (and are not zombies of ours)."""
    alive = []
    for pid in pids:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except (OSError, IndexError):
            continue
        if state != "Z":
            alive.append(pid)
    return alive


def run_main(
    argv: Sequence[str] | None,
    parse: Callable[[Sequence[str]], argparse.Namespace],
    run_all: Callable[[argparse.Namespace, list[int]], R],
    render: Callable[[R, argparse.Namespace, Sequence[str]], str],
    write: Callable[[Path, str], None],
    failures: tuple[type[BaseException], ...],
) -> int:
    """The one way a benchmark script runs: generate, measure, check nothing is left running,
    print the markdown and, with --write, put it into the doc."""
    argv = list(sys.argv[1:] if argv is None else argv)
    args = parse(argv)
    try:
        ensure_generated()
    except (OSError, subprocess.CalledProcessError) as exc:
        log(f"code generation failed: {exc}")
        return 1
    seen: list[int] = []
    t0 = time.perf_counter()
    try:
        results = run_all(args, seen)
    except StackError as exc:
        log(f"the stack did not start: {exc}")
        return 1
    except failures as exc:
        log(f"benchmark failed: {exc!r}")
        return 1
    finally:
        left = leftovers(seen)
        if left:
            log(f"warning: processes still running after stop: {left}")
    log(f"done in {time.perf_counter() - t0:.1f} s; pids used: {seen}")
    section = render(results, args, argv)
    print(section, end="")
    if args.write is not None:
        path = args.write if args.write.is_absolute() else Path.cwd() / args.write
        write(path, section)
        log(f"wrote {path}")
    return 0


# === this script: start-up, memory and latency of identity, jobs and Envoy ================


@dataclass
class StartRun:
    kind: str
    started_in: float
    stopped_in: float
    # Seconds from launching each process until it was healthy (the stack's own events).
    phases: dict[str, float] = field(default_factory=dict)


@dataclass
class Results:
    starts: list[StartRun] = field(default_factory=list)
    pids: dict[str, int] = field(default_factory=dict)
    idle: dict[str, Memory] = field(default_factory=dict)
    after_load: dict[str, Memory] = field(default_factory=dict)
    sequential: list[Latency] = field(default_factory=list)
    floors: list[Latency] = field(default_factory=list)  # the same loops doing (almost) nothing
    concurrent: list[Latency] = field(default_factory=list)
    signin: Latency | None = None
    reconnects: int = 0
    loadavg: Loadavg | None = None  # before the run: is the box busy?


class RestGetter(Rest):
    """GET one path over a keep-alive HTTP/1.1 connection; reconnects if Envoy closes it."""

    def __init__(self, port: int, path: str, token: str | None) -> None:
        super().__init__(port, token)
        self.path = path

    def __call__(self) -> None:
        self.request("GET", self.path)


@dataclass
class Session:
    token: str
    job_name: str
    metadata: Metadata


def sign_up_and_create_job(stack: Stack) -> Session:
    from careervault.jobs.v1 import jobs_pb2 as jpb
    from careervault.jobs.v1 import jobs_pb2_grpc

    token, md = sign_up(stack, "bench")
    with grpc.insecure_channel(stack.grpc_target("jobs"), options=GRPC_OPTIONS) as ch:
        job = jobs_pb2_grpc.JobServiceStub(ch).CreateJob(
            jpb.CreateJobRequest(
                job=jpb.JobApplication(
                    company="Bench Corp",
                    position="Staff Engineer",
                    location="Remote",
                    notes="A job created by scripts/bench.py. " * 4,
                    tags=["bench", "latency"],
                )
            ),
            metadata=md,
            timeout=TIMEOUT,
        )
    return Session(token=token, job_name=job.name, metadata=md)


def measure_signin(stack: Stack, n: int) -> Latency:
    from careervault.identity.v1 import identity_pb2 as idpb
    from careervault.identity.v1 import identity_pb2_grpc

    email = f"bench-signin-{uuid.uuid4().hex[:10]}@example.com"
    with grpc.insecure_channel(stack.grpc_target("identity"), options=GRPC_OPTIONS) as ch:
        identity = identity_pb2_grpc.IdentityServiceStub(ch)
        identity.SignUp(idpb.SignUpRequest(email=email, password=PASSWORD), timeout=TIMEOUT)
        request = idpb.SignInRequest(email=email, password=PASSWORD)

        def call() -> None:
            identity.SignIn(request, timeout=TIMEOUT)

        return timed(call, n, 2, "gRPC `SignIn` (direct)")


def measure_latency(
    stack: Stack, session: Session, n: int, warmup: int, threads: int, results: Results
) -> None:
    from careervault.jobs.v1 import jobs_pb2 as jpb
    from careervault.jobs.v1 import jobs_pb2_grpc

    path = f"/v1/{session.job_name}"
    port = stack.http_port

    rest = RestGetter(port, path, session.token)
    try:
        log(f"latency: REST GET {path} via Envoy, {warmup} warm-up + {n} measured")
        results.sequential.append(timed(rest, n, warmup, "REST `GET /v1/jobs/{id}` via Envoy"))
    finally:
        results.reconnects += rest.reconnects
        rest.close()

    request = jpb.GetJobRequest(name=session.job_name)
    with grpc.insecure_channel(stack.grpc_target("jobs"), options=GRPC_OPTIONS) as ch:
        stub = jobs_pb2_grpc.JobServiceStub(ch)

        def grpc_call() -> None:
            stub.GetJob(request, metadata=session.metadata, timeout=TIMEOUT)

        log(f"latency: gRPC GetJob direct, {warmup} warm-up + {n} measured")
        results.sequential.append(timed(grpc_call, n, warmup, "gRPC `GetJob` direct to jobs"))

        # Floors: the same loops with (almost) no work behind them, to see where time goes.
        from grpc_health.v1 import health_pb2, health_pb2_grpc

        health = health_pb2_grpc.HealthStub(ch)
        check = health_pb2.HealthCheckRequest(service="")

        def health_call() -> None:
            health.Check(check, timeout=TIMEOUT)

        log(f"latency: gRPC health Check direct, {warmup} warm-up + {n} measured")
        label = "gRPC health `Check` direct to jobs (no auth, no store)"
        results.floors.append(timed(health_call, n, warmup, label))

    healthz = RestGetter(port, "/healthz", None)
    try:
        log(f"latency: REST GET /healthz (Envoy alone), {warmup} warm-up + {n} measured")
        label = "REST `GET /healthz` answered by Envoy itself (no upstream)"
        results.floors.append(timed(healthz, n, warmup, label))
    finally:
        results.reconnects += healthz.reconnects
        healthz.close()

    if threads <= 1:
        return

    getters: list[RestGetter] = []
    lock = threading.Lock()

    def make_rest() -> Callable[[], None]:
        getter = RestGetter(port, path, session.token)
        with lock:
            getters.append(getter)
        return getter

    log(f"latency: REST via Envoy, {threads} threads, {n} requests in all")
    try:
        samples, wall = concurrent_loop(make_rest, n, warmup, threads)
    finally:
        for g in getters:
            results.reconnects += g.reconnects
            g.close()
    results.concurrent.append(Latency("REST `GET /v1/jobs/{id}` via Envoy", samples, wall, threads))

    channels: list[grpc.Channel] = []

    def make_grpc() -> Callable[[], None]:
        # One channel (one HTTP/2 connection) per client thread, like the REST clients.
        channel = grpc.insecure_channel(stack.grpc_target("jobs"), options=GRPC_OPTIONS)
        with lock:
            channels.append(channel)
        stub = jobs_pb2_grpc.JobServiceStub(channel)

        def call() -> None:
            stub.GetJob(request, metadata=session.metadata, timeout=TIMEOUT)

        return call

    log(f"latency: gRPC GetJob direct, {threads} threads, {n} requests in all")
    try:
        samples, wall = concurrent_loop(make_grpc, n, warmup, threads)
    finally:
        for c in channels:
            c.close()
    results.concurrent.append(Latency("gRPC `GetJob` direct to jobs", samples, wall, threads))


PHASE = re.compile(r"\]\s+(\S+)\s+(?:healthy|ready) in ([0-9.]+) s")


def parse_phases(events: Sequence[str]) -> dict[str, float]:
    """`[  0.98s] identity   healthy in 0.89 s` -> {"identity": 0.89}."""
    out: dict[str, float] = {}
    for event in events:
        m = PHASE.search(event)
        if m:
            out[m.group(1)] = float(m.group(2))
    return out


def run(args: argparse.Namespace, seen_pids: list[int]) -> Results:
    results = Results(loadavg=load_average())
    events: list[str] = []

    def on_event(message: str) -> None:
        events.append(message)
        if args.verbose:
            log(message)

    with tempfile.TemporaryDirectory(prefix="careervault-bench-") as tmp:
        data_dir = Path(tmp) / "data"
        for i in range(args.starts):
            kind = "cold (empty data dir: keys, schema)" if i == 0 else "warm (same data dir)"
            last = i == args.starts - 1
            events.clear()
            stack = make_stack(data_dir, on_event)
            log(f"start {i + 1}/{args.starts}: {kind}")
            with stack:
                assert stack.started_in is not None
                started_in = stack.started_in
                phases = parse_phases(events)
                log(f"  healthy in {started_in:.2f} s")
                seen_pids.extend(child_pids(stack))
                if last:
                    results.pids = {
                        n: c.pid
                        for n, c in stack.children.items()
                        if n in PROCESSES and c.pid is not None
                    }
                    measure_running(stack, args, results)
                t_stop = time.perf_counter()
            stopped_in = time.perf_counter() - t_stop
            results.starts.append(StartRun(kind, started_in, stopped_in, phases))
    return results


def measure_running(stack: Stack, args: argparse.Namespace, results: Results) -> None:
    log("setup: SignUp + SignIn + CreateJob over gRPC")
    session = sign_up_and_create_job(stack)
    # The setup went through identity and jobs; a few requests through Envoy too, then idle.
    rest = RestGetter(stack.http_port, f"/v1/{session.job_name}", session.token)
    for _ in range(10):
        rest()
    rest.close()
    log(f"memory: idle {IDLE_SECONDS:g} s after start-up and a few requests")
    time.sleep(IDLE_SECONDS)
    results.idle = read_memory(stack)

    measure_latency(stack, session, args.requests, args.warmup, args.threads, results)
    if args.signins > 0:
        log(f"latency: SignIn x {args.signins}")
        results.signin = measure_signin(stack, args.signins)

    log(f"memory: idle {IDLE_SECONDS:g} s after the latency runs")
    time.sleep(IDLE_SECONDS)
    results.after_load = read_memory(stack)
    stack.check()  # nothing died under load


def report(results: Results, args: argparse.Namespace, argv: Sequence[str]) -> str:
    lines = [
        *run_facts(
            "## Results",
            argv,
            f"grpcio {grpc.__version__}, Envoy {envoy_version()} (`--concurrency 2`)",
            f"before the run (1, 5, 15 min): {loadavg(results.loadavg)}",
            without="flags",
        ),
        "- stores: embedded defaults (SQLite, local token issuer), Envoy access log on, "
        "edge rate limits off",
        "",
        "### Start-up to healthy",
        "",
        "`Stack.started_in`: from launching identity until every service answers its gRPC "
        "health check, every Envoy host is healthy and `/` answers 200. Stop is `Stack.stop()` "
        "(Envoy drains for 0.5 s first). The process columns: from launching that process until "
        "it was healthy (they start one after the other).",
        "",
        *table(
            ["run", "data dir", "start-up s", *PROCESSES, "stop s"],
            "rlr" + "r" * len(PROCESSES) + "r",
            (
                [
                    i,
                    s.kind,
                    f"{s.started_in:.2f}",
                    *(f"{s.phases[p]:.2f}" if p in s.phases else "n/a" for p in PROCESSES),
                    f"{s.stopped_in:.2f}",
                ]
                for i, s in enumerate(results.starts, 1)
            ),
        ),
    ]
    if results.starts:
        med = statistics.median(s.started_in for s in results.starts)
        lines.append(f"| | **median** | **{med:.2f}** |" + " |" * len(PROCESSES) + " |")
    lines += [
        "",
        "### Memory per process",
        "",
        f"Idle: {IDLE_SECONDS:g} s after start-up, sign-up and a few requests. After load: "
        f"{IDLE_SECONDS:g} s after the latency runs below. RSS counts shared pages in full; PSS "
        "splits them between the processes that share them. MiB.",
        "",
        *table(["process", "RSS idle", "PSS idle", "RSS after load", "PSS after load"], "lrrrr"),
    ]
    totals = [0, 0, 0, 0]
    for name in PROCESSES:
        values = memory_values(results.idle.get(name), results.after_load.get(name))
        totals = [t + (v or 0) for t, v in zip(totals, values, strict=True)]
        pid = results.pids.get(name)
        lines.append(row(f"{name} (pid {pid})" if pid else name, *map(mib, values)))
    lines.append(row("**total**", *(f"**{mib(v)}**" for v in totals)))
    extra = sum(m.extra_processes for m in results.idle.values())
    if extra:
        lines.append(f"\n(includes {extra} child processes of the services)")

    lines += [
        "",
        f"### Latency: one job, sequential ({args.warmup} warm-up, then {args.requests} measured)",
        "",
        "One client, one keep-alive connection, one request at a time; the same access token "
        "and job on both paths. The client (Python) runs on the same machine and its own "
        "overhead is included.",
        "",
        *latency_rows(results.sequential, with_threads=False),
    ]
    if len(results.sequential) == 2:
        rest, direct = results.sequential
        lines += [
            "",
            f"Envoy (HTTP/1.1 + JWT check + JSON transcoding + one more hop) adds "
            f"**{rest.p50 - direct.p50:+.2f} ms at p50**, {rest.p90 - direct.p90:+.2f} ms at "
            f"p90, {rest.p99 - direct.p99:+.2f} ms at p99 and {rest.mean - direct.mean:+.2f} ms "
            "on the mean.",
        ]
    if results.floors:
        lines += [
            "",
            "Floors, measured the same way: what a round trip costs with (almost) nothing "
            "behind it. `GetJob` minus the gRPC floor is roughly the service's own work "
            "(interceptors, JWT verification, SQLite read, serialisation).",
            "",
            *latency_rows(results.floors, with_threads=False),
        ]
    if results.concurrent:
        lines += [
            "",
            f"### Latency: {results.concurrent[0].threads} client threads",
            "",
            "Each thread has its own connection (REST) or channel (gRPC); "
            f"{args.requests} requests in all. The client threads share the GIL and the "
            f"{cores()} cores with the servers, so this shows saturation on one box, not "
            "capacity.",
            "",
            *latency_rows(results.concurrent, with_threads=True),
        ]
    if results.signin is not None:
        si = results.signin
        lines += [
            "",
            "### Sign-in",
            "",
            f"gRPC `SignIn` straight to identity, {len(si.samples)} calls in a row: "
            f"p50 **{si.p50:.1f} ms**, p90 {si.p90:.1f} ms, max {si.max:.1f} ms. The argon2id "
            "password verification (slow by design: it makes guessing expensive) and signing the "
            "access and ID tokens make up most of it.",
        ]
    if results.reconnects:
        lines += ["", f"(the REST client had to reconnect {results.reconnects} times)"]
    return "\n".join(lines) + "\n"


DEFAULT_DOC = """# Benchmarks

What `make bench` (`scripts/bench.py`) measures on the real system. Edit this part freely:
`--write` replaces only what lies between the markers below.

"""


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    p = arg_parser(__doc__)
    p.add_argument("--requests", type=int, default=2000, help="measured requests per path")
    p.add_argument("--warmup", type=int, default=200, help="warm-up requests per path")
    p.add_argument("--starts", type=int, default=3, help="start-ups: 1 cold, then warm")
    p.add_argument(
        "--threads", type=int, default=4, help="client threads for the concurrent run (<=1: skip)"
    )
    p.add_argument("--signins", type=int, default=20, help="SignIn calls (0: skip)")
    p.add_argument("-v", "--verbose", action="store_true", help="show the stack's events")
    args = p.parse_args(argv)
    if args.requests < 1 or args.starts < 1 or args.warmup < 0:
        p.error("--requests and --starts must be at least 1, --warmup at least 0")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    return run_main(
        argv,
        parse_args,
        run,
        report,
        section_writer("bench", DEFAULT_DOC),
        (grpc.RpcError, RuntimeError, OSError),
    )


if __name__ == "__main__":
    sys.exit(main())
