"""The local issuer's mail: an append-only JSON-lines file instead of an email provider.

`$CAREERVAULT_DATA_DIR/identity/outbox.jsonl` (mode 0600) gets one line per message:
`{"time", "to", "kind", "code", "subject", "body"}`, with `time` in RFC 3339 (UTC). It is the
only place one-time codes appear in the clear: the database keeps their hashes, and nothing
logs them. `careervault outbox` reads it.

Each message is one `write()` to a file opened with O_APPEND, under an advisory lock shared
with `purge()`, so replicas sharing the data dir neither interleave lines nor lose one to a
concurrent purge. `purge()` rewrites the file without one recipient's messages (account
deletion: the outbox holds their address and codes).
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

MODE = 0o600


@dataclass(frozen=True)
class Message:
    time: str
    to: str
    kind: str  # "confirm_sign_up" | "reset_password"
    code: str
    subject: str
    body: str


def rfc3339(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


class Outbox:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock_path = path.with_name(path.name + ".lock")

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self._lock_path, os.O_RDWR | os.O_CREAT, MODE)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)  # releases the lock

    def send(self, message: Message) -> None:
        line = (json.dumps(asdict(message), ensure_ascii=False) + "\n").encode()
        with self._locked():
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, MODE)
            try:
                if os.fstat(fd).st_mode & 0o777 != MODE:
                    os.fchmod(fd, MODE)  # codes are secrets, whoever created the file
                view = memoryview(line)
                while view:
                    view = view[os.write(fd, view) :]
                os.fsync(fd)
            finally:
                os.close(fd)

    def purge(self, to: str) -> int:
        """Removes every message to `to`; returns how many."""
        with self._locked():
            try:
                lines = self.path.read_bytes().splitlines(keepends=True)
            except FileNotFoundError:
                return 0
            kept = [line for line in lines if _recipient(line) != to]
            removed = len(lines) - len(kept)
            if removed:
                tmp = self.path.with_name(f"{self.path.name}.{os.getpid()}.tmp")
                fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, MODE)
                with os.fdopen(fd, "wb") as out:
                    out.writelines(kept)
                    out.flush()
                    os.fsync(out.fileno())
                os.replace(tmp, self.path)
            return removed


def _recipient(line: bytes) -> str | None:
    try:
        data = json.loads(line)
    except ValueError:
        return None
    to = data.get("to") if isinstance(data, dict) else None
    return to if isinstance(to, str) else None
