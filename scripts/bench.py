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
defaults; the auth rate limit is switched off (CAREERVAULT_GATEWAY_AUTH_RATE_LIMIT=0).
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import gc
import http.client
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
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import grpc  # noqa: E402

from gateway import render  # noqa: E402 (needs the path above)
from gateway.stack import Stack, StackError, free_ports  # noqa: E402

GENERATED = (ROOT / "build" / "careervault.pb", ROOT / "libs/src/careervault/jobs/v1/jobs_pb2.py")
START_MARKER = "<!-- bench:start -->"
END_MARKER = "<!-- bench:end -->"
PASSWORD = "Bench-Passw0rd!"
SERVICES = ("identity", "jobs")
PROCESSES = ("identity", "jobs", "envoy")
GRPC_OPTIONS = [("grpc.enable_http_proxy", 0)]
IDLE_SECONDS = 2.0
TIMEOUT = 10.0

Metadata = tuple[tuple[str, str], ...]


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def ensure_generated() -> None:
    """The Makefile generates first; this is the guard for `python scripts/bench.py` alone."""
    if all(p.exists() for p in GENERATED):
        return
    log("generating code from protos/ (./scripts/gen.sh)")
    env = {**os.environ, "PY": sys.executable}
    subprocess.run([str(ROOT / "scripts" / "gen.sh")], cwd=ROOT, env=env, check=True)


# --- measurements -------------------------------------------------------------------------


@dataclass
class Latency:
    """Per-request latencies (seconds) of one loop and its wall time."""

    label: str
    samples: list[float]
    wall: float
    threads: int = 1
    errors: int = 0

    def _ms(self, q: float) -> float:
        ordered = sorted(self.samples)
        # Linear interpolation between closest ranks (numpy's default "linear").
        pos = q * (len(ordered) - 1)
        lo = int(pos)
        hi = min(lo + 1, len(ordered) - 1)
        return 1000 * (ordered[lo] + (ordered[hi] - ordered[lo]) * (pos - lo))

    @property
    def p50(self) -> float:
        return self._ms(0.50)

    @property
    def p90(self) -> float:
        return self._ms(0.90)

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


@dataclass
class Memory:
    rss_kib: int | None
    pss_kib: int | None
    extra_processes: int = 0  # descendants included in the sums


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
    loadavg: tuple[float, float, float] | None = None  # before the run: is the box busy?


def _status_kib(pid: int, key: str, file: str) -> int | None:
    try:
        text = Path(f"/proc/{pid}/{file}").read_text()
    except OSError:
        return None
    for line in text.splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1])  # "VmRSS:   71234 kB"
    return None


def _descendants(pid: int) -> list[int]:
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
            found.extend(_descendants(int(child)))
    return found


def memory(pid: int) -> Memory:
    """RSS and PSS of a process plus any process it spawned (the services spawn none today)."""
    pids = [pid, *_descendants(pid)]
    rss = [_status_kib(p, "VmRSS", "status") for p in pids]
    pss = [_status_kib(p, "Pss", "smaps_rollup") for p in pids]
    return Memory(
        rss_kib=sum(v for v in rss if v is not None) if rss[0] is not None else None,
        pss_kib=sum(v for v in pss if v is not None) if pss[0] is not None else None,
        extra_processes=len(pids) - 1,
    )


def timed_loop(call: Callable[[], None], n: int, warmup: int) -> tuple[list[float], float]:
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
    return samples, clock() - t0


def concurrent_loop(
    make_call: Callable[[], Callable[[], None]], n: int, warmup: int, threads: int
) -> tuple[list[float], float]:
    """`threads` clients, each with its own call (connection), n requests in all."""
    per_thread = [n // threads + (1 if i < n % threads else 0) for i in range(threads)]
    results: list[list[float]] = [[] for _ in range(threads)]
    errors: list[BaseException] = []
    ready = threading.Barrier(threads + 1)
    go = threading.Event()

    def worker(index: int) -> None:
        try:
            call = make_call()
            for _ in range(max(1, warmup // threads)):
                call()
        except BaseException as exc:  # reported after join
            errors.append(exc)
            ready.abort()
            return
        try:
            ready.wait()
        except threading.BrokenBarrierError:
            return  # another worker failed; its error is reported
        go.wait()
        clock = time.perf_counter
        out = results[index]
        try:
            for _ in range(per_thread[index]):
                start = clock()
                call()
                out.append(clock() - start)
        except BaseException as exc:
            errors.append(exc)

    workers = [threading.Thread(target=worker, args=(i,), daemon=True) for i in range(threads)]
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


class RestGetter:
    """GET one path over a keep-alive HTTP/1.1 connection; reconnects if Envoy closes it."""

    def __init__(self, host: str, port: int, path: str, token: str | None) -> None:
        self.host, self.port, self.path = host, port, path
        self.headers = {"accept": "application/json"}
        if token:
            self.headers["authorization"] = f"Bearer {token}"
        self.conn = http.client.HTTPConnection(host, port, timeout=TIMEOUT)
        self.reconnects = 0

    def __call__(self) -> None:
        try:
            self.conn.request("GET", self.path, headers=self.headers)
            resp = self.conn.getresponse()
        except (http.client.RemoteDisconnected, ConnectionError, http.client.BadStatusLine):
            self.conn.close()
            self.reconnects += 1
            self.conn = http.client.HTTPConnection(self.host, self.port, timeout=TIMEOUT)
            self.conn.request("GET", self.path, headers=self.headers)
            resp = self.conn.getresponse()
        body = resp.read()
        if resp.status != 200:
            raise RuntimeError(f"GET {self.path}: HTTP {resp.status}: {body[:300]!r}")

    def close(self) -> None:
        self.conn.close()


@dataclass
class Session:
    token: str
    job_name: str
    metadata: Metadata


def sign_up_and_create_job(stack: Stack) -> Session:
    from careervault.identity.v1 import identity_pb2 as idpb
    from careervault.identity.v1 import identity_pb2_grpc
    from careervault.jobs.v1 import jobs_pb2 as jpb
    from careervault.jobs.v1 import jobs_pb2_grpc

    email = f"bench-{uuid.uuid4().hex[:10]}@example.com"
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
    md: Metadata = (("authorization", f"Bearer {token}"),)
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

        samples, wall = timed_loop(call, n, warmup=2)
    return Latency("gRPC `SignIn` (direct)", samples, wall)


def measure_latency(
    stack: Stack, session: Session, n: int, warmup: int, threads: int, results: Results
) -> None:
    from careervault.jobs.v1 import jobs_pb2 as jpb
    from careervault.jobs.v1 import jobs_pb2_grpc

    path = f"/v1/{session.job_name}"
    host, port = "127.0.0.1", stack.http_port

    rest = RestGetter(host, port, path, session.token)
    try:
        log(f"latency: REST GET {path} via Envoy, {warmup} warm-up + {n} measured")
        samples, wall = timed_loop(rest, n, warmup)
        results.sequential.append(Latency("REST `GET /v1/jobs/{id}` via Envoy", samples, wall))
    finally:
        results.reconnects += rest.reconnects
        rest.close()

    request = jpb.GetJobRequest(name=session.job_name)
    with grpc.insecure_channel(stack.grpc_target("jobs"), options=GRPC_OPTIONS) as ch:
        stub = jobs_pb2_grpc.JobServiceStub(ch)

        def grpc_call() -> None:
            stub.GetJob(request, metadata=session.metadata, timeout=TIMEOUT)

        log(f"latency: gRPC GetJob direct, {warmup} warm-up + {n} measured")
        samples, wall = timed_loop(grpc_call, n, warmup)
        results.sequential.append(Latency("gRPC `GetJob` direct to jobs", samples, wall))

        # Floors: the same loops with (almost) no work behind them, to see where time goes.
        from grpc_health.v1 import health_pb2, health_pb2_grpc

        health = health_pb2_grpc.HealthStub(ch)
        check = health_pb2.HealthCheckRequest(service="")

        def health_call() -> None:
            health.Check(check, timeout=TIMEOUT)

        log(f"latency: gRPC health Check direct, {warmup} warm-up + {n} measured")
        samples, wall = timed_loop(health_call, n, warmup)
        results.floors.append(
            Latency("gRPC health `Check` direct to jobs (no auth, no store)", samples, wall)
        )

    healthz = RestGetter(host, port, "/healthz", None)
    try:
        log(f"latency: REST GET /healthz (Envoy alone), {warmup} warm-up + {n} measured")
        samples, wall = timed_loop(healthz, n, warmup)
        results.floors.append(
            Latency("REST `GET /healthz` answered by Envoy itself (no upstream)", samples, wall)
        )
    finally:
        results.reconnects += healthz.reconnects
        healthz.close()

    if threads <= 1:
        return

    getters: list[RestGetter] = []
    lock = threading.Lock()

    def make_rest() -> Callable[[], None]:
        getter = RestGetter(host, port, path, session.token)
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


def read_memory(stack: Stack) -> dict[str, Memory]:
    out: dict[str, Memory] = {}
    for name in PROCESSES:
        child = stack.children.get(name)
        if child is not None and child.pid is not None:
            out[name] = memory(child.pid)
    return out


# --- the run ------------------------------------------------------------------------------


PHASE = re.compile(r"\]\s+(\S+)\s+(?:healthy|ready) in ([0-9.]+) s")


def parse_phases(events: Sequence[str]) -> dict[str, float]:
    """`[  0.98s] identity   healthy in 0.89 s` -> {"identity": 0.89}."""
    out: dict[str, float] = {}
    for event in events:
        m = PHASE.search(event)
        if m:
            out[m.group(1)] = float(m.group(2))
    return out


def make_stack(data_dir: Path, on_event: Callable[[str], None] | None) -> Stack:
    http_port, identity_port, jobs_port = free_ports(3)
    env = {k: v for k, v in os.environ.items() if not k.startswith("CAREERVAULT_")}
    env["CAREERVAULT_GATEWAY_AUTH_RATE_LIMIT"] = "0"
    return Stack(
        data_dir=data_dir,
        http_port=http_port,
        ports={"identity": identity_port, "jobs": jobs_port},
        services=SERVICES,
        env=env,
        inherit_env=False,
        on_event=on_event,
    )


def run(args: argparse.Namespace, seen_pids: list[int]) -> Results:
    results = Results()
    with contextlib.suppress(OSError):
        results.loadavg = os.getloadavg()
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
                seen_pids.extend(c.pid for c in stack.children.values() if c.pid is not None)
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
    rest = RestGetter("127.0.0.1", stack.http_port, f"/v1/{session.job_name}", session.token)
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


# --- report -------------------------------------------------------------------------------


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


def git_revision() -> str:
    try:
        rev = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        ).stdout.strip()
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


def mib(kib: int | None) -> str:
    return "n/a" if kib is None else f"{kib / 1024:.1f}"


def latency_rows(rows: Sequence[Latency], with_threads: bool) -> list[str]:
    head = "| path | threads | requests | p50 ms | p90 ms | p99 ms | mean ms | max ms | req/s |"
    sep = "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
    if not with_threads:
        head = head.replace(" threads |", "")
        sep = sep.replace(" ---: |", "", 1)
    out = [head, sep]
    for r in rows:
        threads = f" {r.threads} |" if with_threads else ""
        out.append(
            f"| {r.label} |{threads} {len(r.samples)} | {r.p50:.2f} | {r.p90:.2f} | "
            f"{r.p99:.2f} | {r.mean:.2f} | {r.max:.2f} | {r.rps:.0f} |"
        )
    return out


def report(results: Results, args: argparse.Namespace, argv: Sequence[str]) -> str:
    now = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:
        cores = os.cpu_count() or 0
    import grpc as grpc_module

    lines = [
        "## Results",
        "",
        f"- date: {now}",
        f"- command: `{command_line(argv)}` (`make bench` runs it without flags)",
        f"- machine: {cores} cores (nproc), {cpu_model()}, Linux {platform.release()}",
        f"- Python {platform.python_version()}, grpcio {grpc_module.__version__}, "
        f"Envoy {envoy_version()} (`--concurrency 2`)",
        f"- revision: {git_revision()}",
        "- load average before the run (1, 5, 15 min): "
        + (", ".join(f"{v:.2f}" for v in results.loadavg) if results.loadavg else "n/a"),
        "- stores: embedded defaults (SQLite, local token issuer), Envoy access log on, "
        "auth rate limit off",
        "",
        "### Start-up to healthy",
        "",
        "`Stack.started_in`: from launching identity until every service answers its gRPC "
        "health check, every Envoy host is healthy and `/` answers 200. Stop is `Stack.stop()` "
        "(Envoy drains for 0.5 s first). The process columns: from launching that process until "
        "it was healthy (they start one after the other).",
        "",
        "| run | data dir | start-up s | " + " | ".join(PROCESSES) + " | stop s |",
        "| ---: | --- | ---: | " + "---: | " * len(PROCESSES) + "---: |",
    ]
    for i, s in enumerate(results.starts, 1):
        phases = " | ".join(f"{s.phases[p]:.2f}" if p in s.phases else "n/a" for p in PROCESSES)
        lines.append(f"| {i} | {s.kind} | {s.started_in:.2f} | {phases} | {s.stopped_in:.2f} |")
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
        "| process | RSS idle | PSS idle | RSS after load | PSS after load |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    totals = [0, 0, 0, 0]
    for name in PROCESSES:
        idle = results.idle.get(name, Memory(None, None))
        after = results.after_load.get(name, Memory(None, None))
        values = (idle.rss_kib, idle.pss_kib, after.rss_kib, after.pss_kib)
        for k, v in enumerate(values):
            totals[k] += v or 0
        pid = results.pids.get(name)
        label = f"{name} (pid {pid})" if pid else name
        lines.append(f"| {label} | " + " | ".join(mib(v) for v in values) + " |")
    lines.append("| **total** | " + " | ".join(f"**{mib(v)}**" for v in totals) + " |")
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
            f"{cores} cores with the servers, so this shows saturation on one box, not capacity.",
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


def write_doc(path: Path, section: str) -> None:
    """Replaces the text between the markers; keeps everything around them."""
    block = f"{START_MARKER}\n{section}{END_MARKER}"
    if path.exists():
        text = path.read_text()
        start, end = text.find(START_MARKER), text.find(END_MARKER)
        if start != -1 and end > start:
            text = text[:start] + block + text[end + len(END_MARKER) :]
        else:
            text = text.rstrip("\n") + "\n\n" + block + "\n"
    else:
        text = DEFAULT_DOC + block + "\n"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    p.add_argument("--requests", type=int, default=2000, help="measured requests per path")
    p.add_argument("--warmup", type=int, default=200, help="warm-up requests per path")
    p.add_argument("--starts", type=int, default=3, help="start-ups: 1 cold, then warm")
    p.add_argument(
        "--threads", type=int, default=4, help="client threads for the concurrent run (<=1: skip)"
    )
    p.add_argument("--signins", type=int, default=20, help="SignIn calls (0: skip)")
    p.add_argument("--write", type=Path, metavar="FILE", help="also (re)write FILE's results")
    p.add_argument("-v", "--verbose", action="store_true", help="show the stack's events")
    args = p.parse_args(argv)
    if args.requests < 1 or args.starts < 1 or args.warmup < 0:
        p.error("--requests and --starts must be at least 1, --warmup at least 0")
    return args


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


R = TypeVar("R")


def run_main(
    argv: Sequence[str] | None,
    parse: Callable[[Sequence[str]], argparse.Namespace],
    run_all: Callable[[argparse.Namespace, list[int]], R],
    render: Callable[[R, argparse.Namespace, Sequence[str]], str],
    write: Callable[[Path, str], None],
    failures: tuple[type[BaseException], ...],
) -> int:
    """The one way a benchmark script runs: generate, measure, check nothing is left running,
    print the markdown and, with --write, put it into the doc. Shared by bench_jobs.py."""
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


def main(argv: Sequence[str] | None = None) -> int:
    return run_main(
        argv, parse_args, run, report, write_doc, (grpc.RpcError, RuntimeError, OSError)
    )


if __name__ == "__main__":
    sys.exit(main())
