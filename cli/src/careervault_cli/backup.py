"""Backup and restore of the embedded stores: the SQLite databases and key files of a data dir.

A backup is a `.tar.gz` (mode 0600) holding `manifest.json` and, under their paths relative to
the data dir, a snapshot of every `*/*.db` (`identity/identity.db`, `jobs/jobs.db`) taken with
SQLite's online backup API, which reads one consistent state (committed WAL content included)
while the services keep running, and the key files that exist (`KEY_FILES`).

The manifest lists every file with its SHA-256 and size, and each database's schema version
(`PRAGMA user_version`). The checksums detect damage; they are not a signature: anyone who
can write the archive can rewrite the manifest too, so keep backups where only you can write.

A restore checks everything before it changes anything: the gzip stream, the manifest, that
the archive holds exactly the files listed with the listed checksums, that each database
passes `PRAGMA quick_check` and has the schema version the manifest says, and that it is not
newer than the database in place. Then each database is copied with the backup API *into* the
live database file (a running service sees the restored data with its next transaction) and
each key file is replaced atomically.
"""

from __future__ import annotations

import contextlib
import gzip
import json
import os
import re
import sqlite3
import tarfile
import tempfile
import time
import urllib.parse
import zlib
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import Any, Literal

from careervault_cli.client import CliError
from careervault_cli.files import CHUNK, PRIVATE, atomic_file, sha256_file, write_atomic

FORMAT = "careervault-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
DB_GLOB = "*/*.db"
# The private signing key and the page-token key are secrets (0600). jwks.json is the public
# half of the signing key, read by jobs and the gateway (other users under docker compose),
# so it keeps the mode it has (0644 when it is new).
KEY_FILES = {
    "identity/signing-key.pem": PRIVATE,
    # The key ring during a rotation: the next key and which key signs when.
    "identity/signing-key.next.pem": PRIVATE,
    "identity/keys.json": 0o644,
    "identity/jwks.json": 0o644,
    "jobs/page-token.key": PRIVATE,
}
BUSY_TIMEOUT = 30.0
_MAX_MANIFEST = 1 << 20
_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]*")
_SHA256 = re.compile(r"[0-9a-f]{64}")

Kind = Literal["sqlite", "key"]


@dataclass(frozen=True)
class Entry:
    """One file of a backup."""

    path: str  # relative to the data dir, `/`-separated: `jobs/jobs.db`
    kind: Kind
    sha256: str
    size: int
    schema_version: int | None = None  # `PRAGMA user_version`, databases only


@dataclass(frozen=True)
class Manifest:
    created: str  # RFC 3339, UTC
    files: tuple[Entry, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "version": FORMAT_VERSION,
            "created": self.created,
            "files": [{k: v for k, v in asdict(e).items() if v is not None} for e in self.files],
        }


@dataclass(frozen=True)
class Restored:
    """What a restore did to one file."""

    path: str
    kind: Kind
    schema_version: int | None = None
    previous_schema_version: int | None = None  # of the database that was in place
    existed: bool = True
    changed: bool = True  # key files: whether the content differs from what was in place


# Backup ------------------------------------------------------------------------------------


def _uri(path: Path, mode: str) -> str:
    return f"file:{urllib.parse.quote(str(path.resolve()))}?mode={mode}"


def _user_version(conn: sqlite3.Connection) -> int:
    return int(conn.execute("PRAGMA user_version").fetchone()[0])


def _snapshot(source: Path, copy: Path) -> int:
    """Copies a (possibly live) database with the online backup API; returns its version."""
    src = sqlite3.connect(_uri(source, "rw"), uri=True, timeout=BUSY_TIMEOUT)
    try:
        dst = sqlite3.connect(copy)
        try:
            src.backup(dst)
            # A single self-contained file: the copy took the source's WAL flag with page 1.
            dst.execute("PRAGMA journal_mode=DELETE")
            return _user_version(dst)
        finally:
            dst.close()
    finally:
        src.close()


def _tar_add(tar: tarfile.TarFile, name: str, path: Path, mtime: float) -> None:
    info = tarfile.TarInfo(name)
    info.size = path.stat().st_size
    info.mode = PRIVATE
    info.mtime = int(mtime)
    with path.open("rb") as fh:
        tar.addfile(info, fh)


def create_backup(data_dir: Path, output: Path) -> Manifest:
    """Writes a backup of `data_dir` to `output` (atomically, mode 0600)."""
    if not data_dir.is_dir():
        raise CliError(f"{data_dir} is not a directory")
    databases = sorted(p for p in data_dir.glob(DB_GLOB) if p.is_file())
    if not databases:
        raise CliError(
            f"no SQLite databases ({DB_GLOB}) under {data_dir}",
            hint="pass the services' CAREERVAULT_DATA_DIR as --data-dir",
        )
    now = time.time()
    created = datetime.fromtimestamp(now, UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
    with tempfile.TemporaryDirectory(prefix="careervault-backup-") as tmp:
        staged: list[tuple[Entry, Path]] = []
        for database in databases:
            copy = Path(tmp) / f"{len(staged)}.sqlite"
            try:
                version = _snapshot(database, copy)
            except sqlite3.Error as err:
                raise CliError(f"cannot back up {database}: {err}") from None
            digest, size = sha256_file(copy)
            rel = database.relative_to(data_dir).as_posix()
            staged.append((Entry(rel, "sqlite", digest, size, version), copy))
        for rel in KEY_FILES:
            source = data_dir / rel
            if not source.is_file():
                continue
            copy = Path(tmp) / f"{len(staged)}.key"
            copy.write_bytes(source.read_bytes())  # hash what is archived, read once
            digest, size = sha256_file(copy)
            staged.append((Entry(rel, "key", digest, size), copy))
        manifest = Manifest(created, tuple(entry for entry, _ in staged))
        manifest_file = Path(tmp) / MANIFEST
        manifest_file.write_text(json.dumps(manifest.to_dict(), indent=2) + "\n")
        with atomic_file(output) as fh, tarfile.open(fileobj=fh, mode="w:gz") as tar:
            _tar_add(tar, MANIFEST, manifest_file, now)
            for entry, copy in staged:
                _tar_add(tar, entry.path, copy, now)
    return manifest


# Restore -----------------------------------------------------------------------------------


def _damaged(archive: Path, why: str) -> CliError:
    return CliError(f"{archive} is not a valid backup: {why}", hint="nothing was restored")


def _check_gzip(archive: Path) -> None:
    """Reads the whole gzip stream, so that its CRC catches a changed byte anywhere."""
    try:
        with gzip.open(archive, "rb") as fh:
            while fh.read(CHUNK):
                pass
    except (OSError, EOFError, zlib.error) as err:
        raise _damaged(archive, f"unreadable gzip stream ({err})") from None


def _entry(raw: Any) -> Entry:
    if not isinstance(raw, dict):
        raise ValueError("a file entry is not an object")
    path, kind, digest, size = raw.get("path"), raw.get("kind"), raw.get("sha256"), raw.get("size")
    version = raw.get("schema_version")
    if not isinstance(path, str) or "\\" in path:
        raise ValueError(f"bad path {path!r}")
    parts = PurePosixPath(path).parts
    if len(parts) != 2 or not all(_NAME.fullmatch(p) for p in parts):
        raise ValueError(f"bad path {path!r}")
    if kind == "sqlite":
        if not path.endswith(".db") or type(version) is not int or version < 0:
            raise ValueError(f"bad database entry {path!r}")
    elif kind == "key":
        if path not in KEY_FILES or version is not None:
            raise ValueError(f"unexpected key file {path!r}")
    else:
        raise ValueError(f"unknown kind {kind!r} for {path!r}")
    if not isinstance(digest, str) or not _SHA256.fullmatch(digest):
        raise ValueError(f"bad sha256 for {path!r}")
    if type(size) is not int or size < 0:
        raise ValueError(f"bad size for {path!r}")
    return Entry(path, kind, digest, size, version)


def _read_manifest(archive: Path, tar: tarfile.TarFile) -> Manifest:
    try:
        member = tar.getmember(MANIFEST)
    except KeyError:
        raise _damaged(archive, f"no {MANIFEST}") from None
    fh = tar.extractfile(member) if member.isfile() else None
    if fh is None or member.size > _MAX_MANIFEST:
        raise _damaged(archive, f"{MANIFEST} is not a small regular file")
    try:
        raw = json.loads(fh.read())
        if not isinstance(raw, dict) or raw.get("format") != FORMAT:
            raise ValueError(f"not a {FORMAT} manifest")
        if raw.get("version") != FORMAT_VERSION:
            raise ValueError(f"manifest version {raw.get('version')!r} is not {FORMAT_VERSION}")
        files = raw.get("files")
        if not isinstance(files, list) or not files:
            raise ValueError("no files listed")
        entries = tuple(_entry(f) for f in files)
        if len({e.path for e in entries}) != len(entries):
            raise ValueError("a file is listed twice")
        if not any(e.kind == "sqlite" for e in entries):
            raise ValueError("no database listed")
        return Manifest(str(raw.get("created", "")), entries)
    except ValueError as err:  # json.JSONDecodeError and UnicodeDecodeError included
        raise _damaged(archive, f"{MANIFEST}: {err}") from None


def _extract(archive: Path, tar: tarfile.TarFile, manifest: Manifest, into: Path) -> list[Path]:
    """Copies each listed file out of the archive, checking its size and checksum."""
    listed = {e.path for e in manifest.files} | {MANIFEST}
    names = [m.name for m in tar.getmembers()]
    extra = sorted(set(names) - listed)
    if extra:
        raise _damaged(archive, f"files not in the manifest: {', '.join(extra)}")
    if len(names) != len(set(names)):
        raise _damaged(archive, "a file appears twice")
    copies: list[Path] = []
    for number, entry in enumerate(manifest.files):
        try:
            member = tar.getmember(entry.path)
        except KeyError:
            raise _damaged(archive, f"{entry.path} is listed but missing") from None
        fh = tar.extractfile(member) if member.isfile() else None
        if fh is None:
            raise _damaged(archive, f"{entry.path} is not a regular file")
        copy = into / f"{number}.{entry.kind}"
        with copy.open("wb") as out:
            while chunk := fh.read(CHUNK):
                out.write(chunk)
        digest, size = sha256_file(copy)
        if (digest, size) != (entry.sha256, entry.size):
            raise _damaged(archive, f"{entry.path} does not match its checksum")
        copies.append(copy)
    return copies


def _database_version(path: Path) -> int | None:
    """The schema version of the database in place, or None when there is none."""
    if not path.is_file() or path.stat().st_size == 0:
        return None
    # rw, not ro: a read-only connection cannot open a WAL database whose -shm is missing.
    conn = sqlite3.connect(_uri(path, "rw"), uri=True, timeout=BUSY_TIMEOUT)
    try:
        return _user_version(conn)
    finally:
        conn.close()


def _check_copy(archive: Path, entry: Entry, copy: Path) -> None:
    conn = sqlite3.connect(_uri(copy, "ro"), uri=True)
    try:
        verdict = conn.execute("PRAGMA quick_check").fetchone()[0]
        version = _user_version(conn)
    except sqlite3.Error as err:
        raise _damaged(archive, f"{entry.path}: {err}") from None
    finally:
        conn.close()
    if verdict != "ok":
        raise _damaged(archive, f"{entry.path} fails quick_check: {verdict}")
    if version != entry.schema_version:
        raise _damaged(
            archive, f"{entry.path} has schema version {version}, not {entry.schema_version}"
        )


def _restore_database(copy: Path, target: Path) -> None:
    if not target.exists():
        target.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        os.close(os.open(target, os.O_WRONLY | os.O_CREAT, PRIVATE))
    src = sqlite3.connect(_uri(copy, "ro"), uri=True)
    try:
        # Into the live file, through SQLite's locking: open connections (a running service)
        # see the restored pages with their next transaction; WAL mode is kept.
        dst = sqlite3.connect(target, timeout=BUSY_TIMEOUT)
        try:
            src.backup(dst)
        finally:
            dst.close()
    finally:
        src.close()


def _restore_key(copy: Path, target: Path, default_mode: int) -> tuple[bool, bool]:
    """Replaces a key file atomically; returns (existed, changed)."""
    data = copy.read_bytes()
    try:
        before: bytes | None = target.read_bytes()
        mode = PRIVATE if default_mode == PRIVATE else target.stat().st_mode & 0o777
    except FileNotFoundError:
        before, mode = None, default_mode
    target.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    write_atomic(target, data, mode)
    return before is not None, before != data


@contextlib.contextmanager
def _open_tar(archive: Path) -> Iterator[tarfile.TarFile]:
    try:
        tar = tarfile.open(archive, mode="r:gz")  # noqa: SIM115 - closed below
    except (tarfile.TarError, OSError, EOFError, zlib.error) as err:
        raise _damaged(archive, f"not a tar.gz ({err})") from None
    with tar:
        try:
            yield tar
        except (tarfile.TarError, EOFError, zlib.error) as err:
            raise _damaged(archive, str(err)) from None


def restore_backup(archive: Path, data_dir: Path) -> list[Restored]:
    """Checks the whole backup, then restores its databases and key files into `data_dir`."""
    if not archive.is_file():
        raise CliError(f"{archive} is not a file")
    _check_gzip(archive)
    with (
        tempfile.TemporaryDirectory(prefix="careervault-restore-") as tmp,
        _open_tar(archive) as tar,
    ):
        manifest = _read_manifest(archive, tar)
        copies = _extract(archive, tar, manifest, Path(tmp))
        plan = list(zip(manifest.files, copies, strict=True))
        current: dict[str, int | None] = {}
        for entry, copy in plan:
            if entry.kind != "sqlite":
                continue
            _check_copy(archive, entry, copy)
            target = data_dir / entry.path
            try:
                current[entry.path] = _database_version(target)
            except sqlite3.Error as err:
                raise CliError(
                    f"cannot read {target}: {err}", hint="nothing was restored"
                ) from None
            in_place = current[entry.path]
            if in_place is not None and (entry.schema_version or 0) > in_place:
                raise CliError(
                    f"the backup of {entry.path} has schema version {entry.schema_version}, "
                    f"newer than the database in place ({in_place})",
                    hint="upgrade and start the services first; nothing was restored",
                )
        done: list[Restored] = []
        for entry, copy in plan:  # databases first, then the keys, in manifest order
            if entry.kind != "sqlite":
                continue
            target = data_dir / entry.path
            try:
                _restore_database(copy, target)
            except sqlite3.Error as err:
                raise CliError(
                    f"restoring {entry.path} failed: {err}",
                    hint=f"restored so far: {', '.join(r.path for r in done) or 'nothing'}",
                ) from None
            previous = current[entry.path]
            done.append(
                Restored(entry.path, "sqlite", entry.schema_version, previous, previous is not None)
            )
        for entry, copy in plan:
            if entry.kind != "key":
                continue
            existed, changed = _restore_key(copy, data_dir / entry.path, KEY_FILES[entry.path])
            done.append(Restored(entry.path, "key", existed=existed, changed=changed))
        return done
