"""Per-call values carried in contextvars: the request id, the caller and their token."""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Principal:
    """A verified caller."""

    user_id: str
    token: str = field(repr=False)
    claims: dict[str, object] = field(default_factory=dict, repr=False)


request_id_var: ContextVar[str] = ContextVar("request_id", default="")
principal_var: ContextVar[Principal | None] = ContextVar("principal", default=None)
# Absolute deadline (time.time() seconds) of the call being served, if the caller set one.
deadline_var: ContextVar[float | None] = ContextVar("deadline", default=None)
method_var: ContextVar[str] = ContextVar("method", default="")


def current_principal() -> Principal:
    """The verified caller of the current call; the auth interceptor guarantees one."""
    principal = principal_var.get()
    if principal is None:
        from careervault.runtime.errors import Unauthenticated

        raise Unauthenticated("Sign in first.", reason="TOKEN_MISSING")
    return principal
