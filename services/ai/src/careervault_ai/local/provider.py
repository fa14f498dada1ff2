"""`LocalProvider`: the offline provider behind the Provider port.

Analysis, interview preparation and cover letters are CPU bound (taxonomy matching, sentence
embeddings): they run off the event loop, on the executor the service passes (bounded by its
worker and queue settings) or else in `asyncio.to_thread`. The chat composes its answer the
same way, then streams it in pieces of a few words.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import AsyncIterator, Callable, Sequence
from concurrent.futures import Executor
from typing import TypeVar

from careervault.ai.v1 import ai_pb2 as pb
from careervault_ai.local import analysis, chat, embeddings, interview, letters, taxonomy
from careervault_ai.provider import ChatContext, ChatTurn, Job, Resume

T = TypeVar("T")


class LocalProvider:
    """Deterministic and offline: the same inputs give the same answers."""

    name = "local"
    model = analysis.MODEL_VERSION

    def __init__(self, executor: Executor | None = None, *, chat_pause: float = 0.0) -> None:
        """executor: where CPU-bound work runs (default: asyncio.to_thread).
        chat_pause: seconds to wait between streamed chat pieces (0: only yield control)."""
        self._executor = executor
        self._chat_pause = chat_pause

    async def _run(self, fn: Callable[..., T], *args: object) -> T:
        if self._executor is None:
            return await asyncio.to_thread(fn, *args)
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, functools.partial(fn, *args))

    def warm(self) -> None:
        """Loads the taxonomy and the embedding model now rather than on the first request
        (blocking: call it at start-up, off the event loop if one is running)."""
        taxonomy.skill_index()
        embeddings.encoder()

    async def analyze(self, resume: Resume, job: Job) -> pb.ResumeAnalysis:
        return await self._run(analysis.analyze, resume, job)

    async def prepare_interview(
        self, job: Job, resume: Resume | None, count: int
    ) -> pb.PrepareInterviewResponse:
        return await self._run(interview.prepare_interview, job, resume, count)

    async def cover_letter(self, resume: Resume, job: Job, tone: str) -> pb.CoverLetter:
        letters.normalise_tone(tone)  # an unknown tone fails before any work is queued
        return await self._run(letters.cover_letter, resume, job, tone)

    async def chat(self, turns: Sequence[ChatTurn], context: ChatContext) -> AsyncIterator[str]:
        text = await self._run(chat.answer, list(turns), context)
        for piece in chat.pieces(text):
            yield piece
            await asyncio.sleep(self._chat_pause)
