"""Writing files that hold personal data or secrets: atomically, mode 0600 by default."""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

PRIVATE = 0o600
CHUNK = 1 << 16


@contextlib.contextmanager
def atomic_file(path: Path, mode: int = PRIVATE) -> Iterator[BinaryIO]:
    """A binary file that replaces `path` only when the block ends without an exception.

    The data goes to a temporary file in the same directory (created with mode 0600, then set
    to `mode`), which is flushed to disk and renamed over `path`: a reader sees the old file
    or the new one, never a part. On an exception the temporary file is removed.
    """
    directory = path.parent
    fd, name = tempfile.mkstemp(dir=directory, prefix=f".{path.name}.", suffix=".tmp")
    tmp = Path(name)
    try:
        os.fchmod(fd, mode)
        with os.fdopen(fd, "wb") as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
    _fsync_dir(directory)


def write_atomic(path: Path, data: bytes, mode: int = PRIVATE) -> None:
    with atomic_file(path, mode) as fh:
        fh.write(data)


def _fsync_dir(directory: Path) -> None:
    # Makes the rename durable; not every platform or filesystem can open a directory.
    with contextlib.suppress(OSError):
        fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def sha256_file(path: Path) -> tuple[str, int]:
    """The hex SHA-256 of a file and its size in bytes."""
    digest = hashlib.sha256()
    size = 0
    with path.open("rb") as fh:
        while chunk := fh.read(CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size
