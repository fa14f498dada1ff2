"""The `careervault` CLI against the real identity and jobs services, started as subprocesses."""

from __future__ import annotations

import json
import os
import socket
import stat
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
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
        yield Services(identity=addresses["identity"], jobs=addresses["jobs"])
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
