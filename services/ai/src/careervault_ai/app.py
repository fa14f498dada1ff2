"""Wiring: settings -> channels to the other services, local pool, provider chain, cache ->
servicer -> server.

Start-up does not wait for the local engine: it loads in a pool thread (`Chain.start_warm`),
so health reports SERVING within a fraction of a second and the first request finds the model
loaded (or waits for the load already under way instead of starting another).
"""

from __future__ import annotations

from contextlib import AsyncExitStack

import grpc

from careervault.ai.v1 import ai_pb2_grpc
from careervault.runtime.public import PUBLIC_METHODS
from careervault.runtime.server import ServiceSpec
from careervault_ai.cache import AnalysisCache
from careervault_ai.fallback import Chain, LocalPool, external_provider
from careervault_ai.inputs import Upstreams
from careervault_ai.servicer import SERVICE, AiServicer
from careervault_ai.settings import AiSettings


def build_spec(settings: AiSettings) -> ServiceSpec:
    async def register(server: grpc.aio.Server, resources: AsyncExitStack) -> None:
        pool = LocalPool(settings.ai_workers, settings.ai_queue)
        resources.callback(pool.close)
        upstreams = Upstreams(settings)
        resources.push_async_callback(upstreams.close)
        external = external_provider(settings, pool.executor)
        close = getattr(external, "aclose", None)
        if close is not None:
            resources.push_async_callback(close)
        chain = Chain(settings, pool, external)
        chain.start_warm()
        cache = AnalysisCache(settings.ai_cache_per_user, settings.ai_cache_users)
        servicer = AiServicer(chain, upstreams, cache, settings.ai_max_text_chars)
        ai_pb2_grpc.add_AiServiceServicer_to_server(servicer, server)

    return ServiceSpec(
        name="ai",
        full_names=[SERVICE],
        register=register,
        public_methods=PUBLIC_METHODS,
    )
