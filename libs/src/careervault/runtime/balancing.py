"""How one service reaches another that may run as several replicas.

An address setting (`CAREERVAULT_JOBS_ADDRESS`, ...) is either

* one `host:port`: a DNS name is resolved to all its addresses (compose, Cloud Map A records),
  or a name that stands for a proxy (ECS Service Connect) which balances by itself; or
* a comma-separated list of IP `host:port` entries, one per replica (`make run` with
  `CAREERVAULT_JOBS_REPLICAS=2` passes `127.0.0.1:50052,127.0.0.1:50152`). gRPC's own list
  syntax (`ipv4:...`, `ipv6:...`) and its other schemes (`dns:`, `unix:`) pass through.

`balanced()` turns the setting into a gRPC target and the channel options (a service config)
that make the channel:

* balance calls over every address (`round_robin`: a connection to each, calls spread per
  call). gRPC's default, `pick_first`, would send everything to the first address and only
  move on once it fails to connect;
* with two or more listed replicas, follow each replica's `grpc.health.v1` status
  (client-side health checking: a Watch stream per connection). A replica that got SIGTERM
  answers NOT_SERVING at once, so it receives no new call while its calls in flight finish;
  a dead one fails to connect and is skipped until it is back (reconnect backoff). With a
  single address there is nowhere else to go: a draining server still gets the calls it can
  serve, and a proxy's name is not judged by whichever task answered its probe;
* retry the given methods on UNAVAILABLE, on the next replica (round_robin moves on; 3
  attempts, short backoff), with gRPC's retry throttling so a real outage does not triple
  the load. Pass only methods that are safe to run twice: reads, idempotent deletes, writes
  guarded by an etag. Calls that never left this process (the connection was already gone)
  are retried by gRPC whatever the method ("transparent retry").
"""

from __future__ import annotations

import ipaddress
import json
from collections.abc import Sequence
from typing import Any

GRPC_SCHEMES = ("dns:", "ipv4:", "ipv6:", "unix:", "unix-abstract:", "vsock:")
# gRPC retry policy for the methods a caller lists (see the module docstring).
RETRY_POLICY = {
    "maxAttempts": 3,
    "initialBackoff": "0.05s",
    "maxBackoff": "0.5s",
    "backoffMultiplier": 2,
    "retryableStatusCodes": ["UNAVAILABLE"],
}
# Retries pause after about 5 failures in a row and come back as calls succeed (gRPC's token
# bucket: a failure takes 1 of 10 tokens, a success gives 0.1; retries need more than 5).
RETRY_THROTTLING = {"maxTokens": 10, "tokenRatio": 0.1}


def grpc_target(address: str) -> tuple[str, int]:
    """The gRPC target for an address setting, and how many replicas it lists (1 for a single
    address or name). Raises ValueError, naming the culprit, for a malformed list."""
    address = address.strip()
    if address.startswith(GRPC_SCHEMES):
        items = address.split(":", 1)[1].lstrip("/").split(",")
        return address, len(items) if address.startswith(("ipv4:", "ipv6:")) else 1
    items = [item.strip() for item in address.split(",") if item.strip()]
    if not items:
        raise ValueError("the address is empty; give host:port, or a list ip:port,ip:port")
    if len(items) == 1:
        return items[0], 1
    versions = set()
    for item in items:
        host, sep, port = item.rpartition(":")
        if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
            raise ValueError(f"{item!r} in {address!r} is not host:port")
        if ":" in host and not host.startswith("["):
            raise ValueError(f"{item!r} in {address!r}: write an IPv6 address as [addr]:port")
        try:
            versions.add(ipaddress.ip_address(host.strip("[]")).version)
        except ValueError:
            raise ValueError(
                f"{item!r} in {address!r}: a list takes IP addresses only; for a DNS name give "
                "that one name (every address it resolves to is used)"
            ) from None
    if len(versions) > 1:
        raise ValueError(f"{address!r} mixes IPv4 and IPv6 addresses")
    scheme = "ipv4" if versions == {4} else "ipv6"
    return f"{scheme}:{','.join(items)}", len(items)


def check_address(address: str) -> str:
    """For settings validators: the address as given, or ValueError."""
    grpc_target(address)
    return address


def balanced(
    address: str, service: str, retried: Sequence[str] = ()
) -> tuple[str, list[tuple[str, Any]]]:
    """The target and channel options for calling `service` (full name, e.g.
    `careervault.jobs.v1.JobService`, also the name its health is checked by) at `address`;
    `retried`: method names of that service safe to run twice."""
    target, replicas = grpc_target(address)
    config: dict[str, Any] = {"loadBalancingConfig": [{"round_robin": {}}]}
    if replicas > 1:
        config["healthCheckConfig"] = {"serviceName": service}
    if retried:
        config["methodConfig"] = [
            {
                "name": [{"service": service, "method": m} for m in retried],
                "retryPolicy": RETRY_POLICY,
            }
        ]
        config["retryThrottling"] = RETRY_THROTTLING
    return target, [
        ("grpc.service_config", json.dumps(config)),
        # The config above is the one used: never one published in DNS TXT records.
        ("grpc.service_config_disable_resolution", 1),
    ]
