"""`make bench` (second part): the jobs service's listing, statistics and writes at scale.

1. In-process, through the domain `Jobs` class (no gRPC, no Envoy), for one user with each of
   `--sizes` applications (default 10, 1,000 and 10,000), on both stores:
   - SQLite on a temporary file (seeded with `SqliteJobStore.import_jobs`, one transaction per
     batch);
   - DynamoDB on a real moto server started here (`tests/support/moto.py`), the table created
     by `DynamoJobStore(create_table=True)` and seeded with BatchWriteItem of the store's own
     `job_item`s.
   It times the first page of `list` (page size 50, default order), `list` with the filter
   `status = APPLIED`, `list` ordered by company, and `stats`; for DynamoDB it also counts the
   API calls each operation makes and the items they read (botocore `after-call` hooks), which
   is what predicts cost and latency on real DynamoDB: moto is not a performance proxy.
   If SQLite `stats` at the largest size misses 100 ms, it is profiled (cProfile).
2. Through Envoy: `gateway.stack.Stack` (identity, jobs, Envoy; SQLite; edge rate limits off) on
   free ports in a temporary data directory; one user signs up, then `POST /v1/jobs` and
   `PATCH /v1/jobs/{id}?updateMask=notes` (with the etag from the create) run from 1 client
   thread and from `--threads` client threads (httpx, keep-alive).

Prints a markdown section on stdout (progress on stderr). `--write docs/benchmarks.md` replaces
the text between `<!-- bench-jobs:start -->` and `<!-- bench-jobs:end -->` (appended at the end
when the markers are missing) and keeps everything else.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import cProfile
import datetime as dt
import gc
import hashlib
import io
import math
import os
import pstats
import random
import sqlite3
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeAlias, TypeVar

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402

from careervault.jobs.v1 import jobs_pb2 as pb  # noqa: E402 (needs the path above)
from careervault_jobs.domain import Jobs, PageTokens, compute_stats  # noqa: E402
from careervault_jobs.rules import UPDATABLE, check_size, validate  # noqa: E402
from careervault_jobs.sqlite_store import SqliteJobStore  # noqa: E402
from careervault_jobs.store import ImportItem, JobStore  # noqa: E402
from gateway.stack import Stack  # noqa: E402
from scripts.bench import (  # noqa: E402
    PASSWORD,
    SERVICES,
    Latency,
    arg_parser,
    cores,
    in_threads,
    int_list,
    latency_rows,
    load_average,
    loadavg,
    log,
    ms,
    quantile_ms,
    run_facts,
    run_main,
    running_stack,
    section_writer,
    shares,
    table,
)

T = TypeVar("T")
PAGE_SIZE = 50
FILTER = "status = APPLIED"
LABELS = ("list, first page", f"list `{FILTER}`", "list `order_by=company`", "stats")
STATS_TARGET_MS = 100.0
SEED_BATCH = 1000  # SQLite: rows per import transaction
DYNAMO_BATCH = 25  # BatchWriteItem's maximum
SEED_LIMIT_S = 180.0  # DynamoDB sizes whose predicted seeding time is longer are skipped
SLOW_S = 2.0  # an operation slower than this once is measured only once
RCU_BYTES = 4096  # a strongly consistent read unit
TIMEOUT = 10.0

Status = pb.JobApplication.Status
StatusValue: TypeAlias = pb.JobApplication.Status.ValueType
WorkMode = pb.JobApplication.WorkMode


# --- a realistic user's applications -------------------------------------------------------

COMPANY_HEADS = (
    "Acme",
    "Globex",
    "Initech",
    "Umbrella",
    "Hooli",
    "Stark",
    "Wayne",
    "Wonka",
    "Tyrell",
    "Cyberdyne",
    "Soylent",
    "Aperture",
    "Vandelay",
    "Dunder",
    "Gringotts",
    "Oscorp",
    "Nakatomi",
    "Monarch",
    "Virtucon",
    "Contoso",
    "Fabrikam",
    "Northwind",
    "Tailspin",
    "Litware",
    "Adatum",
    "Proseware",
    "Woodgrove",
    "Wingtip",
    "Lucerne",
    "Alpine",
)
COMPANY_TAILS = (
    "Labs",
    "Systems",
    "Analytics",
    "Cloud",
    "Robotics",
    "Health",
    "Bank",
    "Energy",
    "Media",
    "Games",
    "Logistics",
    "Software",
    "Security",
    "AI",
    "Data",
    "Mobility",
    "Insurance",
    "Retail",
    "Networks",
    "Biotech",
)
POSITIONS = (
    "Backend Engineer",
    "Senior Backend Engineer",
    "Staff Engineer",
    "Platform Engineer",
    "Site Reliability Engineer",
    "Data Engineer",
    "Full-Stack Developer",
    "Python Developer",
    "Engineering Manager",
    "DevOps Engineer",
    "Software Engineer II",
    "Machine Learning Engineer",
)
LOCATIONS = ("Berlin", "London", "Remote (EU)", "Amsterdam", "Paris", "Lisbon", "New York", "")
SOURCES = (("LinkedIn", 40), ("Company site", 25), ("Referral", 15), ("Indeed", 10), ("", 10))
TAGS = ("python", "go", "aws", "remote", "startup", "fintech", "visa", "dream", "k8s", "urgent")
# Job-ad vocabulary for descriptions and notes.
JOB_AD = (
    "we are looking for an experienced engineer to join our team and build reliable scalable "
    "services you will design implement and operate distributed systems in python and go on "
    "aws with kubernetes terraform and postgres collaborate with product and design mentor "
    "others own features end to end write tests review code improve observability and on call "
    "requirements five years experience strong communication skills english benefits include "
    "equity flexible hours learning budget parental leave pension health insurance"
)
WORDS = tuple(JOB_AD.split())
# Where an application ends up: its status chain after APPLIED (weights roughly those of a
# real search: most get no answer or a rejection, few reach an offer).
OUTCOMES: tuple[tuple[tuple[StatusValue, ...], float], ...] = (
    ((), 35),
    ((Status.REJECTED,), 22),
    ((Status.PHONE_SCREEN,), 8),
    ((Status.PHONE_SCREEN, Status.REJECTED), 8),
    ((Status.PHONE_SCREEN, Status.TECHNICAL_INTERVIEW), 4),
    ((Status.PHONE_SCREEN, Status.TECHNICAL_INTERVIEW, Status.REJECTED), 5),
    ((Status.PHONE_SCREEN, Status.TECHNICAL_INTERVIEW, Status.FINAL_INTERVIEW), 2),
    (
        (
            Status.PHONE_SCREEN,
            Status.TECHNICAL_INTERVIEW,
            Status.FINAL_INTERVIEW,
            Status.REJECTED,
        ),
        2,
    ),
    (
        (Status.PHONE_SCREEN, Status.TECHNICAL_INTERVIEW, Status.FINAL_INTERVIEW, Status.OFFER),
        1,
    ),
    (
        (
            Status.PHONE_SCREEN,
            Status.TECHNICAL_INTERVIEW,
            Status.FINAL_INTERVIEW,
            Status.OFFER,
            Status.ACCEPTED,
        ),
        0.5,
    ),
    ((Status.WITHDRAWN,), 2.5),
    ((Status.PHONE_SCREEN, Status.WITHDRAWN), 2),
)
SAVED_SHARE = 0.08  # bookmarked, never sent
DAY = 86400.0


def _stamp(ts: Any, seconds: float) -> None:
    ts.FromNanoseconds(int(seconds * 1e9))


def _text(rng: random.Random, low: int, high: int) -> str:
    return " ".join(rng.choices(WORDS, k=rng.randint(low, high)))


def make_application(rng: random.Random, now: float) -> pb.JobApplication:
    """One complete stored application, as the service would have written it over a year."""
    job = pb.JobApplication(
        name=f"jobs/{rng.getrandbits(128):032x}",
        company=f"{rng.choice(COMPANY_HEADS)} {rng.choice(COMPANY_TAILS)}",
        position=rng.choice(POSITIONS),
        location=rng.choice(LOCATIONS),
        work_mode=rng.choice((WorkMode.REMOTE, WorkMode.HYBRID, WorkMode.ONSITE)),
        source=rng.choices([s for s, _ in SOURCES], [w for _, w in SOURCES])[0],
        tags=rng.sample(TAGS, rng.randint(0, 3)),
        etag=f"{rng.getrandbits(64):016x}",
    )
    if rng.random() < 0.8:
        job.job_url = f"https://jobs.example.com/{rng.getrandbits(40):x}"
    if rng.random() < 0.7:
        job.job_description = _text(rng, 150, 450)  # about 1-3 KB
    if rng.random() < 0.6:
        job.notes = _text(rng, 5, 60)
    if rng.random() < 0.6:
        low = rng.randrange(50_000, 120_000, 5_000)
        job.salary.CopyFrom(
            pb.SalaryRange(
                min=low, max=low + 20_000, currency="EUR", period=pb.SalaryRange.Period.YEARLY
            )
        )
    start = now - rng.uniform(0, 365 * DAY)
    chain: list[StatusValue] = [Status.SAVED] if rng.random() < 0.3 else []
    if rng.random() >= SAVED_SHARE:
        chain.append(Status.APPLIED)
        chain += rng.choices([c for c, _ in OUTCOMES], [w for _, w in OUTCOMES])[0]
    elif not chain:
        chain = [Status.SAVED]
    at: float = start
    previous: StatusValue = Status.STATUS_UNSPECIFIED
    for status in chain:
        change = job.status_history.add(from_status=previous, status=status)
        _stamp(change.change_time, at)
        if status == Status.APPLIED:
            day = dt.datetime.fromtimestamp(at, dt.UTC).date()
            job.applied_date.year, job.applied_date.month, job.applied_date.day = (
                day.year,
                day.month,
                day.day,
            )
        previous = status
        at = min(at + rng.uniform(1, 14) * DAY, now - 60)
    job.status = chain[-1]
    if previous in (Status.PHONE_SCREEN, Status.TECHNICAL_INTERVIEW, Status.FINAL_INTERVIEW):
        job.contacts.add(name="Sam Recruiter", role="Recruiter", email="sam@example.com")
    last = job.status_history[-1].change_time.ToNanoseconds() / 1e9
    _stamp(job.create_time, start)
    _stamp(job.update_time, min(last + rng.uniform(0, 3) * DAY, now - 1))
    validate(job, UPDATABLE)
    check_size(job)
    return job


def make_applications(n: int, seed: int, now: float) -> list[pb.JobApplication]:
    rng = random.Random(seed)
    return [make_application(rng, now) for _ in range(n)]


# --- timing ----------------------------------------------------------------------------------


@dataclass
class Sampling:
    budget_s: float  # keep sampling an operation for about this long ...
    min_n: int  # ... but take at least this many samples ...
    max_n: int  # ... and at most this many


@dataclass
class Calls:
    """DynamoDB API calls of one operation, counted by botocore hooks."""

    by_operation: Counter[str] = field(default_factory=Counter)
    items_read: int = 0  # ScannedCount: what DynamoDB reads (and charges for)
    items_returned: int = 0
    rcu: int = 0  # estimated: items read x mean item size, 4 KB units per request

    @property
    def total(self) -> int:
        return sum(self.by_operation.values())

    def describe(self) -> str:
        return ", ".join(f"{n} {op}" for op, n in sorted(self.by_operation.items()))


class CallCounter:
    """Counts a boto3 client's API calls (once per call, not per retry) and the items read."""

    def __init__(self, client: Any, mean_item_bytes: float) -> None:
        self.mean_item_bytes = mean_item_bytes
        self.calls = Calls()
        self._lock = threading.Lock()
        client.meta.events.register("after-call.dynamodb", self._after_call)

    def reset(self) -> Calls:
        with self._lock:
            calls, self.calls = self.calls, Calls()
        return calls

    def _after_call(self, **kwargs: Any) -> None:
        model, parsed = kwargs.get("model"), kwargs.get("parsed") or {}
        name = str(getattr(model, "name", "?"))
        scanned = int(parsed.get("ScannedCount", 0) or 0)
        with self._lock:
            self.calls.by_operation[name] += 1
            self.calls.items_read += scanned
            self.calls.items_returned += int(parsed.get("Count", 0) or 0)
            if scanned:
                self.calls.rcu += math.ceil(scanned * self.mean_item_bytes / RCU_BYTES)


@dataclass
class OpResult:
    label: str
    samples: list[float]  # seconds
    total: int  # what the operation reported: total_size, or stats.total
    calls: Calls | None = None

    @property
    def p50(self) -> float:
        return quantile_ms(self.samples, 0.5)

    @property
    def p95(self) -> float:
        return quantile_ms(self.samples, 0.95)


@dataclass
class StoreRun:
    store: str
    size: int
    seed_s: float
    mean_item_bytes: float
    ops: list[OpResult] = field(default_factory=list)
    skipped: str = ""  # why this size was not measured


@dataclass
class Profile:
    size: int
    rows_ms: float  # store.stats_rows alone (median)
    compute_ms: float  # compute_stats alone (median)
    top: list[tuple[str, int, float, float]]  # function, calls, tottime s, cumtime s
    profiled_calls: int


@dataclass
class Results:
    runs: list[StoreRun] = field(default_factory=list)
    profile: Profile | None = None
    writes: list[Latency] = field(default_factory=list)
    write_check: str = ""
    stack_started_in: float | None = None
    loadavg: tuple[float, float, float] | None = None
    moto_note: str = ""


async def sample(
    op: Callable[[], Awaitable[int]], sampling: Sampling, counter: CallCounter | None
) -> tuple[list[float], int, Calls | None]:
    """Times `op`; the first call warms up (and is the only sample if it took over SLOW_S)."""
    clock = time.perf_counter
    if counter is not None:
        counter.reset()
    t0 = clock()
    total = await op()
    first = clock() - t0
    calls = counter.reset() if counter is not None else None
    if first > SLOW_S:
        return [first], total, calls
    gc.collect()
    samples: list[float] = []
    deadline = clock() + sampling.budget_s
    while len(samples) < sampling.max_n and (len(samples) < sampling.min_n or clock() < deadline):
        if counter is not None:
            counter.reset()
        t0 = clock()
        total = await op()
        samples.append(clock() - t0)
        if counter is not None:
            calls = counter.reset()
    return samples, total, calls


def operations(jobs: Jobs, user: str) -> list[tuple[str, Callable[[], Awaitable[int]]]]:
    async def first_page() -> int:
        page, _token, total = await jobs.list(user, PAGE_SIZE, "", "", "")
        assert len(page) == min(PAGE_SIZE, total), (len(page), total)
        return total

    async def filtered() -> int:
        page, _token, total = await jobs.list(user, PAGE_SIZE, "", FILTER, "")
        assert all(j.status == Status.APPLIED for j in page)
        return total

    async def by_company() -> int:
        page, _token, total = await jobs.list(user, PAGE_SIZE, "", "", "company")
        keys = [j.company.casefold() for j in page]
        assert keys == sorted(keys)
        return total

    async def stats() -> int:
        return int((await jobs.stats(user, 0, 0)).total)

    return list(zip(LABELS, (first_page, filtered, by_company, stats), strict=True))


async def measure_ops(
    store: JobStore,
    user: str,
    expected: list[pb.JobApplication],
    sampling: Sampling,
    counter: CallCounter | None,
) -> list[OpResult]:
    jobs = Jobs(store, 3600, PageTokens(b"bench-jobs-page-token-secret-0123"))
    applied = sum(1 for j in expected if j.status == Status.APPLIED)
    want = dict(zip(LABELS, (len(expected), applied, len(expected), len(expected)), strict=True))
    out = []
    for label, op in operations(jobs, user):
        samples, total, calls = await sample(op, sampling, counter)
        if total != want[label]:
            raise RuntimeError(f"{label}: the store reported {total}, expected {want[label]}")
        result = OpResult(label, samples, total, calls)
        out.append(result)
        log(
            f"    {label:<24} n={len(samples):<3} p50 {result.p50:8.2f} ms"
            + (f"  {calls.describe()}, {calls.items_read} items read" if calls else "")
        )
    return out


# --- SQLite ----------------------------------------------------------------------------------


def bench_sqlite(
    sizes: Sequence[int], data: dict[int, list[pb.JobApplication]], tmp: Path, results: Results
) -> None:
    sampling = Sampling(budget_s=1.0, min_n=20, max_n=300)
    for size in sizes:
        user = f"bench-user-{size}"
        store = SqliteJobStore(tmp / f"jobs-{size}.db")
        try:
            jobs = data[size]
            log(f"sqlite: seeding {size} applications")
            t0 = time.perf_counter()
            for k in range(0, size, SEED_BATCH):
                items = [
                    ImportItem(j, hashlib.sha256(j.name.encode()).hexdigest())
                    for j in jobs[k : k + SEED_BATCH]
                ]
                created, duplicates = asyncio.run(store.import_jobs(user, items))
                if len(created) != len(items) or duplicates:
                    raise RuntimeError("sqlite seeding: not every application was created")
            seed_s = time.perf_counter() - t0
            mean = statistics_mean([len(j.SerializeToString()) for j in jobs])
            run = StoreRun("SQLite", size, seed_s, mean)
            run.ops = asyncio.run(measure_ops(store, user, jobs, sampling, None))
            results.runs.append(run)
            stats = run.ops[-1]
            if size == max(sizes) and stats.p50 > STATS_TARGET_MS:
                log(f"sqlite: stats p50 {stats.p50:.1f} ms > {STATS_TARGET_MS:g} ms: profiling")
                results.profile = profile_stats(store, user, size)
        finally:
            store.close()


def statistics_mean(values: Sequence[int]) -> float:
    return sum(values) / len(values) if values else 0.0


def profile_stats(store: SqliteJobStore, user: str, size: int, calls: int = 5) -> Profile:
    """Where `stats` spends its time: the two halves timed apart, then cProfile over the whole
    call with the store's worker-thread hop removed (cProfile sees only its own thread)."""
    jobs = Jobs(store, 3600, PageTokens(b"bench-jobs-page-token-secret-0123"))
    clock = time.perf_counter
    rows_t, compute_t = [], []
    for _ in range(calls):
        t0 = clock()
        rows = asyncio.run(store.stats_rows(user))
        t1 = clock()
        compute_stats(rows, time.time(), 14, 12)
        rows_t.append(t1 - t0)
        compute_t.append(clock() - t1)

    async def inline(work: Callable[[sqlite3.Connection], T]) -> T:
        return store.db._transact(work)

    profiler = cProfile.Profile()
    with swapped(store.db, "transact", inline):

        async def run() -> None:
            for _ in range(calls):
                await jobs.stats(user, 0, 0)

        loop = asyncio.new_event_loop()
        try:
            profiler.enable()
            loop.run_until_complete(run())
            profiler.disable()
        finally:
            loop.close()
    stream = io.StringIO()
    stats = pstats.Stats(profiler, stream=stream)
    top: list[tuple[str, int, float, float]] = []
    entries: dict[Any, Any] = stats.stats  # type: ignore[attr-defined]
    for (file, line, func), (_cc, nc, tt, ct, _callers) in entries.items():
        where = f"{Path(file).name}:{line}" if line else "built-in"
        top.append((f"`{func}` ({where})", int(nc), float(tt), float(ct)))
    top.sort(key=lambda t: -t[2])
    return Profile(
        size=size,
        rows_ms=1000 * sorted(rows_t)[len(rows_t) // 2],
        compute_ms=1000 * sorted(compute_t)[len(compute_t) // 2],
        top=top[:12],
        profiled_calls=calls,
    )


@contextlib.contextmanager
def swapped(obj: object, name: str, value: object) -> Iterator[None]:
    """Sets an attribute of one instance for the duration of the block."""
    had = name in vars(obj)
    old = vars(obj).get(name)
    setattr(obj, name, value)
    try:
        yield
    finally:
        if had:
            setattr(obj, name, old)
        else:
            delattr(obj, name)


# --- DynamoDB on moto --------------------------------------------------------------------------


def bench_dynamodb(
    sizes: Sequence[int],
    data: dict[int, list[pb.JobApplication]],
    results: Results,
    seen_pids: list[int],
) -> None:
    from careervault_jobs import dynamo_store
    from careervault_jobs.dynamo_store import DynamoJobStore, job_item
    from tests.support.moto import MotoServer, dynamo_env

    sampling = Sampling(budget_s=3.0, min_n=5, max_n=50)
    rate: float | None = None  # seconds per application seeded, from the previous size
    with MotoServer() as moto:
        if moto.proc is not None:
            seen_pids.append(moto.proc.pid)
        # Fake credentials for moto only (tests/support/moto.py); restored afterwards.
        env = dynamo_env(moto.endpoint)
        saved = {k: os.environ.get(k) for k in env}
        os.environ.update(env)
        try:
            for size in sizes:
                if rate is not None and rate * size > SEED_LIMIT_S:
                    reason = (
                        f"seeding would take about {rate * size:.0f} s on moto "
                        f"(> {SEED_LIMIT_S:.0f} s)"
                    )
                    log(f"dynamodb: skipping {size}: {reason}")
                    results.runs.append(StoreRun("DynamoDB (moto)", size, 0, 0, skipped=reason))
                    continue
                user = f"bench-user-{size}"
                # A table per size: moto reads every item of a table for an index query, so a
                # shared table would slow the small users down (DynamoDB partitions by user).
                store = DynamoJobStore(
                    f"bench-jobs-{size}-{uuid.uuid4().hex[:6]}",
                    create_table=True,
                    endpoint_url=moto.endpoint,
                    region=env["AWS_DEFAULT_REGION"],
                )
                try:
                    jobs = data[size]
                    items = [job_item(user, j) for j in jobs]
                    mean = statistics_mean([dynamo_store._item_size(i) for i in items])
                    log(f"dynamodb: seeding {size} applications (BatchWriteItem)")
                    t0 = time.perf_counter()
                    for k in range(0, size, DYNAMO_BATCH):
                        pending: Any = {
                            store.table: [{"PutRequest": {"Item": i}} for i in items[k : k + 25]]
                        }
                        while pending:
                            reply = store.client.batch_write_item(RequestItems=pending)
                            pending = reply.get("UnprocessedItems") or None
                    seed_s = time.perf_counter() - t0
                    rate = seed_s / size
                    counter = CallCounter(store.client, mean)
                    run = StoreRun("DynamoDB (moto)", size, seed_s, mean)
                    run.ops = asyncio.run(measure_ops(store, user, jobs, sampling, counter))
                    results.runs.append(run)
                finally:
                    store.close()
        finally:
            for name, value in saved.items():
                if value is None:
                    os.environ.pop(name, None)
                else:
                    os.environ[name] = value
    results.moto_note = moto_version()


def moto_version() -> str:
    try:
        import moto

        return str(moto.__version__)
    except ImportError:
        return "unknown"


# --- writes through Envoy ----------------------------------------------------------------------


def job_body(rng: random.Random) -> dict[str, Any]:
    """A create request as the SPA sends it (JSON names), about 1.5 KB."""
    day = dt.date.today()
    return {
        "company": f"{rng.choice(COMPANY_HEADS)} {rng.choice(COMPANY_TAILS)}",
        "position": rng.choice(POSITIONS),
        "location": "Berlin",
        "workMode": "HYBRID",
        "source": "LinkedIn",
        "tags": ["python", "bench"],
        "jobUrl": f"https://jobs.example.com/{rng.getrandbits(40):x}",
        "jobDescription": _text(rng, 150, 250),
        "notes": "created by scripts/bench_jobs.py",
        "appliedDate": {"year": day.year, "month": day.month, "day": day.day},
        "salary": {"min": 70000, "max": 90000, "currency": "EUR", "period": "YEARLY"},
    }


def sign_up(api: httpx.Client) -> str:
    email = f"bench-jobs-{uuid.uuid4().hex[:10]}@example.com"
    r = api.post("/v1/auth:signUp", json={"email": email, "password": PASSWORD})
    if r.status_code != 200:
        raise RuntimeError(f"signUp: HTTP {r.status_code}: {r.text[:300]}")
    r = api.post("/v1/auth:signIn", json={"email": email, "password": PASSWORD})
    if r.status_code != 200:
        raise RuntimeError(f"signIn: HTTP {r.status_code}: {r.text[:300]}")
    return str(r.json()["tokens"]["accessToken"])


class Writer:
    """One client thread's keep-alive connection and the applications it created."""

    def __init__(self, base_url: str, token: str, seed: int) -> None:
        self.client = httpx.Client(
            base_url=base_url, headers={"authorization": f"Bearer {token}"}, timeout=TIMEOUT
        )
        self.rng = random.Random(seed)
        self.created: list[tuple[str, str]] = []  # (name, etag)

    def create(self, count: int) -> list[float]:
        samples, clock = [], time.perf_counter
        for _ in range(count):
            body = job_body(self.rng)
            t0 = clock()
            r = self.client.post("/v1/jobs", json=body)
            samples.append(clock() - t0)
            if r.status_code != 200:
                raise RuntimeError(f"POST /v1/jobs: HTTP {r.status_code}: {r.text[:300]}")
            job = r.json()
            self.created.append((job["name"], job["etag"]))
        return samples

    def update(self) -> list[float]:
        samples, clock = [], time.perf_counter
        for k, (name, etag) in enumerate(self.created):
            body = {"notes": f"updated {k} by scripts/bench_jobs.py", "etag": etag}
            t0 = clock()
            r = self.client.patch(f"/v1/{name}", params={"updateMask": "notes"}, json=body)
            samples.append(clock() - t0)
            if r.status_code != 200:
                raise RuntimeError(f"PATCH /v1/{name}: HTTP {r.status_code}: {r.text[:300]}")
        return samples

    def close(self) -> None:
        self.client.close()


def write_run(
    stack: Stack, token: str, threads: int, n: int, warmup: int
) -> tuple[list[Latency], int]:
    """n creates, then n updates of those, from `threads` clients; (latencies, jobs made)."""
    per = shares(n, threads)
    writers = [Writer(stack.url, token, 1000 * threads + i) for i in range(threads)]
    made = 0
    try:
        # Warm-up: each client opens its connection and runs both paths a few times.
        for w in writers:
            w.create(warmup)
            w.update()
            made += len(w.created)
            w.created.clear()
        log(f"writes: {threads} thread(s): {n} creates")
        samples, wall = in_threads(threads, lambda i: writers[i].create(per[i]))
        creates = Latency("`POST /v1/jobs` (create)", samples, wall, threads)
        made += n
        log(f"writes: {threads} thread(s): {n} updates")
        samples, wall = in_threads(threads, lambda i: writers[i].update())
        updates = Latency("`PATCH /v1/jobs/{id}?updateMask=notes` (etag)", samples, wall, threads)
    finally:
        for w in writers:
            w.close()
    return [creates, updates], made


def bench_writes(args: argparse.Namespace, results: Results, seen_pids: list[int]) -> None:
    log("writes: through Envoy")
    with running_stack("bench-jobs", SERVICES, seen_pids) as stack:
        results.stack_started_in = stack.started_in
        with httpx.Client(base_url=stack.url, timeout=TIMEOUT) as api:
            token = sign_up(api)
            plan = [(1, args.writes), (args.threads, args.concurrent_writes)]
            plan = [(t, n) for t, n in plan if t >= 1 and n >= 1]
            made = 0
            for threads, n in plan:
                latencies, count = write_run(stack, token, threads, n, args.warmup)
                results.writes += latencies
                made += count
            r = api.get(
                "/v1/jobs",
                params={"pageSize": 1},
                headers={"authorization": f"Bearer {token}"},
            )
            total = int(r.json().get("totalSize", 0))
            results.write_check = (
                f"the user has {total} applications afterwards ({made} created, warm-up included)"
            )
            if total != made:
                raise RuntimeError(f"expected {made} applications, the service lists {total}")
        stack.check()


# --- report ---------------------------------------------------------------------------------


def op_cell(op: OpResult) -> str:
    if len(op.samples) == 1:
        return f"{ms(op.p50)} (1 run)"
    return f"{ms(op.p50)} / {ms(op.p95)} ({len(op.samples)})"


def calls_cell(op: OpResult) -> str:
    c = op.calls or Calls()
    return f"{c.total} Query · {c.items_read:,} items · ~{c.rcu:,} RCU"


def report(results: Results, args: argparse.Namespace, argv: Sequence[str]) -> str:
    import boto3

    labels = LABELS
    lines = [
        *run_facts(
            "## Jobs at scale: listing, statistics and writes",
            argv,
            f"SQLite {sqlite3.sqlite_version}, boto3 {boto3.__version__}, moto "
            f"{results.moto_note or 'not run'}, httpx {httpx.__version__}",
            f"before the run (1, 5, 15 min): {loadavg(results.loadavg)}",
        ),
        "",
        "### Listing and statistics, in-process",
        "",
        "The domain `Jobs` class called directly (no gRPC, no Envoy) for one user holding N "
        "applications, generated to look like a year of job search: 70 % with a 1-3 KB job "
        "description, notes, tags, salaries, 8 % only saved, a third rejected, a few reaching "
        "interviews and offers, each with its status history. SQLite: a temporary file, seeded "
        f"with `import_jobs` ({SEED_BATCH} rows per transaction). DynamoDB: a real moto server "
        "(`tests/support/moto.py`, one request at a time), one table per N created by "
        "`DynamoJobStore(create_table=True)`, seeded with BatchWriteItem. Operations: the "
        f"first page of `list` (page size {PAGE_SIZE}, default order `create_time desc`), "
        f"`list` with `filter={FILTER}`, `list` with `order_by=company`, and `stats`; each "
        "includes the total (`total_size`). The first call of each operation warms up and is "
        f"not counted, unless it took over {SLOW_S:g} s: then it is the only sample.",
        "",
        "Cells: **p50 / p95 ms (samples)**.",
        "",
        *table(
            ["store", "applications", "seeding s", *labels],
            "lrr" + "r" * len(labels),
            (
                [run.store, f"{run.size:,}", "skipped", *("" for _ in labels)]
                if run.skipped
                else [run.store, f"{run.size:,}", f"{run.seed_s:.1f}", *map(op_cell, run.ops)]
                for run in results.runs
            ),
        ),
    ]
    skipped = [r for r in results.runs if r.skipped]
    for r in skipped:
        lines += ["", f"DynamoDB with {r.size:,} applications was skipped: {r.skipped}."]

    dynamo = [r for r in results.runs if r.store.startswith("DynamoDB") and not r.skipped]
    if dynamo:
        lines += [
            "",
            "**moto is not a performance proxy for DynamoDB.** It is a single Python process "
            "that, for every Query page, walks and sorts the whole table in Python; its "
            "latencies above grow with the square of N for anything that pages. What carries "
            "over to real DynamoDB is the number of requests each operation makes and the "
            "items they read, which set its latency (one round trip per request, a few ms each, "
            "one after the other) and its cost:",
            "",
            *table(
                ["applications", "mean item", *labels],
                "rr" + "l" * len(labels),
                (
                    [
                        f"{run.size:,}",
                        f"{run.mean_item_bytes / 1024:.1f} KB",
                        *map(calls_cell, run.ops),
                    ]
                    for run in dynamo
                ),
            ),
            "",
            "Counted with a botocore `after-call.dynamodb` hook on the store's client: API calls "
            "(each is one call whatever the retries), items read = the sum of `ScannedCount` "
            "(what DynamoDB reads and charges for; a filter or `Select=COUNT` does not make it "
            "cheaper), RCU = read capacity units, estimated per request as items read x the "
            "mean item size rounded up to 4 KB (strongly consistent reads, as the store makes; "
            "moto's own `ConsumedCapacity` is a constant). A Query page stops at 1 MB of items "
            f"read, about {int(2**20 / dynamo[-1].mean_item_bytes)} of these.",
        ]

    sqlite_runs = [r for r in results.runs if r.store == "SQLite"]
    if sqlite_runs:
        largest = sqlite_runs[-1]
        stats = largest.ops[-1].p50
        firsts = ", ".join(
            f"{ms(r.ops[0].p50)} ms at {r.size:,}"
            + (f" ({r.size} rows on the page)" if r.size < PAGE_SIZE else "")
            for r in sqlite_runs
        )
        lines += [
            "",
            f"Targets (SQLite). List p50 should stay flat as applications grow: first page "
            f"{firsts}. Stats at {largest.size:,} under {STATS_TARGET_MS:g} ms: p50 "
            f"**{ms(stats)} ms**, "
            + ("met." if stats <= STATS_TARGET_MS else "**missed** (profile below)."),
        ]
    if results.profile is not None:
        p = results.profile
        lines += [
            "",
            f"### Where `stats` spends its time (SQLite, {p.size:,} applications)",
            "",
            f"Timed apart (median of 5): `SqliteJobStore.stats_rows` {p.rows_ms:.1f} ms (the "
            f"query, the rows, `json.loads` of each history, the `StatsRow`s), "
            f"`compute_stats` {p.compute_ms:.1f} ms. cProfile over {p.profiled_calls} calls "
            "(the worker-thread hop removed so the profiler sees the store's part; profiling "
            "inflates the absolute times), the functions with the most time of their own:",
            "",
            *table(
                ["function", "calls", "own s", "cumulative s"],
                "lrrr",
                ([name, f"{calls:,}", f"{tt:.3f}", f"{ct:.3f}"] for name, calls, tt, ct in p.top),
            ),
        ]

    if results.writes:
        lines += [
            "",
            "### Creates and updates through Envoy",
            "",
            "`gateway.stack.Stack` (identity, jobs, Envoy `--concurrency 2`, SQLite, access log "
            "on, edge rate limits off) on free ports in a temporary data directory"
            + (
                f", healthy in {results.stack_started_in:.2f} s"
                if results.stack_started_in is not None
                else ""
            )
            + ". One user signs up; each client thread has its own keep-alive httpx client. "
            "First the creates (`POST /v1/jobs`, about 1.5 KB of JSON: company, position, "
            "description, salary, tags, applied date), then one `PATCH "
            "/v1/jobs/{id}?updateMask=notes` per created application with the etag its create "
            f"returned. Each client first runs {args.warmup} creates and updates not counted. "
            "Client, Envoy and the two services share the "
            f"{cores()} cores; the jobs service is one Python process.",
            "",
            *latency_rows(results.writes, with_threads=True, first="request"),
        ]
        if results.write_check:
            lines += ["", f"Check: {results.write_check}."]
    return "\n".join(lines) + "\n"


# --- main -----------------------------------------------------------------------------------


parse_sizes = int_list("10,1000,10000", "sizes", sort=True)


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    p = arg_parser(__doc__)
    p.add_argument(
        "--sizes", type=parse_sizes, default=[10, 1000, 10000], help="applications per user"
    )
    p.add_argument(
        "--dynamodb-sizes",
        type=parse_sizes,
        default=None,
        help="sizes to run on DynamoDB/moto (default: --sizes)",
    )
    p.add_argument("--no-dynamodb", action="store_true", help="skip the DynamoDB (moto) runs")
    p.add_argument("--writes", type=int, default=500, help="creates (and updates), 1 thread")
    p.add_argument(
        "--concurrent-writes", type=int, default=1000, help="creates (and updates) in all, threads"
    )
    p.add_argument("--threads", type=int, default=4, help="client threads for concurrent writes")
    p.add_argument("--warmup", type=int, default=10, help="uncounted writes per client")
    p.add_argument("--no-writes", action="store_true", help="skip the writes through Envoy")
    args = p.parse_args(argv)
    if args.writes < 0 or args.concurrent_writes < 0 or args.warmup < 0:
        p.error("--writes, --concurrent-writes and --warmup cannot be negative")
    return args


def run(args: argparse.Namespace, seen_pids: list[int]) -> Results:
    results = Results(loadavg=load_average())
    dynamo_sizes = [] if args.no_dynamodb else (args.dynamodb_sizes or args.sizes)
    now = time.time()
    data: dict[int, list[pb.JobApplication]] = {}
    for size in sorted(set(args.sizes) | set(dynamo_sizes)):
        t0 = time.perf_counter()
        data[size] = make_applications(size, seed=size, now=now)
        log(f"data: {size} applications generated in {time.perf_counter() - t0:.1f} s")
    # The generated applications live as long as the run; keep the collector from walking them
    # again and again during the measurements (a service process does not hold them).
    gc.collect()
    gc.freeze()
    with tempfile.TemporaryDirectory(prefix="careervault-bench-jobs-") as tmp:
        bench_sqlite(args.sizes, data, Path(tmp), results)
    if dynamo_sizes:
        bench_dynamodb(dynamo_sizes, data, results, seen_pids)
    if not args.no_writes:
        bench_writes(args, results, seen_pids)
    return results


def main(argv: Sequence[str] | None = None) -> int:
    return run_main(
        argv,
        parse_args,
        run,
        report,
        section_writer("bench-jobs"),
        (RuntimeError, OSError, httpx.HTTPError, AssertionError),
    )


if __name__ == "__main__":
    sys.exit(main())
