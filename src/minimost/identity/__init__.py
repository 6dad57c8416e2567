"""Who is asking: sessions, cookies, user lookup and the hooks account changes fire.

The kernel every feature builds on. It imports only the kernel (db, realtime, runtime,
settings, the web layer) and no feature: ``auth`` (sign-in pages, passwords, the account
API) is a feature on top of it, and features subscribe to account changes through
:mod:`.lifecycle` in their own ``register()``.
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar, cast

from quart import Quart

from ..api import ApiError
from ..runtime import Runtime, get_runtime
from .lifecycle import AccountLifecycle, accounts_of
from .roles import ADMIN, ADMIN_ONLY_ATTRIBUTE, role_of
from .sessions import CurrentSession, current, current_username, register_session_loading

V = TypeVar("V", bound=Callable[..., Awaitable[Any]])


def signed_in_user() -> CurrentSession:
    """The signed-in user of this request; a 401 for a caller nobody signed in as."""
    signed_in = current()
    if signed_in is None:
        raise ApiError(401, "unauthorized", "You need to sign in to do that.")
    return signed_in


def admin_only(view: V) -> V:
    """Let only admins through. Anyone else signed in gets the 404 of a missing route,
    so the administration API does not reveal itself to people who may not use it."""

    @functools.wraps(view)
    async def wrapper(*args: Any, **kwargs: Any) -> Any:
        signed_in = signed_in_user()
        role = await get_runtime().stores.auth.reading(
            lambda connection: role_of(connection, signed_in.username)
        )
        if role != ADMIN:
            raise ApiError(404, "not_found", "The requested resource was not found.")
        return await view(*args, **kwargs)

    setattr(wrapper, ADMIN_ONLY_ATTRIBUTE, True)
    return cast(V, wrapper)


def install(app: Quart, runtime: Runtime) -> None:
    """Resolve the session before any feature's hook runs, and open the account hooks."""
    runtime.services.accounts = AccountLifecycle()
    register_session_loading(app, runtime)


__all__ = [
    "AccountLifecycle",
    "CurrentSession",
    "accounts_of",
    "admin_only",
    "current",
    "current_username",
    "install",
    "signed_in_user",
]
