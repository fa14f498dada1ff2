"""Wiring: settings -> store, key, domain -> servicer -> server.

`CAREERVAULT_IDENTITY_BACKEND=cognito` puts Amazon Cognito behind the same servicer instead of
the local issuer (no key, no SQLite store: the pool holds the accounts and signs the tokens).
"""

from __future__ import annotations

from contextlib import AsyncExitStack

import grpc

from careervault.identity.v1 import identity_pb2_grpc
from careervault.runtime.public import PUBLIC_METHODS
from careervault.runtime.server import ServiceSpec
from careervault.runtime.settings import load_settings
from careervault_identity.backend import IdentityBackend
from careervault_identity.domain import Identity
from careervault_identity.keys import SigningKey
from careervault_identity.lifecycle import AccountLifecycle
from careervault_identity.servicer import SERVICE, IdentityServicer
from careervault_identity.settings import IdentitySettings
from careervault_identity.store import IdentityStore


async def cognito_backend(settings: IdentitySettings, resources: AsyncExitStack) -> IdentityBackend:
    # Imported here: boto3 is only loaded when Cognito is the backend.
    from careervault_identity.cognito import CognitoIdentity, CognitoSettings

    backend = CognitoIdentity(settings, load_settings(CognitoSettings))
    resources.callback(backend.close)
    await backend.start()
    return backend


def build_spec(settings: IdentitySettings) -> ServiceSpec:
    async def register(server: grpc.aio.Server, resources: AsyncExitStack) -> None:
        identity: IdentityBackend
        if settings.identity_backend == "cognito":
            identity = await cognito_backend(settings, resources)
        else:
            directory = settings.data_dir.resolve() / "identity"
            key = SigningKey.load_or_create(directory)
            store = IdentityStore(directory / "identity.db")
            resources.callback(store.close)
            identity = Identity(settings, store, key)
        lifecycle = await resources.enter_async_context(AccountLifecycle.from_settings(settings))
        identity_pb2_grpc.add_IdentityServiceServicer_to_server(
            IdentityServicer(identity, lifecycle), server
        )

    return ServiceSpec(
        name="identity", full_names=[SERVICE], register=register, public_methods=PUBLIC_METHODS
    )
