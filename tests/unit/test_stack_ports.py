"""Which ports a stack's processes get: `make run`'s documented ones (DESIGN.md: replica k on
the base port + 100 k, metrics on the gRPC port + 10000), and free ones for tests and
benchmarks, where a port derived from a free port may be anyone's (a CI run once lost a test
to a metrics port that another process held)."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from gateway.stack import Stack, StackError, free_ports, metrics_port


def test_make_run_ports_follow_the_design() -> None:
    stack = Stack.from_env(
        {"CAREERVAULT_JOBS_PORT": "41052", "CAREERVAULT_JOBS_REPLICAS": "3"}, data_dir="/tmp/x"
    )
    assert stack.replica_ports("jobs") == [41052, 41152, 41252]
    assert stack.replica_ports("identity") == [50051]
    assert stack.metrics_ports == "offset"
    assert [metrics_port(p) for p in stack.replica_ports("jobs")] == [51052, 51152, 51252]
    assert metrics_port(60052) == 50052  # + 10000 would be no port


def test_free_port_stacks_take_every_port_from_the_os(tmp_path: Path) -> None:
    stack = Stack.on_free_ports(tmp_path, ("identity", "jobs", "ai"), {"jobs": 3})
    ports = [stack.http_port, stack.admin_port] + [
        p for s in stack.services for p in stack.replica_ports(s)
    ]
    assert len(ports) == 2 + 1 + 3 + 1 and len(set(ports)) == len(ports)
    assert stack.replicas["jobs"] == 3 and stack.ports["jobs"] == stack.replica_ports("jobs")[0]
    # Not base + 100 k: each replica's port was chosen by the OS.
    assert stack.replica_targets("jobs") == [f"127.0.0.1:{p}" for p in ports[3:6]]
    assert stack.metrics_ports == "free"


def test_a_taken_metrics_port_stops_make_run_before_anything_starts(tmp_path: Path) -> None:
    grpc_port, http_port, admin_port = free_ports(3)
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", metrics_port(grpc_port)))
        holder.listen()
        stack = Stack.from_env(
            {
                "CAREERVAULT_SERVICES": "jobs",
                "CAREERVAULT_JOBS_PORT": str(grpc_port),
                "CAREERVAULT_HTTP_PORT": str(http_port),
                "CAREERVAULT_ENVOY_ADMIN_PORT": str(admin_port),
            },
            data_dir=tmp_path,
        )
        with pytest.raises(StackError, match=rf"port {metrics_port(grpc_port)} \(jobs metrics\)"):
            stack.start()
        assert stack.children == {}


def test_empty_replica_ports_are_refused(tmp_path: Path) -> None:
    with pytest.raises(StackError, match="replica_ports"):
        Stack(tmp_path, replica_ports={"jobs": []})
