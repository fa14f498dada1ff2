"""Wiring: settings -> store, key, domain -> servicer -> server."""

from __future__ import annotations

from contextlib import AsyncExitStack

import grpc

from careervault.identity.v1 import identity_pb2_grpc
from careervault.runtime.public import PUBLIC_METHODS
from careervault.runtime.server import ServiceSpec
from careervault_identity.domain import Identity
from careervault_identity.keys import SigningKey
from careervault_identity.lifecycle import AccountLifecycle
from careervault_identity.servicer import SERVICE, IdentityServicer
from careervault_identity.settings import IdentitySettings
from careervault_identity.store import IdentityStore


def build_spec(settings: IdentitySettings) -> ServiceSpec:
    async def register(server: grpc.aio.Server, resources: AsyncExitStack) -> None:
        directory = settings.data_dir.resolve() / "identity"
        key = SigningKey.load_or_create(directory)
        store = IdentityStore(directory / "identity.db")
        resources.callback(store.close)
        identity = Identity(settings, store, key)
        identity_pb2_grpc.add_IdentityServiceServicer_to_server(
            IdentityServicer(identity, AccountLifecycle()), server
        )

    return ServiceSpec(
        name="identity", full_names=[SERVICE], register=register, public_methods=PUBLIC_METHODS
    )
