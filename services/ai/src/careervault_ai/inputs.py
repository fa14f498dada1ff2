"""What a request means: checking it, and reading what it refers to from the other services.

Checks first, all of them, before anything is called: INVALID_ARGUMENT with one BadRequest
field violation per problem, and a reason that names the problem when there is one.

Then the inputs are resolved over gRPC with the caller's token, request id and deadline
(relayed by `careervault.runtime.channels`): a document goes to the extraction service, a job
name to the jobs service, the chat's pipeline to the jobs service (best effort), the consent
to the identity service (only when an external provider is configured). Errors of those
services pass through with their code, message and reason (a PDF_ENCRYPTED stays
FAILED_PRECONDITION, another user's job stays NOT_FOUND); a service that cannot be reached is
UNAVAILABLE `<SERVICE>_UNAVAILABLE`.

Nothing here logs contents: ids, sizes and codes only.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import functools
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass

import grpc
from google.protobuf import field_mask_pb2
from google.protobuf.timestamp_pb2 import Timestamp
from google.rpc import error_details_pb2, status_pb2

from careervault.ai.v1 import ai_pb2 as pb
from careervault.extraction.v1 import extraction_pb2 as epb
from careervault.extraction.v1 import extraction_pb2_grpc
from careervault.identity.v1 import identity_pb2 as ipb
from careervault.identity.v1 import identity_pb2_grpc
from careervault.jobs.v1 import jobs_pb2 as jpb
from careervault.jobs.v1 import jobs_pb2_grpc
from careervault.runtime.balancing import balanced
from careervault.runtime.channels import create_channel
from careervault.runtime.errors import (
    Aborted,
    DomainError,
    FailedPrecondition,
    FieldViolation,
    InvalidArgument,
    Unavailable,
)
from careervault_ai.provider import (
    DEFAULT_QUESTIONS,
    DEFAULT_TONE,
    MAX_QUESTIONS,
    TONES,
    ChatContext,
    ChatTurn,
    Job,
    JobSummary,
    Resume,
)
from careervault_ai.settings import AiSettings

log = logging.getLogger(__name__)

JOB_NAME_RE = re.compile(r"^jobs/[0-9a-f]{32}$")
MAX_CHAT_MESSAGES = 50
MAX_CHAT_MESSAGE_CHARS = 8000
CHAT_ROLES = ("user", "assistant")
# Applications the chat sees (the most recently changed first).
CHAT_JOBS = 50
# Seconds the chat waits for the pipeline before answering without it.
PIPELINE_TIMEOUT = 3.0
# Seconds for reading the consent; without an answer the local provider answers.
PROFILE_TIMEOUT = 3.0
# Seconds for one jobs call; one extraction (OCR can be slow). The caller's deadline wins.
JOBS_TIMEOUT = 10.0
EXTRACTION_TIMEOUT = 90.0
# A failed connection is retried quickly instead of after gRPC's default backoff (up to
# 120 s), so a restarted service is used again at once; loopback and VPC targets never go
# through an HTTP proxy.
CHANNEL_OPTIONS = (
    ("grpc.enable_http_proxy", 0),
    ("grpc.initial_reconnect_backoff_ms", 200),
    ("grpc.min_reconnect_backoff_ms", 200),
    ("grpc.max_reconnect_backoff_ms", 2000),
)
IDENTITY_SERVICE = ipb.DESCRIPTOR.services_by_name["IdentityService"].full_name
JOBS_SERVICE = jpb.DESCRIPTOR.services_by_name["JobService"].full_name
EXTRACTION_SERVICE = epb.DESCRIPTOR.services_by_name["ExtractionService"].full_name
# Saved analyses stay inside the jobs service's limits (rules.py there checks them again).
SAVED_SUMMARY_CHARS = 4000
SAVED_TEXT_CHARS = 2000
SAVED_SKILL_CHARS = 200
SAVED_SKILLS, SAVED_SUGGESTIONS, SAVED_COMPONENTS = 200, 50, 20


# ---------------------------------------------------------------------------------------------
# Checks


@dataclass(frozen=True)
class _Problem:
    field: str
    description: str
    reason: str


def _raise(problems: Sequence[_Problem]) -> None:
    if not problems:
        return
    if len(problems) == 1:
        message = problems[0].description[:1].upper() + problems[0].description[1:] + "."
        reason = problems[0].reason
    else:
        message = "Check the highlighted fields: " + "; ".join(p.description for p in problems)
        reason = "INVALID_ARGUMENT"
    raise InvalidArgument(
        message,
        reason=reason,
        violations=[FieldViolation(p.field, p.description) for p in problems],
    )


def _check_resume(
    problems: list[_Problem], text: str, document: pb.Document | None, max_chars: int
) -> None:
    has_text = bool(text.strip())
    if document is not None and has_text:
        problems.append(
            _Problem("resume_text", "send resume_text or document, not both", "RESUME_AMBIGUOUS")
        )
    elif document is None and not has_text:
        problems.append(
            _Problem("resume_text", "send the resume as resume_text or document", "RESUME_MISSING")
        )
    if len(text) > max_chars:
        problems.append(
            _Problem("resume_text", f"at most {max_chars} characters", "RESUME_TOO_LONG")
        )
    if document is not None and not document.content:
        problems.append(_Problem("document.content", "the file is empty", "EMPTY_FILE"))


def _check_job(problems: list[_Problem], description: str, job: str, max_chars: int) -> None:
    has_text = bool(description.strip())
    if job and has_text:
        problems.append(
            _Problem("job_description", "send job_description or job, not both", "JOB_AMBIGUOUS")
        )
    elif not job and not has_text:
        problems.append(
            _Problem(
                "job_description",
                "send the job as job_description or job (a saved job's name)",
                "JOB_MISSING",
            )
        )
    if len(description) > max_chars:
        problems.append(
            _Problem("job_description", f"at most {max_chars} characters", "JOB_TOO_LONG")
        )
    _check_job_name(problems, job)


def _check_job_name(problems: list[_Problem], job: str) -> None:
    if job and not JOB_NAME_RE.match(job):
        problems.append(
            _Problem("job", "a saved job's name looks like jobs/{id}", "INVALID_JOB_NAME")
        )


def check_analyze(request: pb.AnalyzeResumeRequest, max_chars: int) -> None:
    problems: list[_Problem] = []
    document = request.document if request.HasField("document") else None
    _check_resume(problems, request.resume_text, document, max_chars)
    _check_job(problems, request.job_description, request.job, max_chars)
    if request.save and not request.job:
        problems.append(
            _Problem(
                "save", "save needs job: the saved job to keep the result on", "SAVE_NEEDS_JOB"
            )
        )
    _raise(problems)


def check_interview(request: pb.PrepareInterviewRequest, max_chars: int) -> int:
    """The number of questions to ask for."""
    problems: list[_Problem] = []
    _check_job(problems, request.job_description, request.job, max_chars)
    if len(request.resume_text) > max_chars:
        problems.append(
            _Problem("resume_text", f"at most {max_chars} characters", "RESUME_TOO_LONG")
        )
    if not 0 <= request.question_count <= MAX_QUESTIONS:
        problems.append(
            _Problem(
                "question_count",
                f"between 1 and {MAX_QUESTIONS} (0: {DEFAULT_QUESTIONS})",
                "QUESTION_COUNT_OUT_OF_RANGE",
            )
        )
    _raise(problems)
    return request.question_count or DEFAULT_QUESTIONS


def check_cover_letter(request: pb.GenerateCoverLetterRequest, max_chars: int) -> str:
    """The tone to write in."""
    problems: list[_Problem] = []
    _check_resume(problems, request.resume_text, None, max_chars)
    _check_job(problems, request.job_description, request.job, max_chars)
    tone = request.tone.strip().lower()
    if tone and tone not in TONES:
        problems.append(_Problem("tone", f"one of {', '.join(TONES)}", "UNKNOWN_TONE"))
    _raise(problems)
    return tone or DEFAULT_TONE


def check_chat(request: pb.ChatRequest, max_chars: int) -> list[ChatTurn]:
    problems: list[_Problem] = []
    messages = request.messages
    if not messages:
        problems.append(
            _Problem("messages", "send at least one message, from the user", "CHAT_EMPTY")
        )
    elif len(messages) > MAX_CHAT_MESSAGES:
        problems.append(
            _Problem(
                "messages",
                f"at most {MAX_CHAT_MESSAGES} messages; drop the oldest",
                "CHAT_TOO_MANY_MESSAGES",
            )
        )
    else:
        for i, m in enumerate(messages):
            if m.role not in CHAT_ROLES:
                problems.append(
                    _Problem(f"messages[{i}].role", "user or assistant", "CHAT_UNKNOWN_ROLE")
                )
            if not m.content.strip():
                problems.append(
                    _Problem(f"messages[{i}].content", "a message cannot be empty", "CHAT_EMPTY")
                )
            elif len(m.content) > MAX_CHAT_MESSAGE_CHARS:
                problems.append(
                    _Problem(
                        f"messages[{i}].content",
                        f"at most {MAX_CHAT_MESSAGE_CHARS} characters",
                        "CHAT_MESSAGE_TOO_LONG",
                    )
                )
        if messages[-1].role != "user":
            problems.append(
                _Problem(
                    f"messages[{len(messages) - 1}].role",
                    "the last message must be the user's",
                    "CHAT_LAST_NOT_USER",
                )
            )
        total = sum(len(m.content) for m in messages)
        if total > max_chars:
            problems.append(
                _Problem(
                    "messages",
                    f"at most {max_chars} characters in all; drop the oldest messages",
                    "CHAT_TOO_LONG",
                )
            )
    _check_job_name(problems, request.job)
    _raise(problems)
    return [ChatTurn(m.role, m.content) for m in messages]


# ---------------------------------------------------------------------------------------------
# Errors of the other services


class DeadlineExceeded(DomainError):
    """504: the caller's deadline passed while another service worked."""

    code = grpc.StatusCode.DEADLINE_EXCEEDED
    default_reason = "DEADLINE_EXCEEDED"


@functools.cache
def _relay_class(code: grpc.StatusCode) -> type[DomainError]:
    cls: type[DomainError] = type(
        f"Relayed{code.name.title().replace('_', '')}",
        (DomainError,),
        {"code": code, "default_reason": code.name, "__module__": __name__},
    )
    return cls


def _rich_status(exc: grpc.aio.AioRpcError) -> status_pb2.Status | None:
    for key, value in exc.trailing_metadata() or ():
        if key == "grpc-status-details-bin" and isinstance(value, bytes):
            try:
                return status_pb2.Status.FromString(value)
            except Exception:  # a malformed detail: treat as absent
                return None
    return None


def relay(exc: grpc.aio.AioRpcError, service: str) -> DomainError:
    """The other service's error as ours: same code, message, reason, violations."""
    code = exc.code()
    status = _rich_status(exc)
    if code in (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.UNKNOWN) or (
        code == grpc.StatusCode.INTERNAL and status is None
    ):
        log.warning("upstream failed", extra={"upstream": service, "code": code.name})
        return Unavailable(
            f"The {service} service cannot be reached at the moment; try again shortly.",
            reason=f"{service.upper()}_UNAVAILABLE",
            metadata={"service": service},
        )
    if code == grpc.StatusCode.DEADLINE_EXCEEDED:
        return DeadlineExceeded(
            f"The {service} service did not answer in time.",
            reason=f"{service.upper()}_TIMEOUT",
            metadata={"service": service},
        )
    reason = ""
    metadata: dict[str, str] = {}
    violations: list[FieldViolation] = []
    if status is not None:
        for detail in status.details:
            if detail.Is(error_details_pb2.ErrorInfo.DESCRIPTOR):
                info = error_details_pb2.ErrorInfo()
                detail.Unpack(info)
                reason, metadata = info.reason, dict(info.metadata)
            elif detail.Is(error_details_pb2.BadRequest.DESCRIPTOR):
                bad = error_details_pb2.BadRequest()
                detail.Unpack(bad)
                violations = [FieldViolation(v.field, v.description) for v in bad.field_violations]
    message = (status.message if status is not None else "") or exc.details() or code.name
    return _relay_class(code)(
        message, reason=reason or None, violations=violations, metadata=metadata
    )


# ---------------------------------------------------------------------------------------------
# Conversions


def job_input(job: jpb.JobApplication) -> Job:
    """A saved job as the providers see it; FAILED_PRECONDITION without a description."""
    if not job.job_description.strip():
        raise FailedPrecondition(
            f"{job.name} has no job description to compare with; add one to the job "
            "(jobDescription) or send jobDescription instead.",
            reason="JOB_HAS_NO_DESCRIPTION",
            violations=[FieldViolation("job", "the saved job has no job_description")],
        )
    return Job(description=job.job_description, title=job.position, company=job.company)


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _one_line(text: str, limit: int) -> str:
    return _clip(" ".join(text.split()), limit)


def saved_analysis(analysis: pb.ResumeAnalysis, resume_sha256: str) -> jpb.SavedAnalysis:
    """What is kept on the job: scores, skill names and suggestions, bounded to what the jobs
    service accepts."""
    now = Timestamp()
    now.FromDatetime(dt.datetime.now(dt.UTC))
    now.nanos = 0
    return jpb.SavedAnalysis(
        match_score=max(0, min(100, analysis.match_score)),
        summary=_clip(analysis.summary, SAVED_SUMMARY_CHARS),
        score_breakdown=[
            jpb.AnalysisComponent(
                component=_one_line(c.component, 100),
                score=max(0.0, min(100.0, c.score)),
                weight=max(0.0, min(1.0, c.weight)),
                explanation=_clip(c.explanation, SAVED_TEXT_CHARS),
            )
            for c in analysis.score_breakdown[:SAVED_COMPONENTS]
        ],
        matched_skills=[
            _one_line(s.skill, SAVED_SKILL_CHARS) for s in analysis.matched_skills[:SAVED_SKILLS]
        ],
        missing_skills=[
            _one_line(s.skill, SAVED_SKILL_CHARS) for s in analysis.missing_skills[:SAVED_SKILLS]
        ],
        suggestions=[_clip(s, SAVED_TEXT_CHARS) for s in analysis.suggestions[:SAVED_SUGGESTIONS]],
        provider=_one_line(analysis.provider.name, 50),
        analyze_time=now,
        resume_sha256=resume_sha256,
    )


def analysis_from_saved(saved: jpb.SavedAnalysis) -> pb.ResumeAnalysis:
    """A saved analysis as the chat's context (skill names without evidence)."""
    return pb.ResumeAnalysis(
        match_score=saved.match_score,
        summary=saved.summary,
        score_breakdown=[
            pb.ScoreComponent(
                component=c.component, score=c.score, weight=c.weight, explanation=c.explanation
            )
            for c in saved.score_breakdown
        ],
        matched_skills=[pb.SkillMatch(skill=s) for s in saved.matched_skills],
        missing_skills=[pb.SkillMatch(skill=s) for s in saved.missing_skills],
        suggestions=list(saved.suggestions),
        provider=pb.ProviderInfo(name=saved.provider),
    )


def _status_name(status: int) -> str:
    try:
        return str(jpb.JobApplication.Status.Name(status))  # type: ignore[arg-type]
    except ValueError:
        return str(status)


def _date(d: object) -> str:
    year, month, day = getattr(d, "year", 0), getattr(d, "month", 0), getattr(d, "day", 0)
    return f"{year:04d}-{month:02d}-{day:02d}" if year else ""


def job_summary(job: jpb.JobApplication) -> JobSummary:
    action = job.next_action.description
    if action and job.next_action.HasField("due_date"):
        action += f" (due {_date(job.next_action.due_date)})"
    return JobSummary(
        name=job.name,
        company=job.company,
        position=job.position,
        status=_status_name(job.status),
        applied_date=_date(job.applied_date) if job.HasField("applied_date") else "",
        next_action=action,
    )


def stats_values(stats: jpb.JobStats) -> tuple[dict[str, float], dict[str, int]]:
    values: dict[str, float] = {
        "total": float(stats.total),
        "sent": float(stats.sent),
        "response_rate": stats.response_rate,
        "interview_rate": stats.interview_rate,
        "offer_rate": stats.offer_rate,
        "stale_count": float(stats.stale_count),
    }
    if stats.time_to_first_response.count:
        values["median_days_to_first_response"] = stats.time_to_first_response.median_days
    counts = {_status_name(c.status): c.count for c in stats.status_counts if c.count}
    return values, counts


# ---------------------------------------------------------------------------------------------
# The other services


@dataclass(frozen=True)
class Profile:
    """What the identity service says about the caller, as far as the AI service cares."""

    consent: bool
    display_name: str = ""
    error: str = ""  # why it could not be read ("" when it was)


@dataclass(frozen=True)
class Pipeline:
    stats: dict[str, float]
    status_counts: dict[str, int]
    jobs: tuple[JobSummary, ...]
    error: str = ""  # why the pipeline could not be read ("" when it was)


def _channel(
    address: str, service: str, retried: Sequence[str], timeout: float
) -> grpc.aio.Channel:
    target, options = balanced(address, service, retried)
    return create_channel(target, timeout, [*CHANNEL_OPTIONS, *options])


class Upstreams:
    """One channel per service, made at start; calls relay the caller's context."""

    def __init__(self, settings: AiSettings) -> None:
        # Each address may list several replicas: calls are spread over them and avoid one
        # that is draining or down (careervault.runtime.balancing). Every call made here is
        # safe to run twice (reads; the UpdateJob carries the etag it read, so a replay is
        # ABORTED and save_analysis reads again), so all are retried on UNAVAILABLE.
        self.identity_channel = _channel(
            settings.identity_address, IDENTITY_SERVICE, ("GetUser",), PROFILE_TIMEOUT
        )
        self.jobs_channel = _channel(
            settings.jobs_address,
            JOBS_SERVICE,
            ("GetJob", "ListJobs", "GetJobStats", "UpdateJob"),
            JOBS_TIMEOUT,
        )
        self.extraction_channel = _channel(
            settings.extraction_address,
            EXTRACTION_SERVICE,
            ("ExtractDocument",),
            EXTRACTION_TIMEOUT,
        )
        self.identity = identity_pb2_grpc.IdentityServiceStub(self.identity_channel)
        self.jobs = jobs_pb2_grpc.JobServiceStub(self.jobs_channel)
        self.extraction = extraction_pb2_grpc.ExtractionServiceStub(self.extraction_channel)
        self.max_chars = settings.ai_max_text_chars

    async def close(self) -> None:
        for channel in (self.identity_channel, self.jobs_channel, self.extraction_channel):
            await channel.close()

    # -- inputs ---------------------------------------------------------------------------

    async def resume(self, text: str, document: pb.Document | None) -> Resume:
        """The resume's text: as sent, or read from the document by the extraction service."""
        if document is None:
            return Resume(text)
        try:
            extracted = await self.extraction.ExtractDocument(
                epb.ExtractDocumentRequest(
                    content=document.content,
                    filename=document.filename,
                    content_type=document.content_type,
                )
            )
        except grpc.aio.AioRpcError as exc:
            raise relay(exc, "extraction") from None
        if not extracted.text.strip():
            raise FailedPrecondition(
                "No text could be read from the document; send the resume as text.",
                reason="DOCUMENT_HAS_NO_TEXT",
                violations=[FieldViolation("document", "no text found")],
            )
        if len(extracted.text) > self.max_chars:
            raise InvalidArgument(
                f"The document holds {len(extracted.text)} characters of text; at most "
                f"{self.max_chars} are analysed. Send a shorter resume.",
                reason="RESUME_TOO_LONG",
                violations=[FieldViolation("document", f"at most {self.max_chars} characters")],
            )
        return Resume(extracted.text)

    async def get_job(self, name: str) -> jpb.JobApplication:
        try:
            return await self.jobs.GetJob(jpb.GetJobRequest(name=name))
        except grpc.aio.AioRpcError as exc:
            raise relay(exc, "jobs") from None

    async def job(self, description: str, name: str) -> tuple[Job, jpb.JobApplication | None]:
        """The job to compare with, and the saved job it came from (if any)."""
        if not name:
            return Job(description=description), None
        saved = await self.get_job(name)
        return job_input(saved), saved

    async def profile(self) -> Profile:
        """The caller's consent to external processing; never raises (no answer = no
        consent, with the reason)."""
        try:
            user = await self.identity.GetUser(
                ipb.GetUserRequest(name="users/me"), timeout=PROFILE_TIMEOUT
            )
        except grpc.aio.AioRpcError as exc:
            log.warning("profile unavailable", extra={"code": exc.code().name})
            return Profile(False, error="your profile could not be read")
        return Profile(user.external_ai_consent, user.display_name)

    async def pipeline(self) -> Pipeline:
        """The caller's applications and statistics; never raises (empty, with the reason)."""
        stats_call = self.jobs.GetJobStats(jpb.GetJobStatsRequest(), timeout=PIPELINE_TIMEOUT)
        list_call = self.jobs.ListJobs(
            jpb.ListJobsRequest(
                page_size=CHAT_JOBS, order_by="update_time desc", view=jpb.JOB_VIEW_BASIC
            ),
            timeout=PIPELINE_TIMEOUT,
        )
        stats, listing = await asyncio.gather(stats_call, list_call, return_exceptions=True)
        for failed in (stats, listing):
            if isinstance(failed, grpc.aio.AioRpcError):
                log.warning("pipeline unavailable", extra={"code": failed.code().name})
                return Pipeline({}, {}, (), error="the jobs service did not answer")
            if isinstance(failed, BaseException):
                raise failed
        assert isinstance(stats, jpb.JobStats) and isinstance(listing, jpb.ListJobsResponse)
        values, counts = stats_values(stats)
        return Pipeline(values, counts, tuple(job_summary(j) for j in listing.jobs))

    async def chat_context(
        self, job_name: str, profile: Profile | None, latest: pb.ResumeAnalysis | None
    ) -> tuple[ChatContext, str]:
        """The chat's grounding, and why the pipeline is missing ("" when it is not). A job
        named in the request must exist (NOT_FOUND otherwise); the pipeline is best effort."""
        job: Job | None = None
        analysis = latest
        pipeline_task = asyncio.ensure_future(self.pipeline())
        try:
            if job_name:
                saved = await self.get_job(job_name)
                job = Job(saved.job_description, saved.position, saved.company)
                if saved.HasField("analysis"):
                    analysis = analysis_from_saved(saved.analysis)
        except BaseException:
            pipeline_task.cancel()
            raise
        pipeline = await pipeline_task
        context = ChatContext(
            display_name=profile.display_name if profile is not None else "",
            stats=pipeline.stats,
            status_counts=pipeline.status_counts,
            jobs=pipeline.jobs,
            job=job,
            analysis=analysis,
        )
        return context, pipeline.error

    # -- saving ---------------------------------------------------------------------------

    async def save_analysis(
        self, saved_job: jpb.JobApplication, analysis: pb.ResumeAnalysis, resume: Resume
    ) -> jpb.JobApplication:
        """Writes the analysis on the job with the etag it was read with. When the job changed
        meanwhile (ABORTED), it is read again: if its description is the one analysed, the
        write is retried once; otherwise ABORTED JOB_CHANGED (analyse again)."""
        analysed = job_input(saved_job).sha256
        saved = saved_analysis(analysis, resume.sha256)
        current = saved_job
        for attempt in (1, 2):
            request = jpb.UpdateJobRequest(
                job=jpb.JobApplication(name=current.name, etag=current.etag, analysis=saved),
                update_mask=field_mask_pb2.FieldMask(paths=["analysis"]),
            )
            try:
                return await self.jobs.UpdateJob(request)
            except grpc.aio.AioRpcError as exc:
                if exc.code() != grpc.StatusCode.ABORTED or attempt == 2:
                    raise relay(exc, "jobs") from None
            current = await self.get_job(saved_job.name)
            if not current.job_description.strip() or job_input(current).sha256 != analysed:
                break
        raise Aborted(
            "The job changed while it was being analysed; analyse it again.",
            reason="JOB_CHANGED",
        )
