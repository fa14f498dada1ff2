"""Test helpers over gateway.stack: free ports, a stack of a test module's own, a user signed
up on it, and waiting for one process to serve."""

from __future__ import annotations

import contextlib
import json
import subprocess
import time
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from gateway.stack import Stack, free_port, grpc_serving
from tests.support.clients import User, identity_stub, new_user

__all__ = ["free_port", "log_records", "own_stack", "stack_user", "wait_serving"]


@contextlib.contextmanager
def own_stack(
    data_dir: Path,
    services: Sequence[str],
    env: Mapping[str, str] | None = None,
    replicas: Mapping[str, int] | None = None,
) -> Iterator[Stack]:
    """A started stack of `services` (Envoy and one process each, or `replicas` of some) on
    distinct free loopback ports (gRPC, metrics, Envoy's), its data in `data_dir`, `env` on top
    of this process's environment for every child; stopped (its processes by PID) when the
    block ends, however it ends."""
    stack = Stack.on_free_ports(data_dir, services, replicas, env=env)
    with stack:
        yield stack


def stack_user(stack: Stack, name: str) -> User:
    """A fresh user of `stack`, signed up over gRPC straight to its identity service (not
    through Envoy, so the credential endpoints' rate-limit buckets stay full)."""
    return new_user(identity_stub(stack.grpc_target("identity")), name)


def log_records(stack: Stack, process: str, text: str) -> list[dict[str, Any]]:
    """The JSON lines of one process's log (`<logs_dir>/<process>.log`) that contain `text`
    (a request or trace id, say); lines that are not JSON are skipped."""
    out = []
    for line in (stack.logs_dir / f"{process}.log").read_text(errors="replace").splitlines():
        if text in line:
            try:
                out.append(json.loads(line))
            except ValueError:
                continue
    return out


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
