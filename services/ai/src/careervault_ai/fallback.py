"""The provider chain: the configured provider first, `local` when it cannot answer.

With `CAREERVAULT_AI_PROVIDER=gemini` and the user's consent, Gemini is asked first. Any
failure of it (GeminiError: an HTTP error after its retries, a safety block, output that does
not validate; any other exception; or no answer within its budget) makes `local` answer, and
the response says so: ProviderInfo{name: "local", model: <local model>, fell_back: true,
reason}. Gemini keeps each call, retries included, within its own `gemini_timeout`; the
chain's outer budget (`budget()`) is never more than the caller's remaining deadline minus
`LOCAL_MARGIN`, kept for the local answer.

The chat falls back only while nothing was streamed; after the first piece an error ends the
stream with a ChatResponse carrying `error` (code, message) and `done: true`, never a broken
response (over HTTP/1.1 a status after the first message would be lost).

Local work is CPU-bound and runs in a bounded thread pool: `workers` at once and `queue` more
waiting; beyond that the call is refused at once with RESOURCE_EXHAUSTED `AI_BUSY` rather
than waiting for a deadline. The local engine (taxonomy, embedding model) is loaded in the
background at start (`start_warm`), so the service reports SERVING at once and the first
request does not pay for the load unless it arrives during it.

Metrics (Prometheus, see careervault.runtime.metrics): `careervault_ai_provider_requests_total
{provider, outcome}`, `careervault_ai_fallbacks_total{provider, reason}` (the reason as a short
label, `reason_kind`), and the local pool's `careervault_ai_pool_{in_flight,queued,capacity}`
and `careervault_ai_pool_rejections_total`.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import logging
import re
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from concurrent.futures import Executor, ThreadPoolExecutor
from dataclasses import dataclass
from typing import TypeVar

from prometheus_client import Counter, Gauge

from careervault.ai.v1 import ai_pb2 as pb
from careervault.runtime.context import deadline_var
from careervault.runtime.errors import DomainError, ResourceExhausted, Unavailable
from careervault_ai.provider import ChatContext, ChatTurn, Job, Provider, Resume
from careervault_ai.settings import AiSettings

log = logging.getLogger(__name__)
T = TypeVar("T")
# An answer that says who gave it.
R = TypeVar("R", pb.ResumeAnalysis, pb.PrepareInterviewResponse, pb.CoverLetter)

# Seconds of the caller's deadline kept back for the local answer after Gemini gives up.
LOCAL_MARGIN = 2.0
# Below this many seconds of budget Gemini is not even tried.
MIN_EXTERNAL_BUDGET = 0.5
# Seconds added to the outer budget (gemini_timeout x attempts) for retry backoff.
RETRY_ALLOWANCE = 1.0
BUSY_RETRY_SECONDS = 2
LOCAL = "local"

PROVIDER_REQUESTS = Counter(
    "careervault_ai_provider_requests",
    "Answers asked of a provider, by outcome: ok, fallback (the external provider failed and "
    "local answered instead) or error (local failed, AI_BUSY included).",
    ["provider", "outcome"],
)
FALLBACKS = Counter(
    "careervault_ai_fallbacks",
    "Times the external provider failed and local answered, by a short reason: http_<status>, "
    "timeout, deadline, blocked, invalid, malformed, empty, truncated, unreachable, broken, "
    "error.",
    ["provider", "reason"],
)
POOL_IN_FLIGHT = Gauge(
    "careervault_ai_pool_in_flight", "Local AI operations admitted now (running or waiting)."
)
POOL_QUEUED = Gauge(
    "careervault_ai_pool_queued", "Local AI operations admitted and waiting for a worker thread."
)
POOL_CAPACITY = Gauge(
    "careervault_ai_pool_capacity", "Local AI operations admitted at most (workers + queue)."
)
POOL_REJECTIONS = Counter(
    "careervault_ai_pool_rejections",
    "Local AI operations refused because the pool was full (RESOURCE_EXHAUSTED AI_BUSY).",
)

# A fallback's reason as a label: the user-facing text carries numbers ("within 2.3 s"), the
# label must come from a short fixed list.
_REASON_KINDS = (
    (re.compile(r"returned (\d{3})\b"), ""),
    (re.compile(r"timed out|did not answer within"), "timeout"),
    (re.compile(r"not enough time"), "deadline"),
    (re.compile(r"blocked"), "blocked"),
    (re.compile(r"did not validate"), "invalid"),
    (re.compile(r"malformed"), "malformed"),
    (re.compile(r"empty answer|no answer|no message"), "empty"),
    (re.compile(r"cut off"), "truncated"),
    (re.compile(r"could not be reached"), "unreachable"),
    (re.compile(r"broke off"), "broken"),
)


def reason_kind(reason: str) -> str:
    """The label for a fallback reason: `http_503`, `timeout`, ..., or `error`."""
    for pattern, kind in _REASON_KINDS:
        m = pattern.search(reason)
        if m:
            return kind or f"http_{m.group(1)}"
    return "error"


def count_fallback(provider: str, reason: str) -> None:
    PROVIDER_REQUESTS.labels(provider, "fallback").inc()
    FALLBACKS.labels(provider, reason_kind(reason)).inc()


class LocalPool:
    """Bounded local work: `workers` run at once (on `executor`, which has that many threads),
    `queue` more may wait, the rest are refused at once (AI_BUSY)."""

    def __init__(self, workers: int, queue: int) -> None:
        self.workers = workers
        self.queue = queue
        self.in_flight = 0
        self.executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="ai-local")
        self._slots: asyncio.Semaphore | None = None
        POOL_IN_FLIGHT.set_function(lambda: self.in_flight)
        POOL_QUEUED.set_function(lambda: max(0, self.in_flight - self.workers))
        POOL_CAPACITY.set(workers + queue)

    def _semaphore(self) -> asyncio.Semaphore:
        if self._slots is None:
            self._slots = asyncio.Semaphore(self.workers)
        return self._slots

    def admit(self) -> None:
        if self.in_flight >= self.workers + self.queue:
            POOL_REJECTIONS.inc()
            raise ResourceExhausted(
                "The AI service is busy; try again in a few seconds.",
                reason="AI_BUSY",
                metadata={
                    "queue": str(self.queue),
                    "retryAfterSeconds": str(BUSY_RETRY_SECONDS),
                },
            )

    async def guard(self, make: Callable[[], Awaitable[T]]) -> T:
        """An async local operation under the same bound."""
        self.admit()
        self.in_flight += 1
        try:
            async with self._semaphore():
                return await make()
        finally:
            self.in_flight -= 1

    def close(self) -> None:
        self.executor.shutdown(wait=False, cancel_futures=True)


class _Engine:
    """The local provider, imported and loaded off the event loop (it reads the taxonomy and
    the ONNX model: about a second of CPU)."""

    def __init__(self, executor: Executor, chat_pause: float) -> None:
        self.executor = executor
        self.chat_pause = chat_pause
        self.provider: Provider | None = None
        self.model = ""

    def load(self) -> None:
        started = time.perf_counter()
        module = importlib.import_module("careervault_ai.local.provider")
        provider = module.LocalProvider(self.executor, chat_pause=self.chat_pause)
        warm = getattr(provider, "warm", None)
        if callable(warm):
            warm()
        self.model = str(provider.model)
        self.provider = provider
        log.info("local engine ready", extra={"ms": round((time.perf_counter() - started) * 1000)})


class Fallback(Exception):
    """The external provider did not answer; `reason` says why (shown to the user)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Route:
    """Who is asked first for one request: the external provider, or `local` (with why, when
    an external provider is configured but may not be used for this user)."""

    external: bool
    reason: str = ""


class Chain:
    def __init__(
        self, settings: AiSettings, pool: LocalPool, external: Provider | None = None
    ) -> None:
        self.settings = settings
        self.pool = pool
        self.external = external
        self._engine = _Engine(pool.executor, settings.ai_chat_pause)
        self._ready: asyncio.Future[None] | None = None

    # -- the local engine -------------------------------------------------------------------

    def start_warm(self) -> None:
        """Loads the local engine in a pool thread; returns at once."""
        if self._ready is None:
            loop = asyncio.get_running_loop()
            self._ready = loop.run_in_executor(self.pool.executor, self._engine.load)
            self._ready.add_done_callback(self._warmed)

    def _warmed(self, future: asyncio.Future[None]) -> None:
        if not future.cancelled() and future.exception() is not None:
            log.error("local engine failed to load", exc_info=future.exception())

    async def _local(self) -> _Engine:
        if self._ready is None:
            self.start_warm()
        assert self._ready is not None
        try:
            await asyncio.shield(self._ready)
        except Exception:
            # Try again on the next request rather than failing forever.
            self._ready = None
            raise Unavailable(
                "The local AI engine could not be loaded; see the service log.",
                reason="AI_ENGINE_UNAVAILABLE",
            ) from None
        return self._engine

    async def local_model(self) -> str:
        return (await self._local()).model

    async def local_info(self, fell_back: bool = False, reason: str = "") -> pb.ProviderInfo:
        return pb.ProviderInfo(
            name=LOCAL, model=await self.local_model(), fell_back=fell_back, reason=reason
        )

    def external_info(self) -> pb.ProviderInfo:
        assert self.external is not None
        return pb.ProviderInfo(name=self.external.name, model=self.external.model)

    async def first_provider(self, route: Route) -> tuple[str, str]:
        """(name, model) of who is asked first: the cache key's provider part."""
        if route.external and self.external is not None:
            return self.external.name, self.external.model
        return LOCAL, await self.local_model()

    # -- the external provider ----------------------------------------------------------------

    def budget(self) -> float:
        """Seconds the external provider may take for one call."""
        s = self.settings
        budget = s.gemini_timeout * (s.gemini_retries + 1) + RETRY_ALLOWANCE
        deadline = deadline_var.get()
        if deadline is not None:
            budget = min(budget, deadline - time.time() - LOCAL_MARGIN)
        return budget

    def _why(self, exc: BaseException, budget: float) -> str:
        name = self.external.name.capitalize() if self.external is not None else "The provider"
        if isinstance(exc, Fallback):
            return exc.reason
        if isinstance(exc, TimeoutError):
            return f"{name} did not answer within {budget:.1f} s"
        reason = getattr(exc, "reason", "")
        if isinstance(reason, str) and reason:
            return reason
        log.warning("external provider failed", extra={"error": type(exc).__name__})
        return f"{name} failed unexpectedly ({type(exc).__name__})"

    async def _external(self, make: Callable[[Provider], Awaitable[T]]) -> T:
        """`make(external)` within the budget; Fallback (with the reason) on any failure."""
        assert self.external is not None
        budget = self.budget()
        if budget < MIN_EXTERNAL_BUDGET:
            raise Fallback("not enough time was left before the deadline to ask Gemini")
        started = time.perf_counter()
        try:
            return await asyncio.wait_for(make(self.external), budget)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            reason = self._why(exc, budget)
            log.info(
                "falling back to local",
                extra={
                    "error": type(exc).__name__,
                    "ms": round((time.perf_counter() - started) * 1000, 1),
                },
            )
            raise Fallback(reason) from None

    # -- the RPCs -------------------------------------------------------------------------------

    async def _answer(self, route: Route, make: Callable[[Provider], Awaitable[R]]) -> R:
        """One unary answer: from the external provider when the route allows it, else (or
        when it fails) from `local` in the bounded pool; `provider` says who and why."""
        reason, fell_back = route.reason, False
        if route.external and self.external is not None:
            try:
                result = await self._external(make)
            except Fallback as fb:
                reason, fell_back = fb.reason, True
                count_fallback(self.external.name, fb.reason)
            else:
                PROVIDER_REQUESTS.labels(self.external.name, "ok").inc()
                result.provider.CopyFrom(self.external_info())
                return result
        try:
            local = (await self._local()).provider
            assert local is not None
            result = await self.pool.guard(lambda: make(local))
        except Exception:
            PROVIDER_REQUESTS.labels(LOCAL, "error").inc()
            raise
        PROVIDER_REQUESTS.labels(LOCAL, "ok").inc()
        result.provider.CopyFrom(await self.local_info(fell_back, reason))
        return result

    async def analyze(self, route: Route, resume: Resume, job: Job) -> pb.ResumeAnalysis:
        return await self._answer(route, lambda p: p.analyze(resume, job))

    async def prepare_interview(
        self, route: Route, job: Job, resume: Resume | None, count: int
    ) -> pb.PrepareInterviewResponse:
        return await self._answer(route, lambda p: p.prepare_interview(job, resume, count))

    async def cover_letter(
        self, route: Route, resume: Resume, job: Job, tone: str
    ) -> pb.CoverLetter:
        return await self._answer(route, lambda p: p.cover_letter(resume, job, tone))

    async def chat(
        self, route: Route, turns: Sequence[ChatTurn], context: ChatContext, note: str = ""
    ) -> AsyncIterator[pb.ChatResponse]:
        """The answer as ChatResponse messages: the first carries `provider` (and `note`, a
        remark to show before the answer, if any), the last has `done`. Errors before anything
        was sent are raised (a status); after that they end the stream inside it."""
        reason, fell_back = route.reason, False
        if route.external and self.external is not None:
            external = self.external
            stream = external.chat(turns, context)
            budget = self.budget()
            try:
                if budget < MIN_EXTERNAL_BUDGET:
                    raise Fallback("not enough time was left before the deadline to ask Gemini")
                first = await self._first_piece(stream, budget)
            except Fallback as fb:
                reason, fell_back = fb.reason, True
                count_fallback(external.name, fb.reason)
                await _close(stream)
            else:
                PROVIDER_REQUESTS.labels(external.name, "ok").inc()
                yield pb.ChatResponse(delta=note + first, provider=self.external_info())
                async for message in self._rest(stream, self.settings.gemini_timeout):
                    yield message
                return
        # The answer is composed before its first piece (CPU, in the pool): that part counts
        # against the pool's bound; streaming the pieces afterwards does not.
        engine = await self._local()
        assert engine.provider is not None
        info = await self.local_info(fell_back, reason)
        stream = engine.provider.chat(turns, context)
        try:
            first = await self.pool.guard(lambda: _first_or_empty(stream))
        except DomainError:
            PROVIDER_REQUESTS.labels(LOCAL, "error").inc()
            await _close(stream)
            raise
        except Exception:
            PROVIDER_REQUESTS.labels(LOCAL, "error").inc()
            await _close(stream)
            log.exception("local chat failed")
            yield pb.ChatResponse(
                provider=info,
                done=True,
                error=pb.ChatError(code="INTERNAL", message="The answer failed; try again."),
            )
            return
        PROVIDER_REQUESTS.labels(LOCAL, "ok").inc()
        yield pb.ChatResponse(delta=note + first, provider=info)
        async for message in self._rest(stream, None):
            yield message

    async def _first_piece(self, stream: AsyncIterator[str], budget: float) -> str:
        try:
            return await asyncio.wait_for(_first_or_empty(stream), budget)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            raise Fallback(self._why(exc, budget)) from None

    async def _rest(
        self, stream: AsyncIterator[str], idle: float | None
    ) -> AsyncIterator[pb.ChatResponse]:
        """The pieces after the first, then `done`; an error ends the stream inside it."""
        try:
            while True:
                try:
                    piece = await asyncio.wait_for(anext(stream), idle)
                except StopAsyncIteration:
                    break
                if piece:
                    yield pb.ChatResponse(delta=piece)
        except asyncio.CancelledError:
            await _close(stream)
            raise
        except Exception as exc:
            await _close(stream)
            if isinstance(exc, TimeoutError):
                code, message = "DEADLINE_EXCEEDED", "The answer stopped: no reply in time."
            elif isinstance(exc, DomainError):
                code, message = exc.code.name, exc.message
            else:
                reason = getattr(exc, "reason", "")
                code = "UNAVAILABLE"
                message = f"The answer stopped: {reason}." if reason else "The answer stopped."
                log.warning("chat stream failed", extra={"error": type(exc).__name__})
            yield pb.ChatResponse(done=True, error=pb.ChatError(code=code, message=message))
            return
        yield pb.ChatResponse(done=True)


async def _first_or_empty(stream: AsyncIterator[str]) -> str:
    try:
        return await anext(stream)
    except StopAsyncIteration:
        return ""


async def _close(stream: AsyncIterator[str]) -> None:
    aclose = getattr(stream, "aclose", None)
    if aclose is not None:
        with contextlib.suppress(Exception):  # closing a failed stream: nothing to report
            await aclose()


def external_provider(settings: AiSettings, executor: Executor | None = None) -> Provider | None:
    """The configured external provider, or None for `local`. `executor`: where its own
    CPU-bound work runs (the local pool's threads)."""
    if settings.ai_provider != "gemini":
        return None
    from careervault_ai.gemini import GeminiProvider

    provider: Provider = GeminiProvider(settings, executor)
    return provider
