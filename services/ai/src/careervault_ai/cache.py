"""Results of AnalyzeResume, kept per user by content hash.

The key is (resume SHA-256, job SHA-256, provider name, provider model): the same resume
against the same job from the same provider gives the same answer, so a repeat is served from
memory, byte for byte the answer first computed. Editing the resume or the job changes a hash
and so misses. Each user has a bounded LRU of `per_user` entries, and at most `max_users`
users are kept (the least recently active user goes first), so memory stays bounded whatever
the traffic: about `max_users * per_user` analyses of a few KB each.

The most recent analysis of each user is also what the chat grounds its answers in.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass

from prometheus_client import Counter

from careervault.ai.v1 import ai_pb2 as pb

DEFAULT_MAX_USERS = 1000

LOOKUPS = Counter(
    "careervault_ai_cache_lookups",
    "Analyses looked up in the per-user cache, by result (hit or miss); none while disabled.",
    ["result"],
)
_HIT = LOOKUPS.labels("hit")
_MISS = LOOKUPS.labels("miss")


@dataclass(frozen=True)
class CacheKey:
    resume_sha256: str
    job_sha256: str
    provider: str
    model: str


class _UserEntries:
    __slots__ = ("entries", "latest")

    def __init__(self) -> None:
        self.entries: OrderedDict[CacheKey, bytes] = OrderedDict()
        self.latest: bytes = b""


class AnalysisCache:
    """A per-user LRU of serialized `ResumeAnalysis` messages (copies in, copies out: a caller
    cannot change what another caller will get)."""

    def __init__(self, per_user: int, max_users: int = DEFAULT_MAX_USERS) -> None:
        self.per_user = per_user
        self.max_users = max_users
        self._users: OrderedDict[str, _UserEntries] = OrderedDict()

    @property
    def enabled(self) -> bool:
        return self.per_user > 0 and self.max_users > 0

    def _user(self, user_id: str, create: bool) -> _UserEntries | None:
        entries = self._users.get(user_id)
        if entries is None:
            if not create:
                return None
            entries = self._users[user_id] = _UserEntries()
            while len(self._users) > self.max_users:
                self._users.popitem(last=False)
        self._users.move_to_end(user_id)
        return entries

    def get(self, user_id: str, key: CacheKey) -> pb.ResumeAnalysis | None:
        if not self.enabled:
            return None
        user = self._user(user_id, create=False)
        data = user.entries.get(key) if user is not None else None
        if user is None or data is None:
            _MISS.inc()
            return None
        _HIT.inc()
        user.entries.move_to_end(key)
        user.latest = data
        return pb.ResumeAnalysis.FromString(data)

    def put(
        self, user_id: str, key: CacheKey, analysis: pb.ResumeAnalysis, *, reuse: bool = True
    ) -> None:
        """Remembers `analysis` as the user's latest; with `reuse`, also serves it for `key`
        (an answer that should be computed again next time, such as a fallback, is not)."""
        if self.max_users <= 0:
            return
        data = analysis.SerializeToString(deterministic=True)
        user = self._user(user_id, create=True)
        assert user is not None
        user.latest = data
        if self.per_user <= 0 or not reuse:
            return
        user.entries[key] = data
        user.entries.move_to_end(key)
        while len(user.entries) > self.per_user:
            user.entries.popitem(last=False)

    def latest(self, user_id: str) -> pb.ResumeAnalysis | None:
        """The user's most recent analysis (computed or served from the cache), if any."""
        user = self._users.get(user_id)
        if user is None or not user.latest:
            return None
        return pb.ResumeAnalysis.FromString(user.latest)

    def __len__(self) -> int:
        return sum(len(u.entries) for u in self._users.values())
