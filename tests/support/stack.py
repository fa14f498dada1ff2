"""Test helpers over gateway.stack: free ports, a stack of a test module's own, a user signed
up on it, and waiting for one process to serve."""

from __future__ import annotations

import contextlib
import subprocess
import time
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path

from gateway.stack import Stack, free_port, free_ports, grpc_serving
from tests.support.clients import User, identity_stub, new_user

__all__ = ["free_port", "own_stack", "stack_user", "wait_serving"]


@contextlib.contextmanager
def own_stack(
    data_dir: Path, services: Sequence[str], env: Mapping[str, str] | None = None
) -> Iterator[Stack]:
    """A started stack of `services` (Envoy and one process each) on distinct free loopback
    ports, its data in `data_dir`, `env` on top of this process's environment for every
    child; stopped (its processes by PID) when the block ends, however it ends."""
    http_port, *grpc_ports = free_ports(1 + len(services))
    stack = Stack(
        data_dir=data_dir,
        http_port=http_port,
        ports=dict(zip(services, grpc_ports, strict=True)),
        services=services,
        env=env,
    )
    with stack:
        yield stack


def stack_user(stack: Stack, name: str) -> User:
    """A fresh user of `stack`, signed up over gRPC straight to its identity service (not
    through Envoy, so the credential endpoints' rate-limit buckets stay full)."""
    return new_user(identity_stub(stack.grpc_target("identity")), name)


def wait_serving(target: str, service: str, proc: subprocess.Popen[bytes], timeout: float) -> None:
    host, port = target.rsplit(":", 1)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"process exited with {proc.returncode} before serving")
        if grpc_serving(int(port), host, service=service):
            return
        time.sleep(0.05)
    raise AssertionError(f"{target} did not serve {service} within {timeout} s")
