"""The ghz scenario files (loadtest/ghz/*.json) and the k6 gRPC scenarios name calls and fields
that exist: checked against the descriptor set `make gen` builds (build/careervault.pb) and,
for the health service, against grpcio-health-checking's own descriptor. ghz cannot be
installed here, so this is what keeps its files from rotting."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from google.protobuf import descriptor_pb2, descriptor_pool
from google.protobuf.descriptor import Descriptor, MethodDescriptor
from grpc_health.v1 import health_pb2

ROOT = Path(__file__).resolve().parents[2]
GHZ = sorted((ROOT / "loadtest" / "ghz").glob("*.json"))
DESCRIPTORS = ROOT / "build" / "careervault.pb"

# ghz's config keys (runner/config.go, `json` tags), the ones these files may use.
GHZ_KEYS = {
    "name", "call", "proto", "protoset", "import-paths", "host", "insecure", "authority",
    "concurrency", "connections", "total", "duration", "max-duration", "timeout",
    "connect-timeout", "keepalive", "rps", "data", "data-file", "metadata", "metadata-file",
    "reflect-metadata", "skipFirst", "format", "output", "tags", "cpus", "async",
    "load-schedule", "load-start", "load-end", "load-step", "load-step-duration",
    "load-max-duration", "concurrency-schedule", "concurrency-start", "concurrency-end",
    "concurrency-step", "concurrency-step-duration", "concurrency-max-duration",
}  # fmt: skip
GO_DURATION = re.compile(r"^(\d+(\.\d+)?(ns|us|µs|ms|s|m|h))+$")


@pytest.fixture(scope="module")
def pool() -> descriptor_pool.DescriptorPool:
    if not DESCRIPTORS.exists():
        pytest.fail(f"{DESCRIPTORS} is missing: run `make gen`")
    files = descriptor_pb2.FileDescriptorSet.FromString(DESCRIPTORS.read_bytes())
    pool = descriptor_pool.DescriptorPool()
    for proto in files.file:
        pool.Add(proto)
    return pool


def method(pool: descriptor_pool.DescriptorPool | None, call: str) -> MethodDescriptor:
    """`package.Service.Method` or `package.Service/Method`, as ghz accepts."""
    service, _, name = call.replace("/", ".").rpartition(".")
    if pool is None:  # the health service, found by reflection on the server
        found = health_pb2.DESCRIPTOR.services_by_name.get(service.rpartition(".")[2])
        assert found is not None and found.full_name == service, call
        health_method: MethodDescriptor = found.methods_by_name[name]
        return health_method
    found_method: MethodDescriptor = pool.FindServiceByName(service).methods_by_name[name]
    return found_method


def check_fields(message: Descriptor, data: dict[str, Any], where: str) -> None:
    """Every key names a field (proto or JSON name), recursively into messages."""
    for key, value in data.items():
        field = message.fields_by_name.get(key) or next(
            (f for f in message.fields if f.json_name == key), None
        )
        assert field is not None, f"{where}: {message.full_name} has no field {key!r}"
        if isinstance(value, dict) and field.message_type is not None:
            check_fields(field.message_type, value, f"{where}.{key}")


def test_there_is_a_ghz_file_per_grpc_call_of_the_k6_scenarios() -> None:
    calls = {json.loads(p.read_text())["call"].rpartition(".")[2] for p in GHZ}
    assert calls == {"GetJob", "ListJobs", "GetJobStats", "Check"}


@pytest.mark.parametrize("path", GHZ, ids=lambda p: p.name)
def test_a_ghz_file_is_valid_and_names_a_real_call(
    path: Path, pool: descriptor_pool.DescriptorPool
) -> None:
    config = json.loads(path.read_text())
    assert set(config) <= GHZ_KEYS, set(config) - GHZ_KEYS
    for key in ("call", "host", "insecure"):
        assert key in config, key
    for key in ("duration", "timeout", "connect-timeout", "max-duration"):
        if key in config:
            assert GO_DURATION.match(config[key]), (key, config[key])
    if "protoset" in config:
        # Paths are relative to the directory ghz runs in: the repository root.
        assert config["protoset"] == "build/careervault.pb"
        found = method(pool, config["call"])
    else:
        found = method(None, config["call"])  # no protoset: ghz asks the server (reflection)
    assert not found.client_streaming and not found.server_streaming
    check_fields(found.input_type, config.get("data", {}), path.name)


def test_the_k6_grpc_calls_exist(pool: descriptor_pool.DescriptorPool) -> None:
    text = (ROOT / "loadtest" / "lib" / "grpc.js").read_text()
    service = re.search(r'JOB_SERVICE = "([\w.]+)"', text)
    assert service is not None
    calls = re.findall(r'call\(user, "(\w+)", (\{[^}]*\})', text)
    assert {name for name, _ in calls} == {"GetJob", "ListJobs", "GetJobStats"}
    for name, request in calls:
        found = method(pool, f"{service.group(1)}.{name}")
        # `{ name }` (shorthand) or `{ page_size: 50 }`: the keys are field names.
        keys = [part.split(":")[0].strip() for part in request.strip("{} ").split(",")]
        check_fields(found.input_type, dict.fromkeys(keys), f"grpc.js {name}")
    health = re.search(r'HEALTH_CHECK = "([\w./]+)"', text)
    assert health is not None
    method(None, health.group(1))
