"""Test helpers over gateway.stack: free ports and waiting for one process to serve."""

from __future__ import annotations

import subprocess
import time

from gateway.stack import free_port, grpc_serving

__all__ = ["free_port", "wait_serving"]


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
