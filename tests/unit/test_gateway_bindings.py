"""The gateway's routes come from the descriptor set, for whichever services are enabled."""

from __future__ import annotations

from pathlib import Path

import pytest

from careervault.runtime.public import PUBLIC_METHODS
from gateway import render

DESCRIPTOR = Path(__file__).resolve().parents[2] / "build" / "careervault.pb"


@pytest.mark.parametrize("services", [("identity",), ("jobs",), ("extraction",), ("ai",)])
def test_any_one_service_can_be_routed_alone(services: tuple[str, ...]) -> None:
    bindings = render.load_bindings(DESCRIPTOR, services)
    full = render.SERVICES[services[0]].full_name
    assert bindings and all(b.method.startswith(f"{full}.") for b in bindings)


def test_every_public_method_is_routed_when_all_services_are() -> None:
    routed = {b.method for b in render.load_bindings(DESCRIPTOR, tuple(render.SERVICES))}
    assert {m.strip("/").replace("/", ".") for m in PUBLIC_METHODS} <= routed
