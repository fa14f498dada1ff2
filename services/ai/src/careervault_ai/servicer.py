"""gRPC surface of the AI service: check the request, resolve its inputs, ask the chain.

Thin on purpose: checks and the calls to the other services are in `inputs`, the choice of
provider and the fallback in `fallback`, the per-user result cache in `cache`. Logs carry
sizes, hashes' first characters, providers and timings, never resume or job text.
"""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator

from careervault.ai.v1 import ai_pb2 as pb
from careervault.ai.v1 import ai_pb2_grpc
from careervault.runtime.context import current_principal
from careervault_ai.cache import AnalysisCache, CacheKey
from careervault_ai.fallback import Chain, Route
from careervault_ai.inputs import (
    Profile,
    Upstreams,
    check_analyze,
    check_chat,
    check_cover_letter,
    check_interview,
)
from careervault_ai.provider import Job, Resume

SERVICE = "careervault.ai.v1.AiService"
log = logging.getLogger(__name__)

NO_CONSENT = (
    "You have not allowed external AI processing (externalAiConsent in your profile), so "
    "nothing left this server and the local provider answered"
)
NO_PROFILE = (
    "Your consent to external AI processing could not be checked ({error}), so nothing left "
    "this server and the local provider answered"
)
NO_PIPELINE = "(I could not read your applications just now, so this answer does not use them.)\n\n"


def _ms(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 1)


class AiServicer(ai_pb2_grpc.AiServiceServicer):
    def __init__(
        self, chain: Chain, upstreams: Upstreams, cache: AnalysisCache, max_chars: int
    ) -> None:
        self.chain = chain
        self.upstreams = upstreams
        self.cache = cache
        self.max_chars = max_chars

    async def _route(self) -> tuple[Route, Profile | None]:
        """Whether the external provider may be asked for this caller: only when one is
        configured and the caller consented (read from identity only then)."""
        if self.chain.external is None:
            return Route(external=False), None
        profile = await self.upstreams.profile()
        if profile.error:
            return Route(False, NO_PROFILE.format(error=profile.error)), profile
        if not profile.consent:
            return Route(False, NO_CONSENT), profile
        return Route(external=True), profile

    async def _job(self, description: str, name: str) -> Job:
        job, _ = await self.upstreams.job(description, name)
        return job

    async def AnalyzeResume(
        self, request: pb.AnalyzeResumeRequest, context: object
    ) -> pb.ResumeAnalysis:
        check_analyze(request, self.max_chars)
        user = current_principal().user_id
        started = time.perf_counter()
        job, saved_job = await self.upstreams.job(request.job_description, request.job)
        document = request.document if request.HasField("document") else None
        resume = await self.upstreams.resume(request.resume_text, document)
        route, _ = await self._route()
        name, model = await self.chain.first_provider(route)
        # The month is part of the key: "2021 - present" counts up to today, so an analysis
        # of the same texts may differ from one month to the next.
        month = time.strftime("%Y-%m", time.gmtime())
        key = CacheKey(resume.sha256, job.sha256, name, f"{model}\x00{route.reason}\x00{month}")
        analysis = self.cache.get(user, key)
        cached = analysis is not None
        if analysis is None:
            analysis = await self.chain.analyze(route, resume, job)
            # A fallback is not reused: the next request asks the configured provider again.
            self.cache.put(user, key, analysis, reuse=not analysis.provider.fell_back)
        if request.save and saved_job is not None:
            await self.upstreams.save_analysis(saved_job, analysis, resume)
        log.info(
            "analyzed",
            extra={
                "resume_chars": len(resume.text),
                "job_chars": len(job.description),
                "document": document is not None,
                "saved_job": bool(request.job),
                "saved": bool(request.save),
                "provider": analysis.provider.name,
                "fell_back": analysis.provider.fell_back,
                "cached": cached,
                "score": analysis.match_score,
                "ms": _ms(started),
            },
        )
        return analysis

    async def PrepareInterview(
        self, request: pb.PrepareInterviewRequest, context: object
    ) -> pb.PrepareInterviewResponse:
        count = check_interview(request, self.max_chars)
        started = time.perf_counter()
        job = await self._job(request.job_description, request.job)
        resume = Resume(request.resume_text) if request.resume_text.strip() else None
        route, _ = await self._route()
        result = await self.chain.prepare_interview(route, job, resume, count)
        log.info(
            "interview prepared",
            extra={
                "questions": len(result.questions),
                "provider": result.provider.name,
                "fell_back": result.provider.fell_back,
                "ms": _ms(started),
            },
        )
        return result

    async def GenerateCoverLetter(
        self, request: pb.GenerateCoverLetterRequest, context: object
    ) -> pb.CoverLetter:
        tone = check_cover_letter(request, self.max_chars)
        started = time.perf_counter()
        job = await self._job(request.job_description, request.job)
        route, _ = await self._route()
        result = await self.chain.cover_letter(route, Resume(request.resume_text), job, tone)
        log.info(
            "cover letter",
            extra={
                "chars": len(result.text),
                "tone": tone,
                "provider": result.provider.name,
                "fell_back": result.provider.fell_back,
                "ms": _ms(started),
            },
        )
        return result

    async def Chat(
        self, request: pb.ChatRequest, context: object
    ) -> AsyncIterator[pb.ChatResponse]:
        turns = check_chat(request, self.max_chars)
        user = current_principal().user_id
        started = time.perf_counter()
        route, profile = await self._route()
        chat_context, pipeline_error = await self.upstreams.chat_context(
            request.job, profile, self.cache.latest(user)
        )
        note = NO_PIPELINE if pipeline_error else ""
        pieces = 0
        outcome = "done"
        provider = ""
        async for message in self.chain.chat(route, turns, chat_context, note):
            if message.HasField("provider"):
                provider = message.provider.name
            if message.HasField("error"):
                outcome = message.error.code
            pieces += 1
            yield message
        log.info(
            "chat",
            extra={
                "messages": len(turns),
                "pieces": pieces,
                "provider": provider,
                "outcome": outcome,
                "pipeline": not pipeline_error,
                "ms": _ms(started),
            },
        )
