"""What every service gets from the shared runtime: token checks of its own, health,
reflection, rich errors and a graceful stop."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc

from careervault.jobs.v1 import jobs_pb2 as jpb
from careervault.jobs.v1 import jobs_pb2_grpc
from gateway.stack import Stack
from tests.support import tokens
from tests.support.clients import User, rich
from tests.support.stack import free_port, wait_serving

pytestmark = pytest.mark.integration
ISSUER, CLIENT = "careervault-local", "careervault-web"


def real_key(data_dir: Path) -> tuple[str, str]:
    import json

    kid = json.loads((data_dir / "identity" / "jwks.json").read_text())["keys"][0]["kid"]
    return (data_dir / "identity" / "signing-key.pem").read_text(), kid


def bad_tokens(data_dir: Path, sub: str) -> dict[str, str]:
    pem, kid = real_key(data_dir)
    now = int(time.time())
    return {
        "expired": tokens.sign(
            tokens.claims(sub, ISSUER, CLIENT, iat=now - 4000, nbf=now - 4000, exp=now - 3000),
            pem,
            kid,
        ),
        "forged": tokens.sign(tokens.claims(sub, ISSUER, CLIENT), tokens.new_private_pem(), kid),
        "alg-none": tokens.unsigned(tokens.claims(sub, ISSUER, CLIENT), kid),
        "wrong-issuer": tokens.sign(tokens.claims(sub, "https://evil.example", CLIENT), pem, kid),
        "wrong-client": tokens.sign(tokens.claims(sub, ISSUER, "other-app"), pem, kid),
        "id-token": tokens.sign(tokens.claims(sub, ISSUER, CLIENT, token_use="id"), pem, kid),
        "garbage": "abc.def.ghi",
    }


def test_a_service_refuses_bad_tokens_itself(
    jobs: jobs_pb2_grpc.JobServiceStub, data_dir: Path, alice: User
) -> None:
    sub = "any-user"
    for label, token in bad_tokens(data_dir, sub).items():
        with pytest.raises(grpc.RpcError) as err:
            jobs.ListJobs(jpb.ListJobsRequest(), metadata=(("authorization", f"Bearer {token}"),))
        info = rich(err.value)
        assert info.code == grpc.StatusCode.UNAUTHENTICATED, label
        assert info.reason.startswith("TOKEN_"), (label, info.reason)
    with pytest.raises(grpc.RpcError) as err:
        jobs.ListJobs(jpb.ListJobsRequest())
    assert rich(err.value).reason == "TOKEN_MISSING"
    # The same key, properly used, works: the refusals above are about the tokens.
    pem, kid = real_key(data_dir)
    good = tokens.sign(tokens.claims(sub, ISSUER, CLIENT), pem, kid)
    assert (
        jobs.ListJobs(
            jpb.ListJobsRequest(), metadata=(("authorization", f"Bearer {good}"),)
        ).total_size
        == 0
    )


def test_health_and_reflection_answer_for_each_service(stack: Stack) -> None:
    for addr, service in (
        (stack.grpc_target("identity"), "careervault.identity.v1.IdentityService"),
        (stack.grpc_target("jobs"), "careervault.jobs.v1.JobService"),
    ):
        channel = grpc.insecure_channel(addr)
        health = health_pb2_grpc.HealthStub(channel)
        for name in ("", service):
            status = health.Check(health_pb2.HealthCheckRequest(service=name), timeout=5).status
            assert status == health_pb2.HealthCheckResponse.SERVING
        reflect = reflection_pb2_grpc.ServerReflectionStub(channel)
        replies = list(
            reflect.ServerReflectionInfo(
                iter([reflection_pb2.ServerReflectionRequest(list_services="")]), timeout=5
            )
        )
        names = {s.name for s in replies[0].list_services_response.service}
        assert service in names and "grpc.health.v1.Health" in names


def test_sigterm_turns_health_not_serving_then_exits_cleanly(data_dir: Path) -> None:
    port = free_port()
    env = {
        **os.environ,
        "CAREERVAULT_DATA_DIR": str(data_dir),
        "CAREERVAULT_PORT": str(port),
        "CAREERVAULT_SHUTDOWN_DELAY": "1.5",
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "careervault_jobs"], env=env, stderr=subprocess.PIPE
    )
    try:
        wait_serving(f"127.0.0.1:{port}", "careervault.jobs.v1.JobService", proc, timeout=20)
        health = health_pb2_grpc.HealthStub(grpc.insecure_channel(f"127.0.0.1:{port}"))
        proc.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + 1.2
        seen = set()
        while time.monotonic() < deadline:
            seen.add(health.Check(health_pb2.HealthCheckRequest(service=""), timeout=1).status)
            if health_pb2.HealthCheckResponse.NOT_SERVING in seen:
                break
            time.sleep(0.05)
        assert health_pb2.HealthCheckResponse.NOT_SERVING in seen, "health goes NOT_SERVING first"
        assert proc.wait(timeout=15) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        assert proc.stderr is not None
        proc.stderr.close()


def test_sigterm_lets_in_flight_calls_finish(tmp_path: Path) -> None:
    """Sign-ups spend ~0.2 s hashing the password: SIGTERM arrives while they run, and every
    one of them still completes."""
    from concurrent.futures import ThreadPoolExecutor

    from careervault.identity.v1 import identity_pb2 as idpb
    from tests.support.clients import PASSWORD, identity_stub

    port = free_port()
    env = {**os.environ, "CAREERVAULT_DATA_DIR": str(tmp_path), "CAREERVAULT_PORT": str(port)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "careervault_identity"], env=env, stderr=subprocess.DEVNULL
    )
    try:
        target = f"127.0.0.1:{port}"
        wait_serving(target, "careervault.identity.v1.IdentityService", proc, timeout=20)
        stub = identity_stub(target)

        def sign_up(i: int) -> str:
            reply = stub.SignUp(
                idpb.SignUpRequest(email=f"drain{i}@example.com", password=PASSWORD), timeout=20
            )
            return reply.user.email

        with ThreadPoolExecutor(4) as pool:
            futures = [pool.submit(sign_up, i) for i in range(4)]
            time.sleep(0.1)  # the calls are on the wire and hashing
            proc.send_signal(signal.SIGTERM)
            emails = sorted(f.result() for f in futures)
        assert emails == [f"drain{i}@example.com" for i in range(4)]
        assert proc.wait(timeout=15) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
