"""`make run`'s supervisor (scripts/run.py): up in one command, state kept across restarts,
everything it started gone after SIGTERM."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from gateway.stack import free_ports, metrics_port, port_in_use
from tests.support.clients import PASSWORD

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[2]


def start(data_dir: Path, env: dict[str, str]) -> tuple[subprocess.Popen[str], str, list[int]]:
    proc = subprocess.Popen(
        [sys.executable, "scripts/run.py"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert proc.stdout is not None
    lines: list[str] = []
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        lines.append(line)
        if "CareerVault is running at" in line:
            pids = [int(p) for p in re.findall(r"\(pid (\d+)\)", "".join(lines))]
            url = re.search(r"(http://\S+)", line)
            assert url is not None
            return proc, url.group(1), pids
    proc.kill()
    proc.wait()
    raise AssertionError("run.py did not come up:\n" + "".join(lines))


def stop(proc: subprocess.Popen[str], pids: list[int]) -> None:
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=30) == 0
    assert proc.stdout is not None
    proc.stdout.close()
    for pid in pids:
        assert not Path(f"/proc/{pid}").exists() or _zombie(pid), f"pid {pid} left behind"


def _zombie(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split()[2] == "Z"
    except OSError:
        return True


def run_ports() -> list[int]:
    """Six distinct free ports (Envoy, its admin, the four services) where the metrics port
    `make run` derives from each service's port (+/- 10000) is free as well."""
    while True:
        ports = free_ports(6)
        derived = [metrics_port(p) for p in ports[2:]]
        if not set(derived) & set(ports) and not any(port_in_use(p) for p in derived):
            return ports


def test_run_starts_everything_keeps_state_and_stops_cleanly(tmp_path: Path) -> None:
    http_port, admin_port, *service_ports = run_ports()
    env = {
        **os.environ,
        "CAREERVAULT_DATA_DIR": str(tmp_path / "var"),
        "CAREERVAULT_HTTP_PORT": str(http_port),
        "CAREERVAULT_ENVOY_ADMIN_PORT": str(admin_port),
        **{
            f"CAREERVAULT_{service}_PORT": str(port)
            for service, port in zip(
                ("IDENTITY", "JOBS", "EXTRACTION", "AI"), service_ports, strict=True
            )
        },
    }
    jobs_metrics = f"http://127.0.0.1:{metrics_port(service_ports[1])}/metrics"
    proc, url, pids = start(tmp_path, env)
    try:
        # identity, jobs, extraction, ai, envoy
        assert str(http_port) in url and len(pids) == 5, pids
        api = httpx.Client(base_url=f"http://127.0.0.1:{http_port}", timeout=10)
        creds = {"email": "restart@example.com", "password": PASSWORD}
        assert api.post("/v1/auth:signUp", json={**creds, "displayName": "R"}).status_code == 200
        token = api.post("/v1/auth:signIn", json=creds).json()["tokens"]["accessToken"]
        made = api.post(
            "/v1/jobs",
            headers={"authorization": f"Bearer {token}"},
            json={"company": "Kept", "position": "Dev"},
        )
        assert made.status_code == 200
        analysis = api.post(
            "/v1/resumes:analyze",
            headers={"authorization": f"Bearer {token}"},
            json={"resumeText": "Python developer", "jobDescription": "We need Python."},
        )
        assert analysis.status_code == 200, analysis.text
        assert analysis.json()["provider"]["name"] == "local"
        # Each service's Prometheus endpoint on its gRPC port + 10000 (docs/operations.md).
        scraped = httpx.get(jobs_metrics, timeout=5).text
        assert 'grpc_method="CreateJob"' in scraped, scraped[:2000]
    finally:
        if proc.poll() is None:
            stop(proc, pids)

    proc, url, pids = start(tmp_path, env)
    try:
        # The same signing key, so even the old access token still verifies after a restart.
        jobs = api.get("/v1/jobs", headers={"authorization": f"Bearer {token}"})
        assert jobs.status_code == 200 and [j["company"] for j in jobs.json()["jobs"]] == ["Kept"]
        assert api.post("/v1/auth:signIn", json=creds).status_code == 200
    finally:
        if proc.poll() is None:
            stop(proc, pids)
