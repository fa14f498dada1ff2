"""Service-to-service channels over several replicas (careervault.runtime.balancing), with real
gRPC servers in this process: address settings, spreading, client-side health checking, and
retries of the methods a caller declares safe."""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import grpc
import pytest
from careervault_ai.settings import AiSettings
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from pydantic import ValidationError

from careervault.runtime.balancing import balanced, grpc_target
from careervault_identity.settings import IdentitySettings

SERVICE = "careervault.test.v1.Echo"
ident = lambda b: b  # noqa: E731 - raw bytes in and out


@pytest.mark.parametrize(
    ("address", "target", "replicas"),
    [
        ("127.0.0.1:50052", "127.0.0.1:50052", 1),
        ("jobs.careervault.local:50052", "jobs.careervault.local:50052", 1),
        (" 127.0.0.1:50052, ", "127.0.0.1:50052", 1),
        ("127.0.0.1:50052,127.0.0.1:50152", "ipv4:127.0.0.1:50052,127.0.0.1:50152", 2),
        ("10.0.0.1:1, 10.0.0.2:2 ,10.0.0.3:3", "ipv4:10.0.0.1:1,10.0.0.2:2,10.0.0.3:3", 3),
        ("[::1]:50052,[::1]:50152", "ipv6:[::1]:50052,[::1]:50152", 2),
        ("ipv4:127.0.0.1:1,127.0.0.1:2", "ipv4:127.0.0.1:1,127.0.0.1:2", 2),
        ("dns:///jobs:50052", "dns:///jobs:50052", 1),
        ("unix:/run/jobs.sock", "unix:/run/jobs.sock", 1),
    ],
)
def test_address_settings_become_grpc_targets(address: str, target: str, replicas: int) -> None:
    assert grpc_target(address) == (target, replicas)


@pytest.mark.parametrize(
    ("address", "says"),
    [
        ("", "empty"),
        (" , ", "empty"),
        ("jobs-a:50052,jobs-b:50052", "'jobs-a:50052' in 'jobs-a:50052,jobs-b:50052': a list"),
        ("127.0.0.1:50052,127.0.0.1", "'127.0.0.1' in '127.0.0.1:50052,127.0.0.1' is not host"),
        ("127.0.0.1:50052,127.0.0.1:99999", "'127.0.0.1:99999'"),
        ("127.0.0.1:1,::1:2", "write an IPv6 address as [addr]:port"),
        ("127.0.0.1:1,[::1]:2", "mixes IPv4 and IPv6"),
    ],
)
def test_a_bad_list_is_refused_naming_the_culprit(address: str, says: str) -> None:
    with pytest.raises(ValueError) as err:
        grpc_target(address)
    assert says in str(err.value)


def test_the_services_refuse_a_bad_address_setting_at_start() -> None:
    assert AiSettings(jobs_address="127.0.0.1:1,127.0.0.1:2").jobs_address.count(",") == 1
    with pytest.raises(ValidationError, match="a list takes IP addresses only"):
        AiSettings(extraction_address="a:1,b:2")
    with pytest.raises(ValidationError, match="a list takes IP addresses only"):
        IdentitySettings(jobs_address="a:1,b:2")


def test_health_is_followed_only_with_a_choice_of_replicas() -> None:
    """One address may be a proxy (ECS Service Connect), judged by whichever task answered a
    probe, or a lone server that still serves while it drains: no health checking there."""
    configs = {
        address: json.loads(dict(balanced(address, SERVICE, ("Call",))[1])["grpc.service_config"])
        for address in ("127.0.0.1:1", "jobs:1", "127.0.0.1:1,127.0.0.1:2")
    }
    for config in configs.values():
        assert config["loadBalancingConfig"] == [{"round_robin": {}}]
        assert config["methodConfig"][0]["name"] == [{"service": SERVICE, "method": "Call"}]
        assert config["methodConfig"][0]["retryPolicy"]["retryableStatusCodes"] == ["UNAVAILABLE"]
    assert "healthCheckConfig" not in configs["127.0.0.1:1"]
    assert "healthCheckConfig" not in configs["jobs:1"]
    assert configs["127.0.0.1:1,127.0.0.1:2"]["healthCheckConfig"] == {"serviceName": SERVICE}
    no_retries = json.loads(dict(balanced("127.0.0.1:1", SERVICE)[1])["grpc.service_config"])
    assert "methodConfig" not in no_retries and "retryThrottling" not in no_retries


# --- with servers --------------------------------------------------------------------------


@dataclass
class Replica:
    index: int
    server: grpc.aio.Server
    health: health.aio.HealthServicer
    port: int
    # The first call to any replica waits here until released (or its server stops).
    hold: asyncio.Event = field(default_factory=asyncio.Event)


@dataclass
class Replicas:
    items: list[Replica]
    served: Counter[int] = field(default_factory=Counter)
    calls: int = 0
    first_call_on: asyncio.Future[int] | None = None

    @property
    def address(self) -> str:
        return ",".join(f"127.0.0.1:{r.port}" for r in self.items)


@pytest.fixture
async def replicas() -> AsyncIterator[Replicas]:
    group = Replicas([])
    group.first_call_on = asyncio.get_running_loop().create_future()

    def handler(index: int) -> Any:
        async def call(request: bytes, context: Any) -> bytes:
            group.calls += 1
            if group.calls == 1 and request == b"hold":
                assert group.first_call_on is not None
                group.first_call_on.set_result(index)
                await group.items[index].hold.wait()
            group.served[index] += 1
            return str(index).encode()

        return call

    for index in range(2):
        server = grpc.aio.server()
        server.add_generic_rpc_handlers(
            [
                grpc.method_handlers_generic_handler(
                    SERVICE,
                    {"Call": grpc.unary_unary_rpc_method_handler(handler(index), ident, ident)},
                )
            ]
        )
        servicer = health.aio.HealthServicer()
        health_pb2_grpc.add_HealthServicer_to_server(servicer, server)
        port = server.add_insecure_port("127.0.0.1:0")
        await server.start()
        await servicer.set(SERVICE, health_pb2.HealthCheckResponse.SERVING)
        group.items.append(Replica(index, server, servicer, port))
    yield group
    for replica in group.items:
        replica.hold.set()
        await replica.server.stop(0)


async def _calls(channel: grpc.aio.Channel, n: int) -> Counter[int]:
    """Which replicas answered n calls."""
    call: Any = channel.unary_unary(f"/{SERVICE}/Call")
    return Counter([int(await call(b"", timeout=5)) for _ in range(n)])


async def _settles_on(channel: grpc.aio.Channel, replicas: set[int]) -> None:
    """Batches of calls reach exactly `replicas` within 5 s (health changes arrive over a
    Watch stream), and keep doing so."""
    deadline = asyncio.get_running_loop().time() + 5
    while set(await _calls(channel, 10)) != replicas:
        assert asyncio.get_running_loop().time() < deadline, f"calls never settled on {replicas}"
        await asyncio.sleep(0.05)
    for _ in range(3):
        assert set(await _calls(channel, 10)) == replicas


async def test_calls_are_spread_and_a_draining_replica_gets_none(replicas: Replicas) -> None:
    target, options = balanced(replicas.address, SERVICE)
    async with grpc.aio.insecure_channel(target, options=options) as channel:
        await _settles_on(channel, {0, 1})
        replica = replicas.items[0]
        await replica.health.set(SERVICE, health_pb2.HealthCheckResponse.NOT_SERVING)
        await _settles_on(channel, {1})  # its server still takes calls, but gets none
        await replica.health.set(SERVICE, health_pb2.HealthCheckResponse.SERVING)
        await _settles_on(channel, {0, 1})
        # What Service.stop() does on SIGTERM, before its drain delay.
        await replica.health.enter_graceful_shutdown()
        await _settles_on(channel, {1})


async def test_a_lone_replica_still_gets_calls_while_it_drains(replicas: Replicas) -> None:
    target, options = balanced(f"127.0.0.1:{replicas.items[0].port}", SERVICE)
    async with grpc.aio.insecure_channel(target, options=options) as channel:
        await replicas.items[0].health.enter_graceful_shutdown()
        await asyncio.sleep(0.2)  # what would reach a client that watched
        assert await _calls(channel, 5) == {0: 5}, "nowhere else to go: it serves while it can"


@pytest.mark.parametrize("retried", [("Call",), ()])
async def test_a_call_cut_off_by_a_replica_going_away_is_retried_on_the_other(
    replicas: Replicas, retried: tuple[str, ...]
) -> None:
    """The call is in flight on one replica when that replica's server stops without grace
    (UNAVAILABLE): a method declared safe to run twice is tried again, on the other."""
    target, options = balanced(replicas.address, SERVICE, retried)
    async with grpc.aio.insecure_channel(target, options=options) as channel:
        await channel.channel_ready()
        call: Any = channel.unary_unary(f"/{SERVICE}/Call")
        pending = asyncio.ensure_future(call(b"hold", timeout=10))
        assert replicas.first_call_on is not None
        first = await asyncio.wait_for(replicas.first_call_on, 5)
        await replicas.items[first].server.stop(0)
        if retried:
            assert int(await pending) == 1 - first
            assert replicas.served == {1 - first: 1}
        else:
            with pytest.raises(grpc.aio.AioRpcError) as err:
                await pending
            assert err.value.code() == grpc.StatusCode.UNAVAILABLE
            assert not replicas.served
