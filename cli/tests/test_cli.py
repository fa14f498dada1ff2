"""The `careervault` CLI against the real identity and jobs services, started as subprocesses."""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import socket
import sqlite3
import stat
import subprocess
import sys
import tarfile
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import grpc
import pytest
from click.testing import CliRunner, Result
from grpc_health.v1 import health_pb2, health_pb2_grpc

from careervault_cli.main import cli

pytestmark = pytest.mark.integration

PASSWORD = "Corr3ct-Horse!"
START_TIMEOUT = 30.0


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _wait_serving(address: str, proc: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    with grpc.insecure_channel(address) as channel:
        stub = health_pb2_grpc.HealthStub(channel)
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                pytest.fail(f"service at {address} exited:\n{log.read_text()}")
            try:
                reply = stub.Check(health_pb2.HealthCheckRequest(service=""), timeout=1)
                if reply.status == health_pb2.HealthCheckResponse.SERVING:
                    return
            except grpc.RpcError:
                pass
            time.sleep(0.1)
    pytest.fail(f"service at {address} not SERVING after {START_TIMEOUT}s:\n{log.read_text()}")


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)


@dataclass(frozen=True)
class Services:
    identity: str
    jobs: str
    data_dir: Path


@pytest.fixture(scope="module")
def services(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Services]:
    root = tmp_path_factory.mktemp("services")
    data_dir = root / "data"
    data_dir.mkdir()
    procs: list[subprocess.Popen[bytes]] = []
    addresses: dict[str, str] = {}
    try:
        # identity first: it writes the JWKS that jobs verifies tokens against
        for name in ("identity", "jobs"):
            port = _free_port()
            log = root / f"{name}.log"
            env = {
                **os.environ,
                "CAREERVAULT_DATA_DIR": str(data_dir),
                "CAREERVAULT_PORT": str(port),
                "CAREERVAULT_SHUTDOWN_GRACE": "1",
            }
            with log.open("wb") as out:
                proc = subprocess.Popen(
                    [sys.executable, "-m", f"careervault_{name}"],
                    env=env,
                    stdout=out,
                    stderr=subprocess.STDOUT,
                )
            procs.append(proc)
            addresses[name] = f"127.0.0.1:{port}"
            _wait_serving(addresses[name], proc, log)
        yield Services(identity=addresses["identity"], jobs=addresses["jobs"], data_dir=data_dir)
    finally:
        for proc in reversed(procs):
            _stop(proc)


class Cli:
    """Runs `careervault` in-process with its own config directory."""

    def __init__(self, services: Services, config_dir: Path) -> None:
        self.config_dir = config_dir
        self.env = {
            "CAREERVAULT_CONFIG_DIR": str(config_dir),
            "CAREERVAULT_IDENTITY_ADDR": services.identity,
            "CAREERVAULT_JOBS_ADDR": services.jobs,
        }
        self.runner = CliRunner()

    def __call__(self, *args: str, input: str | None = None) -> Result:
        return self.runner.invoke(cli, list(args), env=self.env, input=input)

    def ok(self, *args: str, input: str | None = None) -> Result:
        result = self(*args, input=input)
        assert result.exit_code == 0, (result.output, result.exception)
        return result

    @property
    def credentials_file(self) -> Path:
        return self.config_dir / "credentials.json"

    def credentials(self) -> dict[str, object]:
        data: dict[str, object] = json.loads(self.credentials_file.read_text())
        return data


@pytest.fixture
def run(services: Services, tmp_path: Path) -> Cli:
    return Cli(services, tmp_path / "config")


def _email() -> str:
    return f"cli-{uuid.uuid4().hex[:10]}@example.com"


def _signed_in(run: Cli) -> str:
    email = _email()
    run.ok("signup", "--email", email, "--password", PASSWORD, "--display-name", "Cli User")
    run.ok("login", "--email", email, "--password", PASSWORD)
    return email


def test_signup_login_whoami_and_credentials_file(run: Cli) -> None:
    email = _email()
    created = run.ok("signup", "--email", email, "--display-name", "Ann", input=f"{PASSWORD}\n" * 2)
    assert email in created.stdout
    assert PASSWORD not in created.output

    # email and password prompted; the password is not echoed
    login = run.ok("login", input=f"{email}\n{PASSWORD}\n")
    assert f"logged in as {email}" in login.stdout
    assert PASSWORD not in login.output

    path = run.credentials_file
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    text = path.read_text()
    assert PASSWORD not in text
    creds = run.credentials()
    assert {"access_token", "refresh_token", "expires_at"} <= creds.keys()
    assert float(str(creds["expires_at"])) > time.time()

    me = run.ok("whoami")
    assert email in me.stdout and "Ann" in me.stdout
    for token in (creds["access_token"], creds["refresh_token"]):
        assert str(token) not in me.output

    as_json = json.loads(run.ok("--json", "whoami").stdout)
    assert as_json["email"] == email and as_json["displayName"] == "Ann"

    bye = run.ok("logout")
    assert "logged out" in bye.stdout
    assert not path.exists()


def test_job_lifecycle(run: Cli) -> None:
    _signed_in(run)
    added = run.ok(
        "jobs",
        "add",
        "--company",
        "Acme Rockets",
        "--position",
        "Backend Engineer",
        "--applied-date",
        "2026-01-05",
        "--salary-min",
        "100000",
        "--salary-max",
        "150000",
        "--currency",
        "usd",
        "--period",
        "yearly",
        "--tag",
        "remote",
        "--tag",
        "python",
        "--notes",
        "referred by Bob",
    )
    name = added.stdout.strip()
    assert name.startswith("jobs/")
    job_id = name.removeprefix("jobs/")

    listed = run.ok("jobs", "list")
    assert job_id in listed.stdout
    assert "Acme Rockets" in listed.stdout and "APPLIED" in listed.stdout
    assert "2026-01-05" in listed.stdout

    filtered = json.loads(run.ok("--json", "jobs", "list", "--company", "acme").stdout)
    assert [j["name"] for j in filtered["jobs"]] == [name]
    assert filtered["jobs"][0]["salary"]["currency"] == "USD"
    none = json.loads(run.ok("jobs", "list", "--status", "offer", "--json").stdout)
    assert none.get("jobs", []) == []

    moved = run.ok("jobs", "move", job_id, "phone_screen")
    assert "APPLIED -> PHONE_SCREEN" in moved.stdout
    history = json.loads(run.ok("--json", "jobs", "show", name).stdout)["statusHistory"]
    assert len(history) == 2
    assert [h["status"] for h in history] == ["APPLIED", "PHONE_SCREEN"]

    shown = run.ok("jobs", "show", job_id)
    assert "PHONE_SCREEN" in shown.stdout
    assert "Status history" in shown.stdout
    assert "100,000-150,000 USD / YEARLY" in shown.stdout

    stats = run.ok("jobs", "stats")
    assert "PHONE_SCREEN" in stats.stdout
    stats_json = json.loads(run.ok("--json", "jobs", "stats").stdout)
    assert stats_json["total"] == 1

    run.ok("jobs", "delete", name)
    gone = run("jobs", "show", name)
    assert gone.exit_code == 1
    assert "error: NOT_FOUND" in gone.stderr


def test_move_accepts_status_spellings_and_pages(run: Cli) -> None:
    _signed_in(run)
    names = [
        run.ok("jobs", "add", "--company", f"Co{i}", "--position", "Dev").stdout.strip()
        for i in range(3)
    ]
    run.ok("jobs", "move", names[0], "PHONE-SCREEN")
    run.ok("jobs", "move", names[0], "Technical_Interview")
    history = json.loads(run.ok("--json", "jobs", "show", names[0]).stdout)["statusHistory"]
    assert [h["status"] for h in history][-1] == "TECHNICAL_INTERVIEW"

    one_page = json.loads(run.ok("--json", "jobs", "list", "--page-size", "2").stdout)
    assert len(one_page["jobs"]) == 2 and one_page["nextPageToken"]
    every = json.loads(run.ok("--json", "jobs", "list", "--page-size", "2", "--all").stdout)
    assert sorted(j["name"] for j in every["jobs"]) == sorted(names)
    assert not every.get("nextPageToken")


def test_add_with_same_request_id_is_idempotent(run: Cli) -> None:
    _signed_in(run)
    key = str(uuid.uuid4())
    args = ("jobs", "add", "--company", "Initech", "--position", "QA", "--request-id", key)
    assert run.ok(*args).stdout == run.ok(*args).stdout
    listed = json.loads(run.ok("--json", "jobs", "list").stdout)
    assert len(listed["jobs"]) == 1


def test_bad_status_name_is_a_usage_error(run: Cli) -> None:
    _signed_in(run)
    name = run.ok("jobs", "add", "--company", "Acme", "--position", "Dev").stdout.strip()
    result = run("jobs", "move", name, "hired")
    assert result.exit_code == 2
    assert "PHONE_SCREEN" in result.stderr  # the allowed names are listed
    assert run("jobs", "list", "--status", "status_unspecified").exit_code == 2
    assert run("jobs", "show", "jobs/../etc").exit_code == 2


def test_server_side_validation_shows_field_violations(run: Cli) -> None:
    result = run("signup", "--email", "not-an-email", "--password", "short", "--display-name", "")
    assert result.exit_code == 1
    assert "error: INVALID_ARGUMENT" in result.stderr
    assert "reason:" in result.stderr
    assert "email:" in result.stderr and "password:" in result.stderr

    _signed_in(run)
    bad = run("jobs", "list", "--filter", "salary = 3")
    assert bad.exit_code == 1
    assert "INVALID_FILTER" in bad.stderr and "filter:" in bad.stderr


def test_expired_access_token_is_refreshed(run: Cli) -> None:
    email = _signed_in(run)
    before = run.credentials()
    run.credentials_file.write_text(json.dumps({**before, "expires_at": time.time() - 60}))

    me = run.ok("whoami")
    assert email in me.stdout

    after = run.credentials()
    assert after["refresh_token"] != before["refresh_token"]
    assert after["access_token"] != before["access_token"]
    assert float(str(after["expires_at"])) > time.time() + 30
    assert stat.S_IMODE(run.credentials_file.stat().st_mode) == 0o600
    # the rotated token keeps working
    run.ok("jobs", "list")


def test_unauthenticated_without_login(run: Cli) -> None:
    result = run("jobs", "list")
    assert result.exit_code == 1
    assert "not logged in" in result.stderr
    assert "careervault login" in result.stderr


def test_rejected_tokens_give_a_login_hint_and_are_not_printed(run: Cli) -> None:
    access, refresh = f"bogus-access-{uuid.uuid4().hex}", f"bogus-refresh-{uuid.uuid4().hex}"
    run.config_dir.mkdir(mode=0o700)
    run.credentials_file.write_text(
        json.dumps(
            {"access_token": access, "refresh_token": refresh, "expires_at": time.time() + 600}
        )
    )
    result = run("jobs", "stats")
    assert result.exit_code == 1
    assert "error: UNAUTHENTICATED" in result.stderr
    assert "careervault login" in result.stderr
    assert access not in result.output and refresh not in result.output


def test_unreachable_service(run: Cli) -> None:
    _signed_in(run)
    result = run("--jobs", f"127.0.0.1:{_free_port()}", "--timeout", "3", "jobs", "list")
    assert result.exit_code == 1
    assert "error: UNAVAILABLE" in result.stderr or "error: DEADLINE_EXCEEDED" in result.stderr


# Import, export, stats, calendar -----------------------------------------------------------

IMPORT_CSV = (
    "company,position,status,applied_date,source\n"
    "Acme Rockets,Backend Engineer,applied,2026-01-05,LinkedIn\n"
    "Globex,Data Engineer,phone screen,2026-01-12,Referral\n"
    "Initech,QA,hired-maybe,2026-01-13,\n"
)


def _companies(run: Cli) -> list[str]:
    listed = json.loads(run.ok("--json", "jobs", "list", "--all").stdout)
    return sorted(j["company"] for j in listed.get("jobs", []))


def test_import_reports_refused_rows_and_skips_duplicates(run: Cli, tmp_path: Path) -> None:
    _signed_in(run)
    path = tmp_path / "jobs.csv"
    path.write_text(IMPORT_CSV)

    first = run("jobs", "import", str(path))
    assert first.exit_code == 1, first.output
    assert first.stdout.strip() == "imported 2, skipped 0 duplicates"
    assert "refused 1 row" in first.stderr
    assert "line 4, column status:" in first.stderr
    assert _companies(run) == ["Acme Rockets", "Globex"]

    again = run("jobs", "import", str(path))
    assert again.exit_code == 1  # the bad row is still refused
    assert again.stdout.strip() == "imported 0, skipped 2 duplicates"

    good = "".join(IMPORT_CSV.splitlines(keepends=True)[:3])
    clean = run.ok("jobs", "import", "-", "--format", "csv", input=good)
    assert clean.stdout.strip() == "imported 0, skipped 2 duplicates"
    assert clean.stderr == ""
    assert _companies(run) == ["Acme Rockets", "Globex"]

    as_json = json.loads(run("--json", "jobs", "import", str(path)).stdout)
    assert as_json["duplicateCount"] == 2
    assert as_json["errors"][0]["row"] == 4 and as_json["errors"][0]["column"] == "status"


def test_import_json_from_stdin_and_refused_items(run: Cli) -> None:
    _signed_in(run)
    body = json.dumps([{"company": "Umbrella", "position": "SRE"}, {"company": "No Position"}])
    result = run("jobs", "import", "-", input=body)  # sniffed as JSON
    assert result.exit_code == 1
    assert result.stdout.strip() == "imported 1, skipped 0 duplicates"
    assert "item 2" in result.stderr
    assert _companies(run) == ["Umbrella"]


def test_import_refuses_large_and_empty_files_before_sending(run: Cli, tmp_path: Path) -> None:
    # not logged in: had anything been sent, the error would be "not logged in"
    big = tmp_path / "big.csv"
    big.write_bytes(b"company,position\n" + b"x" * (5 * 1024 * 1024))
    result = run("jobs", "import", str(big))
    assert result.exit_code == 1
    assert "larger than 5 MB" in result.stderr
    piped = run("jobs", "import", "-", "--format", "csv", input="a" * (5 * 1024 * 1024 + 1))
    assert piped.exit_code == 1 and "standard input is larger than 5 MB" in piped.stderr
    empty = tmp_path / "empty.json"
    empty.write_text("\n")
    assert "empty" in run("jobs", "import", str(empty)).stderr
    missing = run("jobs", "import", str(tmp_path / "nope.csv"))
    assert missing.exit_code == 2 and "does not exist" in missing.stderr


def test_export_to_file_and_import_into_another_account(
    run: Cli, services: Services, tmp_path: Path
) -> None:
    _signed_in(run)
    good = "".join(IMPORT_CSV.splitlines(keepends=True)[:3])
    run.ok("jobs", "import", "-", "--format", "csv", input=good)

    out = tmp_path / "export.csv"
    written = run.ok("jobs", "export", "--format", "csv", "--output", str(out))
    assert str(out) in written.stderr
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    header = out.read_text(encoding="utf-8").splitlines()[0]
    assert header.startswith("company,position,status")
    assert not list(tmp_path.glob(".*.tmp"))  # no temporary file left behind

    as_json = json.loads(run.ok("jobs", "export", "--format", "json").stdout)
    assert sorted(j["company"] for j in as_json["jobs"]) == ["Acme Rockets", "Globex"]
    by_extension = tmp_path / "export.json"
    run.ok("jobs", "export", "-o", str(by_extension))
    assert json.loads(by_extension.read_text())["jobs"]

    other = Cli(services, tmp_path / "config-other")
    _signed_in(other)
    assert _companies(other) == []
    imported = other.ok("jobs", "import", str(out))
    assert imported.stdout.strip() == "imported 2, skipped 0 duplicates"
    assert _companies(other) == _companies(run) == ["Acme Rockets", "Globex"]
    statuses = {
        j["company"]: j["status"]
        for j in json.loads(other.ok("--json", "jobs", "list").stdout)["jobs"]
    }
    assert statuses == {"Acme Rockets": "APPLIED", "Globex": "PHONE_SCREEN"}


def test_stats_shows_funnel_and_weekly_chart(run: Cli) -> None:
    _signed_in(run)
    good = "".join(IMPORT_CSV.splitlines(keepends=True)[:3])
    run.ok("jobs", "import", "-", "--format", "csv", input=good)
    name = run.ok("jobs", "add", "--company", "Hooli", "--position", "Dev").stdout.strip()
    run.ok("jobs", "move", name, "technical-interview")

    text = run.ok("jobs", "stats", "--stale-days", "30", "--weeks", "8").stdout
    assert "Funnel" in text
    assert "CONVERSION" in text and "TECHNICAL_INTERVIEW" in text
    assert "response rate:" in text and "%" in text
    assert "Time to first response:" in text
    assert "Applications per week" in text and "#" in text
    assert "By source:" in text and "LinkedIn" in text
    assert "Stale (open, unchanged for 30+ days): 0" in text

    raw = json.loads(run.ok("jobs", "stats", "--json", "--weeks", "8").stdout)
    assert raw["total"] == 3
    funnel = {step["status"]: step.get("reached", 0) for step in raw["funnel"]}
    assert funnel["APPLIED"] == 3 and funnel["PHONE_SCREEN"] == 2
    assert len(raw["applicationsPerWeek"]) == 8
    assert run("jobs", "stats", "--weeks", "0").exit_code == 2


def test_calendar_show_rotate_revoke(run: Cli) -> None:
    _signed_in(run)
    url = run.ok("calendar", "show").stdout.strip()
    assert url.startswith("http://localhost:8080/v1/calendars/")
    assert url.endswith("/careervault.ics")
    assert run.ok("calendar", "show").stdout.strip() == url

    rotated = run.ok("calendar", "rotate")
    new_url = rotated.stdout.strip()
    assert new_url != url and new_url.endswith("/careervault.ics")
    assert "no longer works" in rotated.stderr

    other = run.ok("calendar", "show", "--gateway-url", "https://cv.example.com/").stdout.strip()
    assert other == new_url.replace("http://localhost:8080", "https://cv.example.com")
    as_json = json.loads(run.ok("--json", "calendar", "show").stdout)
    assert as_json["url"] == new_url and as_json["path"].endswith("/careervault.ics")

    assert "revoked" in run.ok("calendar", "revoke").stdout
    fresh = run.ok("calendar", "show").stdout.strip()
    assert fresh not in (url, new_url)
    assert run("calendar", "show", "--gateway-url", "localhost:8080").exit_code == 2


# Backup and restore ------------------------------------------------------------------------


def _manifest(archive: Path) -> dict[str, object]:
    with tarfile.open(archive, "r:gz") as tar:
        member = tar.extractfile("manifest.json")
        assert member is not None
        data: dict[str, object] = json.loads(member.read())
        return data


def _repack(archive: Path, out: Path, change: Callable[[str, bytes], bytes]) -> None:
    """Copies a backup, passing each member's bytes through `change(name, data)`."""
    with tarfile.open(archive, "r:gz") as src, tarfile.open(out, "w:gz") as dst:
        for member in src.getmembers():
            fh = src.extractfile(member)
            assert fh is not None
            data = change(member.name, fh.read())
            member.size = len(data)
            dst.addfile(member, io.BytesIO(data))


def test_backup_and_restore_while_services_run(
    run: Cli, services: Services, tmp_path: Path
) -> None:
    email = _signed_in(run)
    kept = run.ok("jobs", "add", "--company", "Kept Co", "--position", "Dev").stdout.strip()
    run.ok("jobs", "add", "--company", "Deleted Later", "--position", "Dev")
    before = _companies(run)
    archive = tmp_path / "backup.tar.gz"

    made = run.ok("backup", "--data-dir", str(services.data_dir), "--output", str(archive))
    assert f"to {archive}" in made.stdout
    assert stat.S_IMODE(archive.stat().st_mode) == 0o600
    manifest = _manifest(archive)
    files = {f["path"]: f for f in manifest["files"]}  # type: ignore[attr-defined]
    assert {"identity/identity.db", "jobs/jobs.db"} <= files.keys()
    assert {"identity/signing-key.pem", "identity/jwks.json", "jobs/page-token.key"} <= files.keys()
    assert files["jobs/jobs.db"]["schema_version"] >= 1
    assert len(files["jobs/jobs.db"]["sha256"]) == 64
    assert manifest["created"]

    # changes after the backup: one job added, one deleted
    run.ok("jobs", "add", "--company", "Added After", "--position", "Dev")
    deleted = next(
        j["name"]
        for j in json.loads(run.ok("--json", "jobs", "list").stdout)["jobs"]
        if j["company"] == "Deleted Later"
    )
    run.ok("jobs", "delete", deleted)
    assert _companies(run) == ["Added After", "Kept Co"]

    restored = run.ok("restore", "--data-dir", str(services.data_dir), str(archive))
    assert "restored jobs/jobs.db (schema" in restored.stdout
    assert "restored identity/identity.db" in restored.stdout
    assert "restored jobs/page-token.key (unchanged)" in restored.stdout

    # the running services see the restored data
    assert _companies(run) == before == ["Deleted Later", "Kept Co"]
    assert "Kept Co" in run.ok("jobs", "show", kept).stdout
    assert email in run.ok("whoami").stdout
    run.ok("jobs", "add", "--company", "After Restore", "--position", "Dev")  # still writable
    for name in ("signing-key.pem",):
        key = services.data_dir / "identity" / name
        assert stat.S_IMODE(key.stat().st_mode) == 0o600


def test_restore_refuses_damaged_or_newer_backups(
    run: Cli, services: Services, tmp_path: Path
) -> None:
    _signed_in(run)
    run.ok("jobs", "add", "--company", "Stays", "--position", "Dev")
    archive = tmp_path / "backup.tar.gz"
    run.ok("backup", "--data-dir", str(services.data_dir), "-o", str(archive))
    run.ok("jobs", "add", "--company", "Also Stays", "--position", "Dev")
    data_dir = str(services.data_dir)

    # a changed byte in the compressed stream
    raw = bytearray(archive.read_bytes())
    raw[len(raw) // 2] ^= 0xFF
    flipped = tmp_path / "flipped.tar.gz"
    flipped.write_bytes(bytes(raw))
    result = run("restore", "--data-dir", data_dir, str(flipped))
    assert result.exit_code == 1, result.output
    assert "is not a valid backup" in result.stderr and "nothing was restored" in result.stderr

    # a changed byte in a database, repacked with the original manifest
    def corrupt(name: str, data: bytes) -> bytes:
        if name != "jobs/jobs.db":
            return data
        changed = bytearray(data)
        changed[-1] ^= 0x01
        return bytes(changed)

    tampered = tmp_path / "tampered.tar.gz"
    _repack(archive, tampered, corrupt)
    result = run("restore", "--data-dir", data_dir, str(tampered))
    assert result.exit_code == 1
    assert "jobs/jobs.db does not match its checksum" in result.stderr

    # an extra file the manifest does not list
    extra = tmp_path / "extra.tar.gz"
    with tarfile.open(extra, "w:gz") as tar:
        with tarfile.open(archive, "r:gz") as src:
            for member in src.getmembers():
                tar.addfile(member, src.extractfile(member))
        info = tarfile.TarInfo("../evil.db")
        info.size = 1
        tar.addfile(info, io.BytesIO(b"x"))
    result = run("restore", "--data-dir", data_dir, str(extra))
    assert result.exit_code == 1 and "files not in the manifest" in result.stderr

    # a database with a newer schema version than the one in place
    def newer(name: str, data: bytes) -> bytes:
        if name == "jobs/jobs.db":
            copy = tmp_path / "newer.db"
            copy.write_bytes(data)
            with contextlib.closing(sqlite3.connect(copy)) as conn:
                conn.execute("PRAGMA user_version = 999")
                conn.commit()
            return copy.read_bytes()
        if name == "manifest.json":
            manifest = json.loads(data)
            for entry in manifest["files"]:
                if entry["path"] == "jobs/jobs.db":
                    entry["schema_version"] = 999
                    entry["sha256"] = hashlib.sha256(newer_db[0]).hexdigest()
                    entry["size"] = len(newer_db[0])
            return json.dumps(manifest).encode()
        return data

    # the database member follows the manifest in the archive: compute it first
    with tarfile.open(archive, "r:gz") as src:
        fh = src.extractfile("jobs/jobs.db")
        assert fh is not None
        newer_db = [newer("jobs/jobs.db", fh.read())]
    too_new = tmp_path / "too-new.tar.gz"
    _repack(archive, too_new, newer)
    result = run("restore", "--data-dir", data_dir, str(too_new))
    assert result.exit_code == 1, result.output
    assert "schema version 999, newer than the database in place" in result.stderr

    # nothing was changed by the refused restores
    assert _companies(run) == ["Also Stays", "Stays"]


def test_restore_and_backup_usage_errors(run: Cli, tmp_path: Path) -> None:
    missing = run("restore", "--data-dir", str(tmp_path), str(tmp_path / "nope.tar.gz"))
    assert missing.exit_code == 2
    assert "does not exist" in missing.stderr
    assert isinstance(missing.exception, SystemExit)

    not_gzip = tmp_path / "not.tar.gz"
    not_gzip.write_text("hello")
    result = run("restore", "--data-dir", str(tmp_path), str(not_gzip))
    assert result.exit_code == 1 and "is not a valid backup" in result.stderr

    empty = tmp_path / "empty-data"
    empty.mkdir()
    result = run("backup", "--data-dir", str(empty), "-o", str(tmp_path / "b.tar.gz"))
    assert result.exit_code == 1 and "no SQLite databases" in result.stderr
    assert not (tmp_path / "b.tar.gz").exists()
    assert run("backup", "-o", str(tmp_path / "b.tar.gz")).exit_code == 2  # --data-dir required


# MFA and the local outbox -------------------------------------------------------------------


class _Authenticator:
    """Codes of strictly increasing time steps, each within the server's +-1 step window."""

    def __init__(self, secret: str) -> None:
        import pyotp

        self.totp = pyotp.TOTP(secret)
        self.last = 0

    def code(self) -> str:
        while True:
            now = time.time()
            current = int(now // 30)
            step = max(self.last + 1, current - 1)
            if step > current + 1:
                time.sleep((step - 1) * 30 - now + 0.2)
                continue
            if step < current and now % 30 > 25:
                time.sleep(30 - now % 30 + 0.2)
                continue
            self.last = step
            return str(self.totp.at(step * 30))

    def wrong_code(self) -> str:
        current = int(time.time() // 30)
        near = {self.totp.at(s * 30) for s in range(current - 3, current + 4)}
        return next(c for c in (f"{n:06d}" for n in range(1000)) if c not in near)


def test_mfa_setup_enable_login_with_code_and_disable(run: Cli) -> None:
    email = _signed_in(run)
    shown = run.ok("mfa", "setup")
    assert "otpauth://totp/CareerVault:" in shown.stdout and "mfa enable" in shown.stderr
    setup = json.loads(run.ok("--json", "mfa", "setup").stdout)  # a new secret replaces it
    assert setup["otpauthUri"].startswith("otpauth://totp/CareerVault:")
    app = _Authenticator(setup["secret"])

    wrong = run("mfa", "enable", app.wrong_code())
    assert wrong.exit_code == 1 and "MFA_CODE_INVALID" in wrong.stderr
    enabled = run.ok("mfa", "enable", app.code())
    assert f"MFA is on for {email}" in enabled.stdout

    run.ok("logout")
    login = run.ok("login", "--email", email, "--password", PASSWORD, "--code", app.code())
    assert f"logged in as {email}" in login.stdout
    me = json.loads(run.ok("--json", "whoami").stdout)
    assert me["email"] == email and me["mfaEnabled"] is True

    disabled = json.loads(run.ok("--json", "mfa", "disable", app.code()).stdout)
    assert "mfaEnabled" not in disabled  # false is not printed in proto JSON
    run.ok("logout")
    run.ok("login", "--email", email, "--password", PASSWORD)  # no code asked for


def test_outbox_shows_the_codes_sent_to_an_address(
    run: Cli, services: Services, tmp_path: Path
) -> None:
    from careervault.identity.v1 import identity_pb2, identity_pb2_grpc

    email = _signed_in(run)
    with grpc.insecure_channel(services.identity) as channel:
        identity_pb2_grpc.IdentityServiceStub(channel).ForgotPassword(
            identity_pb2.ForgotPasswordRequest(email=email), timeout=10
        )
    data = str(services.data_dir)
    listed = run.ok("outbox", "--data-dir", data, "--email", email.upper())
    lines = listed.stdout.splitlines()
    assert lines[0].split() == ["TIME", "TO", "KIND", "CODE"]
    (row,) = lines[1:]
    assert email in row and "reset_password" in row

    (message,) = json.loads(
        run.ok("--json", "outbox", "--data-dir", data, "--email", email).stdout
    )["messages"]
    assert message["to"] == email and message["kind"] == "reset_password"
    assert (
        len(message["code"]) == 6 and message["code"] in row and message["code"] in message["body"]
    )

    nobody = run.ok("outbox", "--data-dir", data, "--email", _email())
    assert nobody.stdout == "" and "no messages to" in nobody.stderr
    empty = run.ok("outbox", "--data-dir", str(tmp_path))
    assert "no such file" in empty.stderr
