"""Fixtures: one real system (identity, jobs, extraction, ai, Envoy as processes) per session."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from careervault.identity.v1 import identity_pb2_grpc
from careervault.jobs.v1 import jobs_pb2_grpc
from gateway.render import RATE_LIMITS_OFF
from gateway.stack import Stack
from tests.support.clients import User, identity_stub, jobs_stub, new_user
from tests.support.stack import own_stack


@pytest.fixture(scope="session")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("careervault-data")


@pytest.fixture(scope="session")
def stack(data_dir: Path) -> Iterator[Stack]:
    with own_stack(
        data_dir,
        ("identity", "jobs", "extraction", "ai"),
        # Load tests of the auth routes are not what this suite is about. Every test signs in
        # from 127.0.0.1, and the suite's deliberate wrong passwords and bad tokens would
        # otherwise throttle that one address for the tests after them (the throttle has its
        # own stack in tests/integration/test_identity_local.py). The edge rate limits are
        # off too: tests (schemathesis above all) call as one user, as fast as they can; the
        # limits have their own stack in tests/integration/test_rate_limits.py.
        {
            **RATE_LIMITS_OFF,
            "CAREERVAULT_THROTTLE_ADDRESS_FAILURES": "100000",
        },
    ) as s:
        yield s


@pytest.fixture(scope="session")
def identity(stack: Stack) -> identity_pb2_grpc.IdentityServiceStub:
    return identity_stub(stack.grpc_target("identity"))


@pytest.fixture(scope="session")
def jobs(stack: Stack) -> jobs_pb2_grpc.JobServiceStub:
    return jobs_stub(stack.grpc_target("jobs"))


@pytest.fixture(scope="session")
def alice(identity: identity_pb2_grpc.IdentityServiceStub) -> User:
    return new_user(identity, "Alice")


@pytest.fixture(scope="session")
def bob(identity: identity_pb2_grpc.IdentityServiceStub) -> User:
    return new_user(identity, "Bob")


@pytest.fixture
def fresh_user(identity: identity_pb2_grpc.IdentityServiceStub) -> User:
    """A user with no jobs yet, for tests that count."""
    return new_user(identity, "Fresh")
