"""Replicas under failure, seen through the interfaces users and services use.

Each test starts its own system (identity, two jobs replicas, Envoy; the last one also ai) on
free ports, with Envoy's health checks every 0.5 s so that the tests are short:

* a jobs replica killed with SIGKILL under a job seeker's reads costs no request: Envoy
  retries on the other replica, takes the dead one out, and sends it traffic again once it is
  restarted;
* a jobs replica stopped with SIGTERM under reads and writes drains: it answers NOT_SERVING,
  Envoy takes it out while it still serves, it exits 0 on its own, and no request fails;
* the ai service, which calls the jobs service itself, keeps working when jobs replica 0 dies.
"""

from __future__ import annotations

import contextlib
import json
import random
import re
import signal
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import grpc
import httpx
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

from gateway import render
from gateway.stack import Child, Stack, http_get
from tests.support.clients import rest_sign_up
from tests.support.documents import resume_text
from tests.support.stack import log_records, own_stack

pytestmark = pytest.mark.integration

HEALTH_INTERVAL = 0.5
JOBS_HEALTH = "careervault.jobs.v1.JobService"
JOB_DESCRIPTION = (
    "Senior Backend Engineer. Requirements: 5+ years of Python, Kubernetes and PostgreSQL in "
    "production; GraphQL and Java. Nice to have: Kafka, Terraform."
)


def failover_stack(
    tmp_path: Path, services: Sequence[str], health_interval: float = HEALTH_INTERVAL
) -> contextlib.AbstractContextManager[Stack]:
    return own_stack(
        tmp_path,
        services,
        # The client threads call as one user, as fast as they can: no edge rate limits.
        {**render.RATE_LIMITS_OFF, "CAREERVAULT_GATEWAY_HEALTH_INTERVAL": str(health_interval)},
        replicas={"jobs": 2},
    )


def wait_for(condition: Callable[[], object], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def job_seeker(stack: Stack, jobs: int) -> tuple[dict[str, str], list[str]]:
    """A new user's authorization header and the names of their first applications."""
    with httpx.Client(base_url=stack.url, timeout=15) as api:
        _, auth = rest_sign_up(api, "Seeker")
        names = []
        for i in range(jobs):
            r = api.post(
                "/v1/jobs",
                headers=auth,
                json={
                    "company": f"Co {i}",
                    "position": "Backend Engineer",
                    "jobDescription": JOB_DESCRIPTION,
                    "requestId": uuid.uuid4().hex,
                },
            )
            assert r.status_code == 200, r.text
            names.append(r.json()["name"])
    return auth, names


# --- Envoy's view of the jobs hosts ----------------------------------------------------------


def jobs_hosts(stack: Stack) -> dict[str, dict[str, str]]:
    """Envoy's per-host stats and flags of the jobs cluster (admin /clusters)."""
    status, body = http_get(stack.admin_url + "/clusters")
    assert status == 200
    hosts: dict[str, dict[str, str]] = {}
    for line in body.splitlines():
        parts = line.split("::")
        if len(parts) == 4 and parts[0] == "jobs":
            hosts.setdefault(parts[1], {})[parts[2]] = parts[3]
    return hosts


def requests_to(stack: Stack, host: str) -> int:
    """Requests Envoy has sent to one jobs host (tries, retries included)."""
    return int(jobs_hosts(stack)[host]["rq_total"])


def wait_for_requests(stack: Stack, hosts: Sequence[str], more: int, what: str) -> None:
    """Until Envoy has sent each of `hosts` more than `more` requests beyond those so far."""
    base = {h: requests_to(stack, h) for h in hosts}
    wait_for(lambda: all(requests_to(stack, h) > base[h] + more for h in base), 30, what)


def taken_out(stack: Stack, host: str) -> bool:
    """Envoy no longer routes to the host: failed health checks or ejected as an outlier."""
    flags = jobs_hosts(stack)[host]["health_flags"]
    return "failed_active_hc" in flags or "failed_outlier_check" in flags


def health_of(stub: health_pb2_grpc.HealthStub) -> int | None:
    """The jobs service's health as one process reports it (None: no answer)."""
    try:
        reply = stub.Check(health_pb2.HealthCheckRequest(service=JOBS_HEALTH), timeout=2)
    except grpc.RpcError:
        return None
    return int(reply.status)


def host(stack: Stack, replica: int) -> str:
    return f"127.0.0.1:{stack.replica_ports('jobs')[replica]}"


# --- traffic -------------------------------------------------------------------------------


@dataclass
class Call:
    what: str  # "GET /v1/jobs", ...
    started: float
    ended: float
    status: int  # 0: no HTTP answer
    detail: str = ""


class Traffic:
    """Client threads sending a job seeker's requests through Envoy, one after another each,
    until stopped; every request and its outcome is kept. Readers get one of the user's jobs,
    list them and read the stats; writers (if any) create a job, update it (with its etag)
    and read it back."""

    def __init__(
        self, url: str, auth: dict[str, str], names: list[str], readers: int, writers: int = 0
    ) -> None:
        self.url, self.auth, self.names = url, auth, names
        self.calls: list[Call] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._threads = [
            threading.Thread(target=self._run, args=(self._read,), daemon=True)
            for _ in range(readers)
        ] + [
            threading.Thread(target=self._run, args=(self._write,), daemon=True)
            for _ in range(writers)
        ]

    def __enter__(self) -> Traffic:
        for t in self._threads:
            t.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        for t in self._threads:
            t.join(60)
        assert not any(t.is_alive() for t in self._threads), "a client thread hangs"

    def failures(self) -> list[Call]:
        with self._lock:
            return [c for c in self.calls if c.status != 200]

    def started_after(self, moment: float, writes: bool = False) -> int:
        with self._lock:
            return sum(
                1
                for c in self.calls
                if c.started > moment and (not writes or not c.what.startswith("GET"))
            )

    def in_flight_at(self, moment: float) -> list[Call]:
        with self._lock:
            return [c for c in self.calls if c.started <= moment <= c.ended]

    def _run(self, step: Callable[[httpx.Client], None]) -> None:
        with httpx.Client(base_url=self.url, headers=self.auth, timeout=30) as client:
            while not self._stop.is_set():
                step(client)

    def _call(self, client: httpx.Client, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        what = f"{method} {path}"
        started = time.monotonic()
        try:
            r = client.request(method, path, **kwargs)
            status, detail = r.status_code, "" if r.status_code == 200 else r.text[:300]
        except httpx.HTTPError as exc:
            status, detail = 0, repr(exc)
        with self._lock:
            self.calls.append(Call(what, started, time.monotonic(), status, detail))
        return r.json() if status == 200 else {}

    def _read(self, client: httpx.Client) -> None:
        self._call(client, "GET", f"/v1/{random.choice(self.names)}")
        self._call(client, "GET", "/v1/jobs", params={"pageSize": 10})
        self._call(client, "GET", "/v1/jobs:stats")

    def _write(self, client: httpx.Client) -> None:
        created = self._call(
            client,
            "POST",
            "/v1/jobs",
            json={"company": "Initech", "position": "SRE", "requestId": uuid.uuid4().hex},
        )
        if not created:
            return
        updated = self._call(
            client,
            "PATCH",
            f"/v1/{created['name']}",
            params={"updateMask": "notes"},
            json={"notes": "Called the recruiter", "etag": created["etag"]},
        )
        if updated:
            self._call(client, "GET", f"/v1/{created['name']}")


def report(calls: Sequence[Call]) -> str:
    return "\n".join(f"{c.what} -> {c.status} {c.detail}" for c in calls[:10])


# --- the tests -----------------------------------------------------------------------------


def test_a_killed_replica_costs_no_request_and_gets_traffic_again_once_back(
    tmp_path: Path,
) -> None:
    with failover_stack(tmp_path, ("identity", "jobs")) as stack:
        auth, names = job_seeker(stack, 8)
        victim, survivor = host(stack, 1), host(stack, 0)
        with Traffic(stack.url, auth, names, readers=4) as traffic:
            wait_for_requests(stack, (victim, survivor), 20, "reads on both replicas")
            killed_at = time.monotonic()
            stack.kill("jobs-1", signal.SIGKILL)
            wait_for(lambda: taken_out(stack, victim), 10, "Envoy to take the dead replica out")
            assert stack.children["jobs-1"].returncode() == -signal.SIGKILL

            # Everything goes to the survivor now.
            dead = requests_to(stack, victim)
            wait_for_requests(stack, (survivor,), 100, "more reads")
            assert requests_to(stack, victim) == dead, "a request was sent to the dead replica"

            stack.restart("jobs-1")
            wait_for(lambda: not taken_out(stack, victim), 10, "Envoy to route to it again")
            wait_for_requests(stack, (victim,), 20, "reads on it again")
        assert not traffic.failures(), report(traffic.failures())
        assert traffic.started_after(killed_at) > 100, "the load went on after the kill"


def test_writes_that_cannot_reach_a_replica_are_retried_on_the_other(tmp_path: Path) -> None:
    """A replica dies between writes, and Envoy's health checks (every 30 s here) have not
    noticed: each POST or PATCH Envoy sends there fails to connect, which is safe to retry
    (the request never left Envoy), so it is retried on the other replica; outlier detection
    then ejects the dead one. No write fails."""
    with failover_stack(tmp_path, ("identity", "jobs"), health_interval=30) as stack:
        auth, _ = job_seeker(stack, 0)
        victim = host(stack, 1)
        with httpx.Client(base_url=stack.url, headers=auth, timeout=30) as api:

            def write() -> None:
                r = api.post(
                    "/v1/jobs",
                    json={"company": "Initech", "position": "SRE", "requestId": uuid.uuid4().hex},
                )
                assert r.status_code == 200, r.text
                created = r.json()
                r = api.patch(
                    f"/v1/{created['name']}",
                    params={"updateMask": "notes"},
                    json={"notes": "Sent a thank-you note", "etag": created["etag"]},
                )
                assert r.status_code == 200, r.text

            def victim_has_writes() -> bool:
                write()
                return requests_to(stack, victim) > 2

            wait_for(victim_has_writes, 30, "writes on both replicas")
            stack.kill("jobs-1", signal.SIGKILL)
            # Envoy has seen its connection to the dead replica close; it has a new one to
            # make for the next request sent there.
            wait_for(lambda: jobs_hosts(stack)[victim]["cx_active"] == "0", 10, "the close")
            assert not taken_out(stack, victim), "the health checks noticed: nothing tested"
            for _ in range(20):
                write()
            stats = jobs_hosts(stack)[victim]
            assert int(stats["cx_connect_fail"]) >= 1, "no write was sent to the dead replica"
            assert "failed_outlier_check" in stats["health_flags"]


def test_sigterm_drains_a_replica_under_reads_and_writes_without_a_failed_request(
    tmp_path: Path,
) -> None:
    with failover_stack(tmp_path, ("identity", "jobs")) as stack:
        auth, names = job_seeker(stack, 8)
        victim, survivor = host(stack, 0), host(stack, 1)
        child = stack.children["jobs"]
        health = health_pb2_grpc.HealthStub(grpc.insecure_channel(victim))
        with Traffic(stack.url, auth, names, readers=2, writers=2) as traffic:
            wait_for_requests(stack, (victim, survivor), 20, "requests on both replicas")
            stopper = threading.Thread(target=stack.kill, args=("jobs", signal.SIGTERM))
            signalled_at = time.monotonic()
            stopper.start()
            # Watch it leave: what it answers itself, and whether Envoy took it out while it
            # still served (the drain) or only after its port had closed.
            said_not_serving = out_while_serving = False
            while stopper.is_alive():
                out = taken_out(stack, victim)
                if health_of(health) == health_pb2.HealthCheckResponse.NOT_SERVING:
                    said_not_serving = True
                    # Envoy had taken it out, and it still answered afterwards.
                    out_while_serving = out_while_serving or out
                time.sleep(0.05)
            exited_at = time.monotonic()
            wait_for_requests(stack, (survivor,), 100, "more requests")
            in_flight = traffic.in_flight_at(signalled_at)
        assert not traffic.failures(), report(traffic.failures())
        assert in_flight and all(c.status == 200 for c in in_flight)
        assert traffic.started_after(exited_at, writes=True) > 10, "writes went on"

        assert said_not_serving, "the replica never answered NOT_SERVING"
        assert out_while_serving, "Envoy took the replica out only after it stopped serving"
        assert child.returncode() == 0, child.tail()
        # What the stack gives a replica with a sibling: long enough for Envoy to notice.
        drain = render.UNHEALTHY_THRESHOLD * HEALTH_INTERVAL + render.HEALTH_TIMEOUT
        assert child.env["CAREERVAULT_SHUTDOWN_DELAY"] == f"{drain:g}"
        assert exited_at - signalled_at >= drain, "it left before its drain delay"
        server_log = lifecycle_log(child)
        assert [r["message"] for r in server_log][-3:] == ["shutting down", "draining", "stopped"]
        assert server_log[-3]["signal"] == "SIGTERM" and server_log[-2]["seconds"] == drain

        # Stopping everything (make run's Ctrl-C) skips the drain: Envoy goes first, then the
        # services get SIGINT.
        other = stack.children["jobs-1"]
        stack.stop()
        assert other.returncode() == 0
        assert [(r["message"], r.get("signal")) for r in lifecycle_log(other)][-2:] == [
            ("shutting down", "SIGINT"),
            ("stopped", None),
        ]


def lifecycle_log(child: Child) -> list[dict[str, Any]]:
    """The server's own log lines (listening, shutting down, draining, stopped) of a child."""
    records = map(json.loads, re.findall(r"^\{.*$", child.log_path.read_text(), re.M))
    return [r for r in records if r.get("logger") == "careervault.runtime.server"]


def chat(url: str, auth: dict[str, str]) -> str:
    """The text of one streamed chat answer about the user's job search."""
    body = {"messages": [{"role": "user", "content": "How is my job search going?"}]}
    with (
        httpx.Client(timeout=60) as client,
        client.stream("POST", url + "/v1/assistant:chat", json=body, headers=auth) as r,
    ):
        assert r.status_code == 200, r.read()
        lines = [json.loads(line) for line in r.iter_lines() if line.strip()]
    assert lines[-1]["done"] is True and not any(m.get("error") for m in lines)
    return "".join(m["delta"] for m in lines)


def served_by(stack: Stack, process: str, request_id: str) -> set[str]:
    """The methods one process's log shows calls of for a request id."""
    return {
        str(r["method"]).rsplit("/", 1)[1]
        for r in log_records(stack, process, request_id)
        if r.get("request_id") == request_id and r.get("message") == "rpc"
    }


def test_the_ai_service_keeps_reaching_jobs_when_replica_0_dies(tmp_path: Path) -> None:
    with failover_stack(tmp_path, ("identity", "jobs", "ai")) as stack:
        auth, names = job_seeker(stack, 3)
        api = httpx.Client(base_url=stack.url, headers=auth, timeout=60)

        def analyze_and_save(name: str) -> str:
            """Reads the job (jobs GetJob), analyses, saves the result on it (UpdateJob); the
            request id Envoy gave the request."""
            before = api.get(f"/v1/{name}").json()["etag"]
            r = api.post(
                "/v1/resumes:analyze", json={"resumeText": resume_text(), "job": name, "save": True}
            )
            assert r.status_code == 200, r.text
            saved = api.get(f"/v1/{name}").json()
            assert saved["etag"] != before, "the analysis was saved on the job"
            assert saved["analysis"].get("matchScore", 0) == r.json().get("matchScore", 0)
            return r.headers["x-request-id"]

        with api:
            before = [analyze_and_save(names[i % len(names)]) for i in range(6)]
            stack.kill("jobs", signal.SIGKILL)
            # At once, and again and again: no call of the ai service fails on the dead one.
            for i in range(8):
                analyze_and_save(names[i % len(names)])
                answer = chat(stack.url, auth)
                assert "could not read your applications" not in answer
                assert "3" in answer or "three" in answer.lower(), answer
        # Before the kill, the ai service had spread its calls over both replicas.
        for replica in ("jobs", "jobs-1"):
            assert any(served_by(stack, replica, i) for i in before), f"{replica} got nothing"
