"""An account's data across services: export everything, delete everything.

Placeholder wiring: `export` gathers nothing beyond the profile and `delete` removes only the
identity record until the per-service data calls exist.
"""

from __future__ import annotations

from typing import Any

from careervault_identity.backend import Caller, IdentityBackend


class AccountLifecycle:
    async def export(self, caller: Caller) -> dict[str, Any]:
        return {}

    async def delete(self, caller: Caller, backend: IdentityBackend) -> None:
        await backend.delete_account(caller)
