"""The provider port: what the servicer asks of `local` and `gemini`.

The servicer resolves the inputs (resume text, possibly extracted from a document by the
extraction service; the job description, possibly read from the jobs service; the user's
pipeline for the chat) and hands plain values to a provider. Providers return the response
messages with `provider` left for the caller to fill (`ProviderInfo`): the fallback wrapper
knows whether the configured provider answered or `local` did.
"""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from careervault.ai.v1 import ai_pb2 as pb

# What every provider accepts (the servicer checks requests against these).
TONES = ("formal", "friendly", "concise")
DEFAULT_TONE = "formal"
DEFAULT_QUESTIONS, MAX_QUESTIONS = 10, 30


@dataclass(frozen=True)
class Resume:
    """A resume's text, as the user wrote it or as extraction read it."""

    text: str

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.text.encode()).hexdigest()


@dataclass(frozen=True)
class Job:
    """A job description; title and company when known (a saved job has them)."""

    description: str
    title: str = ""
    company: str = ""

    @property
    def sha256(self) -> str:
        key = "\x00".join((self.title, self.company, self.description))
        return hashlib.sha256(key.encode()).hexdigest()


@dataclass(frozen=True)
class ChatTurn:
    role: str  # "user" or "assistant"
    content: str


@dataclass(frozen=True)
class JobSummary:
    """One of the user's applications, as the chat sees it."""

    name: str
    company: str
    position: str
    status: str
    applied_date: str = ""
    next_action: str = ""


@dataclass(frozen=True)
class ChatContext:
    """What the assistant may ground its answers in: the user's own pipeline (from the jobs
    service, read with the user's token), the job the conversation is about, and the user's
    latest analysis. Any of them may be missing."""

    display_name: str = ""
    stats: dict[str, float] = field(default_factory=dict)
    status_counts: dict[str, int] = field(default_factory=dict)
    jobs: Sequence[JobSummary] = ()
    job: Job | None = None
    analysis: pb.ResumeAnalysis | None = None


class Provider(Protocol):
    """`local` is deterministic and offline; `gemini` calls Google's API."""

    name: str
    model: str

    async def analyze(self, resume: Resume, job: Job) -> pb.ResumeAnalysis: ...

    async def prepare_interview(
        self, job: Job, resume: Resume | None, count: int
    ) -> pb.PrepareInterviewResponse: ...

    async def cover_letter(self, resume: Resume, job: Job, tone: str) -> pb.CoverLetter: ...

    def chat(self, turns: Sequence[ChatTurn], context: ChatContext) -> AsyncIterator[str]:
        """The answer in pieces, in order; raises on failure before or during the stream."""
        ...
